"""An HTTP audio source on loopback whose speed can be turned down: a slow source, on demand.

The local stack's players stream a WAV file from here through Lavalink's ``http`` source, as
they would stream from any web radio or CDN. :meth:`AudioServer.set_loss` makes every stream
deliver only ``1 - share`` of real time, so lavaplayer's buffer runs dry and the node pulls
empty frames (``lavametrics_frames_nulled_total``): the frame loss a struggling source causes,
on a real node, with nothing changed in the node. ``set_loss(0)`` gives full speed again.
:meth:`AudioServer.set_refusal` makes it answer every request with an HTTP error instead (403 as a
CDN or YouTube refusing the node's address, 429 as a rate limit): the node's loads and plays of it
fail through lavaplayer's own http source, as a blocked source's do.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHUNK = 3840  # 20 ms of 48 kHz stereo 16-bit audio
BYTES_PER_SECOND = 48_000 * 4
SEND_BUFFER = 64 * 1024  # small, so a slowdown reaches the player within seconds


class AudioServer:
    def __init__(self, path: Path, host: str = "127.0.0.1", port: int = 0):
        self.path = Path(path)
        self.size = self.path.stat().st_size
        self._loss = 0.0
        self._refusal: int | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_HEAD(self):  # noqa: N802 (http.server API)
                self._answer(body=False)

            def do_GET(self):  # noqa: N802
                self._answer(body=True)

            def _answer(self, body: bool) -> None:
                if self.path.split("?", 1)[0] != "/" + server.path.name:
                    self.send_error(404)
                    return
                refusal = server._refusal
                if refusal is not None:
                    self.send_response(refusal)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                start = 0
                m = re.fullmatch(r"bytes=(\d+)-\d*", self.headers.get("Range", ""))
                if m and int(m.group(1)) < server.size:
                    start = int(m.group(1))
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{server.size - 1}/{server.size}")
                else:
                    self.send_response(200)
                self.send_header("Content-Type", "audio/wav")
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(server.size - start))
                self.end_headers()
                if body:
                    try:
                        server._stream(self.connection, start)
                    except (BrokenPipeError, ConnectionResetError, TimeoutError):
                        pass  # a probe that read the header, or a player that stopped
                self.close_connection = True

            def log_message(self, fmt, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def server_bind(self):
                self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
                super().server_bind()

        self.server = Server((host, port), Handler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = str(self.server.server_address[0]), self.server.server_address[1]
        return f"http://{host}:{port}/{self.path.name}"

    @property
    def loss(self) -> float:
        return self._loss

    def set_loss(self, share: float) -> None:
        """Deliver only ``1 - share`` of real time from now on (0: as fast as the reader reads)."""
        if not 0.0 <= share < 1.0:
            raise ValueError(f"loss share {share} is outside [0, 1)")
        self._loss = share

    @property
    def refusal(self) -> int | None:
        return self._refusal

    def set_refusal(self, status: int | None) -> None:
        """Answer every request with ``status`` (an HTTP 4xx) from now on; None serves audio again."""
        if status is not None and not 400 <= status <= 499:
            raise ValueError(f"refusal status {status} is not an HTTP 4xx")
        self._refusal = status

    def _stream(self, conn: socket.socket, start: int) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        with self.path.open("rb") as fh:
            fh.seek(start)
            while chunk := fh.read(CHUNK):
                loss = self._loss
                if loss:
                    time.sleep(len(chunk) / (BYTES_PER_SECOND * (1.0 - loss)))
                conn.sendall(chunk)

    def start(self) -> AudioServer:
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, name="audio-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join(5)
        self.server.server_close()
