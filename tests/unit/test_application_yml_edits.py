"""Edits of application.yml are safe against the files and the people around them:
concurrent editors, root, symlinks, read-only files, BOMs, Spring profiles, hostile YAML."""

from __future__ import annotations

import grp
import json
import os
import pwd
import random
import signal
import socket
import stat
import subprocess
import sys
import threading
import time

import pytest

from lavametrics import fsutil
from lavametrics.cli import main
from lavametrics.config import application_yml
from tests.conftest import require
from tests.unit.bounded import run_cli

BASE = """\
lavalink:
  server:
    password: "youshallnotpass"
plugins:
  lavametrics:
    endpoint:
      enabled: false
metrics:
  prometheus:
    enabled: true
    endpoint: /metrics
"""


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def app(tmp_path):
    p = tmp_path / "application.yml"
    p.write_text(BASE)
    return p


# --- concurrent editors ----------------------------------------------------------------------

DISTINCT = [
    ("groups.sessions", "false", False),
    ("groups.players", "false", False),
    ("groups.tracks", "false", False),
    ("groups.loads", "false", False),
    ("groups.frames", "false", False),
    ("groups.voice", "false", False),
    ("groups.filters", "false", False),
    ("groups.rest", "true", True),
    ("endpoint.port", "9500", 9500),
    ("endpoint.path", "/lm", "/lm"),
]


def _lookup(doc, dotted):
    node = doc["plugins"]["lavametrics"]
    for seg in dotted.split("."):
        if not isinstance(node, dict) or seg not in node:
            return None
        node = node[seg]
    return node


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_sets_of_distinct_keys_all_land(app, round_):
    start = threading.Barrier(len(DISTINCT))
    errors = []

    def edit(key, raw):
        try:
            start.wait()
            application_yml.set_value(app, key, raw, validate=False)
        except Exception as exc:  # reported below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=edit, args=(k, raw)) for k, raw, _ in DISTINCT]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    doc = application_yml.read(app).doc
    missing = [k for k, _raw, want in DISTINCT if _lookup(doc, k) != want]
    assert not missing, f"lost edits: {missing}"


def test_concurrent_processes_all_land(app):
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "lavametrics.cli", "config", "set", k, raw, "--file", str(app), "--no-validate"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k, raw, _ in DISTINCT[:6]
    ]
    for p in procs:
        _out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    doc = application_yml.read(app).doc
    assert [k for k, _raw, want in DISTINCT[:6] if _lookup(doc, k) != want] == []


def test_kill_9_during_edits_never_leaves_a_broken_file(app):
    """Kill editors at random moments: the file is always the old or a new version, whole."""
    rng = random.Random(7)
    for i in range(8):
        key, raw, _ = DISTINCT[i]
        proc = subprocess.Popen(
            [sys.executable, "-m", "lavametrics.cli", "config", "set", key, raw, "--file", str(app), "--no-validate"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.2, 0.8))  # not a wait for an event: the point is a random moment
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        for path in (app, app.parent / "application.yml.bak"):
            if path.exists():  # whole: it parses and still holds the rest of the file
                assert application_yml.read(path).doc["lavalink"]["server"]["password"] == "youshallnotpass"
        assert _lookup(application_yml.read(app).doc, key) in (None, DISTINCT[i][2])


# --- ownership and permissions -------------------------------------------------------------


def _nobody():
    user = pwd.getpwnam("nobody")
    group = grp.getgrgid(user.pw_gid)
    return user.pw_uid, group.gr_gid


def test_root_edit_keeps_owner_group_and_mode_of_file_and_backup(app):
    require(os.geteuid() == 0, "root (to chown the file to nobody)")
    uid, gid = _nobody()
    os.chown(app, uid, gid)
    os.chmod(app, 0o600)
    result = application_yml.set_value(app, "endpoint.port", "9500", validate=False)
    for p in (app, result.backup):
        st = os.stat(p)
        assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (uid, gid, 0o600), p
    assert "port: 9500" in app.read_text()


