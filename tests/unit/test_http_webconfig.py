"""The web configuration file: what it accepts, and one-line errors that never show a secret."""

import os
import subprocess
import sys

import pytest

from lavametrics.http import webconfig
from lavametrics.http.gate import WebConfigFile
from lavametrics.http.webconfig import WebConfigError, parse_duration
from tests.unit.bounded import run_cli
from tests.unit.webhelpers import bcrypt_hash, self_signed


def write(tmp_path, text, name="web.yml"):
    f = tmp_path / name
    f.write_text(text)
    return f


def load_error(tmp_path, text) -> str:
    f = write(tmp_path, text)
    with pytest.raises(WebConfigError) as info:
        webconfig.load(f)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(f))
    return message


def test_empty_file_means_no_tls_and_no_auth(tmp_path):
    cfg = webconfig.load(write(tmp_path, ""))
    assert cfg.tls is None and not cfg.needs_auth and cfg.headers == ()


def test_full_config_is_read_with_paths_relative_to_the_file(tmp_path):
    (tmp_path / "certs").mkdir()
    h = bcrypt_hash("pw")
    cfg = webconfig.load(
        write(
            tmp_path,
            f"""
tls_server_config:
  cert_file: certs/s.crt
  key_file: /abs/s.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: certs/ca.crt
  client_allowed_sans: [prom.example]
  min_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
  prefer_server_cipher_suites: false
  curve_preferences: [X25519]
http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
    Content-Security-Policy: ""
basic_auth_users:
  prometheus: {h}
rate_limit: {{interval: 1m30s, burst: 5}}
""",
        )
    )
    assert cfg.tls.cert_file == str(tmp_path / "certs" / "s.crt")
    assert cfg.tls.key_file == "/abs/s.key"
    assert cfg.tls.client_ca_file == str(tmp_path / "certs" / "ca.crt")
    assert cfg.tls.client_auth_type == "RequireAndVerifyClientCert"
    assert cfg.tls.min_version == "TLS13" and cfg.tls.max_version == "TLS13"
    assert cfg.tls.prefer_server_cipher_suites is False
    assert cfg.headers == (("X-Frame-Options", "deny"), ("X-Content-Type-Options", "nosniff"))  # blank: unset
    assert dict(cfg.users) == {"prometheus": h}
    assert (cfg.rate_interval, cfg.rate_burst) == (90.0, 5)
    assert h not in repr(cfg)  # hashes stay out of reprs (and so out of tracebacks and logs)


@pytest.mark.parametrize(
    "text, field",
    [
        ("tls_server_confg: {}\n", "tls_server_confg"),
        ("tls_server_config: {cert_fle: a.crt}\n", "tls_server_config.cert_fle"),
        ("http_server_config: {header: {}}\n", "http_server_config.header"),
        ("rate_limit: {intervall: 1s}\n", "rate_limit.intervall"),
    ],
)
def test_unknown_field_is_named_with_its_line(tmp_path, text, field):
    message = load_error(tmp_path, "\n" + text)
    assert f":2: {field}: unknown field (allowed: " in message


def test_misspelled_users_key_never_shows_the_hashes(tmp_path):
    h = bcrypt_hash("secret")
    message = load_error(tmp_path, f"basic_auth_user:\n  alice: {h}\n")
    assert "basic_auth_user: unknown field" in message
    assert h not in message and "$2" not in message


def test_plain_password_instead_of_a_hash_is_refused_without_showing_it(tmp_path):
    message = load_error(tmp_path, "basic_auth_users:\n  alice: hunter2-plain\n")
    assert "basic_auth_users (entry 1)" in message and "not a bcrypt hash" in message
    assert "hunter2" not in message


def test_duplicate_user_never_shows_the_hashes(tmp_path):
    h1, h2 = bcrypt_hash("one"), bcrypt_hash("two")
    message = load_error(tmp_path, f"basic_auth_users:\n  alice: {h1}\n  alice: {h2}\n")
    assert "duplicate key" in message
    assert h1 not in message and h2 not in message and "$2" not in message


