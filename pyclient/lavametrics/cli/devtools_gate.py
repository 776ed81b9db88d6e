"""The developer commands (``demo``, ``loadtest``, ``voicesim``, ``stack``) run the code in
``lavametrics.devtools``, which lives in a checkout and is left out of the wheel: an installed
``lavametrics`` keeps the commands in its help, and running one says in one line where they come
from instead of failing on an import.
"""

from __future__ import annotations

import argparse
import importlib.util

from lavametrics.errors import LavametricsError

DEVTOOLS = "lavametrics.devtools"
CHECKOUT_HINT = "run it from a lavametrics checkout: pip install -e '.[sim]' there (make venv does it)"


class NeedsCheckout(LavametricsError):
    """A developer command run from an install that has no ``lavametrics.devtools``."""

    def __init__(self, command: str) -> None:
        super().__init__(f"`{command}` is a developer tool, not part of the installed package: {CHECKOUT_HINT}")


def devtools_present() -> bool:
    return importlib.util.find_spec(DEVTOOLS) is not None


def add_unavailable(sub, name: str, help_text: str) -> None:
    """Registers ``name`` as a command that takes any arguments and raises :class:`NeedsCheckout`."""
    # No option prefix the user could type: every argument, `--url` and `--help` included, is
    # taken as given, so the one line below is what any invocation prints.
    p = sub.add_parser(
        name, help=f"{help_text} (developer tool: needs a checkout)", add_help=False, prefix_chars="\x00"
    )
    p.add_argument("rest", nargs=argparse.REMAINDER)

    def unavailable(args) -> int:
        raise NeedsCheckout(f"lavametrics {name}")

    p.set_defaults(func=unavailable)
