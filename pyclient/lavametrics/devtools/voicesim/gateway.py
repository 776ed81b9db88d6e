"""The simulated Discord voice gateway: the websocket side of a voice connection.

Speaks the subset of the voice gateway that Koe 2.x (Lavalink's voice client) uses, versions
4 to 8 (``?v=N`` in the URL; 8 adds ``seq`` on server messages and ``{t, seq_ack}`` heartbeats).
DAVE (end-to-end encryption) is never negotiated: the session description always carries
``dave_protocol_version: 0`` and DAVE opcodes / binary frames from the client are ignored.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

# opcodes
IDENTIFY = 0
SELECT_PROTOCOL = 1
READY = 2
HEARTBEAT = 3
SESSION_DESCRIPTION = 4
SPEAKING = 5
HEARTBEAT_ACK = 6
RESUME = 7
HELLO = 8
RESUMED = 9
VIDEO = 12
CLIENT_DISCONNECT = 13

# close codes (Discord voice)
UNKNOWN_OPCODE = 4001
FAILED_TO_DECODE = 4002
NOT_AUTHENTICATED = 4003
AUTHENTICATION_FAILED = 4004
ALREADY_AUTHENTICATED = 4005
SESSION_NO_LONGER_VALID = 4006
SESSION_TIMEOUT = 4009
SERVER_NOT_FOUND = 4011
UNKNOWN_PROTOCOL = 4012
DISCONNECTED = 4014
VOICE_SERVER_CRASHED = 4015
UNKNOWN_ENCRYPTION_MODE = 4016
BAD_REQUEST = 4020

SUPPORTED_VERSIONS = range(4, 9)
DEFAULT_VERSION = 4
MODES = [
    "aead_aes256_gcm_rtpsize",
    "aead_xchacha20_poly1305_rtpsize",
    "xsalsa20_poly1305_lite",
    "xsalsa20_poly1305_suffix",
    "xsalsa20_poly1305",
]


@dataclass
class VoiceSession:
    """One IDENTIFY: guild (server_id), user, Discord session id, token and the SSRC we assigned."""

    guild_id: str
    user_id: str
    session_id: str
    token: str
    ssrc: int
    version: int
    secret_key: list[int] = field(default_factory=lambda: list(secrets.token_bytes(32)))
    mode: str | None = None
    client_address: tuple[str, int] | None = None  # from SELECT_PROTOCOL
    discovered_from: tuple[str, int] | None = None  # where its IP discovery came from
    speaking: int | None = None
    heartbeats: int = 0
    acks_sent: int = 0
    resumes: int = 0
    silent: bool = False
    connected: bool = False  # websocket open and session description sent
    close_code: int | None = None
    close_reason: str | None = None
    connected_at: float | None = None
    conn: GatewayConnection | None = None
    previous_ssrcs: list[int] = field(default_factory=list)


class GatewayConnection:
    """One websocket connection (a session may outlive it through RESUME)."""

    def __init__(self, ws, version: int):
        self.ws = ws
        self.version = version
        self.seq = 0
        self.session: VoiceSession | None = None
        self.last_heartbeat = time.monotonic()

    async def send(self, op: int, d: Any) -> None:
        msg: dict[str, Any] = {"op": op, "d": d}
        if self.version >= 8:
            self.seq += 1
            msg["seq"] = self.seq
        data = json.dumps(msg, separators=(",", ":"))
        log.debug("voice gw -> %s", data)
        await self.ws.send(data)


class VoiceGateway:
    """State shared by all connections; the websocket handler is :meth:`handle`."""

    def __init__(
        self,
        udp_port: Callable[[], int],
        *,
        modes: list[str] | None = None,
        heartbeat_interval_ms: int = 13750,
        heartbeat_timeout_factor: float | None = 2.5,
        hello_on_connect: bool = True,
        token_check: Callable[[dict], bool] | None = None,
        ip: str = "127.0.0.1",
    ):
        self.udp_port = udp_port
        self.modes = list(modes or MODES)
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.heartbeat_timeout_factor = heartbeat_timeout_factor
        self.hello_on_connect = hello_on_connect
        self.token_check = token_check
        self.ip = ip
        self.sessions: dict[str, VoiceSession] = {}  # by guild id (latest IDENTIFY)
        self.by_ssrc: dict[int, VoiceSession] = {}
        self.connections: set[GatewayConnection] = set()
        self.silent_guilds: set[str] = set()
        # seconds between a client's IDENTIFY and READY: a slow voice server (the slow-voice fault)
        self.ready_delay = 0.0
        self._next_ssrc = secrets.randbelow(1 << 20) + 1000
        self.total_connections = 0

    # --- helpers -------------------------------------------------------------------------
    def allocate_ssrc(self) -> int:
        while True:
            self._next_ssrc = (self._next_ssrc + 1) & 0xFFFFFFFF or 1
            if self._next_ssrc not in self.by_ssrc:
                return self._next_ssrc

    async def _hello(self, conn: GatewayConnection) -> None:
        await conn.send(HELLO, {"v": conn.version, "heartbeat_interval": self.heartbeat_interval_ms})

    @staticmethod
    def _version_of(path: str) -> int | None:
        query = parse_qs(urlsplit(path).query)
        raw = query.get("v", [str(DEFAULT_VERSION)])[0]
        try:
            v = int(raw)
        except ValueError:
            return None
        return v if v in SUPPORTED_VERSIONS else None

    # --- the websocket handler -----------------------------------------------------------
    async def handle(self, ws) -> None:
        path = ws.request.path if getattr(ws, "request", None) is not None else "/"
        version = self._version_of(path)
        peer = getattr(ws, "remote_address", None)
        if version is None:
            log.warning("voice gateway: %s asked for unsupported %r", peer, path)
            await ws.close(UNKNOWN_PROTOCOL, "unsupported gateway version")
            return
        conn = GatewayConnection(ws, version)
        self.connections.add(conn)
        self.total_connections += 1
        log.info("voice gateway: connection from %s (v%d)", peer, version)
        watchdog = asyncio.create_task(self._watchdog(conn)) if self.heartbeat_timeout_factor else None
        try:
            if self.hello_on_connect:
                await self._hello(conn)
            async for message in ws:
                if isinstance(message, (bytes, bytearray)):
                    log.debug("voice gw: ignoring %d-byte binary frame (DAVE)", len(message))
                    continue
                try:
                    payload = json.loads(message)
                    op = int(payload["op"])
                    d = payload.get("d")
                except (ValueError, KeyError, TypeError):
                    await ws.close(FAILED_TO_DECODE, "failed to decode payload")
                    break
                log.debug("voice gw <- %s", message)
                await self._dispatch(conn, op, d)
        except Exception as exc:  # connection errors end this handler only
            if not _is_connection_closed(exc):
                log.exception("voice gateway handler failed")
        finally:
            if watchdog:
                watchdog.cancel()
            self.connections.discard(conn)
            s = conn.session
            if s is not None and s.conn is conn:
                s.connected = False
                s.conn = None
                s.close_code = ws.close_code
                s.close_reason = ws.close_reason
                log.info("voice gateway: guild %s closed (%s %s)", s.guild_id, ws.close_code, ws.close_reason or "")

    async def _watchdog(self, conn: GatewayConnection) -> None:
        factor = self.heartbeat_timeout_factor
        assert factor is not None  # handle() starts the watchdog only with a factor
        limit = self.heartbeat_interval_ms / 1000.0 * factor
        while True:
            await asyncio.sleep(min(1.0, limit / 4))
            if time.monotonic() - conn.last_heartbeat > limit:
                log.warning("voice gateway: no heartbeat for %.1fs, closing 4009", limit)
                await conn.ws.close(SESSION_TIMEOUT, "session timeout")
                return

    async def _dispatch(self, conn: GatewayConnection, op: int, d: Any) -> None:
        ws = conn.ws
        s = conn.session
        if op == HEARTBEAT:
            conn.last_heartbeat = time.monotonic()
            guild = s.guild_id if s else None
            if s is not None:
                s.heartbeats += 1
            if guild is not None and guild in self.silent_guilds:
                log.debug("voice gateway: guild %s is silent, not acking", guild)
                return
            if conn.version >= 8:
                nonce = d.get("t") if isinstance(d, dict) else d
                ack: Any = {"t": nonce}
            else:
                ack = d
            await conn.send(HEARTBEAT_ACK, ack)
            if s is not None:
                s.acks_sent += 1
            return
        if op == IDENTIFY:
            await self._identify(conn, d)
            return
        if op == RESUME:
            await self._resume(conn, d)
            return
        if s is None:
            await ws.close(NOT_AUTHENTICATED, "not authenticated")
            return
        if op == SELECT_PROTOCOL:
            await self._select_protocol(conn, s, d)
        elif op == SPEAKING:
            if isinstance(d, dict):
                try:
                    s.speaking = int(d.get("speaking", 0))
                except (TypeError, ValueError):
                    pass
        elif op == VIDEO:
            pass  # Koe announces audio_ssrc/video_ssrc after SELECT_PROTOCOL
        else:
            log.debug("voice gateway: ignoring op %d", op)  # DAVE (21-31) and anything newer

    async def _identify(self, conn: GatewayConnection, d: Any) -> None:
        ws = conn.ws
        if conn.session is not None:
            await ws.close(ALREADY_AUTHENTICATED, "already authenticated")
            return
        if not isinstance(d, dict):
            await ws.close(FAILED_TO_DECODE, "identify without data")
            return
        try:
            guild, user, session_id, token = (str(d[k]) for k in ("server_id", "user_id", "session_id", "token"))
        except KeyError as exc:
            await ws.close(AUTHENTICATION_FAILED, f"identify lacks {exc.args[0]}")
            return
        if not token or (self.token_check is not None and not self.token_check(d)):
            await ws.close(AUTHENTICATION_FAILED, "authentication failed")
            return
        old = self.sessions.get(guild)
        session = VoiceSession(guild, user, session_id, token, self.allocate_ssrc(), conn.version)
        if old is not None:
            session.previous_ssrcs = old.previous_ssrcs + [old.ssrc]
            if old.conn is not None and old.conn is not conn:
                log.info("voice gateway: guild %s identified again; dropping the old connection", guild)
                asyncio.create_task(old.conn.ws.close(SESSION_NO_LONGER_VALID, "superseded"))
        self.sessions[guild] = session
        self.by_ssrc[session.ssrc] = session
        session.conn = conn
        conn.session = session
        if guild in self.silent_guilds:
            session.silent = True
        if d.get("max_dave_protocol_version"):
            log.info(
                "voice gateway: guild %s offers DAVE v%s; the simulator never enables it",
                guild,
                d.get("max_dave_protocol_version"),
            )
        log.info(
            "voice gateway: IDENTIFY guild=%s user=%s session=%s -> ssrc %d", guild, user, session_id, session.ssrc
        )
        if not self.hello_on_connect:
            await self._hello(conn)
        if self.ready_delay > 0:
            await asyncio.sleep(self.ready_delay)
        await conn.send(
            READY,
            {
                "ssrc": session.ssrc,
                "ip": self.ip,
                "port": self.udp_port(),
                "modes": self.modes,
                "heartbeat_interval": self.heartbeat_interval_ms,  # legacy field, harmless
                "experiments": [],
                "streams": [],
            },
        )

    async def _resume(self, conn: GatewayConnection, d: Any) -> None:
        ws = conn.ws
        if not isinstance(d, dict):
            await ws.close(FAILED_TO_DECODE, "resume without data")
            return
        guild = str(d.get("server_id"))
        s = self.sessions.get(guild)
        if s is None or s.session_id != str(d.get("session_id")) or s.token != str(d.get("token")):
            log.info("voice gateway: RESUME for unknown session of guild %s, closing 4006", guild)
            await ws.close(SESSION_NO_LONGER_VALID, "session no longer valid")
            return
        if s.conn is not None and s.conn is not conn:
            asyncio.create_task(s.conn.ws.close(SESSION_NO_LONGER_VALID, "resumed elsewhere"))
        s.conn = conn
        conn.session = s
        s.resumes += 1
        s.connected = s.mode is not None
        s.close_code = s.close_reason = None
        log.info("voice gateway: guild %s resumed (ssrc %d)", guild, s.ssrc)
        await conn.send(RESUMED, None)

    async def _select_protocol(self, conn: GatewayConnection, s: VoiceSession, d: Any) -> None:
        ws = conn.ws
        if not isinstance(d, dict):
            await ws.close(FAILED_TO_DECODE, "select protocol without data")
            return
        if d.get("protocol") != "udp":
            await ws.close(UNKNOWN_PROTOCOL, f"unknown protocol {d.get('protocol')!r}")
            return
        inner = d.get("data")
        data = inner if isinstance(inner, dict) else d
        mode = data.get("mode")
        if mode not in self.modes:
            await ws.close(UNKNOWN_ENCRYPTION_MODE, f"unknown encryption mode {mode!r}")
            return
        try:
            s.client_address = (str(data["address"]), int(data["port"]))
        except (KeyError, TypeError, ValueError):
            await ws.close(BAD_REQUEST, "select protocol lacks address/port")
            return
        s.mode = mode
        await conn.send(
            SESSION_DESCRIPTION,
            {
                "mode": mode,
                "secret_key": s.secret_key,
                "audio_codec": "opus",
                "video_codec": None,
                "media_session_id": secrets.token_hex(16),
                "dave_protocol_version": 0,
            },
        )
        s.connected = True
        s.connected_at = time.monotonic()
        log.info("voice gateway: guild %s selected %s, client UDP %s:%d", s.guild_id, mode, *s.client_address)


def _is_connection_closed(exc: BaseException) -> bool:
    try:
        from websockets.exceptions import ConnectionClosed
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, ConnectionClosed)