def test_inline_key_is_refused_without_showing_it(tmp_path):
    message = load_error(
        tmp_path,
        "tls_server_config:\n  cert_file: a.crt\n  key: |\n    -----BEGIN PRIVATE KEY-----\n"
        "    c2VjcmV0LWtleS1ieXRlcw==\n",
    )
    assert "tls_server_config.key: inline keys are not supported" in message
    assert "c2VjcmV0" not in message and "BEGIN" not in message


def test_non_string_key_value_is_not_shown(tmp_path):
    message = load_error(tmp_path, "tls_server_config:\n  cert_file: a.crt\n  key: 123456789\n")
    assert "tls_server_config.key: must be a string" in message and "123456789" not in message


@pytest.mark.parametrize(
    "text, expected",
    [
        ("tls_server_config: {key_file: a.key}\n", "missing one of cert or cert_file"),
        ("tls_server_config: {cert_file: a.crt}\n", "missing one of key or key_file"),
        (
            "tls_server_config: {cert_file: a, key_file: b, client_auth_type: RequireAnyClientCert}\n",
            "not supported by lavametrics",
        ),
        ("tls_server_config: {cert_file: a, key_file: b, client_auth_type: Sometimes}\n", "'Sometimes': unknown"),
        ("tls_server_config: {cert_file: a, key_file: b, client_ca_file: ca}\n", "without a client_auth_type"),
        (
            "tls_server_config: {cert_file: a, key_file: b, client_auth_type: RequireAndVerifyClientCert}\n",
            "needs client_ca_file",
        ),
        ("tls_server_config: {cert_file: a, key_file: b, min_version: TLS14}\n", "'TLS14': unknown"),
        (
            "tls_server_config: {cert_file: a, key_file: b, min_version: TLS13, max_version: TLS12}\n",
            "above max_version",
        ),
        ("tls_server_config: {cert_file: a, key_file: b, cipher_suites: [RC4]}\n", "unknown cipher suite"),
        ("tls_server_config: {cert_file: a, key_file: b, curve_preferences: [X25519, CurveP256]}\n", "one curve"),
        (
            "tls_server_config: {cert_file: a, key_file: b, client_auth_type: VerifyClientCertIfGiven,"
            " client_ca_file: ca, client_allowed_sans: [x]}\n",
            "requires client_auth_type RequireAndVerifyClientCert",
        ),
        ("http_server_config: {headers: {X-Powered-By: me}}\n", "this header cannot be configured"),
        ("http_server_config: {headers: {X-Frame-Options: allow}}\n", "'allow': expected one of deny, sameorigin"),
        ("rate_limit: {interval: soon, burst: 1}\n", "expected a duration"),
        ("rate_limit: {interval: 1s}\n", "at least 1 when interval is set"),
        ("basic_auth_users: [alice]\n", "must be a mapping"),
        ("- just a list\n", "expected a mapping"),
        ("tls_server_config: {cert_file: [a, b\n", "malformed YAML"),
    ],
)
def test_bad_values_are_one_line_errors(tmp_path, text, expected):
    assert expected in load_error(tmp_path, text)


def test_unreadable_and_missing_files(tmp_path):
    with pytest.raises(WebConfigError, match="cannot read"):
        webconfig.load(tmp_path / "missing.yml")
    f = tmp_path / "bin.yml"
    f.write_bytes(b"\xff\xfe")
    with pytest.raises(WebConfigError, match="not UTF-8"):
        webconfig.load(f)


