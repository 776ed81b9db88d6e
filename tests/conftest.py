"""Shared pytest policy: in CI a missing prerequisite is a failure, never a silent skip."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, what: str) -> None:
    """Skip a test locally when `what` is missing; fail it in CI, where everything must be installed."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {what} is missing: .ci/run must install it", pytrace=False)
    pytest.skip(f"{what} is missing")


def require_tool(name: str) -> str:
    path = shutil.which(name)
    require(path is not None, f"the `{name}` command")
    return path  # type: ignore[return-value]


# Debian's promtool (Prometheus 2.42) and the Prometheus 3 one .ci/prometheus3 builds and caches
PROMTOOL_VERSIONS = ("2", "3")
_ROOT = Path(__file__).resolve().parents[1]


def prometheus3_dir() -> Path:
    """Where .ci/prometheus3 puts its build (the version is named in that script alone)."""
    proc = subprocess.run(
        ["bash", str(_ROOT / ".ci" / "prometheus3"), "--where"], capture_output=True, text=True, check=True
    )
    return Path(proc.stdout.strip())


def require_promtool(major: str) -> str:
    """promtool of Prometheus ``major`` (2: on PATH, from Debian; 3: built by .ci/prometheus3)."""
    if major == "2":
        path = require_tool("promtool")
    else:
        built = prometheus3_dir() / "promtool"
        require(built.is_file(), f"promtool 3 (`bash .ci/prometheus3` builds it into {built.parent})")
        path = str(built)
    version = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60).stdout
    assert version.startswith(f"promtool, version {major}."), f"{path}: {version.splitlines()[:1]}"
    return path


MISSING = " is missing"
INSTALL_HINT = (
    "sudo apt-get install prometheus prometheus-alertmanager victoria-metrics (or LAVAMETRICS_INSTALL=1 make test), "
    "and `make build` for the jars"
)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say loudly, last, which tests did not run for a missing prerequisite: a green run that
    skipped the monitoring tests must not read as a full pass."""
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
        if MISSING in reason:
            reason = reason.removeprefix("Skipped: ")
            reasons[reason] = reasons.get(reason, 0) + 1
    if not reasons:
        return
    total = sum(reasons.values())
    tr = terminalreporter
    tr.section(f"{total} TESTS DID NOT RUN: prerequisites missing", sep="!", red=True, bold=True)
    for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
        tr.write_line(f"  {n:4d} x {reason}", red=True)
    tr.write_line(f"  install them: {INSTALL_HINT}", bold=True)
