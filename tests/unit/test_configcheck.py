import pytest

from lavametrics.catalog import load_catalog
from lavametrics.configcheck import to_camel, validate

CATALOG = load_catalog(prefer_jar=False)


def problems(section):
    return {p.key: p for p in validate(section, CATALOG)}


def test_empty_and_defaults_are_valid():
    assert validate(None, CATALOG) == []
    assert validate({}, CATALOG) == []
    assert validate({"groups": {"rest": True}, "endpoint": {"enabled": "true", "port": 9477,
                     "allow": "127.0.0.1/32, ::1/128"}}, CATALOG) == []


def test_kebab_case_reported_in_camel_case():
    assert to_camel("bearer-token") == "bearerToken"
    got = problems({"buckets": {"load-duration-seconds": "x"}})
    assert "buckets.loadDurationSeconds" in got


@pytest.mark.parametrize("section, key, fragment", [
    ({"nope": 1}, "nope", "unknown key"),
    ({"groups": {"rest": 3}}, "groups.rest", "true or false"),
    ({"endpoint": {"port": 0}}, "endpoint.port", "1..65535"),
    ({"endpoint": {"port": "abc"}}, "endpoint.port", "integer"),
    ({"endpoint": {"allow": ["10.0.0.0/33"]}}, "endpoint.allow", "CIDR"),
    ({"endpoint": {"auth": {"username": "u", "password": "p", "bearerToken": "t"}}}, "endpoint.auth.bearerToken", "exclusive"),
    ({"buckets": {"frameLossRatio": [0.5, 2]}}, "buckets.frameLossRatio", "0..1"),
    ({"buckets": {"frameLossRatio": [0, 0.5]}}, "buckets.frameLossRatio", "positive"),
    ({"buckets": {"frameLossRatio": [0.5, 0.5]}}, "buckets.frameLossRatio", "strictly increasing"),
    ({"buckets": {"frameLossRatio": ["a"]}}, "buckets.frameLossRatio", "numbers"),
    ({"groups": True}, "groups", "mapping"),
])
def test_rules(section, key, fragment):
    got = problems(section)
    assert key in got, got
    assert fragment in got[key].message
    assert got[key].allowed


def test_basic_auth_needs_both_parts():
    assert "endpoint.auth.password" in problems({"endpoint": {"auth": {"username": "u"}}})
    assert "endpoint.auth.username" in problems({"endpoint": {"auth": {"password": "p"}}})


def test_unknown_key_lists_allowed_siblings():
    p = problems({"endpoint": {"prot": 1}})["endpoint.prot"]
    assert set(p.allowed.split(", ")) == {"enabled", "host", "port", "path", "auth", "allow"}


def test_secrets_are_masked_in_problems():
    p = problems({"endpoint": {"auth": {"password": ["a", "b"]}}})["endpoint.auth.password"]
    assert p.value == "****"


JAR_CASES = [
    {},
    {"groups": {"rest": True, "sessions": False}},
    {"nope": 1},
    {"groups": {"rest": "x", "colours": True}},
    {"endpoint": {"port": 99999}},
    {"endpoint": {"port": 0, "allow": ["10.0.0.0/33"]}},
    {"endpoint": {"auth": {"username": "u", "password": "p", "bearerToken": "t"}}},
    {"endpoint": {"auth": {"username": "u"}}},
    {"buckets": {"loadDurationSeconds": [1, 0.5]}},
    {"buckets": {"frameLossRatio": [0.5, 2]}},
    {"endpoint": {"allow": "127.0.0.1/32, ::1/128"}},
]


@pytest.mark.parametrize("section", JAR_CASES)
def test_python_validator_agrees_with_the_jar(section):
    """Same keys flagged by the plugin's ConfigValidator and the pure-Python twin."""
    from lavametrics import jvm
    from lavametrics.configcheck import validate_with_jar
    from tests.conftest import require
    try:
        jar = jvm.find_jar(start=__file__)
        jvm.find_java_home()
    except jvm.JvmUnavailable as exc:
        require(False, f"the plugin jar and a JVM ({exc})")
    java = sorted(p.key for p in validate_with_jar(section, jar))
    python = sorted(p.key for p in validate(section, CATALOG))
    assert python == java