def test_root_edit_keeps_a_group_readable_mode(app):
    require(os.geteuid() == 0, "root (to chown the file to nobody)")
    uid, gid = _nobody()
    os.chown(app, 0, gid)
    os.chmod(app, 0o640)
    application_yml.set_value(app, "endpoint.port", "9500", validate=False)
    st = os.stat(app)
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (0, gid, 0o640)


@pytest.mark.parametrize("mode", [0o444, 0o400, 0o440])
def test_a_read_only_file_is_not_edited_even_by_root(app, capsys, mode):
    os.chmod(app, mode)
    try:
        code, _out, err = run(capsys, "config", "set", "endpoint.port", "9500", "--file", str(app), "--no-validate")
    finally:
        os.chmod(app, 0o644)
    assert code == 2
    assert err.startswith(f"lavametrics: error: {app}: read-only (mode {mode:04o})") and err.count("\n") == 1, err
    assert app.read_text() == BASE
    assert not (app.parent / "application.yml.bak").exists()


# --- symlinks --------------------------------------------------------------------------------


def test_an_existing_backup_symlink_is_replaced_not_followed(app, tmp_path):
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("not yours\n")
    bak = app.parent / "application.yml.bak"
    bak.symlink_to(elsewhere)
    application_yml.set_value(app, "endpoint.port", "9500", validate=False)
    assert elsewhere.read_text() == "not yours\n"  # the password did not go where the link points
    assert not bak.is_symlink() and bak.read_text() == BASE


def test_a_symlinked_config_reports_the_backup_where_it_is(tmp_path, capsys):
    real_dir, link_dir = tmp_path / "real", tmp_path / "lavalink"
    real_dir.mkdir()
    link_dir.mkdir()
    (real_dir / "application.yml").write_text(BASE)
    link = link_dir / "application.yml"
    link.symlink_to(real_dir / "application.yml")
    code, out, err = run(capsys, "config", "set", "endpoint.port", "9500", "--file", str(link), "--no-validate")
    assert code == 0
    backup = real_dir / "application.yml.bak"
    assert out == f"{link}: set endpoint.port (backup: {backup})\n"
    assert err == "lavametrics: not validated: skipped on request (--no-validate)\n"
    assert backup.read_text() == BASE
    code, out, _ = run(capsys, "config", "set", "endpoint.port", "9501", "--file", str(link), "--no-validate", "--json")
    assert json.loads(out)["backup"] == str(backup)


def test_a_lock_file_symlink_is_not_followed(app, tmp_path):
    target = tmp_path / "victim"
    (app.parent / "application.yml.lock").symlink_to(target)
    with pytest.raises(OSError, match="cannot open the edit lock"):
        application_yml.set_value(app, "endpoint.port", "9500", validate=False)
    assert not target.exists() and app.read_text() == BASE


# --- encodings and documents ---------------------------------------------------------------


def test_a_utf8_bom_is_kept(app):
    app.write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    application_yml.set_value(app, "endpoint.port", "9500", validate=False)
    raw = app.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\xef\xbb\xbf") == 1
    assert "port: 9500" in raw.decode("utf-8-sig")
    assert (app.parent / "application.yml.bak").read_bytes() == b"\xef\xbb\xbf" + BASE.encode()


def test_a_bom_file_round_trips_unchanged(app):
    app.write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    assert application_yml.read(app).dump() == "\ufeff" + BASE


PROFILES = """\
# default profile
server:
  port: 2333
---
spring:
  config:
    activate:
      on-profile: dev   # keep me
server:
  port: 2334
---
spring:
  config:
    activate:
      on-profile: prod
lavalink:
  server:
    password: "prodpass"
plugins:
  lavametrics:
    groups:
      rest: true    # per-route
metrics:
  prometheus:
    enabled: true
    endpoint: /metrics
---
spring.config.activate.on-profile: stage
server: {port:   2335}
"""


