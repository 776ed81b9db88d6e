"""``lavametrics.config.validate``: the plugin's own validator, run in a ``java`` subprocess, is
the only judge of ``plugins.lavametrics``; without Java the CLI says "not validated".

The rules themselves are tested where they live (ConfigValidatorTest, LavametricsPropertiesTest);
here: the bridge (what Python hands over, what comes back), Lavalink's port as the node sees it,
the one secret mask, and what happens without Java.
"""

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from lavametrics import javatools
from lavametrics.config import application_yml
from lavametrics.config.validate import (
    VALIDATOR_CLASS,
    NotValidated,
    check,
    problems_from_json,
    request_json,
)
from lavametrics.redact import MASK

REPO = Path(__file__).resolve().parents[2]
CIDR = "IPv4 or IPv6 CIDR such as 10.0.0.0/8 or fd00::/8"
POSITIVE = "up to 30 finite, strictly increasing numbers > 0"


def _file(tmp_path, text: str) -> Path:
    p = tmp_path / "application.yml"
    p.write_text(text)
    return p


# --- through the jar --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plugin_validator(plugin_jar):
    """The plugin's validator in one JVM (--lines), one line per mapping, as `check` hands it over."""
    java = javatools.java_binary()
    proc = subprocess.Popen(
        [str(java), *javatools.JAVA_OPTIONS, "-cp", str(plugin_jar), VALIDATOR_CLASS, "--lines"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )

    def ask(section) -> list[tuple]:
        proc.stdin.write(request_json(section).encode("ascii") + b"\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        assert line, f"the validator JVM died: {proc.stderr.read().decode(errors='replace')[:500]}"
        return [(p.key, p.value, p.message, p.allowed) for p in problems_from_json(line.decode("utf-8"))]

    yield ask
    proc.stdin.close()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# Values Python holds that JSON and Java read differently unless the bridge is careful: NaN and
# infinities, big lists, non-ASCII, YAML 1.1 words, Spring spellings.
BRIDGE_CASES = [
    (
        {"buckets": {"voicePingSeconds": [float("nan")]}},
        [
            (
                "buckets.voicePingSeconds",
                ".nan",
                "must be finite, strictly increasing numbers > 0; using the defaults",
                POSITIVE,
            )
        ],
    ),
    (
        {"buckets": {"voicePingSeconds": [1, float("inf")]}},
        [
            (
                "buckets.voicePingSeconds",
                "1,.inf",
                "must be finite, strictly increasing numbers > 0; using the defaults",
                POSITIVE,
            )
        ],
    ),
    ({"endpoint": {"port": 9477.0}}, [("endpoint.port", "9477.0", "must be an integer 1..65535", "1..65535")]),
    ({"endpoint": {"host": "hôte", "enabled": " true"}}, []),
    ({"endpoint": {"auth": {"bearer_token": "t"}}, "GROUPS": {"Rest": "on"}}, []),
    (
        {"endpoint": {"allow": ["fe80::1%eth0/64"]}},
        [("endpoint.allow", "fe80::1%eth0/64", "zone ids (%...) are not allowed in a network", CIDR)],
    ),
    (
        {"buckets": {"loadDurationSeconds": list(range(1, 5001))}},
        [
            (
                "buckets.loadDurationSeconds",
                ",".join(map(str, range(1, 5001))),
                "must have at most 30 bounds (has 5000); using the defaults",
                POSITIVE,
            )
        ],
    ),
]


@pytest.mark.parametrize("section, expected", BRIDGE_CASES)
def test_the_bridge_hands_values_over_as_the_plugin_reads_them(plugin_validator, section, expected):
    assert plugin_validator(section) == expected


def test_check_runs_the_plugin_in_a_subprocess_and_names_the_jar(plugin_jar):
    section = {"endpoint": {"port": 2333, "auth": {"password": "pw-secret"}}, "colour": "blue"}
    problems, judge = check(section, "2333", jar=plugin_jar)
    assert judge == plugin_jar
    assert [p.key for p in problems] == ["colour", "endpoint.auth.username", "endpoint.port"]
    got = json.dumps([p.as_dict() for p in problems])
    assert "pw-secret" not in got and "blue" not in got


def test_one_secret_mask_on_both_sides(plugin_validator):
    """The plugin masks with LogSafe.MASK; Python with redact.MASK: one text for one meaning."""
    for section in (
        {"endpoint": {"passwrd": "hunter2"}},  # unknown: maybe a misspelled secret
        {"endpoint": {"auth": "hunter2"}},  # a node with secrets below
        {"endpoint": {"auth": {"username": "u", "password": " "}}},  # a secret itself
    ):
        (problem,) = plugin_validator(section)
        assert problem[1] == MASK, problem


# --- Lavalink's port: the CLI and the node agree ---------------------------------------------


@pytest.mark.parametrize(
    "server, endpoint_port, clash",
    [
        ("", 8080, 8080),  # unset: Spring Boot's default, what the node keeps free (issue 21)
        ("", 2333, None),  # ... and 2333 is no clash then: Lavalink has no default of its own
        ("server:\n  port: 2333\n", 2333, 2333),
        ("server:\n  port: 2333\n", 8080, None),
        ("server.port: 7000\n", 7000, 7000),
        ("server:\n  port: ${PORT:2333}\n", 2333, None),  # not resolvable here: nothing compared
        ("server:\n  port: 0\n", 9477, None),  # any free port
    ],
)
def test_endpoint_port_is_compared_with_the_port_the_node_takes(tmp_path, plugin_jar, server, endpoint_port, clash):
    p = _file(tmp_path, f"{server}plugins:\n  lavametrics:\n    endpoint:\n      port: {endpoint_port}\n")
    report = application_yml.validate(p, jar=plugin_jar)
    if clash is None:
        assert report.valid, report.errors
    else:
        (e,) = report.errors
        assert e.message == f"must differ from server.port ({clash}), Lavalink's own port", e


# --- without Java -------------------------------------------------------------------------------

NO_JAVA = (
    "not validated: no Java found (looked for $JAVA_HOME/bin/java and java on PATH): install Java 17+ or set JAVA_HOME"
)


def _no_java_env(tmp_path) -> dict:
    empty = tmp_path / "empty"
    empty.mkdir(exist_ok=True)
    return {"JAVA_HOME": str(empty), "PATH": str(empty), "HOME": str(tmp_path), "PYTHONPATH": str(REPO / "pyclient")}


def test_without_java_check_says_so_in_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(NotValidated) as info:
        check({}, None)
    assert str(info.value) == NO_JAVA


def test_without_a_jar_check_names_where_it_looked(monkeypatch, tmp_path):
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "java").write_text("#!/bin/sh\nexit 99\n")  # found, never reached
    (home / "bin" / "java").chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(home))
    monkeypatch.delenv("LAVAMETRICS_JAR", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NotValidated) as info:
        check({}, None, plugins_dir=tmp_path / "plugins")
    text = str(info.value)
    assert text.startswith("not validated: plugin jar not found (looked for --jar, $LAVAMETRICS_JAR, ")
    assert str(tmp_path / "plugins" / "lavametrics-plugin-*.jar") in text and "\n" not in text


