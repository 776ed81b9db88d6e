"""The one HTTP GET of the package: scrapes, the Lavalink REST calls, ``check``'s auth probes
and the wait for a starting node all go through ``fetch``.

urllib only: the client must work in a bot process without pulling in an HTTP stack. Every
failure becomes a ``FetchError`` (or a subclass: ``ScrapeError``, ``LavalinkError``) with a
short machine-readable ``reason``, so callers report it without parsing messages. Its
guarantees hold for every caller:

- credentials stay at their origin: redirects are followed only within the same scheme, host
  and port; a redirect anywhere else is an error and nothing is sent there; a URL with
  ``user:password@`` is refused (credentials travel in ``auth``, never in a URL);
- ``timeout`` is one deadline for the whole request (connect, status line, headers, body),
  not a per-read timeout a server could reset by sending a byte now and then;
- the body is capped (``max_bytes``) and must be whole: one shorter than its Content-Length
  is a ``garbage`` error, never a result;
- every URL in an error is redacted (``redact_url``).
"""

from __future__ import annotations

import base64
import functools
import http.client
import io
import math
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import cast
from urllib.parse import urljoin, urlsplit, urlunsplit

from lavametrics.errors import LavametricsError
from lavametrics.redact import MASK

MAX_BODY_BYTES = 20 * 1024 * 1024
DEFAULT_TIMEOUT = 5.0
# Upper bound for every timeout a user can give (CLI options, the nodes file): beyond it a
# "timeout" is a typo, and socket timeouts overflow long before 1e308.
MAX_TIMEOUT_SECONDS = 3600.0
MAX_REDIRECTS = 5


def redact_url(url: str) -> str:
    """``url`` as it may be printed: a userinfo password and every query value masked.

    Query values are masked too because some proxies take a token there, and an error
    message cannot know which parameter is the secret one."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{hostport}" if ":" in userinfo else f"{MASK}@{hostport}"
    query = parts.query
    if query:
        query = "&".join(f"{p.split('=', 1)[0]}={MASK}" if p else p for p in query.split("&"))
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def origin(url: str) -> str:
    """scheme://host:port of ``url`` (default port filled in): what credentials are bound to."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" + (f":{port}" if port else "")


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


class FetchError(LavametricsError):
    """reason is one of: unreachable, timeout, http <code>, garbage, too large (subclasses
    may add their own, e.g. LavalinkError's "bad password").

    ``url`` is kept redacted (``redact_url``): errors end up in logs and terminals."""

    def __init__(self, url: str, reason: str, detail: str = "", status: int | None = None):
        self.url = redact_url(url)
        self.reason = reason
        self.detail = detail
        self.status = status
        super().__init__(f"{self.url}: {reason}" + (f" ({detail})" if detail else ""))


# --- the deadline ---------------------------------------------------------------------
# http.client applies a socket timeout to each read, so a server sending one header line
# every half second never trips it. These classes re-arm the socket timeout before every
# read with what is left of the request's deadline instead. CPython's sendall and TLS
# handshake already treat their timeout as a total, so arming it before each is enough.


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("deadline passed")
    return left


class _DeadlineReader(io.RawIOBase):
    def __init__(self, sock: socket.socket, deadline: float):
        self._sock = sock
        self._raw = sock.makefile("rb", buffering=0)  # holds the socket open like http.client's own
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int | None:
        self._sock.settimeout(_remaining(self._deadline))
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    def __init__(self, sock, *args, deadline: float, **kwargs):
        super().__init__(sock, *args, **kwargs)
        self.fp.close()
        self.fp = io.BufferedReader(_DeadlineReader(sock, deadline))


class _DeadlineConnection:
    """Mixed into http.client's connection classes: connect and read within ``deadline``."""

    def __init__(self, *args, deadline: float, **kwargs):
        super().__init__(*args, **kwargs)
        self._deadline = deadline
        self._create_connection = self._connect_within_deadline
        # http.client calls response_class(sock, method=...): a partial is as good as the class
        self.response_class = cast(
            type[http.client.HTTPResponse], functools.partial(_DeadlineResponse, deadline=deadline)
        )

    def _connect_within_deadline(self, address, timeout=None, source_address=None, *args):
        sock = socket.create_connection(address, _remaining(self._deadline), source_address)
        sock.settimeout(_remaining(self._deadline))  # for the TLS handshake and the request
        return sock


class _HTTPConnection(_DeadlineConnection, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_DeadlineConnection, http.client.HTTPSConnection):
    pass