def test_multi_document_edits_the_document_holding_plugins(tmp_path):
    p = tmp_path / "application.yml"
    p.write_text(PROFILES)
    docs_before = PROFILES.split("---\n")
    application_yml.set_value(p, "endpoint.port", "9500", validate=False)
    after = p.read_text()
    docs_after = after.split("---\n")
    assert len(docs_after) == 4
    assert docs_after[0] == docs_before[0] and docs_after[1] == docs_before[1] and docs_after[3] == docs_before[3]
    assert "      rest: true    # per-route\n    endpoint:\n      port: 9500\n" in docs_after[2]
    assert application_yml.read(p).dump() == after


def test_multi_document_without_plugins_edits_the_first_document(tmp_path):
    p = tmp_path / "application.yml"
    text = "server:\n  port: 2333\n---\nspring.config.activate.on-profile: dev\nserver:\n  port: 1\n"
    p.write_text(text)
    application_yml.enable(p, validate=False)
    first, second = p.read_text().split("---\n")
    assert "plugins:\n  lavametrics:\n" in first and "metrics:\n  prometheus:\n    enabled: true\n" in first
    assert second == "spring.config.activate.on-profile: dev\nserver:\n  port: 1\n"


def test_multi_document_errors_name_the_line_in_the_whole_file(tmp_path, plugin_jar):
    p = tmp_path / "application.yml"
    p.write_text(PROFILES.replace("rest: true    # per-route", "rest: sometimes"))
    report = application_yml.validate(p, jar=plugin_jar)
    (e,) = report.errors
    assert e.line == 22 and str(e).startswith(f"{p}:22: plugins.lavametrics.groups.rest"), str(e)
    p.write_text(PROFILES.replace("on-profile: prod", "on-profile: [prod"))
    with pytest.raises(application_yml.ConfigError, match=rf"^{p}:16:\d+: malformed YAML"):
        application_yml.read(p)


def test_multi_document_show_reads_the_plugins_document(tmp_path):
    p = tmp_path / "application.yml"
    p.write_text(PROFILES)
    entries = {e["key"]: e for e in application_yml.show(p)["entries"]}
    assert entries["groups.rest"]["value"] == "true" and entries["groups.rest"]["line"] == 22


# --- sizes and hostile YAML --------------------------------------------------------------------


def test_an_oversized_application_yml_is_refused(tmp_path, capsys):
    p = tmp_path / "application.yml"
    p.write_text(BASE + "# " + "x" * application_yml.MAX_CONFIG_BYTES + "\n")
    code, _out, err = run(capsys, "config", "validate", "--file", str(p))
    assert code == 2 and "larger than the 256 KiB limit for application.yml" in err and err.count("\n") == 1, err


def test_a_file_just_under_the_limit_is_read(tmp_path):
    p = tmp_path / "application.yml"
    p.write_text(BASE + "# " + "x" * (application_yml.MAX_CONFIG_BYTES - len(BASE) - 3) + "\n")
    assert p.stat().st_size == application_yml.MAX_CONFIG_BYTES
    assert application_yml.read(p).section is not None


def laughs(levels: int) -> str:
    value = '&l0 "lol"'
    for i in range(1, levels + 1):
        value = f"&l{i} [{value}, " + ", ".join([f"*l{i - 1}"] * 9) + "]"
    return value


@pytest.mark.parametrize("action", ["validate", "show", "set"])
def test_an_alias_bomb_under_plugins_lavametrics_is_refused(tmp_path, action):
    p = tmp_path / "application.yml"
    # a million nodes: over the bound, yet harmless here should the bound regress
    p.write_text(f"plugins:\n  lavametrics:\n    endpoint:\n      allow: {laughs(6)}\n")
    call = {
        "validate": lambda: application_yml.validate(p),
        "show": lambda: application_yml.show(p),
        "set": lambda: application_yml.set_value(p, "endpoint.port", "9500", validate=False),
    }[action]
    with pytest.raises(application_yml.ConfigError) as info:
        call()
    assert str(info.value).startswith(f"{p}:4:") and "aliases expand to more than" in str(info.value)


