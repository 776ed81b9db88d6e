"""The config rules: the plugin's ConfigValidator and its Python twin must be one set of rules.

Decided cases are pinned here (and in ConfigValidatorTest on the Java side); a property test
then feeds both validators generated configs and requires identical problem lists.
"""

import json
import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lavametrics import javatools as jvm
from lavametrics.config import validate as cc
from lavametrics.config import yamledit as yc
from lavametrics.config.catalog import load_catalog
from lavametrics.config.validate import server_port_of, to_camel, validate
from tests.conftest import require

CATALOG = load_catalog(prefer_jar=False)
REPO = Path(__file__).resolve().parents[2]
CIDR = "IPv4 or IPv6 CIDR such as 10.0.0.0/8 or fd00::/8"
POSITIVE = "up to 30 finite, strictly increasing numbers > 0"


def rows(section, server_port=None):
    return [(p.key, p.value, p.message, p.allowed) for p in validate(section, CATALOG, server_port)]


def problems(section):
    return {p.key: p for p in validate(section, CATALOG)}


def _jar_and_java():
    try:
        return jvm.find_plugin_jar(start=REPO), jvm.java_binary()
    except jvm.JvmUnavailable as exc:
        require(False, f"the plugin jar and a JVM ({exc})")


# --- decided cases --------------------------------------------------------------------------


def test_empty_and_defaults_are_valid():
    assert validate(None, CATALOG) == []
    assert validate({}, CATALOG) == []
    assert (
        validate(
            {"groups": {"rest": True}, "endpoint": {"enabled": "true", "port": 9477, "allow": "127.0.0.1/32, ::1/128"}},
            CATALOG,
        )
        == []
    )


def test_unknown_keys_are_reported_in_camel_case():
    assert to_camel("bearer-token") == "bearerToken"
    assert to_camel("foo_bar") == "fooBar"
    assert to_camel("straße-x") == "straßeX"  # only ASCII letters change case, as in Java
    assert "endpoint.fooBar" in problems({"endpoint": {"foo-bar": 1}})
    assert "buckets.loadDurationSeconds" in problems({"buckets": {"load-duration-seconds": "x"}})


@pytest.mark.parametrize(
    "section, key, fragment",
    [
        ({"nope": 1}, "nope", "unknown key"),
        ({"groups": {"rest": 3}}, "groups.rest", "must be a boolean"),
        ({"endpoint": {"port": 0}}, "endpoint.port", "1..65535"),
        ({"endpoint": {"port": "abc"}}, "endpoint.port", "integer"),
        ({"endpoint": {"allow": ["10.0.0.0/33"]}}, "endpoint.allow", "prefix length"),
        (
            {"endpoint": {"auth": {"username": "u", "password": "p", "bearerToken": "t"}}},
            "endpoint.auth.bearerToken",
            "exclusive",
        ),
        ({"buckets": {"frameLossRatio": [0.5, 2]}}, "buckets.frameLossRatio", "0..1"),
        ({"buckets": {"frameLossRatio": [-0.1, 0.5]}}, "buckets.frameLossRatio", "0..1"),
        ({"buckets": {"frameLossRatio": [0.5, 0.5]}}, "buckets.frameLossRatio", "strictly increasing"),
        ({"buckets": {"frameLossRatio": ["a"]}}, "buckets.frameLossRatio", "numbers"),
        ({"groups": True}, "groups", "mapping"),
        ({"endpoint": {"path": "metrics"}}, "endpoint.path", "must start with /"),
        ({"endpoint": {"host": " "}}, "endpoint.host", "must not be blank"),
        # issue 20: secrets from files and the web config file, one source of credentials
        (
            {"endpoint": {"auth": {"username": "u", "password": "p", "passwordFile": "/run/pw"}}},
            "endpoint.auth.passwordFile",
            "exclusive",
        ),
        (
            {"endpoint": {"auth": {"bearerToken": "t", "bearerTokenFile": "/run/t"}}},
            "endpoint.auth.bearerTokenFile",
            "exclusive",
        ),
        (
            {"endpoint": {"webConfigFile": "web.yml", "auth": {"bearerTokenFile": "/run/t"}}},
            "endpoint.webConfigFile",
            "exclusive",
        ),
        ({"endpoint": {"webConfigFile": " "}}, "endpoint.webConfigFile", "must not be blank"),
    ],
)
def test_rules(section, key, fragment):
    got = problems(section)
    assert key in got, got
    assert fragment in got[key].message
    assert got[key].allowed


