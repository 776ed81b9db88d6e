import os
from pathlib import Path

import pytest

from lavametrics import fsutil
from lavametrics.config import application_yml
from lavametrics.redact import MASK

SAMPLE = """\
server: # REST and WS server
  port: 2333
  address: 0.0.0.0
plugins:
#  name: # Name of the plugin
#    some_key: some_value # Some key-value pair for the plugin
  lavametrics:
    groups:
      rest: true   # per-route REST metrics
    endpoint:
      enabled: false
      auth:
        username: prom
        password: "s3cret"   # rotate monthly
lavalink:
  plugins:
#    - dependency: "com.github.example:example-plugin:1.0.0" # required
  server:
    password: "youshallnotpass"
    sources:
      youtube: false   # off in tests
      http: true
    filters: # All filters are enabled by default
      volume: true
metrics:
  prometheus:
    enabled: false
    endpoint: /metrics

logging:
  level:
    root: INFO
"""


@pytest.fixture
def app(tmp_path):
    p = tmp_path / "application.yml"
    p.write_text(SAMPLE)
    return p


def untouched(before: str, after: str, changed_prefixes=()) -> None:
    """Every line of `before` that we did not mean to change appears verbatim, in order."""
    after_lines = after.splitlines()
    i = 0
    for line in before.splitlines():
        if any(line.strip().startswith(p) for p in changed_prefixes):
            continue
        while i < len(after_lines) and after_lines[i] != line:
            i += 1
        assert i < len(after_lines), f"line lost or changed: {line!r}\n---\n{after}"
        i += 1


def test_round_trip_without_changes_is_identical(app):
    cf = application_yml.read(app)
    assert cf.dump() == SAMPLE


def test_sequence_style_is_kept(tmp_path):
    text = "a:\n    b:\n        - x\n        - y\n    c: 1\n"
    p = tmp_path / "a.yml"
    p.write_text(text)
    assert application_yml.read(p).dump() == text


def test_set_preserves_comments_and_writes_backup(app):
    application_yml.set_value(app, "endpoint.port", "9500", validate=False)
    after = app.read_text()
    untouched(SAMPLE, after)
    assert "      port: 9500\n" in after
    assert (app.parent / "application.yml.bak").read_text() == SAMPLE
    assert not [f for f in os.listdir(app.parent) if f.endswith(".tmp")]


def test_set_list_values(app):
    application_yml.set_value(app, "endpoint.allow", "10.0.0.0/8, 127.0.0.1/32", validate=False)
    assert "allow: [10.0.0.0/8, 127.0.0.1/32]" in app.read_text()
    application_yml.set_value(app, "buckets.loadDurationSeconds", "[0.1, 0.5, 2]", validate=False)
    assert "loadDurationSeconds: [0.1, 0.5, 2]" in app.read_text()
    application_yml.set_value(app, "groups.rest", "false", validate=False)
    assert "      rest: false  # per-route REST metrics\n" in app.read_text()


def test_set_kebab_key_updates_existing_entry(tmp_path):
    p = tmp_path / "application.yml"
    p.write_text("plugins:\n  lavametrics:\n    endpoint:\n      auth:\n        bearer-token: old\n")
    application_yml.set_value(p, "endpoint.auth.bearer-token", "new", validate=False)
    assert p.read_text() == "plugins:\n  lavametrics:\n    endpoint:\n      auth:\n        bearer-token: new\n"


def test_set_refuses_what_the_command_line_cannot_mean(app):
    """KEY and VALUE are parsed by the key's catalog type before anything is validated."""
    before = app.read_bytes()
    with pytest.raises(application_yml.ConfigError, match="unknown key 'groups.nope'"):
        application_yml.set_value(app, "groups.nope", "true", validate=False)
    with pytest.raises(application_yml.ConfigError, match="must be true or false"):
        application_yml.set_value(app, "groups.rest", "maybe", validate=False)
    with pytest.raises(application_yml.ConfigError, match="must be an integer"):
        application_yml.set_value(app, "endpoint.port", "9500.5", validate=False)
    assert app.read_bytes() == before
    assert not (app.parent / "application.yml.bak").exists()


def test_set_refuses_what_the_plugin_rejects_and_keeps_file(app, plugin_jar):
    before = app.read_bytes()
    for key, raw, fragment in (
        ("endpoint.port", "99999", "endpoint.port"),
        ("buckets.voicePingSeconds", "1,0.5", "strictly increasing"),
        ("endpoint.auth.bearerToken", "tok", "exclusive"),
    ):
        with pytest.raises(application_yml.ConfigError, match=fragment):
            application_yml.set_value(app, key, raw, jar=plugin_jar)
    assert app.read_bytes() == before
    assert not (app.parent / "application.yml.bak").exists()


