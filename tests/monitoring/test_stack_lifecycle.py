"""`make metrics-up` / `make metrics-down` as a user runs them: the supervisor, its children, its secrets.

One real stack (supervisor, node JVM, Prometheus, Alertmanager) for the module, started with
the command `make metrics-up` runs; the last test SIGKILLs its supervisor and checks that
`down` still stops everything. Which processes belong to the stack is read from /proc (their
working directory is inside the stack's directory), not from the records under test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from lavametrics.devtools.node import DEFAULT_PASSWORD, NodeError, find_plugin_jar, resolve_server_jar
from tests.conftest import require, require_tool

STACK = [sys.executable, "-m", "lavametrics.devtools.stack"]
CLI = [sys.executable, "-m", "lavametrics.cli"]


def _run(cmd: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def _processes_in(root: Path) -> dict[int, str]:
    """pid -> command name of every process whose working directory is inside ``root``."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = Path(os.readlink(entry / "cwd"))
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if cwd == root or root in cwd.parents:
            found[int(entry.name)] = comm
    return found


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f}s waiting for {what}"
        time.sleep(0.5)
    return result


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    require_tool("prometheus")
    require_tool("promtool")
    require_tool("java")
    require(
        bool(shutil.which("alertmanager") or shutil.which("prometheus-alertmanager")),
        "the `alertmanager` (Debian: prometheus-alertmanager) command",
    )
    try:
        resolve_server_jar()
        find_plugin_jar()
    except NodeError as err:
        require(False, f"a Lavalink server and the plugin jar ({err})")
    root = tmp_path_factory.mktemp("stack").resolve()
    try:
        up = _run([*STACK, "up", "--dir", str(root), "--timeout", "400"], timeout=450)
        assert up.returncode == 0, up.stdout + up.stderr
        yield root, up.stdout
    finally:
        _run([*STACK, "down", "--dir", str(root)])
        for pid in _processes_in(root):  # whatever `down` missed must not outlive the test
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass


def test_up_shows_its_progress(stack):
    _, out = stack
    steps = re.findall(r"^metrics stack: \[\s*\d+s\] (.+)$", out, re.MULTILINE)
    assert len(steps) >= 4, out
    assert any("node" in s for s in steps) and any("Prometheus" in s for s in steps), steps


def test_node_config_is_private_with_a_random_password(stack):
    root, out = stack
    config = root / "node-1" / "application.yml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    password = re.search(r'password: "?([^"\n]+)"?', config.read_text()).group(1).strip()
    assert password != DEFAULT_PASSWORD and len(password) >= 24
    # never printed: not by `up`, not in the stack's log or its URL list
    for text in (out, (root / "stack.log").read_text(), (root / "urls.json").read_text()):
        assert password not in text
    # and it is the password the node runs with: the stack's bot, which reads no other, is connected
    urls = json.loads((root / "urls.json").read_text())
    with urllib.request.urlopen(urls["bot metrics"], timeout=10) as resp:
        text = resp.read().decode()
    assert re.search(r'^bot_lavalink_node_events_total\{event="connected",node="node-1"\} [1-9]', text, re.M), text


def test_prometheus_has_no_lifecycle_api(stack):
    root, _ = stack
    prometheus = json.loads((root / "urls.json").read_text())["prometheus"]
    req = urllib.request.Request(prometheus + "/-/quit", method="POST", data=b"")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=10)
    assert refused.value.code == 403
    with urllib.request.urlopen(prometheus + "/-/ready", timeout=10) as resp:
        assert resp.status == 200


def _errors(bot_url: str) -> float:
    with urllib.request.urlopen(bot_url, timeout=10) as resp:
        text = resp.read().decode()
    return sum(float(v) for v in re.findall(r'^bot_commands_total\{[^}]*outcome="error"[^}]*\} (\S+)$', text, re.M))


def test_fault_cli_drives_the_running_stack(stack):
    root, _ = stack
    bot = json.loads((root / "urls.json").read_text())["bot metrics"]
    inject = _run([*CLI, "stack", "fault", "command-errors", "--share", "1", "--no-wait", "--json", "--dir", str(root)])
    assert inject.returncode == 0, inject.stderr
    fault = json.loads(inject.stdout)
    assert fault["kind"] == "command-errors" and fault["params"]["share"] == 1
    assert [e["alert"] for e in fault["expects"]] == ["BotCommandErrorsHigh"]
    before = _errors(bot)
    _wait(lambda: _errors(bot) >= before + 3, 60, "three failed commands at share 1")
    again = _run([*CLI, "stack", "fault", "command-errors", "--no-wait", "--dir", str(root)])
    assert again.returncode == 2 and again.stderr.count("\n") == 1 and "already injected" in again.stderr
    cleared = _run([*CLI, "stack", "fault", "clear", "--dir", str(root)])
    assert cleared.returncode == 0 and cleared.stdout == "cleared: command-errors\n", cleared
    assert (stat.S_IMODE((root / "control.sock").stat().st_mode)) == 0o600


def test_down_after_the_supervisor_was_killed_stops_every_child(stack):
    root, _ = stack
    running = _processes_in(root)
    assert {"prometheus", "java"} <= set(running.values()) and len(running) >= 3, running
    supervisor = int((root / "stack.pid").read_text().split()[0])
    os.kill(supervisor, signal.SIGKILL)
    _wait(lambda: not Path(f"/proc/{supervisor}").exists() or "Z" in _state(supervisor), 10, "the supervisor to die")
    down = _run([*STACK, "down", "--dir", str(root)])
    assert down.returncode == 0 and "not running" not in down.stdout, down.stdout
    left = _wait(lambda: (set(_processes_in(root)) & set(running)) == set() or None, 30, "every child to stop")
    assert left is True


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_down_never_signals_a_stranger_named_by_a_stale_pid_file(tmp_path):
    # a process in its own session, as a recycled pid would be: `down` must leave it (and its group) alone
    stranger = subprocess.Popen(["sleep", "300"], start_new_session=True)
    try:
        for content in (f"{stranger.pid}\n", f"{stranger.pid} 1\n"):  # an old-format file; a wrong start time
            (tmp_path / "stack.pid").write_text(content)
            down = _run([*STACK, "down", "--dir", str(tmp_path)])
            assert down.returncode == 0 and down.stdout == "metrics stack: not running\n", down.stdout
            with pytest.raises(subprocess.TimeoutExpired):
                stranger.wait(1.0)
    finally:
        stranger.kill()
        stranger.wait()
