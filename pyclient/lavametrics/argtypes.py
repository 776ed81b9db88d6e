"""argparse pieces shared by every command line of the package.

Each ``type=`` validator turns a bad option value into a one-line usage error (exit 2)
instead of a traceback later: ``--timeout 1e308`` used to overflow the socket layer.
``Parser`` prints that line alone, without argparse's usage block.
"""

from __future__ import annotations

import argparse
import math

from lavametrics.httpfetch import MAX_TIMEOUT_SECONDS


class Parser(argparse.ArgumentParser):
    """Usage errors are one line, ``PROG: error: MESSAGE``, and exit 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def seconds(maximum: float = MAX_TIMEOUT_SECONDS, zero: str | None = None):
    """A finite number of seconds in (0, maximum]; with ``zero`` (what 0 means), 0 too."""
    low = "0 (" + zero + ") or more" if zero else "more than 0"

    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0 or (value == 0 and not zero) or value > maximum:
            raise argparse.ArgumentTypeError(f"{raw!r}: must be a number of seconds, {low} and at most {maximum:g}")
        return value

    return parse


def integer(minimum: int, maximum: int, what: str = "a whole number"):
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(f"{raw!r}: must be {what} from {minimum} to {maximum}")
        return value

    return parse


def port(raw: str) -> int:
    """A TCP/UDP port to listen on; 0 asks the system for a free one."""
    return integer(0, 65535, "a port (0: a free one)")(raw)


def path(raw: str) -> str:
    """A file or directory name: not empty, no NUL byte. Whether it exists is for the command
    to say, with the reason the system gives."""
    if not raw or "\0" in raw:
        raise argparse.ArgumentTypeError(f"{raw!r}: not a usable path")
    return raw