def test_settings_valid_only_together_are_set_in_one_write(tmp_path, plugin_jar):
    app = tmp_path / "application.yml"
    app.write_text("plugins:\n  lavametrics:\n    endpoint:\n      enabled: true\n")
    before = app.read_bytes()
    with pytest.raises(application_yml.ConfigError, match="basic auth needs both username and password"):
        application_yml.set_value(app, "endpoint.auth.username", "prom", jar=plugin_jar)
    assert app.read_bytes() == before
    result = application_yml.set_values(
        app, [("endpoint.auth.username", "prom"), ("endpoint.auth.password", "s3cret")], jar=plugin_jar
    )
    assert result.validator == str(plugin_jar) and result.not_validated is None
    assert app.read_text().endswith("      auth:\n        username: prom\n        password: s3cret\n")
    assert (tmp_path / "application.yml.bak").read_bytes() == before


def test_enable_and_disable(app):
    application_yml.enable(app, validate=False)
    text = app.read_text()
    assert "    enabled: true\n    endpoint: /metrics\n" in text
    assert "      sessions: true\n" in text and "      rest: true   # per-route REST metrics\n" in text
    untouched(SAMPLE, text, changed_prefixes=("enabled: false",))
    application_yml.disable(app, validate=False)
    text = app.read_text()
    assert "      sessions: false\n" in text and "      rest: false  # per-route REST metrics\n" in text
    assert "username: prom" in text  # the rest of the section survives
    application_yml.enable(app, validate=False)
    text = app.read_text()
    assert "      sessions: true\n" in text and "      rest: false" in text  # rest's default is off


def test_enable_on_empty_file(tmp_path):
    p = tmp_path / "application.yml"
    p.write_text("")
    application_yml.enable(p, validate=False)
    data = application_yml.read(p).doc
    assert data["metrics"]["prometheus"]["enabled"] is True
    assert data["plugins"]["lavametrics"]["groups"]["rest"] is False


def test_malformed_yaml_leaves_file_byte_identical(tmp_path):
    p = tmp_path / "application.yml"
    raw = b"server:\n  port: 2333\nplugins:\n  lavametrics: [unclosed\n  x: 1\n"
    p.write_bytes(raw)
    for action in (
        lambda: application_yml.enable(p, validate=False),
        lambda: application_yml.set_value(p, "groups.rest", "true", validate=False),
        lambda: application_yml.disable(p, validate=False),
        lambda: application_yml.validate(p),
    ):
        with pytest.raises(application_yml.ConfigError) as info:
            action()
        assert str(info.value).startswith(f"{p}:5:")
        assert "malformed YAML" in str(info.value) and "\n" not in str(info.value)
        assert p.read_bytes() == raw
    assert not (tmp_path / "application.yml.bak").exists()


def test_show_masks_secrets(app):
    data = application_yml.show(app)
    entries = {e["key"]: e for e in data["entries"]}
    assert entries["endpoint.auth.password"]["value"] == MASK
    assert entries["endpoint.auth.username"]["value"] == "prom"
    assert entries["groups.rest"] == {
        "key": "groups.rest",
        "value": "true",
        "source": "file",
        "line": 9,
        "secret": False,
    }
    assert entries["groups.sessions"]["source"] == "default"
    assert "s3cret" not in repr(data)
    assert data["metrics.prometheus.enabled"] is False


INVALID = """\
plugins:
  lavametrics:
    groups:
      rest: sometimes
      colours: true
    endpoint:
      port: 70000
      allow: [10.0.0.0/8, 300.1.1.1/8]
      auth:
        username: prom
        password: pw-secret-1
        bearerToken: tok-secret-2
    buckets:
      loadDurationSeconds: [1, 0.5]
metrics:
  prometheus:
    enabled: true
    endpoint: /metrics
"""


def test_every_validation_error_names_file_line_key_value(tmp_path, plugin_jar):
    p = tmp_path / "application.yml"
    p.write_text(INVALID)
    report = application_yml.validate(p, jar=plugin_jar)
    assert report.valid is False and report.validator == str(plugin_jar)
    got = {e.key: e for e in report.errors}
    expected = {
        "plugins.lavametrics.groups.rest": (4, "sometimes", "true, false"),
        "plugins.lavametrics.groups.colours": (5, MASK, "sessions"),  # unknown keys never show values
        "plugins.lavametrics.endpoint.port": (7, "70000", "1..65535"),
        "plugins.lavametrics.endpoint.allow": (8, "300.1.1.1/8", "CIDR"),  # the bad network only
        "plugins.lavametrics.endpoint.auth.bearerToken": (12, MASK, "bearerToken"),
        "plugins.lavametrics.buckets.loadDurationSeconds": (14, "1,0.5", "increasing"),
    }
    assert set(got) == set(expected)
    for key, (line, value, allowed) in expected.items():
        e = got[key]
        assert e.file == str(p) and e.line == line and e.value == value, e
        assert allowed in (e.allowed or ""), e
        text = str(e)
        assert text.startswith(f"{p}:{line}: {key}: value {value!r}: "), text
    assert "secret-1" not in repr(report.as_dict()) and "secret-2" not in repr(report.as_dict())


def test_valid_file_and_warnings(app, plugin_jar):
    report = application_yml.validate(app, jar=plugin_jar)
    assert report.valid, report.errors
    assert [w.key for w in report.warnings] == ["metrics.prometheus.enabled"]