# Issue 10's edge inputs, each decided on its merits (reasons: ConfigValidator's and Cidr's class comments).
EDGE_CASES = [
    (
        {"endpoint": {"allow": ["::ffff:10.0.0.0/104"]}},
        [("endpoint.allow", "::ffff:10.0.0.0/104", "IPv4-mapped IPv6 address: write the IPv4 network instead", CIDR)],
    ),
    (
        {"endpoint": {"allow": ["fe80::1%eth0/64"]}},
        [("endpoint.allow", "fe80::1%eth0/64", "zone ids (%...) are not allowed in a network", CIDR)],
    ),
    (
        {"endpoint": {"allow": ["10.0.0.0/255.0.0.0"]}},
        [("endpoint.allow", "10.0.0.0/255.0.0.0", "prefix length must be a number 0..32", CIDR)],
    ),
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
    ({"endpoint": {"allow": []}}, [("endpoint.allow", "", "must list at least one network", CIDR)]),
    ({"buckets": {"frameLossRatio": [0, 0.5]}}, []),
    ({"endpoint": {"port": 9477.0}}, [("endpoint.port", "9477.0", "must be an integer 1..65535", "1..65535")]),
    ({"endpoint": {"enabled": " true"}}, []),
    ({"endpoint": {"auth": {"bearer_token": "t"}}}, []),
    ({"groups": {"REST": True}}, []),
    (
        {"endpoint": {"passwrd": "hunter2"}},
        [("endpoint.passwrd", "****", "unknown key", "enabled, host, port, path, auth, webConfigFile, allow")],
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


@pytest.mark.parametrize("section, expected", EDGE_CASES)
def test_edge_inputs_are_decided(section, expected):
    assert rows(section) == expected


def test_relaxed_spellings_match_like_spring():
    for spelling in ("bearerToken", "bearer-token", "bearer_token", "BEARER_TOKEN", "bearertoken", "Bearer-Token"):
        assert validate({"endpoint": {"auth": {spelling: "t"}}}, CATALOG) == [], spelling
    assert (
        validate({"GROUPS": {"Rest": "on", "TRACKS": "no"}, "Buckets": {"LOAD_DURATION_SECONDS": "1,2"}}, CATALOG) == []
    )
    # two spellings of one key: Spring would give both the first value, silently
    assert rows({"groups": {"rest": True, "REST": False}}) == [
        ("groups.rest", "false", "given twice (as rest and REST): keep one", None)
    ]


def test_a_value_is_shown_only_for_a_known_non_secret_key():
    assert rows({"endpoint": {"auth": {"password": ["a", "b"]}}})[0][1] == "****"
    assert rows({"endpoint": {"auth": "hunter2"}}) == [
        ("endpoint.auth", "****", "must be a mapping", "username, password, bearerToken, passwordFile, bearerTokenFile")
    ]
    assert rows({"endpoint": "hunter2"})[0][1] == "****"
    assert rows({"nested": {"pw": "hunter2"}})[0][1] == "****"
    assert rows(["hunter2"]) == [("", "****", "must be a mapping", "groups, buckets, endpoint")]
    assert rows({"endpoint": {"port": {"a": [1, None]}}})[0][1] == "{a: [1, null]}"


def test_credentials_from_files_are_valid():
    assert rows({"endpoint": {"auth": {"username": "u", "passwordFile": "/run/secrets/pw"}}}) == []
    assert rows({"endpoint": {"auth": {"bearer-token-file": "/run/secrets/token"}}}) == []
    assert rows({"endpoint": {"enabled": True, "web-config-file": "web.yml"}}) == []
    assert "endpoint.auth.username" in problems({"endpoint": {"auth": {"passwordFile": "/run/pw"}}})


def test_basic_auth_needs_both_parts():
    assert "endpoint.auth.password" in problems({"endpoint": {"auth": {"username": "u"}}})
    assert "endpoint.auth.username" in problems({"endpoint": {"auth": {"password": "p"}}})
    assert rows({"endpoint": {"auth": {"username": "u", "password": ""}}}) == [
        ("endpoint.auth.password", "****", "must not be blank", "a non-blank string")
    ]


def test_unknown_key_lists_allowed_siblings():
    p = problems({"endpoint": {"prot": 1}})["endpoint.prot"]
    assert set(p.allowed.split(", ")) == {"enabled", "host", "port", "path", "auth", "webConfigFile", "allow"}


def test_endpoint_port_must_not_be_lavalinks_own():
    clash = (
        "endpoint.port",
        "2333",
        "must differ from server.port (2333), Lavalink's own port",
        "1..65535 except 2333",
    )
    assert rows({"endpoint": {"port": 2333}}, server_port=2333) == [clash]
    assert rows({"endpoint": {"port": "2333"}}, server_port=8080) == []
    assert rows({"endpoint": {"port": 2333}}) == []  # no server port known, nothing to compare
    # the default port clashes only once the endpoint is on
    assert rows({}, server_port=9477) == []
    assert rows({"endpoint": {"enabled": True}}, server_port=9477) == [
        ("endpoint.port", None, "must differ from server.port (9477), Lavalink's own port", "1..65535 except 9477")
    ]


@pytest.mark.parametrize(
    "doc, port",
    [
        ({}, 2333),
        ({"server": {"port": 8080}}, 8080),
        ({"Server": {"PORT": " 9000 "}}, 9000),
        ({"server.port": 7000}, 7000),
        ({"server": {"port": "${PORT:2333}"}}, None),
        ({"server": {"address": "0.0.0.0"}}, 2333),
    ],
)
def test_server_port_of(doc, port):
    assert server_port_of(doc) == port


def test_config_set_refuses_lavalinks_port(tmp_path):
    p = tmp_path / "application.yml"
    p.write_text("plugins:\n  lavametrics:\n    groups:\n      rest: true\n")
    before = p.read_text()
    with pytest.raises(yc.ConfigError, match=re.escape("must differ from server.port (2333)")):
        yc.set_values(p, [("endpoint.port", "2333")], use_jar=False)
    assert p.read_text() == before
    p.write_text("server:\n  port: 8080\n" + before)
    yc.set_values(p, [("endpoint.port", "2333")], use_jar=False)
    assert "port: 2333" in p.read_text()
    report = yc.validate(p, use_jar=False)
    assert report.valid, report.errors


def test_cidr_parse_mirrors_the_java_grammar():
    assert cc.parse_cidr(" 10.1.2.3/8 ") == (bytes([10, 1, 2, 3]), 8)
    assert cc.parse_cidr("::1.2.3.4")[0][-4:] == bytes([1, 2, 3, 4])
    assert cc.parse_cidr("1:2:3:4:5:6:7::")[1] == 128
    for text, message in [
        ("010.0.0.1", "not an IP address"),
        ("1.2.3.4.", "not an IP address"),
        ("1::2::3", "not an IP address"),
        ("::/129", "prefix length must be a number 0..128"),
        ("10.0.0.0/+8", "prefix length must be a number 0..32"),
        ("١.٢.٣.٤", "not an IP address"),
    ]:
        with pytest.raises(ValueError, match=re.escape(message)):
            cc.parse_cidr(text)


# --- one set of rules: the plugin's validator and the twin agree ----------------------------------


@pytest.fixture(scope="module")
def plugin_validator():
    """The plugin's validator in one JVM (--lines), as `validate_with_jar` runs it, one line per config."""
    jar, java = _jar_and_java()
    proc = subprocess.Popen(
        [str(java), *jvm.JAVA_OPTIONS, "-cp", str(jar), cc.VALIDATOR_CLASS, "--lines", "--server-port", "2333"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )

    def ask(section) -> list[tuple]:
        proc.stdin.write(cc.request_json(section).encode("ascii") + b"\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        assert line, f"the validator JVM died: {proc.stderr.read().decode(errors='replace')[:500]}"
        return [(p.key, p.value, p.message, p.allowed) for p in cc.problems_from_json(line.decode("utf-8"))]

    yield ask
    proc.stdin.close()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("section, expected", EDGE_CASES)
def test_the_plugin_decides_the_edge_inputs_alike(plugin_validator, section, expected):
    assert plugin_validator(section) == expected
    assert plugin_validator(section) == rows(section, server_port=2333)


def test_validate_with_jar_runs_the_plugin_in_a_subprocess():
    jar, _ = _jar_and_java()
    section = {"endpoint": {"port": 2333, "host": "hôte", "auth": {"password": "pw-secret"}}, "colour": "blue"}
    got = [p.as_dict() for p in cc.validate_with_jar(section, jar, server_port=2333)]
    assert got == [p.as_dict() for p in validate(section, CATALOG, 2333)]
    assert [p["key"] for p in got] == ["colour", "endpoint.auth.username", "endpoint.port"]
    assert "pw-secret" not in json.dumps(got) and "blue" not in json.dumps(got)


def _kebab(name):
    return re.sub(r"([A-Z])", lambda m: "-" + m.group(1).lower(), name)


def _snake(name):
    return _kebab(name).replace("-", "_")


def _tree():
    tree: dict = {}
    for ck in CATALOG.config:
        node = tree
        *parents, leaf = ck.key.split(".")
        for seg in parents:
            node = node.setdefault(seg, {})
        node[leaf] = ck.key
    return tree


TEXTS = st.text(max_size=12) | st.sampled_from(
    [
        "",
        " ",
        " true",
        "TRUE",
        "yes",
        "On",
        "0",
        "1",
        "maybe",
        "9477",
        " 9477 ",
        "+80",
        "0x2505",
        "2333",
        "1e3",
        ".nan",
        "NaN",
        "inf",
        "1_000",
        "١٢",
        "0.1,0.2",
        "1,,2",
        "/metrics",
        "metrics",
        "10.0.0.0/8",
        "10.0.0.0/8, ::1/128",
        "::ffff:10.0.0.0/104",
        "fe80::1%eth0/64",
        "10.0.0.0/255.0.0.0",
        "010.0.0.1",
        "::",
        "::1.2.3.4",
        "1:2:3:4:5:6:7:8:9",
        "10.0.0.0/08",
        "hôte",
        "\x00",
        "\t",
        "密码",
    ]
)
INTS = st.sampled_from([0, 1, -1, 2333, 9477, 65535, 65536, 10**30, -(10**400)]) | st.integers()
FLOATS = st.sampled_from([9477.0, 0.0, -0.0, 1e16, 1e15, 5e-324, 0.1, 1.0, 2.5e-7]) | st.floats()
SCALARS = st.none() | st.booleans() | INTS | FLOATS | TEXTS
_VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXTS, inner, max_size=3), max_leaves=8
)
VALUES = st.deferred(lambda: _VALUES)
BOUNDS = (
    st.lists(st.floats(min_value=0, max_value=2, allow_nan=False), min_size=1, max_size=8, unique=True)
    | st.lists(st.integers(1, 10**6), min_size=28, max_size=33, unique=True)
).map(sorted)
NETWORKS = TEXTS | (st.ip_addresses().map(str) | TEXTS).flatmap(
    lambda a: st.sampled_from(["", "/0", "/8", "/32", "/64", "/96", "/128", "/129", "/x"]).map(lambda p: a + p)
)


def _leaf_values(key):
    ck = CATALOG.config_key(key)
    typed = {
        "boolean": st.booleans(),
        "integer": INTS | st.sampled_from([2333, "2333"]),
        "string": TEXTS,
        "number-list": BOUNDS | st.lists(SCALARS, max_size=5) | BOUNDS.map(lambda b: ",".join(map(str, b))),
        "cidr-list": st.lists(NETWORKS, max_size=4) | NETWORKS,
    }[ck.type]
    return typed | VALUES


def _spellings(segment):
    return st.sampled_from(
        [
            segment,
            _kebab(segment),
            _snake(segment),
            segment.upper(),
            _snake(segment).upper(),
            segment.lower(),
            segment.capitalize(),
        ]
    )


def _mapping(subtree):
    entries = []
    for segment, child in subtree.items():
        if isinstance(child, str):
            value = _leaf_values(child)
        else:
            nested = _mapping(child)
            value = nested | nested | VALUES  # mostly a mapping, as a known node should be
        entries.append(st.tuples(_spellings(segment), value))
    entries.append(st.tuples(TEXTS, VALUES))  # junk keys, unicode included
    pairs = st.lists(st.one_of(entries), max_size=6)
    # mostly one spelling per key, sometimes two (a problem both must report alike)
    return pairs.map(_one_spelling_each) | pairs.map(_one_spelling_each) | pairs.map(dict)


def _one_spelling_each(pairs):
    mapping, seen = {}, set()
    for key, value in pairs:
        if cc.relaxed(key) not in seen:
            seen.add(cc.relaxed(key))
            mapping[key] = value
    return mapping


CONFIGS = _mapping(_tree()) | VALUES


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(section=CONFIGS)
@example(section={"endpoint": {"auth": {"bearer_token": "t", "bearerToken": "u"}, "port": 2333}})
@example(section={"buckets": {"frameLossRatio": [0, 1], "rest-duration-seconds": "0.5, 0.1"}})
def test_both_validators_give_the_same_problem_lists(plugin_validator, section):
    assert plugin_validator(section) == rows(section, server_port=2333)


# --- when the plugin's validator cannot run --------------------------------------------------------


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


def test_a_jvm_that_cannot_start_means_the_python_rules(monkeypatch, tmp_path, capsys):
    jar, _ = _jar_and_java()
    monkeypatch.setenv("LAVAMETRICS_JAR", str(jar))
    monkeypatch.setenv("JAVA_HOME", str(_failing_java(tmp_path)))
    found, rules = cc.check({"groups": {"rest": "maybe"}}, CATALOG)
    assert rules == "python"
    assert [p.key for p in found] == ["groups.rest"]
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "validated with the Python rules" in err and "Could not reserve enough space" in err


def test_no_java_or_no_jar_means_the_python_rules(monkeypatch, tmp_path, capsys):
    jar = tmp_path / "lavametrics-plugin.jar"  # found, so the missing JVM is what is reported
    jar.write_bytes(b"PK")
    monkeypatch.setenv("LAVAMETRICS_JAR", str(jar))
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert cc.check({}, CATALOG) == ([], "python")
    assert "no JVM available" in capsys.readouterr().err
    monkeypatch.undo()
    monkeypatch.delenv("LAVAMETRICS_JAR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert cc.check({}, CATALOG) == ([], "python")
    assert "plugin jar not found" in capsys.readouterr().err


def test_an_explicit_jar_that_cannot_run_is_an_error(monkeypatch, tmp_path):
    jar, _ = _jar_and_java()
    monkeypatch.setenv("JAVA_HOME", str(_failing_java(tmp_path)))
    with pytest.raises(jvm.JvmUnavailable, match="exit 1"):
        cc.check({}, CATALOG, jar=jar)


def _cli_validate(tmp_path, address_space: int):
    """`lavametrics config validate` in a child process limited as `ulimit -v` would."""
    _jar_and_java()
    p = tmp_path / "application.yml"
    p.write_text(
        "server:\n  port: 2333\nplugins:\n  lavametrics:\n    groups:\n      rest: true\n"
        "metrics:\n  prometheus:\n    enabled: true\n    endpoint: /metrics\n"
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


def test_validation_under_ulimit_falls_back_to_the_python_rules(tmp_path):
    done = _cli_validate(tmp_path, 400 * 2**20)  # room for Python, not for the JVM
    assert done.returncode == 0, done.stdout + done.stderr
    assert "valid (python validator, 0 error(s))" in done.stdout
    notes = [line for line in done.stderr.splitlines() if "validated with the Python rules" in line]
    assert len(notes) == 1, done.stderr


def test_validation_under_ulimit_3g_still_uses_the_plugin(tmp_path):
    done = _cli_validate(tmp_path, 3 * 2**30)  # the JVM's defaults need more; run_main caps them
    assert done.returncode == 0, done.stdout + done.stderr
    assert "valid (jar validator, 0 error(s))" in done.stdout, done.stdout + done.stderr
