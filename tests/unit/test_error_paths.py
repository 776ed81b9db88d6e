"""Bad inputs and broken peers end in one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading

import pytest

from lavametrics.cli import main
from lavametrics.httpfetch import FetchError, fetch
from lavametrics.monitor.nodesfile import NodesFileError, load_nodes
from tests.unit.bounded import run_cli


@pytest.fixture()
def not_http():
    """A TCP peer that answers like an SSH server: something listens, but not HTTP."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(1024)
                conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def test_a_peer_that_does_not_speak_http_is_garbage(not_http):
    with pytest.raises(FetchError) as info:
        fetch(not_http + "/metrics", timeout=5)
    assert info.value.reason == "garbage"


def test_check_against_a_non_http_port_exits_2_with_one_line(not_http, capsys):
    code = main(["check", not_http, "--password", "x", "--timeout", "5"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("lavametrics: error: ") and "not an HTTP answer" in err


def test_nodes_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "nodes.yml"
    path.write_bytes(b"- name: main\n  url: http://a\xff\xfe\n")
    with pytest.raises(NodesFileError, match="not UTF-8"):
        load_nodes(path)


def test_loadtest_against_a_closed_port_exits_2(tmp_path, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = main(
        [
            "loadtest",
            "--url",
            f"http://127.0.0.1:{port}",
            "--password",
            "x",
            "--players",
            "1",
            "--seconds",
            "1",
            "--sim-dir",
            str(tmp_path / "sim"),
            "--audio",
            "/nonexistent.wav",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines()[-1].startswith("lavametrics: error: ") and "cannot open the websocket" in err


def test_loadtest_node_pid_of_no_process_exits_2(tmp_path, capsys):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # a pid that was just freed: no process has it (until the kernel hands it out again)
    code = main(
        [
            "loadtest",
            "--url",
            "http://127.0.0.1:9",
            "--password",
            "x",
            "--node-pid",
            str(proc.pid),
            "--sim-dir",
            str(tmp_path / "sim"),
            "--audio",
            "/nonexistent.wav",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines()[-1] == f"lavametrics: error: --node-pid {proc.pid}: no such process on this machine"


def test_a_closed_pipe_ends_quietly_with_141(tmp_path):
    # `lavametrics catalog --packaged --json | <reader that exits at once>`
    read_end, write_end = os.pipe()
    os.close(read_end)
    proc = subprocess.run(
        [sys.executable, "-m", "lavametrics.cli", "catalog", "--packaged", "--json"],
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )
    os.close(write_end)
    assert proc.returncode == 141, proc.stderr
    assert proc.stderr == ""


# --- input files that are not regular files -------------------------------------------------
# FIFOs, sockets and directories made inside tmp_path: never a real device. Each runs in a
# child process, since the old failure was a read blocking forever on the FIFO.

NODES = "nodes:\n  - {name: eu-1, url: 'http://127.0.0.1:2333', password: pw}\n"


def _special(tmp_path, kind: str, name: str):
    path = tmp_path / name
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:  # symlink to a FIFO
        os.mkfifo(tmp_path / f"{name}.target")
        path.symlink_to(tmp_path / f"{name}.target")
    return path


@pytest.mark.parametrize("kind, words", [("fifo", "a FIFO"), ("directory", "a directory"), ("link", "a FIFO")])
@pytest.mark.parametrize(
    "argv",
    [
        ["targets", "--nodes", "{input}"],
        ["check", "--nodes", "{input}"],
        ["mixin", "build", "--out", "{tmp}/out", "--config", "{input}"],
        ["mixin", "diff", "--out", "{tmp}/out", "--config", "{input}"],
    ],
    ids=["targets", "check", "mixin-build", "mixin-diff"],
)
def test_an_input_file_that_is_not_a_regular_file_is_refused_at_once(tmp_path, kind, words, argv):
    path = _special(tmp_path, kind, "input.yml")
    proc = run_cli(*(a.format(input=path, tmp=tmp_path) for a in argv), timeout=20)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr == (
        f"lavametrics: error: {path}: cannot read: {words}, not a regular file: refused, nothing read or written\n"
    )
    assert not (tmp_path / "out").exists()


def test_targets_out_that_is_a_fifo_is_not_replaced(tmp_path):
    nodes = tmp_path / "nodes.yml"
    nodes.write_text(NODES)
    out = _special(tmp_path, "fifo", "nodes.json")
    proc = run_cli("targets", "--nodes", str(nodes), "--out", str(out), timeout=20)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr == f"lavametrics: error: {out}: a FIFO, not a regular file: refused, nothing read or written\n"
    assert stat.S_ISFIFO(os.lstat(out).st_mode)


def test_an_endless_mixin_config_is_refused_after_a_bounded_read(tmp_path):
    # a 4 GiB sparse file stands in for /dev/zero: reading it whole would take gigabytes
    path = tmp_path / "mixin.yml"
    with open(path, "wb") as fh:
        fh.truncate(4 * 1024**3)
    proc = run_cli("mixin", "build", "--out", str(tmp_path / "out"), "--config", str(path), timeout=20)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr == (
        f"lavametrics: error: {path}: larger than the 1 MiB limit for mixin.yml: refused (is this the right file?)\n"
    )
