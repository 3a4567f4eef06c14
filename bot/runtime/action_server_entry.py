"""Runs rasa_sdk's action server (`python -m bot.runtime.action_server_entry --actions actions --port …`)
exactly as `python -m rasa_sdk` does, with dependencies' deprecation notices kept off the console."""
from __future__ import annotations

import runpy
import sys
from typing import List, Optional

from bot.observability.quiet import quiet_dependency_warnings

# By name, as on a command line: the runtime starts the SDK's server but does not import Rasa code.
ACTION_SERVER_MODULE = "rasa_sdk"


def main(argv: Optional[List[str]] = None) -> None:
    quiet_dependency_warnings()
    sys.argv = [ACTION_SERVER_MODULE, *(sys.argv[1:] if argv is None else argv)]
    runpy.run_module(ACTION_SERVER_MODULE, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
