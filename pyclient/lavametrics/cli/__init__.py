"""Command line front end: each command is a module of this package that parses its options,
calls the library and prints; the checks, edits and merges themselves live in the library.

Exit codes: 0 ok, 1 unhealthy/invalid, 2 usage, I/O or connection error, or nothing could be
checked (``config validate`` without Java). Every option value is checked by its ``type=``
(``lavametrics.argtypes``): a bad one is a one-line usage error.
"""

from __future__ import annotations

import argparse
import os
import sys

from lavametrics import __version__
from lavametrics.argtypes import Parser
from lavametrics.cli import catalog, check, config, demo, loadtest, mixin, serve, stack, targets, voicesim
from lavametrics.cli.output import PROG, err
from lavametrics.errors import LavametricsError

# The optional extra that brings each module a command may need (pyproject.toml).
EXTRA_OF_MODULE = {"websockets": "sim", "bcrypt": "web", "matplotlib": "mixin"}

COMMANDS = [
    check.add_check,
    config.add_config,
    serve.add_serve,
    targets.add_targets,
    catalog.add_catalog,
    loadtest.add_loadtest,
    voicesim.add_voicesim,
    demo.add_demo,
    mixin.add_mixin,
    stack.add_stack,
]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog=PROG, description="Prometheus monitoring for Lavalink v4 nodes")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except LavametricsError as exc:  # every error of ours: one line, its exit status
        err(str(exc))
        return exc.exit_code
    except ModuleNotFoundError as exc:
        extra = EXTRA_OF_MODULE.get((exc.name or "").partition(".")[0])
        if extra is None:
            raise
        err(f"this command needs {exc.name}, which the base install leaves out: install lavametrics[{extra}]")
        return 2
    except BrokenPipeError:  # before OSError, of which it is one
        # the reader (e.g. `| head`) went away: stop quietly, as a shell tool killed by SIGPIPE would
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:
        err(f"{getattr(exc, 'filename', '') or ''}: {exc.strerror or exc}".lstrip(": "))
        return 2
    except KeyboardInterrupt:
        return 130
