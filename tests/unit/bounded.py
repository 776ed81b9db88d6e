"""Run hostile input through the CLI in a child process with a memory ceiling.

A regression in the YAML bounds would otherwise let an alias bomb take gigabytes from a
machine the tests share: in the child it ends in MemoryError (a failed assertion) instead.
"""

from __future__ import annotations

import resource
import subprocess
import sys

MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


def run_cli(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``lavametrics ARGV`` with at most 1 GiB of address space; ``timeout`` only guards
    against a hang, the tests judge the outcome."""
    return subprocess.run(
        [sys.executable, "-m", "lavametrics.cli", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=_limit_memory,
    )
