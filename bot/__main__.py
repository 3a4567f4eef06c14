"""`python -m bot ...`: the operator and developer command line."""
import sys

from bot.observability.quiet import quiet_dependency_warnings

quiet_dependency_warnings()  # before anything imports a dependency: some warn at import time

from bot.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
