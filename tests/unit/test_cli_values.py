"""Every numeric and path option of every subcommand: a bad value is one line on stderr and
exit 2, before anything runs (no traceback from deep inside, no node started, no file read)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lavametrics.cli import main

BAD_SECONDS = ["0", "-1", "nan", "inf", "-inf", "1e308", "3601", "abc", ""]
BAD_PORTS = ["-1", "65536", "1e3", "80.5", "http", ""]
BAD_PATHS = ["", "a\0b"]

# (argv before the option, option, bad values)
TABLE = [
    (["check", "http://127.0.0.1:1", "--password", "x"], "--timeout", BAD_SECONDS),
    (["check", "http://127.0.0.1:1", "--password", "x"], "--nodes", BAD_PATHS),
    (["check", "http://127.0.0.1:1", "--password", "x"], "--jar", BAD_PATHS),
    (["config", "show"], "--file", BAD_PATHS),
    (["config", "validate"], "--file", BAD_PATHS),
    (["config", "validate"], "--jar", BAD_PATHS),
    (["config", "enable"], "--file", BAD_PATHS),
    (["config", "disable"], "--file", BAD_PATHS),
    (["config", "set", "groups.rest", "true"], "--file", BAD_PATHS),
    (["serve", "--nodes", "n.yml"], "--port", BAD_PORTS),
    (["serve", "--nodes", "n.yml"], "--timeout", BAD_SECONDS),
    (["serve"], "--nodes", BAD_PATHS),
    (["targets"], "--nodes", BAD_PATHS),
    (["targets", "--nodes", "n.yml"], "--out", BAD_PATHS),
    (["catalog"], "--jar", BAD_PATHS),
    (["loadtest", "--url", "http://127.0.0.1:1", "--password", "x"], "--players", ["0", "-3", "10001", "2.5", "x", ""]),
    (["loadtest", "--url", "http://127.0.0.1:1", "--password", "x"], "--seconds", BAD_SECONDS),
    (["loadtest", "--url", "http://127.0.0.1:1", "--password", "x"], "--sim-dir", BAD_PATHS),
    (["voicesim"], "--seconds", ["-1", "nan", "inf", "1e308", "86401", "x"]),
    (["voicesim"], "--port", BAD_PORTS),
    (["voicesim"], "--udp-port", BAD_PORTS),
    (["voicesim"], "--heartbeat-interval", ["0", "-5", "99", "600001", "1.5", "x"]),
    (["voicesim"], "--workdir", BAD_PATHS),
    (["voicesim", "--bench"], "--bench-seconds", BAD_SECONDS),
    (["voicesim", "--bench"], "--bench-start", ["0", "-1", "1000001", "x"]),
    (["voicesim", "--bench"], "--bench-max", ["0", "-1", "1000001", "x"]),
    (["voicesim", "--bench"], "--bench-blast", ["-1", "nan", "inf", "3601", "x"]),
    (["voicesim", "--bench"], "--bench-backends", ["", "thread,bogus", ","]),
    (["voicesim"], "--log-level", ["BOGUS", ""]),
]

CASES = [
    pytest.param(
        prefix, option, value, id=f"{prefix[0]}{'-' + prefix[1] if prefix[0] == 'config' else ''}{option}={value!r}"
    )
    for prefix, option, values in TABLE
    for value in values
]


@pytest.mark.parametrize("prefix, option, value", CASES)
def test_a_bad_option_value_is_a_one_line_usage_error(capsys, prefix, option, value):
    with pytest.raises(SystemExit) as info:
        main([*prefix, f"{option}={value}"])
    out, err = capsys.readouterr()
    assert info.value.code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("lavametrics") and f"argument {option}" in err, err


def test_the_timeout_that_used_to_crash_is_refused_by_the_installed_command():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lavametrics.cli",
            "check",
            "http://127.0.0.1:1",
            "--password",
            "x",
            "--timeout",
            "1e308",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        "lavametrics check: error: argument --timeout: '1e308': must be a number of seconds, "
        "more than 0 and at most 3600 (see lavametrics check --help)\n"
    )


@pytest.mark.parametrize("value", ["0.5", "3600", "1"])
def test_good_timeouts_pass(capsys, value):
    code = main(["check", "http://127.0.0.1:1", "--password", "x", "--timeout", value, "--json"])
    assert code == 2 and "unreachable" in capsys.readouterr().err  # parsed, ran, could not connect


# --- path options whose value parses but does not work: the system's reason, in one line ---


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--nodes", "{missing}"],
        ["check", "--nodes", "{dir}"],
        ["check", "http://127.0.0.1:1", "--password", "x", "--jar", "{missing}"],
        ["config", "show", "--file", "{missing}"],
        ["config", "show", "--file", "{dir}"],
        ["config", "set", "groups.rest", "true", "--file", "{missing}", "--no-validate"],
        ["config", "validate", "--file", "{app}", "--jar", "{missing}"],
        ["serve", "--nodes", "{missing}"],
        ["targets", "--nodes", "{missing}"],
        ["targets", "--nodes", "{nodes}", "--out", "{missing}/sub/targets.json"],
        ["targets", "--nodes", "{nodes}", "--out", "{dir}"],
        ["catalog", "--jar", "{missing}"],
    ],
    ids=lambda argv: " ".join(a for a in argv if not a.startswith("{")),
)
def test_a_path_that_does_not_work_is_one_line_and_exit_2(tmp_path, capsys, argv):
    (tmp_path / "d").mkdir()
    app = tmp_path / "application.yml"
    app.write_text("plugins:\n  lavametrics: {}\n")
    nodes = tmp_path / "nodes.yml"
    nodes.write_text("- {name: a, url: 'http://h:1', password: p}\n")
    names = {"missing": str(tmp_path / "missing"), "dir": str(tmp_path / "d"), "app": str(app), "nodes": str(nodes)}
    code = main([a.format(**names) for a in argv])
    _out, err = capsys.readouterr()
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("lavametrics: error: "), err
