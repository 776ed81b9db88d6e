"""The HTTP server of our metrics endpoints (``lavametrics serve``, a bot's /metrics): any
prometheus_client registry, served within bounds.

It serves with prometheus_client's encoder choice (text or OpenMetrics by Accept header). The
plain 0.0.4 text format, what Prometheus asks for by default, is rendered by
``exposition.render`` (same bytes as ``generate_latest``, several times faster).

What makes it fit to face the network:

- a web configuration (``gate``, the exporter-toolkit format): TLS, client certificates,
  bcrypt basic auth, extra headers, a rate limit; a file is re-read when it changes;
- requests are served concurrently, each connection with socket timeouts and a deadline on
  its whole request head, so neither a silent client nor one dripping bytes can hold a
  thread for long; and slots are shared fairly (``connslots``): a connection still sending
  its head, or refused by the web configuration, never holds one of the ``max_connections``
  serving slots, and under pressure the oldest unfinished head makes room for newcomers;
- concurrent requests for one format share one rendering (``singleflight``), so N
  Prometheus replicas cost one collection, not N.
"""

from __future__ import annotations

import io
import os
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar, cast

from prometheus_client.exposition import choose_encoder, generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from lavametrics.exposition.openmetrics import FoldedCreated
from lavametrics.exposition.parse import is_openmetrics
from lavametrics.exposition.render import render
from lavametrics.http import tls
from lavametrics.http.connslots import Arrival, ConnectionSlots, head_already_complete
from lavametrics.http.gate import WebGate
from lavametrics.http.webconfig import WebConfigError
from lavametrics.singleflight import SingleFlight

METRICS_PATH = "/metrics"
DEFAULT_MAX_CONNECTIONS = 64
SOCKET_TIMEOUT = 10.0  # reading a request or the TLS handshake; not the scrape itself

_STATUS_TEXT = {
    401: "unauthorized",
    429: "too many requests",
    500: "the web configuration file is invalid (see the server's stderr)",
    503: "too busy: no connection slot came free in time",
}


def make_handler(registry: CollectorRegistry, path: str = METRICS_PATH, web: WebGate | None = None):
    renders = SingleFlight()

    class Handler(BaseHTTPRequestHandler):
        server_version = "lavametrics"
        server: MetricsHTTPServer
        renders: ClassVar[SingleFlight]

        def setup(self):
            # read by StreamRequestHandler.setup; per connection, as each server has its own
            self.timeout = self.server.socket_timeout  # type: ignore[misc]  # a ClassVar in typeshed
            super().setup()
            self.rfile.close()  # else it holds the socket open after the server closes it
            self.rfile = io.BufferedReader(_HeadDeadline(self.connection, self.timeout))

        def parse_request(self):
            ok = super().parse_request()
            if not self.server.slots.finish_head(self.server.arrival()):
                self.close_connection = True  # pushed out while its head came in: nobody to answer
                return False
            self.connection.settimeout(self.timeout)  # the head is in: writing gets the full timeout
            return ok

        def do_GET(self):  # noqa: N802 (http.server API)
            extra: tuple[tuple[str, str], ...] = ()
            if web is not None:
                verdict = web.admit(self.headers.get("Authorization"))
                extra = verdict.headers
                if verdict.status:  # answered from the arriving slot: refusals never take a serving one
                    body = f"{_STATUS_TEXT[verdict.status]}\n".encode()
                    return self._answer(verdict.status, body, "text/plain; charset=utf-8", extra)
            with self.server.slots.serving(self.server.arrival(), self.server.socket_timeout) as got:
                if not got:
                    return self._answer(503, f"{_STATUS_TEXT[503]}\n".encode(), "text/plain; charset=utf-8", extra)
                self._serve(extra)

        def _serve(self, extra) -> None:
            route = self.path.split("?", 1)[0]
            if route == path:
                encoder, ctype = choose_encoder(self.headers.get("Accept", ""))
                source = registry
                if encoder is generate_latest:  # not a partial with another escaping or format
                    encoder = _render_text
                elif is_openmetrics(ctype):
                    source = cast(CollectorRegistry, FoldedCreated(registry))  # the encoder only calls collect()
                try:
                    # requests arriving while a rendering of this format is under way share it
                    body = renders.do(ctype, lambda: encoder(source))
                    status = 200
                except Exception as exc:  # never let one bad family take the process down
                    # the type and where, never the message: a collector's message may hold
                    # anything (a URL with its token, say) and the client is not its audience
                    failure = f"collecting metrics failed: {type(exc).__name__}{_raised_at(exc)}"
                    print(f"lavametrics: {failure}", file=sys.stderr, flush=True)
                    body, status, ctype = f"lavametrics: {failure}\n".encode(), 500, "text/plain; charset=utf-8"
            elif route in ("/", "/-/healthy"):
                body, status, ctype = f"lavametrics: metrics at {path}\n".encode(), 200, "text/plain; charset=utf-8"
            else:
                body, status, ctype = b"not found\n", 404, "text/plain; charset=utf-8"
            self._answer(status, body, ctype, extra)

        def _answer(self, status, body: bytes, ctype: str, extra) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for name, value in extra:
                self.send_header(name, value)
            self.end_headers()
            try:
                self.wfile.write(body)
            except (TimeoutError, BrokenPipeError, ConnectionResetError):
                pass  # the scraper gave up (its own timeout): nothing to tell it

        def log_message(self, fmt, *args):  # scrapes every 15 s would flood stderr
            pass

    Handler.renders = renders
    return Handler


