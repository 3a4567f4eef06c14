"""Runs rasa_sdk's action server (`python -m bot.runtime.action_server_entry --actions actions --port …`)
as `python -m rasa_sdk` does, closed to anyone but Rasa (bot/rasa/action_server_guard.py), with personal
data masked in its logs and dependencies' deprecation notices kept off the console.

It listens on BOT_ACTION_HOST (127.0.0.1 by default; rasa_sdk reads SANIC_HOST, set by the run command)."""
from __future__ import annotations

import runpy
import sys
from typing import List, Optional

from bot.observability.masking import install_masking
from bot.observability.quiet import quiet_dependency_warnings

# By name, as on a command line: the runtime starts the SDK's server but does not import Rasa code.
ACTION_SERVER_MODULE = "rasa_sdk"


def main(argv: Optional[List[str]] = None) -> None:
    quiet_dependency_warnings()
    install_masking()
    from bot.rasa.action_server_guard import install_action_server_guard
    from bot.settings import get_settings

    install_action_server_guard(get_settings().action_token)
    sys.argv = [ACTION_SERVER_MODULE, *(sys.argv[1:] if argv is None else argv)]
    runpy.run_module(ACTION_SERVER_MODULE, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
