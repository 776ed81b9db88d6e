"""`lavametrics serve` as a production endpoint: TLS, basic auth, concurrency, bounded memory.

Everything here runs real servers on loopback: the endpoint, fake nodes, real TLS with
certificates made by the openssl CLI, real bcrypt hashes.
"""

import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from prometheus_client.openmetrics import parser as om_parser

from lavametrics.http.gate import WebConfigFile
from lavametrics.monitor.nodesfile import NodeSpec
from lavametrics.monitor.serve import build, parse_size
from tests.samples import parse
from tests.unit.fakenode import plugin_exposition
from tests.unit.webhelpers import basic, bcrypt_hash, client_context, get, self_signed

REPO = Path(__file__).resolve().parents[2]
OM_ACCEPT = "application/openmetrics-text; version=1.0.0"
DEFAULT_SERIES_LIMIT = 100_000  # documented: --series-limit, NodeMetricsCollector(max_series=)


def wait_for(condition, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class GatedUpstream:
    """A node whose /metrics answers only once released (at most 20 s): a slow node whose
    slowness the test controls, so "concurrent" never depends on the machine's speed."""

    def __init__(self):
        self.release = threading.Event()
        self.metrics_requests = 0
        self.body = plugin_exposition().encode()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):  # noqa: N802
                if self.path.startswith("/metrics"):
                    upstream.metrics_requests += 1
                    upstream.release.wait(20)
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(upstream.body)))
                self.end_headers()
                self.wfile.write(upstream.body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def spec(self, name="slow"):
        return NodeSpec(name, self.url, "pw", self.url + "/metrics")

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def upstream():
    u = GatedUpstream()
    yield u
    u.stop()


@pytest.fixture
def endpoint():
    """endpoint(nodes, web_config_path=None, **build_kwargs) -> running server; stopped after the test."""
    running = []

    def start(nodes, web_file=None, **kwargs):
        web = WebConfigFile(web_file, log=kwargs.pop("log", None)) if web_file else None
        server, collector = build(nodes, "127.0.0.1", 0, kwargs.pop("timeout", 10), web=web, **kwargs)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        server.collector = collector
        server.url = f"{server.scheme}://127.0.0.1:{server.server_address[1]}"
        running.append(server)
        return server

    yield start
    for server in running:
        server.shutdown()
        server.server_close()
        server.collector.close()


def spec(name, node):
    return NodeSpec(name, node.url, node.password, node.metrics_url)


def scrape_concurrently(url, accepts, results, **kw):
    def one(accept):
        results.append(get(url + "/metrics", headers={"Accept": accept} if accept else {}, **kw))

    threads = [threading.Thread(target=one, args=(a,)) for a in accepts]
    for t in threads:
        t.start()
    return threads


# --- concurrency -----------------------------------------------------------------------------


def test_ten_concurrent_scrapes_of_a_slow_node_cost_one_upstream_fetch(upstream, endpoint):
    server = endpoint([upstream.spec()])
    results = []
    threads = scrape_concurrently(server.url, [None] * 10, results)
    renders = server.RequestHandlerClass.renders
    # all ten are inside the endpoint: one renders (and waits on the node), nine wait for it
    wait_for(lambda: renders.shared == 9, "nine requests waiting on the first one's rendering")
    upstream.release.set()
    for t in threads:
        t.join(30)
    assert [r[0] for r in results] == [200] * 10
    assert all(b'lavametrics_node_up{node="slow"} 1.0' in body for _s, _h, body in results)
    assert len({body for _s, _h, body in results}) == 1  # one rendering, shared
    assert upstream.metrics_requests == 1
    assert server.collector.rounds == 1


def test_text_and_openmetrics_scrapes_share_one_round(upstream, endpoint):
    server = endpoint([upstream.spec()])
    results = []
    threads = scrape_concurrently(server.url, [None] * 5 + [OM_ACCEPT] * 5, results)
    renders, rounds = server.RequestHandlerClass.renders, server.collector._rounds
    wait_for(lambda: renders.shared == 8 and rounds.shared == 1, "both renderings waiting on one round")
    upstream.release.set()
    for t in threads:
        t.join(30)
    assert sorted(r[0] for r in results) == [200] * 10
    assert sum(r[2].endswith(b"# EOF\n") for r in results) == 5
    assert upstream.metrics_requests == 1


def test_a_scrape_after_the_round_finished_scrapes_the_node_again(upstream, endpoint):
    upstream.release.set()
    server = endpoint([upstream.spec()])
    for _ in range(2):
        assert get(server.url + "/metrics")[0] == 200
    assert upstream.metrics_requests == 2
    assert server.collector.rounds == 2


def test_a_scrape_pushes_out_the_oldest_silent_client_and_the_rest_time_out(fake_node, endpoint):
    server = endpoint([spec("a", fake_node())], max_connections=2)
    server.socket_timeout = 4.0
    silent = [socket.create_connection(server.server_address, timeout=10) for _ in range(2)]
    try:
        wait_for(lambda: server.active_connections == 2, "two silent connections holding both arriving slots")
        # every slot is taken by a head that is not coming: the oldest makes room for the
        # scrape once it had a tenth of the head deadline (before, the scrape waited it out)
        start = time.monotonic()
        assert get(server.url + "/metrics", timeout=10)[0] == 200
        assert time.monotonic() - start < 2.0
        assert silent[0].recv(1) == b""
        silent[1].setblocking(False)
        with pytest.raises(BlockingIOError):  # with nobody waiting, the other one stays ...
            silent[1].recv(1)
        silent[1].settimeout(10)
        assert silent[1].recv(1) == b""  # ... until the head deadline
    finally:
        for s in silent:
            s.close()


def test_reconnecting_idle_clients_do_not_starve_scrapes(fake_node, endpoint):
    # issue 20's attack, scaled down: 128 idle clients that reconnect when dropped against
    # 64 slots and a 10 s head deadline made every scrape time out. Here 24 against 8 slots
    # and a 3 s deadline: before, a scrape waited 3 s or more behind them.
    server = endpoint([spec("a", fake_node())], max_connections=8)
    server.socket_timeout = 3.0
    on_time = 2.0
    flood = subprocess.Popen(
        [sys.executable, "-m", "tests.unit.idleflood", str(server.server_address[1]), "24"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert flood.stdout.readline() == "ready\n"
        wait_for(lambda: server.active_connections >= 8, "idle clients holding every slot")
        latencies = []
        for _ in range(10):
            start = time.monotonic()
            try:
                status = get(server.url + "/metrics", timeout=on_time)[0]
            except OSError:  # timed out
                status = None
            latencies.append((status, round(time.monotonic() - start, 2)))
        served = [s for s, elapsed in latencies if s == 200 and elapsed < on_time]
        assert len(served) >= 9, f"(status, seconds) of each scrape: {latencies}"
        assert flood.poll() is None  # the flood went on all along
    finally:
        flood.stdin.close()
        flood.wait(20)


def test_one_address_pushes_out_its_own_connections_not_another_peers(fake_node, endpoint):
    server = endpoint([spec("a", fake_node())], max_connections=8)  # 2 arriving slots per peer
    server.socket_timeout = 10.0
    other = socket.create_connection(server.server_address, timeout=10, source_address=("127.0.0.3", 0))
    other.sendall(b"GET /metrics HTTP/1.1\r\n")  # a peer still sending its head
    flood = []
    try:
        for _ in range(6):
            flood.append(socket.create_connection(server.server_address, timeout=10, source_address=("127.0.0.2", 0)))
            flood[-1].sendall(b"GET /metrics HTTP/1.1\r\n")
        # 127.0.0.2 is over its share: its oldest went, each time one of its own
        for sock in flood[:4]:
            assert sock.recv(1) == b""
        wait_for(lambda: server.active_connections == 3, "127.0.0.3's connection and 127.0.0.2's newest two")
        other.setblocking(False)
        with pytest.raises(BlockingIOError):
            other.recv(1)  # still open: nobody pushed it out
    finally:
        for sock in [other, *flood]:
            sock.close()


def test_a_client_dripping_its_request_head_is_cut_off(fake_node, endpoint):
    # Each byte arrives well within the socket timeout: only a deadline on the whole head ends it.
    server = endpoint([spec("a", fake_node())], max_connections=1)
    server.socket_timeout = 1.0
    started = time.monotonic()
    with socket.create_connection(server.server_address, timeout=10) as drip:
        drip.settimeout(0.2)
        drip.sendall(b"GET /metrics HTTP/1.1\r\nX-Drip: ")
        cut_off = False
        while not cut_off and time.monotonic() - started < 20:
            try:
                drip.sendall(b"a")
                drip.recv(1)  # an answer or the end of the stream: either way, cut off
                cut_off = True
            except TimeoutError:
                pass  # still waiting for the rest
            except OSError:
                cut_off = True
        elapsed = time.monotonic() - started
    assert cut_off, f"still connected after {elapsed:.1f} s"
    assert elapsed < 8, f"cut off only after {elapsed:.1f} s"
    assert get(server.url + "/metrics")[0] == 200  # and the only slot serves scrapes again


# --- bounded memory ---------------------------------------------------------------------------


def test_a_giant_node_body_is_cut_at_the_limit_and_counted(fake_node, endpoint):
    giant = fake_node()
    giant.huge_bytes = 256 * 1024 * 1024  # streamed without Content-Length
    giant.api_status = 500  # and no /v4/stats to fall back on
    good = fake_node()
    server = endpoint([spec("giant", giant), spec("good", good)], max_body_bytes=parse_size("1MiB"))
    for round_ in (1, 2):
        status, _h, body = get(server.url + "/metrics")
        assert status == 200
        s = parse(body.decode())
        assert s[("lavametrics_node_up", (("node", "giant"),))] == 0
        assert s[("lavametrics_node_up", (("node", "good"),))] == 1
        failures = {
            dict(k[1])["reason"]: v
            for k, v in s.items()
            if k[0] == "lavametrics_node_scrape_failures_total" and dict(k[1])["node"] == "giant"
        }
        assert failures == {"unreachable": 0, "timeout": 0, "http": 0, "garbage": 0, "too_large": round_, "internal": 0}
        assert s[("lavametrics_node_scrape_failures_total", (("node", "good"), ("reason", "too_large")))] == 0
    giant_result = next(r for r in server.collector.last_results if r.name == "giant")
    assert giant_result.error == f"too large: body exceeds limit of {1024 * 1024} bytes"


def test_failures_are_counted_per_round_not_per_request(upstream, endpoint):
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))  # bound, never listening: connection refused
    port = dead.getsockname()[1]
    try:
        server = endpoint(
            [upstream.spec(), NodeSpec("dead", f"http://127.0.0.1:{port}", "pw", f"http://127.0.0.1:{port}/metrics")]
        )
        results = []
        threads = scrape_concurrently(server.url, [None] * 4, results)
        wait_for(lambda: server.RequestHandlerClass.renders.shared == 3, "three requests sharing the first")
        upstream.release.set()
        for t in threads:
            t.join(30)
        s = parse(results[0][2].decode())
        assert s[("lavametrics_node_scrape_failures_total", (("node", "dead"), ("reason", "unreachable")))] == 1
    finally:
        dead.close()


# --- TLS ----------------------------------------------------------------------------------------


def test_tls_with_a_self_signed_certificate(fake_node, endpoint, tmp_path):
    cert = self_signed(tmp_path)
    web = tmp_path / "web.yml"
    web.write_text(f"tls_server_config:\n  cert_file: {cert.cert.name}\n  key_file: {cert.key.name}\n")
    server = endpoint([spec("a", fake_node())], web_file=web)
    assert server.url.startswith("https://")
    status, _h, body = get(server.url + "/metrics", context=client_context(cert.cert))
    assert status == 200 and b'lavametrics_node_up{node="a"} 1.0' in body
    with pytest.raises(urllib.error.URLError) as info:
        get(server.url + "/metrics", context=client_context())  # the system CAs do not know it
    assert isinstance(info.value.reason, ssl.SSLCertVerificationError)
    # plain HTTP to the TLS port gets no answer, and the server keeps serving
    with pytest.raises(OSError):
        get(server.url.replace("https://", "http://") + "/metrics")
    assert get(server.url + "/metrics", context=client_context(cert.cert))[0] == 200


def test_a_renewed_certificate_is_used_without_a_restart(fake_node, endpoint, tmp_path):
    cert = self_signed(tmp_path)
    web = tmp_path / "web.yml"
    web.write_text(f"tls_server_config: {{cert_file: {cert.cert}, key_file: {cert.key}}}\n")
    server = endpoint([spec("a", fake_node())], web_file=web)
    addr = ("127.0.0.1", server.server_address[1])

    def served_cert():
        return ssl.DER_cert_to_PEM_cert(ssl.PEM_cert_to_DER_cert(ssl.get_server_certificate(addr)))

    first = served_cert()
    renewed = self_signed(tmp_path, "renewed")
    cert.key.write_bytes(renewed.key.read_bytes())  # key first: a cert/key mismatch in between
    cert.cert.write_bytes(renewed.cert.read_bytes())  # fails that one handshake, nothing more
    second = served_cert()
    assert first != second
    assert ssl.PEM_cert_to_DER_cert(second) == ssl.PEM_cert_to_DER_cert(renewed.cert.read_text())


def test_client_certificates_are_required_and_checked(fake_node, endpoint, tmp_path):
    server_cert = self_signed(tmp_path)
    client = self_signed(tmp_path, "prometheus", san="DNS:prometheus.example")
    web = tmp_path / "web.yml"
    web.write_text(f"""tls_server_config:
  cert_file: {server_cert.cert}
  key_file: {server_cert.key}
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: {client.cert}
  client_allowed_sans: [prometheus.example]
""")
    server = endpoint([spec("a", fake_node())], web_file=web)
    url = server.url + "/metrics"
    assert get(url, context=client_context(server_cert.cert, client))[0] == 200
    with pytest.raises(OSError):  # no client certificate: the handshake fails
        get(url, context=client_context(server_cert.cert))
    # a client whose certificate has none of the allowed SANs is cut off
    web.write_text(web.read_text().replace("[prometheus.example]", "[grafana.example]"))
    with pytest.raises(OSError):
        get(url, context=client_context(server_cert.cert, client))


# --- basic auth, headers, rate limit, reloading -----------------------------------------------


def test_basic_auth_with_a_bcrypt_hash(fake_node, endpoint, tmp_path):
    web = tmp_path / "web.yml"
    web.write_text(
        f"basic_auth_users:\n  prometheus: {bcrypt_hash('s3cret')}\n"
        "http_server_config:\n  headers: {X-Content-Type-Options: nosniff}\n"
    )
    server = endpoint([spec("a", fake_node())], web_file=web)
    url = server.url + "/metrics"
    status, headers, body = get(url, headers={"Authorization": basic("prometheus", "s3cret")})
    assert status == 200 and b'lavametrics_node_up{node="a"} 1.0' in body
    assert headers["X-Content-Type-Options"] == "nosniff"
    for auth in (basic("prometheus", "wrong"), basic("nobody", "s3cret"), None, "Bearer s3cret", "Basic !!"):
        status, headers, body = get(url, headers={"Authorization": auth} if auth else {})
        assert status == 401, auth
        assert headers["WWW-Authenticate"].startswith("Basic")
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert b"lavametrics_node_up" not in body
    # every route is behind the password, health included
    assert get(server.url + "/-/healthy")[0] == 401


def test_rate_limit_answers_429(fake_node, endpoint, tmp_path):
    web = tmp_path / "web.yml"
    web.write_text("rate_limit: {interval: 1h, burst: 2}\n")
    server = endpoint([spec("a", fake_node())], web_file=web)
    assert [get(server.url + "/-/healthy")[0] for _ in range(3)] == [200, 200, 429]


def test_users_change_without_a_restart_and_a_broken_file_refuses(fake_node, endpoint, tmp_path):
    web = tmp_path / "web.yml"
    good = f"basic_auth_users:\n  alice: {bcrypt_hash('a-pw')}\n"
    web.write_text(good)
    logged = []
    server = endpoint([spec("a", fake_node())], web_file=web, log=logged.append)
    url = server.url + "/-/healthy"
    alice, bob = {"Authorization": basic("alice", "a-pw")}, {"Authorization": basic("bob", "b-pw")}
    assert get(url, headers=alice)[0] == 200 and get(url, headers=bob)[0] == 401
    web.write_text(good + f"  bob: {bcrypt_hash('b-pw')}\n")
    assert get(url, headers=bob)[0] == 200
    web.write_text(good + "  bob: b-pw-in-plain-text\n")
    status, _h, body = get(url, headers=alice)
    assert status == 500 and b"b-pw" not in body
    assert len(logged) == 2 and "not a bcrypt hash" in logged[1] and "b-pw" not in logged[1]
    web.write_text(good)
    assert get(url, headers=alice)[0] == 200 and get(url, headers=bob)[0] == 401


def test_turning_tls_on_needs_a_restart(fake_node, endpoint, tmp_path):
    cert = self_signed(tmp_path)
    web = tmp_path / "web.yml"
    web.write_text("")
    logged = []
    server = endpoint([spec("a", fake_node())], web_file=web, log=logged.append)
    web.write_text(f"tls_server_config: {{cert_file: {cert.cert}, key_file: {cert.key}}}\n")
    assert get(server.url + "/-/healthy")[0] == 500  # never plain HTTP while the file asks for TLS
    assert "turning TLS on needs a restart" in logged[-1]


# --- a node's answer must be whole ---------------------------------------------------------------


class TruncatingNode:
    """A raw TCP node whose /metrics declares Content-Length N and closes after N-3 bytes;
    every other path (the /v4/stats fallback) answers 500, so nothing can stand in for it."""

    def __init__(self, body: bytes, cut: int = 3):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.body, self.cut = body, cut
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    head += chunk
                if head.startswith(b"GET /metrics"):
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
                        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(self.body) + self.body[: -self.cut]
                    )
                else:
                    conn.sendall(
                        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )

    def spec(self, name="cut"):
        return NodeSpec(name, self.url, "pw", self.url + "/metrics")


