import logging
import warnings

import pytest

from bot.observability.quiet import quiet_dependency_warnings
from bot.settings import PROJECT_ROOT

SITE_PACKAGES = "/opt/venv/lib/python3.10/site-packages"


def _warn_from(module: str, filename: str, category=DeprecationWarning) -> None:
    """Raises a warning the way code in `module` (stored at `filename`) would."""
    code = compile(f"import warnings\nwarnings.warn('old API', {category.__name__})\n", filename, "exec")
    exec(code, {"__name__": module, category.__name__: category})


@pytest.fixture(autouse=True)
def jieba_logger_as_it_was():
    jieba = logging.getLogger("jieba")
    filters = list(jieba.filters)
    yield
    jieba.filters[:] = filters


@pytest.fixture
def shown():
    """The warnings that reach the console once our entry points have installed the filter."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        quiet_dependency_warnings()
        yield caught


def test_hides_a_dependencys_deprecation_and_keeps_ours(shown):
    _warn_from("jax.interpreters", f"{SITE_PACKAGES}/jax/interpreters.py")
    _warn_from("sqlalchemy.orm", f"{SITE_PACKAGES}/sqlalchemy/orm.py", FutureWarning)
    _warn_from("bot.kb.service", str(PROJECT_ROOT / "bot" / "kb" / "service.py"))
    _warn_from("actions.handoff", str(PROJECT_ROOT / "actions" / "handoff.py"), PendingDeprecationWarning)

    assert [(w.category, w.filename) for w in shown] == [
        (DeprecationWarning, str(PROJECT_ROOT / "bot" / "kb" / "service.py")),
        (PendingDeprecationWarning, str(PROJECT_ROOT / "actions" / "handoff.py")),
    ]


def test_a_library_putting_its_own_filter_in_front_does_not_bring_them_back(shown):
    warnings.filterwarnings("once", category=DeprecationWarning)  # what importing sanic.app does
    _warn_from("sanic_cors.extension", f"{SITE_PACKAGES}/sanic_cors/extension.py")
    _warn_from("bot.web.app", str(PROJECT_ROOT / "bot" / "web" / "app.py"))

    assert [w.filename for w in shown] == [str(PROJECT_ROOT / "bot" / "web" / "app.py")]


def test_other_warnings_from_dependencies_still_show(shown):
    _warn_from("rasa.shared.utils.io", f"{SITE_PACKAGES}/rasa/shared/utils/io.py", UserWarning)

    assert [w.category for w in shown] == [UserWarning]


def test_a_module_merely_named_like_ours_is_a_dependency(shown):
    _warn_from("bottle", f"{SITE_PACKAGES}/bottle.py")
    _warn_from("actionslib.x", f"{SITE_PACKAGES}/actionslib/x.py")

    assert shown == []


def test_jieba_start_up_chatter_is_hidden_but_its_warnings_are_not(caplog):
    quiet_dependency_warnings()
    jieba = logging.getLogger("jieba")
    with caplog.at_level(logging.DEBUG, logger="jieba"):
        jieba.debug("Building prefix dict from the default dictionary ...")
        jieba.warning("dictionary file missing")

    assert [r.getMessage() for r in caplog.records] == ["dictionary file missing"]