def _raised_at(exc: BaseException) -> str:
    """Where ``exc`` was raised, as ' at file:line' of its innermost frame ('' when unknown)."""
    tb = exc.__traceback__
    if tb is None:
        return ""
    while tb.tb_next is not None:
        tb = tb.tb_next
    return f" at {os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno}"


class _HeadDeadline(io.RawIOBase):
    """A connection's input, each read limited to what is left of one deadline.

    The socket timeout bounds a single read only: a client sending its request head a byte
    at a time, each within the timeout, would hold its thread (one of ``max_connections``)
    as long as it liked. A scrape sends its head at once.
    """

    def __init__(self, connection: socket.socket, seconds: float):
        self._connection = connection
        self._deadline = time.monotonic() + seconds

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("request head not received in time")
        self._connection.settimeout(left)
        return self._connection.recv_into(buffer)


def _render_text(registry: Collector) -> bytes:
    return render(registry.collect())


class MetricsHTTPServer(ThreadingHTTPServer):
    """A thread per connection; slots as ``connslots`` decides, ``max_connections`` of them
    for serving and as many for connections still arriving; TLS from ``web``.

    The TLS handshake runs in the connection's thread, never in the accept loop, so a client
    that connects and says nothing delays nobody else.
    """

    daemon_threads = True
    request_queue_size = 128
    socket_timeout = SOCKET_TIMEOUT

    def __init__(self, address, handler, web: WebGate | None = None, max_connections: int = DEFAULT_MAX_CONNECTIONS):
        self.web = web
        self.max_connections = max_connections
        self.slots = ConnectionSlots(max_connections)
        self._local = threading.local()  # the connection's Arrival, for its handler
        self._closing = threading.Event()
        super().__init__(address, handler)

    @property
    def scheme(self) -> str:
        return "https" if self.web is not None and self.web.tls_enabled else "http"

    def arrival(self) -> Arrival:
        return self._local.arrival

    def process_request(self, request, client_address):
        # the head deadline shrinks to a tenth of the socket timeout under pressure
        self.slots.grace = self.socket_timeout / 10
        plain = self.web is None or not self.web.tls_enabled
        arrival = self.slots.arrive(
            request, client_address[0], self._closing, head_done=plain and head_already_complete(request)
        )
        if arrival is None:
            self.shutdown_request(request)
            return
        try:
            threading.Thread(
                target=self._serve_connection, args=(request, client_address, arrival), daemon=True
            ).start()
        except BaseException:
            self.slots.leave(arrival)
            self.shutdown_request(request)
            raise

    def _serve_connection(self, request, client_address, arrival: Arrival):
        # process_request_thread, with the slot given back before the socket closes (an
        # eviction shuts down the socket of an arrival it finds: never another's)
        self._local.arrival = arrival
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.slots.leave(arrival)
            self.shutdown_request(request)

    def finish_request(self, request, client_address):
        if self.web is None or not self.web.tls_enabled:
            return super().finish_request(request, client_address)
        request.settimeout(self.socket_timeout)
        try:
            context = self.web.tls_context()
            conn = context.wrap_socket(request, server_side=True, do_handshake_on_connect=False)
        except (WebConfigError, ssl.SSLError, OSError):
            return  # a bad config file was reported when seen
        self.slots.rebind(self.arrival(), conn)  # `request` is detached now: evict through conn
        try:
            conn.do_handshake()
            config = self.web.current()
            if config.tls is not None and not tls.peer_allowed(config.tls, conn):
                return
            super().finish_request(conn, client_address)  # the handler, on the TLS socket
        except (WebConfigError, ssl.SSLError, OSError):
            # a port scanner, a plain-HTTP client, a refused client certificate, a connection
            # pushed out while handshaking: nothing to answer on a connection without TLS
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass

    @property
    def active_connections(self) -> int:
        return self.slots.active

    def shutdown(self):
        self._closing.set()
        super().shutdown()

    def server_close(self):
        self._closing.set()
        super().server_close()


def start_server(
    registry: CollectorRegistry,
    host: str,
    port: int,
    web: WebGate | None = None,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
) -> MetricsHTTPServer:
    """Serve ``registry`` in a daemon thread; ``server.shutdown(); server.server_close()`` stops it."""
    server = MetricsHTTPServer((host, port), make_handler(registry, web=web), web=web, max_connections=max_connections)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True, name="lavametrics-metrics-http"
    ).start()
    return server
