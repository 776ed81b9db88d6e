"""VoiceSimulator: a loopback stand-in for a Discord voice server (gateway + UDP)."""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lavametrics.devtools.voicesim import tls
from lavametrics.devtools.voicesim.gateway import MODES, VoiceGateway
from lavametrics.devtools.voicesim.udp import (
    DEFAULT_RCVBUF,
    AsyncioUdpReader,
    StreamStats,
    ThreadedUdpReader,
    UdpCounter,
    kernel_drops,
    open_udp_socket,
)

log = logging.getLogger(__name__)


class VoiceSimulator:
    """Discord's voice server on 127.0.0.1, for a node's voice client to connect to.

    ``start()`` runs it in a background thread with its own asyncio loop; every other method is
    meant to be called from ordinary synchronous code (tests).  Also a context manager.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        gateway_port: int = 0,
        udp_port: int = 0,
        workdir: str | Path | None = None,
        modes: list[str] | None = None,
        heartbeat_interval_ms: int = 13750,
        heartbeat_timeout_factor: float | None = 2.5,
        hello_on_connect: bool = True,
        token_check: Callable[[dict], bool] | None = None,
        udp_backend: str = "thread",
        rcvbuf: int = DEFAULT_RCVBUF,
        merge_jdk_cacerts: bool = False,
    ):
        if udp_backend not in ("thread", "asyncio"):
            raise ValueError("udp_backend is 'thread' or 'asyncio'")
        self.host = host
        self._gateway_port_req = gateway_port
        self._udp_port_req = udp_port
        self._own_workdir = workdir is None
        self.workdir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="voicesim-"))
        self.udp_backend = udp_backend
        self.rcvbuf = rcvbuf
        self.merge_jdk_cacerts = merge_jdk_cacerts
        self.counter = UdpCounter(on_discovery=self._on_discovery)
        self.gateway = VoiceGateway(
            lambda: self.udp_port,
            modes=modes or MODES,
            heartbeat_interval_ms=heartbeat_interval_ms,
            heartbeat_timeout_factor=heartbeat_timeout_factor,
            hello_on_connect=hello_on_connect,
            token_check=token_check,
            ip=host,
        )
        self._certs: tls.CertPair | None = None
        self._truststore: Path | None = None
        self._truststore_password: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server = None
        self._sock: socket.socket | None = None
        self._reader: ThreadedUdpReader | AsyncioUdpReader | None = None
        self._discoveries: dict[int, tuple[str, int]] = {}
        self.gateway_port = 0
        self.udp_port = 0
        self._paused = False

    # --- lifecycle -----------------------------------------------------------------------
    def start(self) -> VoiceSimulator:
        if self._thread is not None:
            return self
        # the sim extra: missing, it fails here (the CLI says "install lavametrics[sim]"), not
        # inside the event loop after the certificates are made
        import websockets  # noqa: F401

        self._certs = tls.make_self_signed(self.workdir)
        ssl_ctx = tls.server_context(self._certs)
        self._sock = open_udp_socket(self.host, self._udp_port_req, self.rcvbuf)
        self.udp_port = self._sock.getsockname()[1]
        loop = asyncio.new_event_loop()
        self._loop = loop
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run_loop, args=(loop, ready), name="voicesim-loop", daemon=True)
        self._thread.start()
        ready.wait()
        try:
            server = self._server = self._call(self._serve(ssl_ctx), timeout=10)
        except Exception:
            self.stop()
            raise
        self.gateway_port = server.sockets[0].getsockname()[1]
        if self.udp_backend == "thread":
            self._reader = ThreadedUdpReader(self._sock, self.counter)
        else:
            self._reader = AsyncioUdpReader(self._sock, self.counter, loop)
        self._reader.start()
        log.info(
            "voice simulator: gateway wss://%s (udp %s:%d, %s reader, rcvbuf %d)",
            self.endpoint,
            self.host,
            self.udp_port,
            self.udp_backend,
            self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF),
        )
        return self

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _serve(self, ssl_ctx):
        from websockets.asyncio.server import serve

        # ping_interval=None: Koe's netty handler never answers websocket pings, and Discord's
        # voice gateway relies on op 3/op 6 heartbeats instead.
        return await serve(
            self.gateway.handle,
            self.host,
            self._gateway_port_req,
            ssl=ssl_ctx,
            ping_interval=None,
            close_timeout=2,
            compression=None,
            max_size=2**20,
        )

    def _call(self, coro, timeout: float = 10) -> Any:
        if self._loop is None:
            raise RuntimeError("the simulator is not started")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and thread is not None and thread.is_alive():

            async def _shutdown():
                for conn in list(self.gateway.connections):
                    try:
                        await asyncio.wait_for(conn.ws.close(1001, "simulator stopping"), 3)
                    except Exception:  # noqa: BLE001
                        pass
                if self._server is not None:
                    self._server.close()
                    try:
                        await asyncio.wait_for(self._server.wait_closed(), 3)
                    except Exception:  # noqa: BLE001
                        pass

            try:
                self._call(_shutdown(), timeout=10)
            except Exception:  # noqa: BLE001
                log.exception("voice simulator: shutdown failed")
        if self._reader is not None:
            self._reader.stop()
            self._reader = None
        if loop is not None and thread is not None:
            if thread.is_alive():
                loop.call_soon_threadsafe(loop.stop)
                thread.join(5)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._loop = self._thread = self._server = None
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        log.info("voice simulator stopped")

    def __enter__(self) -> VoiceSimulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- addresses and TLS -----------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        """What a bot sends as the voice server ``endpoint`` (Koe builds ``wss://<it>/?v=N``)."""
        return f"{self.host}:{self.gateway_port}"

    def url(self, version: int = 4) -> str:
        return f"wss://{self.endpoint}/?v={version}"

    @property
    def cert_path(self) -> Path:
        if self._certs is None:
            raise RuntimeError("the simulator is not started")
        return self._certs.cert_path

    def client_ssl_context(self):
        """An ``ssl.SSLContext`` for Python clients that trusts the simulator's certificate."""
        return tls.client_context(self.cert_path)

    def write_truststore(self, path: str | Path | None = None) -> Path:
        """Write (once) the PKCS12 truststore for the JVM; ``keytool`` takes about a second."""
        if self._truststore is None or (path is not None and Path(path) != self._truststore):
            target = Path(path) if path is not None else self.workdir / "voicesim-truststore.p12"
            saved = target.with_suffix(".password")
            # In a kept workdir the certificate is reused, so is the store a running node already trusts.
            if not self._own_workdir and target.is_file() and saved.is_file():
                self._truststore_password = saved.read_text().strip()
            else:
                self._truststore_password = tls.write_truststore(
                    self.cert_path, target, merge_jdk_cacerts=self.merge_jdk_cacerts
                )
                saved.write_text(self._truststore_password + "\n")
                saved.chmod(0o600)
            self._truststore = target
        return self._truststore

    @property
    def truststore_path(self) -> Path:
        return self.write_truststore()

    @property
    def truststore_password(self) -> str:
        self.write_truststore()
        assert self._truststore_password is not None
        return self._truststore_password

    def jvm_args(self) -> list[str]:
        return [
            f"-Djavax.net.ssl.trustStore={self.truststore_path}",
            f"-Djavax.net.ssl.trustStorePassword={self.truststore_password}",
            "-Djavax.net.ssl.trustStoreType=PKCS12",
        ]

    # --- controls --------------------------------------------------------------------------
    def close(self, guild_id: str | int, code: int, reason: str = "") -> bool:
        """Close that guild's voice websocket with ``code``; False if it has no open connection."""
        s = self.gateway.sessions.get(str(guild_id))
        if s is None or s.conn is None:
            return False
        ws = s.conn.ws
        log.info("voice simulator: closing guild %s with %d %s", guild_id, code, reason)
        self._call(ws.close(code, reason), timeout=10)
        return True

    def go_silent(self, guild_id: str | int, silent: bool = True) -> None:
        """Stop (or with ``silent=False`` resume) acking that guild's heartbeats."""
        g = str(guild_id)
        if silent:
            self.gateway.silent_guilds.add(g)
        else:
            self.gateway.silent_guilds.discard(g)
        s = self.gateway.sessions.get(g)
        if s is not None:
            s.silent = silent

    def set_ready_delay(self, seconds: float) -> None:
        """Answer every later IDENTIFY with READY only after ``seconds``: the voice server is slow to
        hand out the session, so connects take that much longer (0 restores the immediate answer)."""
        if not 0 <= seconds <= 60:
            raise ValueError(f"ready delay {seconds!r}: must be within 0..60 seconds")
        self.gateway.ready_delay = float(seconds)

    def pause_reading(self) -> None:
        """Stop reading the UDP socket: datagrams queue in the kernel, then get dropped."""
        if self._reader is not None and not self._paused:
            self._reader.pause()
            self._paused = True

    def resume_reading(self) -> None:
        if self._reader is not None and self._paused:
            self._reader.resume()
            self._paused = False

    # --- observation -----------------------------------------------------------------------
    def _on_discovery(self, ssrc: int, addr: tuple[str, int]) -> None:
        self._discoveries[ssrc] = addr
        s = self.gateway.by_ssrc.get(ssrc)
        if s is not None:
            s.discovered_from = addr

    def stream(self, ssrc: int) -> StreamStats | None:
        return self.counter.streams.get(ssrc)

    def stats(self) -> dict[str, dict]:
        """Per guild: the current session's SSRC counters plus its gateway state."""
        out: dict[str, dict] = {}
        for guild, s in list(self.gateway.sessions.items()):
            st = self.counter.streams.get(s.ssrc)
            snap = st.snapshot() if st is not None else StreamStats(s.ssrc).snapshot()
            total = snap["packets"] + sum(
                self.counter.streams[x].packets for x in s.previous_ssrcs if x in self.counter.streams
            )
            snap.update(
                {
                    "connected": s.connected,
                    "mode": s.mode,
                    "user_id": s.user_id,
                    "session_id": s.session_id,
                    "gateway_version": s.version,
                    "heartbeats": s.heartbeats,
                    "acks_sent": s.acks_sent,
                    "silent": s.silent,
                    "speaking": s.speaking,
                    "resumes": s.resumes,
                    "close_code": s.close_code,
                    "close_reason": s.close_reason,
                    "client_address": s.client_address,
                    "discovered_from": s.discovered_from,
                    "total_packets": total,
                }
            )
            out[guild] = snap
        return out

    def ssrc_stats(self) -> dict[int, dict]:
        """Counters for every SSRC seen on the UDP port, with or without a gateway session."""
        return {ssrc: st.snapshot() for ssrc, st in list(self.counter.streams.items())}

    def packets_by_guild(self) -> dict[str, int]:
        """RTP packets received per guild, over its current and earlier SSRCs: a cheap read for
        sampling every second (``stats()`` builds a whole snapshot per guild)."""
        streams = self.counter.streams
        out: dict[str, int] = {}
        for guild, s in list(self.gateway.sessions.items()):
            total = 0
            for ssrc in (s.ssrc, *s.previous_ssrcs):
                st = streams.get(ssrc)
                if st is not None:
                    total += st.packets
            out[guild] = total
        return out

    def totals(self) -> dict:
        t = self.counter.totals()
        t["kernel_drops"] = self.kernel_drops()
        t["paused"] = self._paused
        t["gateway_connections"] = len(self.gateway.connections)
        return t

    def kernel_drops(self) -> int | None:
        return kernel_drops(self._sock) if self._sock is not None else None

    def _wait(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                raise TimeoutError(f"voice simulator: timed out after {timeout}s waiting for {what}")
            time.sleep(0.01)

    def wait_connected(self, guild_id: str | int, timeout: float = 10.0) -> dict:
        g = str(guild_id)
        self._wait(
            lambda: (s := self.gateway.sessions.get(g)) is not None and s.connected,
            timeout,
            f"guild {g} to finish its voice handshake",
        )
        return self.stats()[g]

    def wait_packets(self, guild_id: str | int, n: int, timeout: float = 10.0) -> dict:
        g = str(guild_id)

        def enough() -> bool:
            s = self.gateway.sessions.get(g)
            st = self.counter.streams.get(s.ssrc) if s is not None else None
            return st is not None and st.packets >= n

        self._wait(enough, timeout, f"{n} packets from guild {g}")
        return self.stats()[g]
