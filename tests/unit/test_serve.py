import re
import signal
import subprocess
import sys
import urllib.request

import pytest


def spawn(args: list[str], sigint_ignored: bool) -> subprocess.Popen:
    # What a shell without job control does to a command it starts with `&` (a script, many
    # CI runners): the child begins with SIGINT ignored, and Python keeps it that way.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if sigint_ignored else None
    try:
        return subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("sigint_ignored", [False, True], ids=["foreground", "started-with-sigint-ignored"])
def test_serve_cli_serves_and_stops_on_ctrl_c(fake_node, tmp_path, sigint_ignored):
    node = fake_node()
    f = tmp_path / "nodes.yml"
    f.write_text(f"- {{name: a, url: '{node.url}', password: {node.password}}}\n")
    proc = spawn([sys.executable, "-m", "lavametrics.cli", "serve", "--nodes", str(f), "--port", "0"], sigint_ignored)
    try:
        line = proc.stderr.readline()
        port = re.search(r":(\d+)/metrics", line).group(1)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
            assert b'lavametrics_node_up{node="a"} 1.0' in r.read()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_serve_bad_nodes_file_exits_2(tmp_path):
    f = tmp_path / "nodes.yml"
    f.write_text("- {name: a, url: 'ftp://x', password: p}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "lavametrics.cli", "serve", "--nodes", str(f)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("lavametrics: error: ") and "nodes[0].url" in proc.stderr
