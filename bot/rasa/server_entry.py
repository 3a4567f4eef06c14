"""Runs Rasa's command line (`python -m bot.rasa.server_entry run …`) with one speed-up, personal data
masked in its logs, and without dependencies' deprecation notices on the console (bot/observability/quiet.py).

For `run` it also closes the doors: the secrets are filled or checked as the run command does
(bot/identity/secrets_setup.py: generated into var/secrets/ in demo mode, which stays on loopback; required
in production, else it refuses to start naming each problem), so that started on its own it never serves
Rasa's API without a token; the HTTP API requires BOT_RASA_TOKEN (`--auth-token`, added here so that the
token stays out of the process list), every customer message passes the message guard
(bot/rasa/message_guard.py), and requests are limited in size and rate (bot/rasa/request_limits.py).

Profiling the Rasa server under load (py-spy, see README "Figures") showed almost half of its CPU
in `jsonschema.validate`, which Rasa calls on every action-server response: the function checks
the schema itself against the JSON-Schema meta-schema on every call before validating the response.
Rasa's schema never changes, so we check each distinct schema once and reuse its validator; the
responses are validated exactly as before."""
from __future__ import annotations

import json
import os
import sys
import threading
from typing import TYPE_CHECKING, Any, Dict, List, MutableMapping, Optional

if TYPE_CHECKING:
    from bot.settings import Settings


def install_cached_schema_validation() -> None:
    import jsonschema
    from jsonschema import exceptions
    from jsonschema.validators import validator_for

    if getattr(jsonschema.validate, "cached_schema_check", False):
        return
    validators: Dict[str, Any] = {}
    lock = threading.Lock()

    def validate(instance: Any, schema: Any, cls: Any = None, *args: Any, **kwargs: Any) -> None:
        key = json.dumps(schema, sort_keys=True, default=str) + repr(cls)
        validator = validators.get(key)
        if validator is None or args or kwargs:
            chosen = cls or validator_for(schema)
            chosen.check_schema(schema)  # an invalid schema still raises SchemaError, once
            validator = chosen(schema, *args, **kwargs)
            if not args and not kwargs:
                with lock:
                    validators[key] = validator
        error = exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error

    validate.cached_schema_check = True  # type: ignore[attr-defined]
    jsonschema.validate = validate


def with_auth_token(args: List[str], token: str) -> List[str]:
    """`rasa run` arguments with `--auth-token` when a token is set and none was given. One argument,
    `--auth-token=<token>`: a generated token may begin with "-", which would read as another option."""
    given = any(a in ("--auth-token", "-t") or a.startswith("--auth-token=") for a in args)
    if not args or args[0] != "run" or not token or given:
        return list(args)
    return [*args, f"--auth-token={token}"]


def interface_of(args: List[str]) -> Optional[str]:
    """The address `rasa run` is told to listen on (`--interface`/`-i`), if any."""
    for index, arg in enumerate(args):
        if arg in ("--interface", "-i") and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--interface="):
            return arg.split("=", 1)[1]
    return None


def with_interface(args: List[str], host: str) -> List[str]:
    """`rasa run` arguments that listen on BOT_HOST unless an interface was given (Rasa's own default is
    every interface, which demo mode must not be reachable on)."""
    if not args or args[0] != "run" or interface_of(args) is not None:
        return list(args)
    return [*args, "--interface", host]


def settings_for_run(settings: "Settings", environ: MutableMapping[str, str]) -> "Settings":
    """The settings a `run` serves with: the secrets filled (demo) or checked (production; RunRefused), and
    what was filled put into `environ` (the process's environment), where this process's channels (their
    settings) and endpoints.yml (`${BOT_ACTION_TOKEN}`) read them, as in a child of the run command."""
    from bot.identity.secrets_setup import changed_environment, with_secrets
    from bot.settings import get_settings

    filled = with_secrets(settings)
    changed = changed_environment(settings, filled)
    if changed:
        environ.update(changed)
        get_settings.cache_clear()
    return filled


def main(argv: Optional[List[str]] = None) -> None:
    from bot.observability.masking import install_masking
    from bot.observability.quiet import quiet_dependency_warnings

    quiet_dependency_warnings()  # first: Rasa's dependencies warn while being imported
    install_masking()
    from bot.identity.secrets_setup import RunRefused
    from bot.settings import get_settings

    settings = get_settings()
    if settings.rasa_speedups:
        install_cached_schema_validation()
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["run"]:
        interface = interface_of(args)
        if interface is not None and interface != settings.host:  # demo mode is checked on what is bound
            settings = settings.with_overrides(host=interface)
        try:
            settings = settings_for_run(settings, os.environ)
        except RunRefused as refused:
            print(f"{refused.headline}:", file=sys.stderr)
            for problem in refused.problems:
                print(f"  - {problem}", file=sys.stderr)
            raise SystemExit(2) from None
    if args[:1] in (["run"], ["shell"]):
        from bot.rasa.message_guard import install_message_guard
        from bot.rasa.request_limits import install_request_limits

        install_message_guard(settings)
        install_request_limits(settings)
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *with_auth_token(with_interface(args, settings.host), settings.rasa_token)]
    rasa_main()


if __name__ == "__main__":
    main()
