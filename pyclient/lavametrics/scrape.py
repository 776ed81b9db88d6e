"""Fetch one exposition over HTTP and parse it.

urllib only: the client must work in a bot process without pulling in an HTTP stack, and
a scrape is one GET. Every failure becomes a ``ScrapeError`` with a short machine-readable
``reason`` so that ``check`` and ``merge`` can report it without parsing messages.
"""

from __future__ import annotations

import base64
import http.client
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from prometheus_client.metrics_core import Metric

from . import exposition_parse

MAX_BODY_BYTES = 20 * 1024 * 1024
DEFAULT_TIMEOUT = 5.0

ACCEPT_TEXT = "text/plain;version=0.0.4;q=1,*/*;q=0.1"
ACCEPT_OPENMETRICS = "application/openmetrics-text;version=1.0.0;q=1,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"


@dataclass(frozen=True)
class Auth:
    """Credentials for a metrics endpoint: basic, bearer, or a raw Authorization value
    (Lavalink's own REST auth is the bare password, with no scheme)."""

    username: str | None = None
    password: str | None = None
    bearer_token: str | None = None
    raw: str | None = None

    def header(self) -> str | None:
        if self.raw is not None:
            return self.raw
        if self.bearer_token is not None:
            return f"Bearer {self.bearer_token}"
        if self.username is not None:
            token = base64.b64encode(f"{self.username}:{self.password or ''}".encode()).decode()
            return f"Basic {token}"
        return None


class ScrapeError(Exception):
    """reason is one of: unreachable, timeout, http <code>, garbage, too large."""

    def __init__(self, url: str, reason: str, detail: str = "", status: int | None = None):
        self.url = url
        self.reason = reason
        self.detail = detail
        self.status = status
        super().__init__(f"{url}: {reason}" + (f" ({detail})" if detail else ""))


@dataclass
class Scrape:
    url: str
    families: list[Metric]
    content_type: str
    duration_seconds: float
    body_bytes: int
    status: int = 200
    headers: dict = field(default_factory=dict)
    body: bytes = field(default=b"", repr=False, compare=False)


def fetch(url: str, *, timeout: float = DEFAULT_TIMEOUT, auth: Auth | None = None,
          accept: str = ACCEPT_TEXT, max_bytes: int = MAX_BODY_BYTES,
          headers: dict | None = None) -> tuple[int, str, bytes, dict]:
    """GET url within ``timeout`` seconds in total (not per socket operation, so a server
    that trickles bytes cannot hold us longer). Returns (status, content_type, body, headers)."""
    deadline = time.monotonic() + timeout
    req = urllib.request.Request(url, method="GET")
    req.add_header("Accept", accept)
    req.add_header("User-Agent", "lavametrics")
    if auth is not None and auth.header() is not None:
        req.add_header("Authorization", auth.header())
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise ScrapeError(url, f"http {exc.code}", exc.reason if isinstance(exc.reason, str) else "",
                          status=exc.code) from None
    except (socket.timeout, TimeoutError) as exc:
        raise ScrapeError(url, "timeout", f"no answer within {timeout:g}s") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (socket.timeout, TimeoutError)):
            raise ScrapeError(url, "timeout", f"no answer within {timeout:g}s") from exc
        raise ScrapeError(url, "unreachable", str(exc.reason)) from exc
    except http.client.HTTPException as exc:
        # something answered, but not in HTTP (BadStatusLine, LineTooLong, ...)
        raise ScrapeError(url, "garbage", f"not an HTTP answer ({type(exc).__name__})") from exc
    except (ConnectionError, OSError, ValueError) as exc:
        # ValueError: malformed URL; OSError: e.g. a reset while reading the status line
        raise ScrapeError(url, "unreachable", str(exc) or type(exc).__name__) from exc
    with resp:
        declared = resp.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise ScrapeError(url, "too large", f"Content-Length {declared} > limit {max_bytes}")
        chunks, size = [], 0
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ScrapeError(url, "timeout", f"body not complete within {timeout:g}s")
                if resp.fp is not None and getattr(resp.fp, "raw", None) is not None:
                    try:
                        resp.fp.raw._sock.settimeout(remaining)  # tighten to what is left
                    except Exception:
                        pass
                chunk = resp.read1(65536) if hasattr(resp, "read1") else resp.read(65536)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise ScrapeError(url, "too large", f"body exceeds limit of {max_bytes} bytes")
                chunks.append(chunk)
        except (socket.timeout, TimeoutError) as exc:
            raise ScrapeError(url, "timeout", f"body not complete within {timeout:g}s") from exc
        except (ConnectionError, OSError) as exc:
            raise ScrapeError(url, "unreachable", f"connection lost while reading: {exc}") from exc
        except Exception as exc:  # http.client.IncompleteRead and friends
            if isinstance(exc, ScrapeError):
                raise
            raise ScrapeError(url, "garbage", f"broken HTTP response: {type(exc).__name__}") from exc
        return resp.status, resp.headers.get("Content-Type", ""), b"".join(chunks), dict(resp.headers)


def scrape(url: str, *, timeout: float = DEFAULT_TIMEOUT, auth: Auth | None = None,
           openmetrics: bool = False, max_bytes: int = MAX_BODY_BYTES, previous: Scrape | None = None) -> Scrape:
    """Fetch and parse ``url``. When the body and Content-Type are those of ``previous``,
    its families are returned again (the same list object) instead of parsing anew."""
    start = time.monotonic()
    status, ctype, body, hdrs = fetch(url, timeout=timeout, auth=auth,
                                      accept=ACCEPT_OPENMETRICS if openmetrics else ACCEPT_TEXT,
                                      max_bytes=max_bytes)
    if previous is not None and previous.content_type == ctype and previous.body == body:
        return Scrape(url, previous.families, ctype, time.monotonic() - start, len(body), status, hdrs, body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScrapeError(url, "garbage", "body is not UTF-8") from exc
    try:
        families = exposition_parse.parse(text, ctype)
    except exposition_parse.ParseError as exc:
        raise ScrapeError(url, "garbage", str(exc)) from exc
    return Scrape(url, families, ctype, time.monotonic() - start, len(body), status, hdrs, body)