def test_a_body_shorter_than_its_content_length_is_a_failed_scrape(endpoint):
    # the last line loses its last 3 bytes: "123456\n" would be read as 1234
    body = plugin_exposition(extra="# TYPE upstream_frames_sent_total counter\nupstream_frames_sent_total 123456\n")
    node = TruncatingNode(body.encode())
    try:
        server = endpoint([node.spec()])
        status, _h, merged = get(server.url + "/metrics")
    finally:
        node.sock.close()
    assert status == 200
    s = parse(merged.decode())
    assert s[("lavametrics_node_up", (("node", "cut"),))] == 0
    assert s[("lavametrics_node_scrape_failures_total", (("node", "cut"), ("reason", "garbage")))] == 1
    assert b"upstream_frames_sent" not in merged and b"lavametrics_info" not in merged  # nothing of the node
    (result,) = server.collector.last_results
    assert result.error == f"garbage: body ended after {len(body) - 3} of {len(body)} bytes (Content-Length)"


# --- basic auth must not open up, leak or be spent by others ----------------------------------


def test_a_file_with_users_that_becomes_empty_or_invalid_fails_closed(fake_node, endpoint, tmp_path):
    web = tmp_path / "web.yml"
    hashed = bcrypt_hash("s3cret")
    good = f"basic_auth_users:\n  prometheus: {hashed}\n"
    web.write_text(good)
    logged = []
    server = endpoint([spec("a", fake_node())], web_file=web, log=logged.append)
    url = server.url + "/metrics"
    prometheus = {"Authorization": basic("prometheus", "s3cret")}
    assert get(url)[0] == 401 and get(url, headers=prometheus)[0] == 200
    web.write_text("")  # truncated, as an editor or `> web.yml` leaves it for a moment
    for headers in ({}, prometheus):
        status, _h, body = get(url, headers=headers)
        assert status == 500 and b"lavametrics_node_up" not in body
    web.write_text("basic_auth_users: {prometheus: \n")  # half written: invalid
    assert get(url)[0] == 500
    web.write_text("http_server_config: {headers: {X-Frame-Options: deny}}\n")  # valid, but no users
    assert get(url)[0] == 500
    dropped = [line for line in logged if "basic_auth_users" in line and "restart" in line]
    assert len(dropped) == 2, logged  # once per change of the file, not per request
    assert not any(hashed in line or "s3cret" in line for line in logged)
    web.write_text(good)
    assert get(url)[0] == 401 and get(url, headers=prometheus)[0] == 200


