import json
from pathlib import Path

import pytest

from lavametrics import javatools
from lavametrics.config import catalog
from tests.conftest import require

REPO = Path(__file__).resolve().parents[2]


def test_packaged_catalog_loads_and_is_consistent():
    c = catalog.load_catalog(prefer_jar=False)
    assert c.source == "packaged"
    assert c.prefix == "lavametrics_"
    names = [f.name for f in c.families]
    assert len(names) == len(set(names))
    for f in c.families:
        assert f.name.startswith(c.prefix)
        assert f.type in ("counter", "gauge", "histogram")
        assert f.name.endswith("_total") == (f.type == "counter"), f.name
        assert (f.buckets is not None) == (f.type == "histogram"), f.name
        for lb in f.labels:
            assert lb.name not in ("node", "instance", "job", "guild_id", "user_id", "session_id")
            if lb.values is None:
                assert (f.name, lb.name) == ("lavametrics_info", "version")


def test_parsed_names_strip_total_only_for_counters():
    c = catalog.load_catalog(prefer_jar=False)
    assert c.family("lavametrics_track_starts_total").parsed_name == "lavametrics_track_starts"
    assert c.family("lavametrics_players").parsed_name == "lavametrics_players"
    # lookups accept both spellings
    assert c.family("lavametrics_track_starts").name == "lavametrics_track_starts_total"
    # and without the prefix: how Python code names a plugin family instead of spelling it
    assert c.family("frames_sent").name == "lavametrics_frames_sent_total"
    assert c.family("players").name == "lavametrics_players"
    with pytest.raises(KeyError):
        c.family("no_such_family")
    types = c.expected_types()
    assert types["lavametrics_track_starts"] == "counter"
    assert types["lavametrics_load_duration_seconds"] == "histogram"


def test_sample_names_per_family():
    c = catalog.load_catalog(prefer_jar=False)
    assert c.family("lavametrics_load_duration_seconds").sample_names == (
        "lavametrics_load_duration_seconds_bucket",
        "lavametrics_load_duration_seconds_sum",
        "lavametrics_load_duration_seconds_count",
    )
    assert c.sample_names()["lavametrics_players"] == ("lavametrics_players",)


def test_config_keys_and_secrets():
    c = catalog.load_catalog(prefer_jar=False)
    keys = {k.key: k for k in c.config}
    assert keys["groups.rest"].default == "false"
    assert keys["endpoint.port"].type == "integer"
    assert keys["endpoint.allow"].type == "cidr-list"
    assert {k for k, v in keys.items() if v.secret} == {"endpoint.auth.password", "endpoint.auth.bearerToken"}


def test_unsupported_schema_rejected():
    with pytest.raises(ValueError, match="schema"):
        catalog.from_dict({"schema": 2, "families": []})


def test_load_catalog_falls_back_to_packaged_without_jar(monkeypatch, tmp_path):
    monkeypatch.delenv("LAVAMETRICS_JAR", raising=False)
    monkeypatch.chdir(tmp_path)  # no repository above: no jar to find
    assert catalog.load_catalog(prefer_jar=True).source == "packaged"


def test_load_catalog_reads_the_jar_in_a_subprocess():
    """The jar's catalog comes from `java -cp <jar> ...Catalog`, and names the jar it came from."""
    jar = _plugin_jar()
    require(jar is not None, "the plugin jar (lavalink-plugin/target/lavametrics-plugin-*.jar)")
    loaded = catalog.load_catalog(jar=jar)
    assert loaded.source == str(jar)
    assert loaded.config == catalog.load_catalog(prefer_jar=False).config


def test_config_key_types_are_the_ones_the_validators_know():
    types = {k.type for k in catalog.load_catalog(prefer_jar=False).config}
    assert types == {"boolean", "integer", "string", "number-list", "cidr-list"}


def test_explicit_missing_jar_is_an_error(tmp_path):
    with pytest.raises(javatools.JvmUnavailable, match="plugin jar not found"):
        catalog.load_catalog(jar=tmp_path / "nope.jar")


def _plugin_jar():
    try:
        return javatools.find_plugin_jar(start=REPO)
    except javatools.JvmUnavailable:
        return None


def test_packaged_copy_equals_the_jar_catalog():
    """The packaged data/catalog.json must be exactly what the plugin jar renders."""
    jar = _plugin_jar()
    require(jar is not None, "the plugin jar (lavalink-plugin/target/lavametrics-plugin-*.jar)")
    try:
        javatools.java_home()
        have_jvm = True
    except javatools.JvmUnavailable:
        have_jvm = False
    require(have_jvm, "a JVM (JAVA_HOME or java on PATH)")
    from_jar = json.loads(catalog.jar_json(jar))
    packaged = json.loads(catalog.packaged_json())
    assert packaged == from_jar, "pyclient/lavametrics/data/catalog.json is stale: regenerate with `make docs`"


def test_group_lists_its_families_in_catalog_order():
    c = catalog.packaged()
    assert catalog.packaged() is c  # read once
    frames = [f.name for f in c.group("frames")]
    assert frames == [f.name for f in c.families if f.group == "frames"] and frames
    with pytest.raises(KeyError):
        c.group("no_such_group")


def test_python_code_names_plugin_families_only_through_the_catalog():
    """No module of the client spells a plugin family: renaming one in the plugin then breaks
    loudly at the lookup instead of silently matching nothing."""
    plugin_names = {f.name for f in catalog.packaged().families} | {f.parsed_name for f in catalog.packaged().families}
    offenders = []
    mixin = REPO / "pyclient" / "lavametrics" / "mixin"
    for path in sorted((REPO / "pyclient" / "lavametrics").rglob("*.py")):
        if mixin in path.parents:
            # PromQL and promtool series are text that must spell names; tests/monitoring checks
            # every name they select against the catalog, Lavalink core and BotMetrics instead.
            continue
        text = path.read_text(encoding="utf-8")
        for name in plugin_names:
            if f'"{name}"' in text or f"'{name}'" in text:
                offenders.append(f"{path.relative_to(REPO)}: {name}")
    assert offenders == []
