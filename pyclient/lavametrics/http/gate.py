"""The gate in front of our endpoints: a web configuration applied to each connection (TLS)
and request (rate limit, basic auth, extra headers), the file re-read when it changes.

Reloading follows the toolkit: the file is looked at on every request (and, with TLS, on
every new connection), so new users, headers and certificates apply without a restart. We
compare the file's (and the certificate files') contents with the last ones and parse again
only when they changed. A file that became invalid makes requests fail with 500 (TLS
handshakes fail) until it is fixed, and says why once on stderr; turning TLS on or off
needs a restart, and so does turning basic auth off: a file that had users and has none
(emptied by an editor for a moment, say) fails closed like an invalid one.
"""

from __future__ import annotations

import hashlib
import os
import ssl
import sys
import threading
from dataclasses import dataclass

from lavametrics.http import tls
from lavametrics.http.auth import BasicAuth, parse_basic_authorization
from lavametrics.http.ratelimit import limiters_for
from lavametrics.http.webconfig import WebConfig, WebConfigError, load, read_file


@dataclass(frozen=True)
class Verdict:
    """What to do with a request: ``status`` 0 means serve it; ``headers`` go on any answer."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()


class WebGate:
    """Applies a web configuration to requests and connections.

    ``current()`` gives the configuration in force; this base class holds one fixed
    configuration (a bot's endpoint configured from the environment), ``WebConfigFile``
    re-reads a file.
    """

    def __init__(self, config: WebConfig):
        self._config = config
        self.tls_enabled = config.tls is not None
        self.auth = BasicAuth()
        self._limiters = limiters_for(config.rate_interval, config.rate_burst)
        self._ctx: ssl.SSLContext | None = None
        self._ctx_key = None
        self._ctx_lock = threading.Lock()
        if config.tls is not None:
            WebGate.tls_context(self)  # a bad certificate fails at start, not at the first scrape

    def current(self) -> WebConfig:
        return self._config

    def describe(self) -> str:
        return self._config.describe()

    def admit(self, authorization: str | None) -> Verdict:
        """The toolkit's order -- configuration, rate limit, headers, then basic auth --
        except that the rate limit is one bucket per kind of client (``ratelimit.RATE_CLASSES``)."""
        try:
            config = self.current()
        except WebConfigError:
            return Verdict(500)
        if not config.needs_auth:
            kind = "verified"  # nobody to tell apart: everyone may scrape
        elif self.auth.verified(config, authorization):
            kind = "verified"
        elif parse_basic_authorization(authorization) is not None:
            kind = "unverified"
        else:
            kind = "anonymous"
        limiters = self._limiters
        if limiters is not None and not limiters[kind].allow():
            return Verdict(429)
        if kind != "verified" and (kind == "anonymous" or not self.auth.check(config, authorization)):
            return Verdict(401, config.headers + (("WWW-Authenticate", 'Basic realm="lavametrics"'),))
        return Verdict(0, config.headers)

    def _tls_key(self, config: WebConfig):
        return config

    def tls_context(self) -> ssl.SSLContext:
        """The context for a new connection, rebuilt when the configuration or one of its
        certificate files changed (the toolkit reloads certificates per connection)."""
        config = self.current()
        if config.tls is None:  # only WebConfigFile can get here, and it refuses the switch
            raise WebConfigError(f"{config.source}: tls_server_config: turning TLS off needs a restart")
        key = self._tls_key(config)
        with self._ctx_lock:
            if self._ctx is None or key != self._ctx_key:
                self._ctx = tls.server_context(config.tls)
                self._ctx_key = key
            return self._ctx


def _stamp(path: str) -> bytes | None:
    """What a file holds, as a digest. Modification times tick in jiffies: two same-size
    writes within one would look unchanged. These files are a few KiB; reading them per
    request is what the toolkit does anyway. None when unreadable (load() then says why)."""
    try:
        return hashlib.sha256(read_file(path)).digest()
    except WebConfigError:
        return None


class WebConfigFile(WebGate):
    """A web configuration file, re-read when it (or a certificate file it names) changed."""

    def __init__(self, path: str | os.PathLike, log=None):
        self.path = os.fspath(path)
        self._log = log or (lambda line: print(f"lavametrics: {line}", file=sys.stderr, flush=True))
        self._lock = threading.Lock()
        self._stamp = _stamp(self.path)
        self._error: str | None = None
        self._last_logged: str | None = None
        self._generation = 0  # bumped on every reload: the TLS context depends on it
        super().__init__(load(self.path))

    def current(self) -> WebConfig:
        stamp = _stamp(self.path)
        with self._lock:
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    config = load(self.path)
                    if (config.tls is not None) != self.tls_enabled:
                        raise WebConfigError(
                            f"{self.path}: tls_server_config: turning TLS "
                            f"{'on' if config.tls else 'off'} needs a restart"
                        )
                    if self._config.needs_auth and not config.needs_auth:
                        # a file emptied by an editor or `>` for a moment must not open the door
                        raise WebConfigError(
                            f"{self.path}: basic_auth_users: no user left (an empty file?); "
                            "turning authentication off needs a restart"
                        )
                    self._config, self._error = config, None
                    self._generation += 1
                    self._limiters = limiters_for(config.rate_interval, config.rate_burst, self._limiters)
                    self._log(f"{self.path}: reloaded ({config.describe()})")
                except WebConfigError as exc:
                    self._error = str(exc)
                    self._log(f"{exc}; refusing requests until the file is fixed")
            if self._error is not None:
                raise WebConfigError(self._error)
            return self._config

    def _tls_key(self, config: WebConfig):
        assert config.tls is not None  # tls_context() asks only for a TLS configuration
        return (self._generation, tuple(_stamp(f) for f in config.tls.files()))

    def tls_context(self) -> ssl.SSLContext:
        try:
            return super().tls_context()
        except WebConfigError as exc:
            if str(exc) != self._error:  # not already said by current(): a certificate file went bad
                self._log_once(f"{exc}; refusing connections until it is fixed")
            raise

    def _log_once(self, line: str) -> None:
        with self._lock:
            if line == self._last_logged:
                return
            self._last_logged = line
        self._log(line)