def test_a_billion_laughs_fails_the_command_with_bounded_memory(tmp_path):
    p = tmp_path / "application.yml"
    p.write_text(f"plugins:\n  lavametrics:\n    endpoint:\n      allow: {laughs(9)}\n")
    proc = run_cli("config", "validate", "--file", str(p))
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.startswith(f"lavametrics: error: {p}:4:") and proc.stderr.count("\n") == 1, proc.stderr


# --- secrets ---------------------------------------------------------------------------------


def test_a_duplicate_password_key_does_not_echo_either_value(tmp_path, capsys):
    p = tmp_path / "application.yml"
    p.write_text('lavalink:\n  server:\n    password: "first-secret"\n    password: "second-secret"\n')
    code, out, err = run(capsys, "config", "show", "--file", str(p))
    assert code == 2 and f"{p}:4:" in err and "duplicate key" in err
    assert "secret" not in out + err, err


def test_a_non_mapping_where_auth_belongs_is_not_echoed(tmp_path, capsys):
    p = tmp_path / "application.yml"
    p.write_text("plugins:\n  lavametrics:\n    endpoint:\n      auth: hunter2-secret\n")
    code, _out, err = run(capsys, "config", "set", "endpoint.auth.password", "x", "--file", str(p), "--no-validate")
    assert code == 2 and "plugins.lavametrics.endpoint.auth" in err and "must be a mapping" in err
    assert "hunter2" not in err, err


# --- files that are not regular files ------------------------------------------------------
# Only things made inside tmp_path: never a real device or system file.


def _make_special(tmp_path, kind: str):
    """A FIFO, a bound unix socket, a directory, or a symlink to a FIFO, as application.yml.
    Returns the path and what keeps the socket alive."""
    path = tmp_path / "application.yml"
    keep = None
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        keep = socket.socket(socket.AF_UNIX)
        keep.bind(str(path))
    elif kind == "directory":
        path.mkdir()
    else:  # a symlink to a FIFO: the check follows links
        os.mkfifo(tmp_path / "target-fifo")
        path.symlink_to(tmp_path / "target-fifo")
    return path, keep


SPECIAL_KINDS = ["fifo", "socket", "directory", "symlink-to-fifo"]
KIND_WORDS = {"fifo": "a FIFO", "socket": "a socket", "directory": "a directory", "symlink-to-fifo": "a FIFO"}


@pytest.mark.parametrize(
    "kind, action",
    [(k, a) for k in SPECIAL_KINDS for a in ("set", "enable")]
    + [(k, a) for k in ("fifo", "symlink-to-fifo") for a in ("validate", "show", "disable")],
)
def test_a_non_regular_config_file_is_refused_before_anything_is_written(tmp_path, kind, action):
    path, keep = _make_special(tmp_path, kind)
    before = sorted(p.name for p in tmp_path.iterdir())
    modes = {p.name: os.lstat(p).st_mode for p in tmp_path.iterdir()}
    edit = ["--no-validate"] if action in ("set", "enable", "disable") else []
    argv = ["config", action, *(["groups.rest", "true"] if action == "set" else []), "--file", str(path), *edit]
    try:
        # a child process: today's bug was a read blocking forever on the FIFO
        proc = run_cli(*argv, timeout=20)
    finally:
        if keep is not None:
            keep.close()
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr == (
        f"lavametrics: error: {path}: cannot read: {KIND_WORDS[kind]}, not a regular file: "
        "refused, nothing read or written\n"
    )
    # no backup, no lock file, and the FIFO/socket/directory itself is still what it was
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert {p.name: os.lstat(p).st_mode for p in tmp_path.iterdir()} == modes


def test_atomic_write_never_replaces_a_fifo(tmp_path):
    fifo = tmp_path / "nodes.json"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="a FIFO, not a regular file"):
        fsutil.atomic_write(fifo, "[]\n", backup=False)  # with a backup, today's code blocks reading it
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and sorted(p.name for p in tmp_path.iterdir()) == ["nodes.json"]
