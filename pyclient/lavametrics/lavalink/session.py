"""A minimal Lavalink v4 client session: one websocket plus the REST calls a bot makes.

Used by the integration tests and the demo to drive a real node the way a music bot does:
open the websocket, load a track, create a player, watch the events come back.

The websocket needs ``websockets`` (the ``sim`` extra). It is imported when a session opens,
not with this module, so that ``SessionError`` can be caught (the CLI does, for every
command) in an install without it.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from lavametrics.errors import LavametricsError


class SessionError(LavametricsError, RuntimeError):
    pass


class LavalinkSession:
    """One client session. Messages from the node are collected by a reader thread."""

    def __init__(
        self,
        url: str,
        password: str,
        *,
        user_id: int = 4242,
        client_name: str = "lavametrics-tests",
        session_id: str | None = None,
        timeout: float = 10.0,
    ):
        self.url = url.rstrip("/")
        self.password = password
        self.user_id = user_id
        self.client_name = client_name
        self.timeout = timeout
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.history: list[dict[str, Any]] = []
        headers = {"Authorization": password, "User-Id": str(user_id), "Client-Name": client_name}
        if session_id:
            headers["Session-Id"] = session_id
        ws_url = self.url.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + "/v4/websocket"
        from websockets.exceptions import InvalidHandshake
        from websockets.sync.client import connect

        self._exit = contextlib.ExitStack()
        try:
            self._ws = self._exit.enter_context(
                connect(ws_url, additional_headers=headers, open_timeout=timeout, max_size=2**24)
            )
        except (InvalidHandshake, OSError, TimeoutError) as exc:
            # a wrong password is a 401/403 handshake; a wrong port is refused or not a websocket
            raise SessionError(f"{ws_url}: cannot open the websocket: {exc}") from None
        # e.g. Session-Resumed: "true" when the node took this socket as the resume of session_id
        response = self._ws.response
        assert response is not None  # connect() returned: the handshake's answer is in
        self.handshake_headers: dict[str, str] = {k.lower(): v for k, v in response.headers.raw_items()}
        self._reader = threading.Thread(target=self._read, name="lavalink-session-reader", daemon=True)
        self._reader.start()
        # Not necessarily the first message: Lavalink schedules the session's first `stats` before it
        # sends `ready` (SocketContext.kt), and the first session after start waits ~100 ms for it.
        ready = self.wait_for(lambda m: m.get("op") == "ready")
        self.session_id: str = ready["sessionId"]
        self.resumed: bool = bool(ready.get("resumed"))

    def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            for raw in self._ws:
                message = json.loads(raw)
                self.history.append(message)
                self.messages.put(message)
        except ConnectionClosed:
            pass

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float | None = None) -> dict[str, Any]:
        """The first not yet consumed message matching `predicate`; others are kept in history."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                ops = [(m.get("op"), m.get("type")) for m in self.history[-10:]]
                raise SessionError(f"no matching message within {timeout or self.timeout}s; last seen {ops}")
            try:
                message = self.messages.get(timeout=remaining)
            except queue.Empty:
                continue
            if predicate(message):
                return message

    def wait_event(self, event_type: str, timeout: float | None = None) -> dict[str, Any]:
        return self.wait_for(lambda m: m.get("op") == "event" and m.get("type") == event_type, timeout)

    # --- REST -------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """One REST call, answered within ``timeout`` seconds (default: the session's)."""
        url = self.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            url, data=data, method=method, headers={"Authorization": self.password, "Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=timeout or self.timeout) as resp:
                payload = resp.read()
        except urllib.error.HTTPError as err:
            raise SessionError(f"{method} {path} -> HTTP {err.code}: {err.read()[:300]!r}") from err
        return json.loads(payload) if payload else None

    def load(self, identifier: str) -> dict[str, Any]:
        return self.request("GET", "/v4/loadtracks", query={"identifier": identifier})

    def update_player(
        self, guild_id: int, body: dict[str, Any], *, no_replace: bool = False, timeout: float | None = None
    ) -> dict[str, Any]:
        """PATCH the guild's player. With a ``voice`` state Lavalink answers only once its voice
        client has finished the gateway handshake (PlayerRestHandler joins Koe's connect), so give
        such a call the time a handshake may take (``timeout``; default: the session's)."""
        voice = body.get("voice")
        if isinstance(voice, dict) and not voice.get("channelId"):
            # Lavalink 4.2+ answers 400 without it (4.1 ignores it); say so before the node does
            raise SessionError(
                f"guild {guild_id}: voice.channelId is missing: Lavalink 4.2+ requires the voice "
                "channel id with token, endpoint and sessionId"
            )
        path = f"/v4/sessions/{self.session_id}/players/{guild_id}"
        return self.request("PATCH", path, body, query={"noReplace": "true"} if no_replace else None, timeout=timeout)

    def destroy_player(self, guild_id: int) -> None:
        self.request("DELETE", f"/v4/sessions/{self.session_id}/players/{guild_id}")

    def play(self, guild_id: int, identifier: str) -> dict[str, Any]:
        """Load `identifier` and start it on the guild's player; returns the loaded track."""
        result = self.load(identifier)
        if result.get("loadType") != "track":
            raise SessionError(f"loading {identifier!r} gave {result.get('loadType')}: {result.get('data')}")
        track = result["data"]
        self.update_player(guild_id, {"track": {"encoded": track["encoded"]}})
        return track

    def configure_resuming(self, timeout_seconds: int) -> dict[str, Any]:
        return self.request("PATCH", f"/v4/sessions/{self.session_id}", {"resuming": True, "timeout": timeout_seconds})

    @property
    def is_open(self) -> bool:
        """False once the websocket closed (the node went away, or close() was called)."""
        return self._reader.is_alive()

    def close(self) -> None:
        self._exit.close()
        self._reader.join(timeout=5)

    def __enter__(self) -> LavalinkSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
