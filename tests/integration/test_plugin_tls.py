"""The plugin's own endpoint over TLS with bcrypt basic auth (an exporter-toolkit web config), on a
real node, scraped the way a Python client or Prometheus would: urllib trusting the test CA.
Certificates and keys are made here, in a temporary directory, with the `openssl` CLI."""

from __future__ import annotations

import base64
import http.client
import ssl
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import bcrypt
import pytest

from tests.conftest import require_tool
from tests.samples import parse, value

pytestmark = pytest.mark.integration

USER, PASSWORD = "prometheus", "tls-scrape-secret"


def _openssl(cwd: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _pki(directory: Path) -> None:
    """A CA and a server certificate for 127.0.0.1 whose key is SEC1 (`BEGIN EC PRIVATE KEY`)."""
    _openssl(directory, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=lavametrics-test-ca")  # fmt: skip
    _openssl(directory, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "server.key")
    _openssl(directory, "req", "-new", "-key", "server.key", "-subj", "/CN=localhost", "-out", "server.csr")
    (directory / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl(directory, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-out", "server.crt", "-extfile", "server.ext")  # fmt: skip


def _web_config(users: bool = True) -> str:
    text = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS12\n"
    if users:
        hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
        text += f"basic_auth_users:\n  {USER}: {hashed}\n"
    return text


@pytest.fixture(scope="module")
def tls_node(node_factory, tmp_path_factory):
    from lavametrics.devtools.node import free_port

    require_tool("openssl")
    pki = tmp_path_factory.mktemp("tls-pki")
    _pki(pki)
    web = pki / "web.yml"
    web.write_text(_web_config())
    port = free_port()
    node = node_factory(
        plugin=True,
        overrides={
            "plugins": {
                "lavametrics": {
                    "endpoint": {
                        "enabled": True,
                        "host": "127.0.0.1",
                        "port": port,
                        "path": "/metrics",
                        "webConfigFile": str(web),
                        "allow": ["127.0.0.1/32"],
                    }
                }
            }
        },
    )
    node.own_port = port
    node.pki = pki
    node.web = web
    return node


def _context(node) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(node.pki / "ca.crt"))


def _get(node, credentials: bool) -> tuple[int, str]:
    request = urllib.request.Request(f"https://127.0.0.1:{node.own_port}/metrics")
    if credentials:
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=10, context=_context(node)) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_scrapes_over_tls_with_bcrypt_basic_auth(tls_node):
    status, body = _get(tls_node, credentials=True)
    assert status == 200
    samples = parse(body)
    assert value(samples, "lavametrics_config_valid") == 1
    assert any(name == "lavametrics_info" for name, _ in samples)
    status, body = _get(tls_node, credentials=False)
    assert status == 401
    assert "lavametrics_info" not in body


def test_plain_http_gets_no_metrics(tls_node):
    # the endpoint answers plain text with a TLS alert (a bad status line to http.client) or a close
    with pytest.raises((OSError, http.client.HTTPException)):
        urllib.request.urlopen(f"http://127.0.0.1:{tls_node.own_port}/metrics", timeout=10).read()


def test_the_certificate_is_verified_against_the_ca(tls_node):
    # a client that does not trust the test CA refuses the endpoint: TLS really is on
    with pytest.raises(urllib.error.URLError) as err:
        urllib.request.urlopen(
            f"https://127.0.0.1:{tls_node.own_port}/metrics", timeout=10, context=ssl.create_default_context()
        )
    assert isinstance(err.value.reason, ssl.SSLCertVerificationError)


def test_an_emptied_web_config_fails_closed_until_restored(tls_node):
    good = tls_node.web.read_text()
    try:
        tls_node.web.write_text("")
        assert _get(tls_node, credentials=False)[0] == 500
        assert _get(tls_node, credentials=True)[0] == 500
    finally:
        tls_node.web.write_text(good)
    status, body = _get(tls_node, credentials=True)
    assert status == 200
    assert value(parse(body), "lavametrics_config_valid") == 1
