"""The Lavalink REST calls monitoring needs: /version, /v4/info, /v4/stats, and whether the node
has a route planner (/v4/routeplanner/status).

Lavalink authenticates REST with ``Authorization: <password>`` -- the bare password, no
scheme -- and answers 401 when it is missing and 403 when it is wrong; both mean the same
thing to a user, so both become "bad password".
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from lavametrics.httpfetch import Auth, FetchError, fetch


class LavalinkError(FetchError):
    """A REST call failed: ``FetchError``'s reasons plus "bad password". ``url`` is redacted."""


@dataclass
class LavalinkClient:
    url: str
    password: str
    timeout: float = 5.0

    def _get(self, path: str) -> tuple[str, bytes]:
        _status, ctype, body = self._get_status(path)
        return ctype, body

    def _get_status(self, path: str) -> tuple[int, str, bytes]:
        full = self.url.rstrip("/") + path
        try:
            status, ctype, body, _h = fetch(
                full,
                timeout=self.timeout,
                auth=Auth(raw=self.password),
                accept="application/json, text/plain;q=0.5",
                max_bytes=4 * 1024 * 1024,
            )
        except FetchError as exc:
            if exc.status in (401, 403):
                raise LavalinkError(full, "bad password", f"HTTP {exc.status}", exc.status) from None
            raise LavalinkError(full, exc.reason, exc.detail, exc.status) from None
        return status, ctype, body

    def _json(self, path: str) -> dict:
        _ctype, body = self._get(path)
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise LavalinkError(self.url.rstrip("/") + path, "garbage", f"not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise LavalinkError(self.url.rstrip("/") + path, "garbage", "JSON is not an object")
        return data

    def version(self) -> str:
        return self._get("/version")[1].decode("utf-8", "replace").strip()

    def info(self) -> dict:
        return self._json("/v4/info")

    def stats(self) -> dict:
        return self._json("/v4/stats")

    def has_route_planner(self) -> bool:
        """Lavalink answers its route planner's status with 204 when it has none. A 500 is a
        planner too: 4.2.2 fails that way under RotateOnBan until the planner has routed once."""
        try:
            status, _ctype, _body = self._get_status("/v4/routeplanner/status")
        except LavalinkError as exc:
            if exc.status == 500:
                return True
            raise
        return status != 204


def plugin_version(info: dict, name: str = "lavametrics") -> str | None:
    """The version of plugin ``name`` listed in a /v4/info answer, or None."""
    for plugin in info.get("plugins") or ():
        if isinstance(plugin, dict) and plugin.get("name") == name:
            return str(plugin.get("version", "?"))
    return None