def _run(tmp_path, *argv, env=None):
    return subprocess.run(
        [sys.executable, "-m", "lavametrics.cli", *argv],
        capture_output=True,
        text=True,
        env=env or _no_java_env(tmp_path),
        cwd=tmp_path,
        timeout=120,
    )


def test_config_validate_without_java_exits_2_with_one_line(tmp_path):
    p = _file(tmp_path, "metrics:\n  prometheus:\n    enabled: true\n    endpoint: /metrics\n")
    done = _run(tmp_path, "config", "validate", "--file", str(p))
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"lavametrics: {NO_JAVA}\n")
    done = _run(tmp_path, "config", "validate", "--file", str(p), "--json")
    report = json.loads(done.stdout)
    assert done.returncode == 2 and report["valid"] is None and report["notValidated"] == NO_JAVA


def test_config_set_without_java_writes_safely_and_says_so(tmp_path):
    before = "server:\n  port: 2333 # keep me\n"
    p = _file(tmp_path, before)
    done = _run(tmp_path, "config", "set", "endpoint.port", "9500", "--file", str(p))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{p}: set endpoint.port (backup: {p}.bak)\n"
    assert done.stderr == f"lavametrics: {NO_JAVA}\n"
    assert "port: 2333 # keep me" in p.read_text() and "port: 9500" in p.read_text()
    assert Path(f"{p}.bak").read_text() == before
    done = _run(tmp_path, "config", "set", "endpoint.port", "9501", "--file", str(p), "--json")
    out = json.loads(done.stdout)
    assert done.returncode == 0 and out["validator"] is None and out["notValidated"] == NO_JAVA