def test_atomic_write_failure_keeps_original(tmp_path, monkeypatch):
    p = tmp_path / "f.yml"
    p.write_text("a: 1\n")

    def boom(*a):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        fsutil.atomic_write(p, "a: 2\n")
    assert p.read_text() == "a: 1\n"
    assert [f.name for f in tmp_path.iterdir() if f.name.endswith(".tmp")] == []


def test_crlf_file_keeps_crlf_on_every_line(tmp_path):
    lf, crlf = tmp_path / "lf" / "application.yml", tmp_path / "crlf" / "application.yml"
    for p in (lf, crlf):
        p.parent.mkdir()
    lf.write_bytes(SAMPLE.encode())
    crlf.write_bytes(SAMPLE.replace("\n", "\r\n").encode())
    assert application_yml.read(crlf).dump() == SAMPLE.replace("\n", "\r\n")
    for p in (lf, crlf):
        application_yml.disable(p, validate=False)
    after = crlf.read_bytes().decode()
    assert after.endswith("\r\n") and after.count("\n") == after.count("\r\n"), after
    assert after == lf.read_bytes().decode().replace("\n", "\r\n")  # same edit, only the endings differ
    untouched(SAMPLE, after.replace("\r\n", "\n"), changed_prefixes=("rest:",))
    assert "      rest: false  # per-route REST metrics\r\n" in after


def test_symlinked_config_edits_the_target_and_keeps_the_link(tmp_path):
    real_dir, link_dir = tmp_path / "real", tmp_path / "lavalink"
    real_dir.mkdir()
    link_dir.mkdir()
    target = real_dir / "application.yml"
    target.write_text(SAMPLE)
    link = link_dir / "application.yml"
    link.symlink_to(os.path.relpath(target, link_dir))
    application_yml.set_value(link, "endpoint.port", "9500", validate=False)
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert "      port: 9500\n" in target.read_text()
    assert (real_dir / "application.yml.bak").read_text() == SAMPLE  # next to the real file
    assert not (link_dir / "application.yml.bak").exists()
    assert not [f for d in (real_dir, link_dir) for f in os.listdir(d) if f.endswith(".tmp")]


@pytest.mark.parametrize(
    "text, action, where, key, value",
    [
        (
            "plugins:\n  lavametrics:\n    endpoint: off\n",
            lambda p: application_yml.set_value(p, "endpoint.port", "9500", validate=False),
            3,
            "plugins.lavametrics.endpoint",
            "off",
        ),
        (
            "plugins:\n  lavametrics:\n    endpoint: off\n",
            lambda p: application_yml.disable(p, validate=False),
            3,
            "plugins.lavametrics.endpoint",
            "off",
        ),
        (
            "metrics:\n  prometheus: true\n",
            lambda p: application_yml.enable(p, validate=False),
            2,
            "metrics.prometheus",
            "true",
        ),
        ("plugins: [a, b]\n", lambda p: application_yml.enable(p, validate=False), 1, "plugins", "a,b"),
    ],
    ids=["set", "disable", "enable-prometheus", "enable-plugins"],
)
def test_write_refuses_to_replace_a_non_mapping_value(tmp_path, text, action, where, key, value):
    p = tmp_path / "application.yml"
    p.write_text(text)
    with pytest.raises(application_yml.ConfigError) as info:
        action(p)
    msg = str(info.value)
    assert msg.startswith(f"{p}:{where}: {key}: value {value!r}: ") and "mapping" in msg and "\n" not in msg, msg
    assert p.read_text() == text
    assert not (tmp_path / "application.yml.bak").exists()


def test_write_fills_an_empty_mapping_value(tmp_path):
    p = tmp_path / "application.yml"
    p.write_text("plugins:\n  lavametrics:\n    endpoint:\n")
    application_yml.set_value(p, "endpoint.port", "9500", validate=False)
    assert p.read_text() == "plugins:\n  lavametrics:\n    endpoint:\n      port: 9500\n"


@pytest.mark.parametrize(
    "text, port",
    [
        ("a: 1\n", None),  # unset: the plugin assumes Spring Boot's default, as on the node
        ("server:\n  port: 8080\n", "8080"),
        ("Server:\n  PORT: ' 9000 '\n", " 9000 "),  # Spring's relaxed spellings; the plugin trims
        ("server.port: 7000\n", "7000"),
        ("server:\n  port: ${PORT:2333}\n", "${PORT:2333}"),  # the plugin compares nothing then
        ("server:\n  address: 0.0.0.0\n", None),
        ("server:\n  port: {a: 1}\n", ""),
    ],
)
def test_server_port_is_handed_over_as_written(tmp_path, text, port):
    p = tmp_path / "application.yml"
    p.write_text(text)
    assert application_yml.server_port(application_yml.read(p).doc) == port


def test_the_plugins_directory_is_lavalinks(tmp_path):
    p = tmp_path / "application.yml"
    p.write_text("a: 1\n")
    assert application_yml.plugins_dir(application_yml.read(p)) == tmp_path / "plugins"
    p.write_text("lavalink:\n  plugins-dir: /opt/lavalink/plugins\n")
    assert application_yml.plugins_dir(application_yml.read(p)) == Path("/opt/lavalink/plugins")
