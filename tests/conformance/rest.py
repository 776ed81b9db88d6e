"""Plain HTTP against the node under test, answers kept whole (status, headers, body) for shape checks."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

PASSWORD = object()  # "send the node's password"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    node,
    method: str,
    path: str,
    body: Any = None,
    *,
    auth: Any = PASSWORD,
    headers: dict[str, str] | None = None,
    timeout: float = 20,
) -> Answer:
    """One request; `auth=None` sends no Authorization, a string sends that one; `body` str is sent raw."""
    sent = dict(headers or {})
    if auth is PASSWORD:
        sent["Authorization"] = node.password
    elif auth is not None:
        sent["Authorization"] = auth
    data = None
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        sent.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(node.url + path, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return Answer(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read().decode())
    except urllib.error.HTTPError as err:
        return Answer(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read().decode())


ERROR_KEYS = {"timestamp", "status", "error", "message", "path"}


def assert_error(answer: Answer, status: int, message: str | None = None, path: str | None = None) -> dict:
    """Lavalink's error body (Spring Boot's attributes, protocol/.../v4/error.kt): the keys, their types."""
    assert answer.status == status, (answer.status, answer.body)
    body = answer.json()
    assert set(body) == ERROR_KEYS, body
    assert isinstance(body["timestamp"], int) and body["timestamp"] > 1_600_000_000_000, body
    assert body["status"] == status, body
    assert isinstance(body["error"], str) and body["error"], body
    if message is not None:
        assert body["message"] == message, body
    if path is not None:
        assert body["path"] == path, body
    return body


def eventually(condition, timeout: float = 10.0, what: str = "the condition"):
    """Poll `condition()` until it returns something truthy (returned) or the deadline passes (AssertionError)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)