def test_the_node_plugins_directory_is_where_a_pip_user_has_the_jar(tmp_path):
    """No checkout, no $LAVAMETRICS_JAR: the jar beside application.yml judges (a fake java here
    records what it was asked and answers valid)."""
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    log = tmp_path / "java-args"
    (home / "bin" / "java").write_text(
        f'#!/bin/sh\nprintf "%s\\n" "$@" > {log}\necho \'{{"valid": true, "errors": []}}\'\n'
    )
    (home / "bin" / "java").chmod(0o755)
    node = tmp_path / "node"
    (node / "plugins").mkdir(parents=True)
    jar = node / "plugins" / "lavametrics-plugin-0.1.0.jar"
    jar.write_bytes(b"PK")
    p = node / "application.yml"
    p.write_text("plugins:\n  lavametrics:\n    groups:\n      rest: true\n")
    env = {**_no_java_env(tmp_path), "JAVA_HOME": str(home)}
    done = _run(tmp_path, "config", "validate", "--file", str(p), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"{p}: valid (0 error(s); plugin validator {jar})"
    args = log.read_text().splitlines()
    assert args[args.index("-cp") + 1] == str(jar)
    assert args[-2:] == [VALIDATOR_CLASS, "--server-port-unset"]


def _failing_java(tmp_path) -> Path:
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text(
        "#!/bin/sh\necho 'Error occurred during initialization of VM' >&2\n"
        "echo 'Could not reserve enough space for object heap' >&2\nexit 1\n"
    )
    java.chmod(0o755)
    return home


def test_a_jvm_that_cannot_start_is_not_validated_with_its_reason(monkeypatch, tmp_path):
    jar = tmp_path / "lavametrics-plugin-0.1.0.jar"
    jar.write_bytes(b"PK")
    monkeypatch.setenv("LAVAMETRICS_JAR", str(jar))
    monkeypatch.setenv("JAVA_HOME", str(_failing_java(tmp_path)))
    with pytest.raises(NotValidated) as info:
        check({"groups": {"rest": "maybe"}}, None)
    assert str(info.value).startswith("not validated: ") and "Could not reserve enough space" in str(info.value)
    assert "\n" not in str(info.value)


def test_an_explicit_jar_that_cannot_run_is_an_error(monkeypatch, tmp_path):
    jar = tmp_path / "lavametrics-plugin-0.1.0.jar"
    jar.write_bytes(b"PK")
    monkeypatch.setenv("JAVA_HOME", str(_failing_java(tmp_path)))
    with pytest.raises(javatools.JvmUnavailable, match="exit 1"):
        check({}, None, jar=jar)


def test_an_answer_that_is_not_a_result_is_not_validated(monkeypatch, tmp_path):
    home = tmp_path / "jdk"
    (home / "bin").mkdir(parents=True)
    (home / "bin" / "java").write_text("#!/bin/sh\necho 'Hello'\n")
    (home / "bin" / "java").chmod(0o755)
    jar = tmp_path / "lavametrics-plugin-0.1.0.jar"
    jar.write_bytes(b"PK")
    monkeypatch.setenv("JAVA_HOME", str(home))
    monkeypatch.setenv("LAVAMETRICS_JAR", str(jar))
    with pytest.raises(NotValidated, match=r"^not validated: the plugin's validator in .* answered 'Hello'"):
        check({}, None)


# --- memory limits: the JVM is capped so that it starts where memory is limited ------------------


def _cli_validate(tmp_path, address_space: int):
    """`lavametrics config validate` in a child process limited as `ulimit -v` would."""
    p = _file(
        tmp_path,
        "server:\n  port: 2333\nplugins:\n  lavametrics:\n    groups:\n      rest: true\n"
        "metrics:\n  prometheus:\n    enabled: true\n    endpoint: /metrics\n",
    )
    env = {k: v for k, v in os.environ.items() if k != "LAVAMETRICS_JAR"}

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    return subprocess.run(
        [sys.executable, "-m", "lavametrics.cli", "config", "validate", "--file", str(p)],
        cwd=REPO,
        env=env,
        preexec_fn=limit,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.usefixtures("plugin_jar")
def test_validation_under_ulimit_without_room_for_a_jvm_is_not_validated(tmp_path):
    done = _cli_validate(tmp_path, 400 * 2**20)  # room for Python, not for the JVM
    assert done.returncode == 2, done.stdout + done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith("lavametrics: not validated: ") and "valid" not in done.stdout


@pytest.mark.usefixtures("plugin_jar")
def test_validation_under_ulimit_3g_still_uses_the_plugin(tmp_path):
    done = _cli_validate(tmp_path, 3 * 2**30)  # the JVM's defaults need more; run_main caps them
    assert done.returncode == 0, done.stdout + done.stderr
    assert "valid (0 error(s); plugin validator " in done.stdout, done.stdout + done.stderr