def test_certificate_problems_are_found_at_start(tmp_path):
    cert = self_signed(tmp_path)
    other = self_signed(tmp_path, "other")
    f = write(tmp_path, f"tls_server_config: {{cert_file: {cert.cert}, key_file: {other.key}}}\n")
    with pytest.raises(WebConfigError) as info:
        WebConfigFile(f)
    assert "not a usable certificate and key" in str(info.value)
    assert "PRIVATE" not in str(info.value)
    f.write_text(f"tls_server_config: {{cert_file: {cert.cert}, key_file: {tmp_path / 'gone.key'}}}\n")
    with pytest.raises(WebConfigError, match=r"tls_server_config.key_file: .*gone.key: cannot read"):
        WebConfigFile(f)


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("0", 0.0),
        ("1s", 1.0),
        ("500ms", 0.5),
        ("1m30s", 90.0),
        ("1.5h", 5400.0),
        ("250us", 250e-6),
        ("2µs", 2e-6),
    ],
)
def test_go_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "1", "s", "1d", "1s2", "-1s"])
def test_bad_go_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_serve_with_unknown_field_exits_2_with_one_line(tmp_path):
    nodes = write(tmp_path, "- {name: a, url: 'http://127.0.0.1:9', password: p}\n", "nodes.yml")
    web = write(tmp_path, f"basic_auth_users:\n  alice: {bcrypt_hash('pw')}\ntls_server_config:\n  cert_fil: x\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lavametrics.cli",
            "serve",
            "--nodes",
            str(nodes),
            "--port",
            "0",
            "--web.config.file",
            str(web),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert (
        proc.stderr == f"lavametrics: error: {web}:4: tls_server_config.cert_fil: unknown field "
        f"(allowed: {', '.join(webconfig._TLS_KEYS)})\n"
    )


def test_serve_rejects_a_bad_body_size_limit(tmp_path):
    nodes = write(tmp_path, "- {name: a, url: 'http://127.0.0.1:9', password: p}\n", "nodes.yml")
    proc = subprocess.run(
        [sys.executable, "-m", "lavametrics.cli", "serve", "--nodes", str(nodes), "--body-size-limit", "20MB"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "--body-size-limit '20MB'" in proc.stderr


def test_missing_bcrypt_is_a_clear_error(tmp_path, monkeypatch):
    # what a base install (without the [web] extra) says for basic_auth_users
    monkeypatch.setitem(sys.modules, "bcrypt", None)
    message = load_error(tmp_path, f"basic_auth_users:\n  alice: {'$2b$04$' + 'a' * 53}\n")
    assert "pip install 'lavametrics[web]'" in message


def test_a_header_value_with_cr_or_lf_is_refused_naming_the_field(tmp_path):
    # YAML's double-quoted escapes give the value a real CR LF: written raw, it would
    # start a second header (Set-Cookie) in every answer
    message = load_error(
        tmp_path,
        "http_server_config:\n  headers:\n"
        "    Content-Security-Policy: \"default-src 'self'\\r\\nSet-Cookie: injected=1\"\n",
    )
    assert ":3: http_server_config.headers.Content-Security-Policy: " in message
    assert "CR" in message and "Set-Cookie" not in message and "\r" not in message


def test_a_fifo_as_web_config_file_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "web.yml"
    os.mkfifo(fifo)
    nodes = write(tmp_path, "- {name: a, url: 'http://127.0.0.1:9', password: p}\n", "nodes.yml")
    # opening a FIFO for reading blocks until someone writes: the child would never return
    proc = run_cli("serve", "--nodes", str(nodes), "--port", "0", "--web.config.file", str(fifo), timeout=30)
    assert proc.returncode == 2
    assert (
        proc.stderr
        == f"lavametrics: error: {fifo}: cannot read: a FIFO, not a regular file: refused, nothing read or written\n"
    )


def test_an_endless_web_config_file_is_refused_after_a_bounded_read(tmp_path):
    # what --web.config.file /dev/zero is, without touching a device: 4 GiB of zeros (sparse)
    endless = tmp_path / "web.yml"
    with open(endless, "wb") as fh:
        fh.truncate(4 * 1024**3)
    nodes = write(tmp_path, "- {name: a, url: 'http://127.0.0.1:9', password: p}\n", "nodes.yml")
    proc = run_cli("serve", "--nodes", str(nodes), "--port", "0", "--web.config.file", str(endless), timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"lavametrics: error: {endless}: larger than the 1 MiB limit")
