"""What every command prints with: one-line errors, text tables, JSON."""

from __future__ import annotations

import json
import sys

from lavametrics.errors import LavametricsError
from lavametrics.texttable import table

__all__ = ["PROG", "CliError", "err", "dump", "table"]

PROG = "lavametrics"


class CliError(LavametricsError):
    """A command's own complaint (a usage error, an unhealthy node), reported like any
    LavametricsError; ``exit_code`` is the exit status."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.exit_code = code


def err(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def dump(obj) -> None:
    print(json.dumps(obj, indent=2, sort_keys=False, default=str))
