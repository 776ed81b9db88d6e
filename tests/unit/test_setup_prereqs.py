"""The README's two commands do the set-up: the monitoring tools are installed when the user may,
else the one command to run is printed; a test skipped for a missing tool is announced, never silent."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / ".ci" / "monitoring-tools"
# make metrics-up's single stack (--single) needs Prometheus and Alertmanager; the tests (and CI)
# VictoriaMetrics too, for the HA topology
INSTALL_SINGLE = "apt-get install -y --no-install-recommends prometheus prometheus-alertmanager"
INSTALL = f"{INSTALL_SINGLE} victoria-metrics"


@pytest.fixture
def tmp_path():
    """Outside pytest's 0700 base, so that `nobody` can reach the stub tools."""
    with tempfile.TemporaryDirectory(prefix="lavametrics-prereqs-") as d:
        Path(d).chmod(0o777)
        yield Path(d)


def _bin_without_the_tools(tmp_path: Path, *stubs: str) -> Path:
    """A PATH directory with what the script uses but no prometheus/alertmanager; ``stubs`` (apt-get,
    sudo) log their arguments to tmp_path/calls and succeed."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    bindir.chmod(0o755)
    for tool in ("bash", "id", "env", "apt-get"):
        found = shutil.which(tool)
        if found and tool not in stubs:
            (bindir / tool).symlink_to(found)
    for stub in stubs:
        (bindir / stub).write_text(
            f'#!{shutil.which("bash")}\necho "{stub} $*" >> {tmp_path}/calls\n'
            + ('exec "$@"\n' if stub == "sudo" else "")
        )
        (bindir / stub).chmod(0o755)
    return bindir


def _run_script(bindir: Path, *args: str, as_user: bool, **env: str) -> subprocess.CompletedProcess:
    cmd = [shutil.which("bash") or "bash", str(SCRIPT), *args]
    base = {k: v for k, v in os.environ.items() if k not in ("CI", "LAVAMETRICS_INSTALL")}
    return subprocess.run(
        cmd,
        env={**base, "PATH": str(bindir), **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
        # the situation of a newcomer without root: run as nobody
        preexec_fn=_nobody if as_user and os.geteuid() == 0 else None,
    )


def _nobody() -> None:
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)


def test_metrics_up_without_the_tools_stops_with_the_one_command(tmp_path):
    if not shutil.which("apt-get"):
        pytest.skip("a Debian system (apt-get)")
    bindir = _bin_without_the_tools(tmp_path)
    proc = _run_script(bindir, "--single", as_user=True)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and f"sudo apt-get update && sudo {INSTALL_SINGLE}   (" in proc.stderr, (
        proc.stderr
    )
    # make test only warns outside CI (the tests then skip and say so), fails in CI
    warn = _run_script(bindir, "--warn", as_user=True)
    assert warn.returncode == 0 and warn.stderr.startswith(
        "WARNING: missing prometheus prometheus-alertmanager victoria-metrics"
    )
    assert _run_script(bindir, "--warn", as_user=True, CI="true").returncode == 1


def test_the_tools_are_installed_when_the_user_opted_in(tmp_path):
    bindir = _bin_without_the_tools(tmp_path, "apt-get", "sudo")
    proc = _run_script(bindir, as_user=True, LAVAMETRICS_INSTALL="1")
    assert proc.returncode == 0, proc.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert f"{INSTALL} -qq" in calls and "apt-get update -qq" in calls, calls
    if os.geteuid() != 0:
        assert any(c.startswith("sudo ") for c in calls), calls


def test_the_tools_present_means_nothing_to_do(tmp_path):
    bindir = _bin_without_the_tools(tmp_path, "apt-get")
    for tool in ("prometheus", "promtool", "amtool", "prometheus-alertmanager", "victoria-metrics", "vmalert"):
        (bindir / tool).symlink_to(shutil.which("true") or "/bin/true")
    proc = _run_script(bindir, as_user=True)
    assert proc.returncode == 0 and proc.stderr == "" and not (tmp_path / "calls").exists()


SKIPPING_TEST = """
from tests.conftest import require


def test_needs_a_tool():
    require(False, "the `no-such-tool` command")


def test_runs():
    pass
"""


def _pytest(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_skipping.py").write_text(SKIPPING_TEST)
    base = {k: v for k, v in os.environ.items() if k != "CI"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_test_skipped_for_a_missing_tool_is_announced_at_the_end(tmp_path):
    proc = _pytest(tmp_path)
    assert proc.returncode == 0, proc.stdout
    tail = proc.stdout.strip().splitlines()[-5:]
    assert any("1 TESTS DID NOT RUN: prerequisites missing" in line for line in tail), proc.stdout
    assert any("the `no-such-tool` command is missing" in line for line in tail), proc.stdout
    # in CI the same test fails instead
    ci = _pytest(tmp_path, CI="true")
    assert ci.returncode == 1 and "CI=true but the `no-such-tool` command is missing" in ci.stdout