def test_a_header_with_cr_lf_never_reaches_a_response(fake_node, endpoint, tmp_path):
    web = tmp_path / "web.yml"
    web.write_text("http_server_config: {headers: {Content-Security-Policy: \"default-src 'self'\"}}\n")
    logged = []
    server = endpoint([spec("a", fake_node())], web_file=web, log=logged.append)
    web.write_text(
        "http_server_config: {headers: {Content-Security-Policy: \"default-src 'self'\\r\\nSet-Cookie: injected=1\"}}\n"
    )
    status, headers, _body = get(server.url + "/-/healthy")
    assert status == 500 and headers.get("Set-Cookie") is None
    assert "http_server_config.headers.Content-Security-Policy: must be one line" in logged[-1]


def test_anonymous_requests_do_not_spend_the_rate_limit_of_authorised_scrapers(fake_node, endpoint, tmp_path):
    web = tmp_path / "web.yml"
    web.write_text(
        f"basic_auth_users:\n  prometheus: {bcrypt_hash('s3cret')}\nrate_limit: {{interval: 1h, burst: 3}}\n"
    )
    server = endpoint([spec("a", fake_node())], web_file=web)
    url = server.url + "/metrics"
    prometheus = {"Authorization": basic("prometheus", "s3cret")}
    anonymous = [get(url)[0] for _ in range(20)]
    assert anonymous == [401] * 3 + [429] * 17
    # credentials never seen before come out of their own budget (the one bcrypt work is
    # bounded by), then the verified ones out of the authorised scrapers'
    assert get(url, headers=prometheus)[0] == 200
    wrong = [get(url, headers={"Authorization": basic("prometheus", f"guess-{i}")})[0] for i in range(5)]
    assert wrong == [401] * 2 + [429] * 3
    assert [get(url, headers=prometheus)[0] for _ in range(4)] == [200, 200, 200, 429]