class _Request(urllib.request.Request):
    """A GET that carries its deadline to the connection (the opener is shared)."""

    def __init__(self, url: str, deadline: float):
        super().__init__(url, method="GET")
        self.deadline = deadline


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(functools.partial(_HTTPConnection, deadline=req.deadline), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        # no context given: HTTPSConnection makes Python's default one (verified, system CAs)
        return self.do_open(functools.partial(_HTTPSConnection, deadline=req.deadline), req)


@functools.cache
def _opener() -> urllib.request.OpenerDirector:
    """http(s) only, proxies from the environment as urlopen has them (read once, on first
    use, as urlopen's own opener does), and no redirect handler: ``fetch`` follows redirects
    itself, after checking where they go. One for the process: its handlers keep no state
    between requests (the deadline travels with the request), and building one per fetch
    cost ~0.7 ms, most of it ProxyHandler reading os.environ."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        _HTTPHandler(),
        _HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise FetchError(url, "unreachable", f"malformed URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(url, "unreachable", "not an http:// or https:// URL with a host")
    if "@" in parts.netloc:
        raise FetchError(url, "unreachable", "user:password@ in a URL is not supported: pass the credentials as auth")


def _open(opener, req, url: str, timeout: float, deadline: float):
    try:
        return opener.open(req, timeout=_remaining(deadline))
    except urllib.error.HTTPError:
        raise
    except TimeoutError as exc:
        raise FetchError(url, "timeout", f"no answer within {timeout:g}s") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (socket.timeout, TimeoutError)):
            raise FetchError(url, "timeout", f"no answer within {timeout:g}s") from exc
        raise FetchError(url, "unreachable", str(exc.reason)) from exc
    except http.client.HTTPException as exc:
        # something answered, but not in HTTP (BadStatusLine, LineTooLong, ...)
        raise FetchError(url, "garbage", f"not an HTTP answer ({type(exc).__name__})") from exc
    except (ConnectionError, OSError, ValueError) as exc:
        # ValueError: malformed URL; OSError: e.g. a reset while reading the status line
        raise FetchError(url, "unreachable", str(exc) or type(exc).__name__) from exc


_REDIRECTS = (301, 302, 303, 307, 308)


def _redirect_target(exc: urllib.error.HTTPError, url: str, requested: str, hops_left: int) -> str:
    """Where a redirect answer to ``url`` sends us, if we may go there; otherwise (or for any
    other error answer) the FetchError to report."""
    location = exc.headers.get("Location") if exc.headers is not None else None
    exc.close()
    error = functools.partial(FetchError, requested, f"http {exc.code}", status=exc.code)
    if exc.code not in _REDIRECTS or not location:
        raise error(exc.reason if isinstance(exc.reason, str) else "") from None
    if hops_left == 0:
        raise error(f"more than {MAX_REDIRECTS} redirects") from None
    target = urljoin(url, location)
    try:
        where = origin(target)
    except ValueError:
        where = "an unparsable URL"
    if where != origin(url):
        raise error(
            f"redirect to {where} not followed: another origin, and the credentials are only "
            f"sent to {origin(url)}; configure the final URL instead"
        ) from None
    return target


def fetch(
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    auth: Auth | None = None,
    accept: str = "*/*",
    max_bytes: int = MAX_BODY_BYTES,
    headers: dict | None = None,
) -> tuple[int, str, bytes, dict]:
    """GET url within ``timeout`` seconds in total (connect, headers and body: a server that
    trickles bytes cannot hold us longer). Returns (status, content_type, body, headers).

    Redirects are followed (at most ``MAX_REDIRECTS``) only to the same origin; the
    credentials in ``auth`` belong to the origin they were configured for."""
    if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout <= MAX_TIMEOUT_SECONDS):
        raise ValueError(f"timeout must be a finite number of seconds <= {MAX_TIMEOUT_SECONDS:g}, not {timeout!r}")
    if timeout <= 0:
        raise FetchError(url, "timeout", "no time left for the request")
    deadline = time.monotonic() + timeout
    opener = _opener()
    requested = url
    for hop in range(MAX_REDIRECTS + 1):
        _check_url(url)
        req = _Request(url, deadline)
        req.add_header("Accept", accept)
        req.add_header("User-Agent", "lavametrics")
        credential = auth.header() if auth is not None else None
        if credential is not None:
            req.add_header("Authorization", credential)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            resp = _open(opener, req, url, timeout, deadline)
            break
        except urllib.error.HTTPError as exc:
            url = _redirect_target(exc, url, requested, hops_left=MAX_REDIRECTS - hop)
    with resp:
        declared = resp.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise FetchError(requested, "too large", f"Content-Length {declared} > limit {max_bytes}")
        chunks, size = [], 0
        try:
            while True:
                chunk = resp.read1(65536)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(requested, "too large", f"body exceeds limit of {max_bytes} bytes")
                chunks.append(chunk)
        except TimeoutError as exc:
            raise FetchError(requested, "timeout", f"body not complete within {timeout:g}s") from exc
        except (ConnectionError, OSError) as exc:
            raise FetchError(requested, "unreachable", f"connection lost while reading: {exc}") from exc
        except FetchError:
            raise
        except Exception as exc:  # http.client.IncompleteRead and friends
            raise FetchError(requested, "garbage", f"broken HTTP response: {type(exc).__name__}") from exc
        # read1() answers b"" when the server closes early, without IncompleteRead; ``length``
        # is what its Content-Length still promised. A cut body is no exposition: its last
        # line would parse ("123456" cut to "1234"), and missing families would look real.
        if resp.length:
            raise FetchError(
                requested, "garbage", f"body ended after {size} of {size + resp.length} bytes (Content-Length)"
            )
        return resp.status, resp.headers.get("Content-Type", ""), b"".join(chunks), dict(resp.headers)
