"""The one HTTP helper (httpfetch.fetch) keeps credentials at their origin and keeps its deadline.

Every request lavametrics makes (scrapes, Lavalink REST, the auth probes of `check`) goes
through ``fetch``, so these tests drive it and the commands built on it against real
loopback servers: one that redirects, one that records what reached it, one that drips.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lavametrics.cli import main
from lavametrics.httpfetch import Auth, FetchError, fetch, redact_url
from lavametrics.lavalink.rest import LavalinkClient, LavalinkError


class Recorder:
    """Answers every GET with 200 JSON and remembers the headers each request carried."""

    def __init__(self):
        self.requests: list[dict] = []
        rec = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):  # noqa: N802
                rec.requests.append({"path": self.path, "headers": dict(self.headers)})
                body = json.dumps({"players": 0, "uptime": 1}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Redirector(Recorder):
    """Answers ``code`` with Location: ``target`` + the request path (a recorder as well)."""

    def __init__(self, target: str, code: int = 302):
        self.requests = []
        rec = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):  # noqa: N802
                rec.requests.append({"path": self.path, "headers": dict(self.headers)})
                if self.path.startswith("/final"):  # same-origin target of the local redirect
                    body = b"ok"
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(code)
                self.send_header("Location", rec.target + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.target = target
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def servers():
    made = []

    def make(cls, *args, **kwargs):
        s = cls(*args, **kwargs)
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
@pytest.mark.parametrize(
    "auth",
    [Auth(raw="lavalink-pass-1"), Auth(bearer_token="tok-2"), Auth(username="prom", password="basic-pw-3")],
    ids=["raw", "bearer", "basic"],
)
def test_a_redirect_to_another_origin_is_refused_and_sends_nothing_there(servers, code, auth):
    elsewhere = servers(Recorder)
    redirector = servers(Redirector, elsewhere.url, code)
    with pytest.raises(FetchError) as info:
        fetch(redirector.url + "/v4/info", timeout=5, auth=auth)
    assert elsewhere.requests == []  # the credentials never left the configured origin
    assert redirector.requests[0]["headers"]["Authorization"] == auth.header()
    err = info.value
    assert err.status == code and err.reason == f"http {code}"
    assert elsewhere.url in err.detail and "another origin" in err.detail and "\n" not in str(err)


def test_a_same_origin_redirect_is_followed_with_the_credentials(servers):
    redirector = servers(Redirector, "", 302)
    redirector.target = redirector.url + "/final"
    status, _ctype, body, _h = fetch(redirector.url + "/metrics", timeout=5, auth=Auth(bearer_token="tok"))
    assert (status, body) == (200, b"ok")
    assert [r["path"] for r in redirector.requests] == ["/metrics", "/final/metrics"]
    assert all(r["headers"]["Authorization"] == "Bearer tok" for r in redirector.requests)


def test_another_port_on_the_same_host_is_another_origin(servers):
    elsewhere = servers(Recorder)
    redirector = servers(Redirector, elsewhere.url.replace("127.0.0.1", "localhost"))
    with pytest.raises(FetchError, match="another origin"):
        fetch(redirector.url + "/x", timeout=5, auth=Auth(raw="pw"))
    assert elsewhere.requests == []


def test_lavalink_client_does_not_follow_a_cross_origin_redirect(servers):
    elsewhere = servers(Recorder)
    redirector = servers(Redirector, elsewhere.url)
    with pytest.raises(LavalinkError) as info:
        LavalinkClient(redirector.url, "youshallnotpass").stats()
    assert info.value.reason == "http 302" and "another origin" in info.value.detail
    assert elsewhere.requests == []


def test_check_sends_neither_password_nor_token_across_a_redirect(servers, capsys):
    elsewhere = servers(Recorder)
    redirector = servers(Redirector, elsewhere.url)
    code = main(
        [
            "check",
            redirector.url,
            "--password",
            "lavalink-secret",
            "--metrics-bearer",
            "bearer-secret",
            "--timeout",
            "5",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 2
    assert elsewhere.requests == []
    assert err.count("\n") == 1 and "another origin" in err, err
    assert "lavalink-secret" not in out + err and "bearer-secret" not in out + err


def test_check_metrics_redirect_to_another_origin(fake_node, servers, capsys):
    """/v4/* answer normally; only the metrics URL redirects (a proxy in front of it)."""
    node = fake_node(metrics_auth=("bearer", "tok"))
    redirector = servers(Redirector, node.url)
    code = main(
        [
            "check",
            node.url,
            "--password",
            node.password,
            "--metrics-url",
            redirector.url + "/metrics",
            "--metrics-bearer",
            "tok",
            "--json",
        ]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert "/metrics" not in node.requests  # the fake node never saw the bearer token via the redirect
    assert "another origin" in data["nodes"][0]["reason"]


def test_serve_collector_sends_no_credentials_across_a_redirect(servers):
    """serve's collector scrapes the metrics URL and, when that fails, polls /v4/stats: both
    carry credentials, both go through fetch."""
    from lavametrics.monitor.merge import NodeMetricsCollector
    from lavametrics.monitor.nodesfile import NodeSpec

    elsewhere = servers(Recorder)
    redirector = servers(Redirector, elsewhere.url)
    node = NodeSpec("n", redirector.url, "lava-pw", redirector.url + "/metrics", Auth(bearer_token="tok"))
    collector = NodeMetricsCollector([node], timeout=5, stats_fallback=True)
    try:
        (result,) = collector.scrape_all()
    finally:
        collector.close()
    assert not result.up and "another origin" in result.error
    assert [r["path"] for r in redirector.requests] == ["/metrics", "/v4/stats"]  # both tried, neither followed
    assert elsewhere.requests == []


# --- one deadline per request ------------------------------------------------------------


class Dripper:
    """A raw TCP server that answers with a status line and then one header line (or one body
    byte) every ``interval`` seconds for ``duration`` seconds: each read is quick, the whole
    answer is not."""

    def __init__(self, phase: str, interval: float = 0.25, duration: float = 8.0):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stopped = threading.Event()
        self.phase, self.interval, self.duration = phase, interval, duration
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn):
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n")
                if self.phase == "body":
                    conn.sendall(b"Content-Length: 1000\r\n\r\n")
                end = time.monotonic() + self.duration
                n = 0
                while time.monotonic() < end and not self.stopped.wait(self.interval):
                    conn.sendall(b"x" if self.phase == "body" else f"X-Drip-{n}: {n}\r\n".encode())
                    n += 1
            except OSError:
                pass

    def stop(self):
        self.stopped.set()
        self.sock.close()


@pytest.mark.parametrize("phase", ["headers", "body"])
def test_a_dripping_server_cannot_hold_a_request_past_its_timeout(phase):
    dripper = Dripper(phase)
    try:
        start = time.monotonic()
        with pytest.raises(FetchError) as info:
            fetch(dripper.url + "/metrics", timeout=1.0)
        elapsed = time.monotonic() - start
    finally:
        dripper.stop()
    assert info.value.reason == "timeout"
    assert elapsed < 1.0 + 1.5, f"took {elapsed:.1f}s for a 1s timeout"


def test_check_timeout_covers_a_dripping_status_line(capsys):
    dripper = Dripper("headers")
    try:
        start = time.monotonic()
        code = main(["check", dripper.url, "--password", "x", "--timeout", "1"])
        elapsed = time.monotonic() - start
    finally:
        dripper.stop()
    err = capsys.readouterr().err
    assert code == 2 and "timeout" in err
    assert elapsed < 1.0 + 1.5, f"took {elapsed:.1f}s for --timeout 1"


@pytest.mark.parametrize("timeout", [float("inf"), float("nan"), 1e308, -1.0])
def test_fetch_refuses_impossible_timeouts_without_a_traceback_from_the_socket(timeout):
    with pytest.raises((FetchError, ValueError)):
        fetch("http://127.0.0.1:1/", timeout=timeout)


# --- URLs with credentials in them ---------------------------------------------------------


def test_redact_url_masks_userinfo_and_query_values():
    assert redact_url("http://u:pw@h:1/p?token=abc&x=1") == "http://u:****@h:1/p?token=****&x=****"
    assert redact_url("http://h:1/metrics") == "http://h:1/metrics"


def test_fetch_refuses_a_url_with_userinfo_without_echoing_the_password():
    with pytest.raises(FetchError) as info:
        fetch("http://prom:hunter2@127.0.0.1:1/metrics", timeout=1)
    assert "hunter2" not in str(info.value) and "hunter2" not in info.value.url
    assert "user:password@" in str(info.value)


def test_fetch_refuses_non_http_schemes(tmp_path):
    secret = tmp_path / "s.txt"
    secret.write_text("secret")
    with pytest.raises(FetchError, match="http"):
        fetch(secret.as_uri(), timeout=1)


def test_a_redirect_loop_ends_after_a_few_hops(servers):
    loop = servers(Redirector, "", 302)
    loop.target = loop.url  # /x -> /x/x -> ...: always the same origin
    with pytest.raises(FetchError, match="more than 5 redirects") as info:
        fetch(loop.url + "/x", timeout=5)
    assert len(loop.requests) == 6 and info.value.status == 302


def test_scrape_and_rest_errors_are_fetch_errors_with_the_url_redacted():
    """One error base for every HTTP caller: a handler catching FetchError sees all of them."""
    from lavametrics.monitor.scrape import ScrapeError, scrape

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(ScrapeError) as scraped:
        scrape(f"http://127.0.0.1:{port}/metrics?token=s3cret", timeout=2)
    with pytest.raises(LavalinkError) as rest:
        LavalinkClient(f"http://127.0.0.1:{port}", "pw", timeout=2).version()
    for info in (scraped, rest):
        assert isinstance(info.value, FetchError)
        assert info.value.reason == "unreachable"
        assert "s3cret" not in str(info.value)
