"""Keeps dependencies' deprecation notices and start-up chatter off the operator's console.

Our entry points call `quiet_dependency_warnings()` first, so `make run` shows our progress lines and
the addresses. Deprecation and future warnings raised from our own code (`bot`, `actions`) still show:
they are ours to fix. Warnings of other kinds (a UserWarning from Rasa about our data) are untouched."""
from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any, Callable, Optional, TextIO, Tuple, Type

# The notices addressed to a library's own users (its callers), not to an operator of the assistant.
DEPENDENCY_NOTICES: Tuple[Type[Warning], ...] = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)

_OUR_MODULES = r"(bot|actions)(\..*)?\Z"
_PROJECT_ROOT = Path(__file__).resolve().parents[2]
_OUR_FOLDERS = (_PROJECT_ROOT / "bot", _PROJECT_ROOT / "actions")


def is_our_file(filename: str) -> bool:
    """Whether a warning's source file is in our packages rather than in a dependency or the standard library."""
    try:
        path = Path(filename).resolve()
    except (OSError, ValueError):
        return False
    return any(folder in path.parents for folder in _OUR_FOLDERS)


def quiet_dependency_warnings() -> None:
    """Hides dependencies' deprecation and future warnings in this process; safe to call more than once."""
    for category in DEPENDENCY_NOTICES:  # first match wins and filterwarnings inserts in front: ours go last
        warnings.filterwarnings("ignore", category=category)
        warnings.filterwarnings("default", category=category, module=_OUR_MODULES)
    # Some libraries put their own filter in front on import (Sanic: "once" for every DeprecationWarning),
    # which would bring the notices back; the last step before printing drops them again.
    if not getattr(warnings.showwarning, "hides_dependency_notices", False):
        warnings.showwarning = _hiding_dependency_notices(warnings.showwarning)
    # jieba logs its dictionary loading ("Building prefix dict ...") at DEBUG on its own stderr handler
    # and resets its level on import; a logger filter survives that. Its warnings and errors still pass.
    jieba = logging.getLogger("jieba")
    if not any(isinstance(f, _BelowWarning) for f in jieba.filters):
        jieba.addFilter(_BelowWarning())


def _hiding_dependency_notices(show: Callable[..., None]) -> Callable[..., None]:
    def showwarning(message: Any, category: Type[Warning], filename: str, lineno: int,
                    file: Optional[TextIO] = None, line: Optional[str] = None) -> None:
        if issubclass(category, DEPENDENCY_NOTICES) and not is_our_file(filename):
            return
        show(message, category, filename, lineno, file, line)

    showwarning.hides_dependency_notices = True  # type: ignore[attr-defined]
    return showwarning


class _BelowWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING
