"""What a client or a config can do to a node through the plugin's own endpoint: none of it may
stall scrapes or stop the node. Each test runs against a real node with the built plugin."""

from __future__ import annotations

import base64
import http.client
import socket
import time
import urllib.request

import pytest

from tests.samples import parse, scrape, total, value

pytestmark = pytest.mark.integration

USER, PASSWORD = "prometheus", "scrape-secret"
ALLOWED = "127.0.0.2"  # the only loopback alias the endpoint admits; 127.0.0.1 is outside `allow`
DENIED = "127.0.0.1"
UNFINISHED = b"GET /metrics HTTP/1.1\r\nHost: x\r\n"  # a head that never ends
REQUEST_DEADLINE = 5.0  # MetricsEndpoint.Limits.DEFAULT.requestDeadline


@pytest.fixture(scope="module")
def node(node_factory):
    from lavametrics.devtools.node import free_port

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
                        "auth": {"username": USER, "password": PASSWORD},
                        "allow": [f"{ALLOWED}/32"],
                    }
                }
            }
        },
    )
    node.own_port = port
    return node


def _connect(node, source: str) -> socket.socket:
    return socket.create_connection(("127.0.0.1", node.own_port), timeout=10, source_address=(source, 0))


def _auth() -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}


def _scrape_own(node, timeout: float) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", node.own_port, timeout=timeout, source_address=(ALLOWED, 0))
    try:
        conn.request("GET", "/metrics", headers=_auth())
        resp = conn.getresponse()
        return resp.status, resp.read().decode()
    finally:
        conn.close()


def _read_to_end(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _node_serves(node) -> None:
    request = urllib.request.Request(node.url + "/v4/info", headers={"Authorization": node.password})
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200


def test_idle_connections_do_not_stall_scrapes(node):
    held = [_connect(node, ALLOWED), _connect(node, DENIED)]
    try:
        for sock in held:
            sock.sendall(UNFINISHED)
        started = time.monotonic()
        status, body = _scrape_own(node, timeout=REQUEST_DEADLINE)
        elapsed = time.monotonic() - started
        assert status == 200 and "lavametrics_info" in body
        # Well inside the deadline that would free a stalled worker: the scrape did not wait for it.
        assert elapsed < REQUEST_DEADLINE / 2, f"scrape took {elapsed:.2f}s while a connection sat idle"
    finally:
        for sock in held:
            sock.close()


def test_denied_client_is_answered_before_it_sends_anything(node):
    with _connect(node, DENIED) as sock:
        assert _read_to_end(sock).startswith(b"HTTP/1.1 403 ")


def test_dripping_client_is_cut_off_at_the_request_deadline(node):
    with _connect(node, ALLOWED) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\nX-Drip: ")
        sock.settimeout(0.2)
        started = time.monotonic()
        answer = None
        # A header byte every 200 ms: no single read waits long, only a deadline on the whole head ends it.
        while answer is None and time.monotonic() - started < 3 * REQUEST_DEADLINE:
            try:
                sock.sendall(b"a")
                answer = sock.recv(4096)
            except TimeoutError:
                continue
            except (ConnectionResetError, BrokenPipeError):
                answer = b""
        elapsed = time.monotonic() - started
    assert answer is not None, f"still connected after {elapsed:.1f}s of dripping"
    assert elapsed < REQUEST_DEADLINE + 3, f"cut off only after {elapsed:.1f}s"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408 "), answer[:80]


def test_oversized_head_and_request_body_are_refused(node):
    with _connect(node, ALLOWED) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n")
        assert _read_to_end(sock).startswith(b"HTTP/1.1 431 ")
    with _connect(node, ALLOWED) as sock:
        auth = _auth()["Authorization"].encode()
        sock.sendall(
            b"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: " + auth + b"\r\nContent-Length: 5\r\n\r\nhello"
        )
        assert _read_to_end(sock).startswith(b"HTTP/1.1 413 ")


def test_node_and_endpoint_survive_the_above(node):
    _node_serves(node)
    status, body = _scrape_own(node, timeout=10)
    assert status == 200
    assert value(parse(body), "lavametrics_config_valid") == 1


def test_endpoint_on_the_server_port_keeps_node_up(node_factory):
    from lavametrics.devtools.node import free_port

    port = free_port()
    shared = node_factory(
        plugin=True,
        port=port,
        overrides={"plugins": {"lavametrics": {"endpoint": {"enabled": True, "host": "127.0.0.1", "port": port}}}},
    )
    # Node.start moves to another port when the first one is taken; then nothing here was tested.
    assert shared.port == port, "the node did not come up on the port the endpoint asked for"
    _node_serves(shared)
    s = scrape(shared.metrics_url)
    assert value(s, "lavametrics_config_valid") == 0
    assert total(s, "lavametrics_info") == 1
    named = [
        line
        for line in shared.log_path.read_text().splitlines()
        if "plugins.lavametrics.endpoint.port" in line and "server.port" in line
    ]
    assert len(named) == 1, named
    shared.stop()