def _median_401_seconds(url: str, user: str, n: int = 9) -> float:
    times = []
    for i in range(n):
        start = time.perf_counter()
        status, _h, _b = get(url, headers={"Authorization": basic(user, f"never-cached-{i}")})
        times.append(time.perf_counter() - start)
        assert status == 401
    return sorted(times)[n // 2]


def test_a_401_takes_as_long_for_an_unknown_user_as_for_the_costliest_known_one(fake_node, endpoint, tmp_path):
    # Costs 4 and 8 here: ~1 ms and ~18 ms of bcrypt. An unknown user checked against a decoy
    # of a fixed cost 10 (~70 ms) stood out; at the costliest user's cost it does not. The
    # ratio is wide (a busy 2-core machine), the difference it must catch is 4x.
    web = tmp_path / "web.yml"
    web.write_text(f"basic_auth_users:\n  cheap: {bcrypt_hash('a', cost=4)}\n  dear: {bcrypt_hash('b', cost=8)}\n")
    server = endpoint([spec("a", fake_node())], web_file=web)
    url = server.url + "/-/healthy"
    get(url)  # the first request pays for loading what the rest share
    unknown, dear = _median_401_seconds(url, "nobody"), _median_401_seconds(url, "dear")
    assert 0.5 < unknown / dear < 2.0, f"unknown user {unknown * 1000:.1f} ms, known user {dear * 1000:.1f} ms"


# --- OpenMetrics output ------------------------------------------------------------------------


def test_openmetrics_output_is_accepted_by_prometheus_clients_parser(fake_node, endpoint):
    # The 0.0.4 text format carries a counter's or histogram's creation time as a gauge
    # family X_created (simpleclient, prometheus_client); in OpenMetrics X_created belongs
    # to X, and a family of that name beside it makes the parser reject the whole answer.
    jvm = (
        "# HELP jvm_memory_pool_allocated_bytes_total Total bytes allocated in a given JVM memory pool.\n"
        "# TYPE jvm_memory_pool_allocated_bytes_total counter\n"
        'jvm_memory_pool_allocated_bytes_total{pool="Eden Space",} 1.0\n'
        'jvm_memory_pool_allocated_bytes_total{pool="Old Gen",} 2.0\n'
        "# HELP jvm_memory_pool_allocated_bytes_created Total bytes allocated in a given JVM memory pool.\n"
        "# TYPE jvm_memory_pool_allocated_bytes_created gauge\n"
        'jvm_memory_pool_allocated_bytes_created{pool="Eden Space",} 1.7E9\n'
        'jvm_memory_pool_allocated_bytes_created{pool="Old Gen",} 1.8E9\n'
    )
    server = endpoint([spec("a", fake_node(metrics_text=plugin_exposition(extra=jvm)))])
    status, headers, body = get(server.url + "/metrics", headers={"Accept": OM_ACCEPT})
    assert status == 200 and headers["Content-Type"].startswith("application/openmetrics-text")
    families = {f.name: f for f in om_parser.text_string_to_metric_families(body.decode())}
    jvm_family = families["jvm_memory_pool_allocated_bytes"]
    assert jvm_family.type == "counter"
    assert {(s.name, s.labels["pool"]): s.value for s in jvm_family.samples} == {
        ("jvm_memory_pool_allocated_bytes_total", "Eden Space"): 1.0,
        ("jvm_memory_pool_allocated_bytes_created", "Eden Space"): 1.7e9,
        ("jvm_memory_pool_allocated_bytes_total", "Old Gen"): 2.0,
        ("jvm_memory_pool_allocated_bytes_created", "Old Gen"): 1.8e9,
    }
    assert "jvm_memory_pool_allocated_bytes_created" not in families
    # the plugin's histograms and counters (prometheus_client's text, with their _created) too
    loads = next(f for f in families.values() if f.type == "histogram")
    assert any(s.name == loads.name + "_created" for s in loads.samples)
    # the 0.0.4 text keeps the node's gauge families as they are
    text = get(server.url + "/metrics")[2]
    assert b"# TYPE jvm_memory_pool_allocated_bytes_created gauge" in text


def test_a_node_over_the_default_series_limit_is_a_failed_scrape_not_a_memory_hog(fake_node, endpoint):
    # A 20 MiB body of 1.3 M tiny series took 0.85 GB (text) to 1.4 GB (OpenMetrics) and
    # 15-43 s to merge: bytes alone do not bound the cost, series do. Just over the default.
    lines = "".join(f't{{a="{i:x}"}} 1\n' for i in range(DEFAULT_SERIES_LIMIT + 1))
    many = fake_node(metrics_text=plugin_exposition(extra="# TYPE t gauge\n" + lines))
    many.api_status = 500  # no /v4/stats to fall back on
    good = fake_node()
    server = endpoint([spec("many", many), spec("good", good)])
    status, _h, body = get(server.url + "/metrics")
    assert status == 200
    s = parse(body.decode())
    assert s[("lavametrics_node_up", (("node", "many"),))] == 0
    assert s[("lavametrics_node_up", (("node", "good"),))] == 1
    assert s[("lavametrics_node_scrape_failures_total", (("node", "many"), ("reason", "too_large")))] == 1
    assert b't{a="0"' not in body
    result = next(r for r in server.collector.last_results if r.name == "many")
    assert result.error.startswith("too large: ") and f"over the limit of {DEFAULT_SERIES_LIMIT} series" in result.error
