"""``lavametrics serve``: one HTTP endpoint exposing the merge of all nodes.

The server (``MetricsHTTPServer``) serves any prometheus_client registry -- the merge here,
a bot's own registry in ``bot.start_metrics_server_from_env`` -- with prometheus_client's
encoder choice (text or OpenMetrics by Accept header). The plain 0.0.4 text format, what
Prometheus asks for by default, is rendered by ``exposition_text`` (same bytes as
``generate_latest``, several times faster).

What makes it fit to face the network:

- a web configuration file (``webconfig``, the exporter-toolkit format): TLS, client
  certificates, bcrypt basic auth, extra headers, a rate limit; re-read when it changes;
- requests are served concurrently, each connection with socket timeouts and a deadline on
  its whole request head, so neither a silent client nor one dripping bytes can hold a
  thread for long; and slots are shared fairly (``connslots``): a connection still sending
  its head, or refused by the web configuration, never holds one of the ``max_connections``
  serving slots, and under pressure the oldest unfinished head makes room for newcomers;
- concurrent requests share one rendering (and through ``NodeMetricsCollector`` one scrape
  round of every node): N Prometheus replicas cost one upstream scrape, not N.
"""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, cast

from prometheus_client.exposition import choose_encoder, generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from lavametrics.exposition import render as exposition_text
from lavametrics.exposition.openmetrics import FoldedCreated
from lavametrics.exposition.parse import is_openmetrics
from lavametrics.httpfetch import MAX_BODY_BYTES
from lavametrics.monitor.collector import MAX_SERIES, NodeMetricsCollector
from lavametrics.monitor.connslots import Arrival, ConnectionSlots, head_already_complete
from lavametrics.monitor.nodesfile import NodeSpec
from lavametrics.monitor.singleflight import SingleFlight
from lavametrics.webconfig import WebConfigError, WebConfigFile, WebGate

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
    return exposition_text.render(registry.collect())


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
            if config.tls is not None and not config.tls.peer_allowed(conn):
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


_SIZE = re.compile(r"(\d+)\s*(B|KiB|MiB|GiB)?")
_SIZE_UNITS = {None: 1, "B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}


def parse_size(text: str) -> int:
    """ "20MiB", "512KiB", "1048576" -> bytes; ValueError for anything else (or 0)."""
    m = _SIZE.fullmatch(text.strip())
    if m is None or int(m.group(1)) == 0:
        raise ValueError(text)
    return int(m.group(1)) * _SIZE_UNITS[m.group(2)]


def build(
    nodes: list[NodeSpec],
    host: str,
    port: int,
    timeout: float = 5.0,
    *,
    web: WebGate | None = None,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    max_body_bytes: int = MAX_BODY_BYTES,
    max_series: int = MAX_SERIES,
):
    collector = NodeMetricsCollector(nodes, timeout=timeout, max_body_bytes=max_body_bytes, max_series=max_series)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    try:
        server = MetricsHTTPServer(
            (host, port), make_handler(registry, web=web), web=web, max_connections=max_connections
        )
    except BaseException:
        collector.close()
        raise
    return server, collector


def serve(
    nodes: list[NodeSpec],
    host: str = "127.0.0.1",
    port: int = 9478,
    timeout: float = 5.0,
    ready=None,
    *,
    web_config_file: str | None = None,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    max_body_bytes: int = MAX_BODY_BYTES,
    max_series: int = MAX_SERIES,
) -> int:
    """Serve until SIGTERM or Ctrl-C. A bad ``web_config_file`` raises WebConfigError first."""
    web = WebConfigFile(web_config_file) if web_config_file else None
    server, collector = build(
        nodes,
        host,
        port,
        timeout,
        web=web,
        max_connections=max_connections,
        max_body_bytes=max_body_bytes,
        max_series=max_series,
    )

    def on_term(_signo, _frame):
        raise KeyboardInterrupt

    # SIGINT is set explicitly too: a process started in the background by a shell without
    # job control (`lavametrics serve &` in a script, many CI runners) inherits SIGINT
    # ignored, and Python then leaves it ignored, so Ctrl-C / kill -INT would never stop it.
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signo in (signal.SIGINT, signal.SIGTERM):
            previous[signo] = signal.signal(signo, on_term)
    if ready is not None:
        ready(server)
    security = f" ({web.describe()})" if web is not None else ""
    print(
        f"lavametrics: serving {len(nodes)} node(s) on {server.scheme}://{host}:{server.server_address[1]}"
        f"{METRICS_PATH}{security}",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        collector.close()
        for signo, handler in previous.items():
            if handler is not None:  # None: set outside Python, nothing to put back
                signal.signal(signo, handler)
    return 0
