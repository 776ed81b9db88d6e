"""Basic auth for our endpoints: the ``Authorization`` header checked against a web
configuration's users (bcrypt hashes from the file, or a plain password from the
environment for a bot), with bcrypt's cost paid once per credentials."""

from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import secrets
import threading
from collections.abc import Mapping

from lavametrics.http.webconfig import WebConfig, require_bcrypt


def parse_basic_authorization(header: str | None) -> tuple[str, bytes] | None:
    """(user, password) from ``Authorization: Basic ...``; None when absent or malformed."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True)
    except ValueError:
        return None
    user, sep, password = decoded.partition(b":")
    if not sep:
        return None
    try:
        return user.decode("utf-8"), password
    except UnicodeDecodeError:
        return None


class BasicAuth:
    """Checks credentials against a config's users, remembering recent bcrypt results.

    bcrypt at cost 10 takes ~70 ms, on every scrape without a cache; as in the toolkit the
    result is cached per (user, hash, password) -- the key is a SHA-256 digest, so the cache
    holds no password -- and bcrypt runs one at a time. An unknown user is checked against a
    throw-away hash of the highest cost among the configured users, so that its answer takes
    as long as for the costliest known one (at a fixed cost, users of another cost stood out:
    93 ms against 279 ms). Users of different costs still differ from each other: give them
    all one cost.
    """

    CACHE_SIZE = 256

    def __init__(self):
        self._cache: collections.OrderedDict[bytes, bool] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._bcrypt_lock = threading.Lock()
        self._decoys: dict[int, str] = {}  # bcrypt cost -> a hash of a random password
        self.bcrypt_runs = 0

    def verified(self, config: WebConfig, authorization: str | None) -> bool:
        """Whether these credentials are valid as far as is known without running bcrypt:
        checked before (cached), or plain users (no bcrypt at all)."""
        creds = parse_basic_authorization(authorization)
        if creds is None:
            return False
        user, password = creds
        if config.plain_users:
            return self._check_plain(config.plain_users, user, password)
        hashed = config.users.get(user)
        return hashed is not None and self._cached(_cache_key(user, hashed, password)) is True

    def check(self, config: WebConfig, authorization: str | None) -> bool:
        creds = parse_basic_authorization(authorization)
        if creds is None:
            return False
        user, password = creds
        if config.plain_users:
            return self._check_plain(config.plain_users, user, password)
        hashed = config.users.get(user)
        known = hashed is not None
        if hashed is None:
            hashed = self._decoy_hash(max(int(h[4:6]) for h in config.users.values()))  # $2b$<cost>$
        key = _cache_key(user, hashed, password)
        cached = self._cached(key)
        if cached is not None:
            return cached
        with self._bcrypt_lock:
            cached = self._cached(key)  # a concurrent request with the same credentials did it
            if cached is not None:
                return cached
            self.bcrypt_runs += 1
            try:
                ok = require_bcrypt().checkpw(password, hashed.encode())
            except ValueError:  # bcrypt >= 5 refuses passwords over 72 bytes
                ok = False
            ok = ok and known
            with self._lock:
                self._cache[key] = ok
                while len(self._cache) > self.CACHE_SIZE:
                    self._cache.popitem(last=False)
        return ok

    def _cached(self, key: bytes) -> bool | None:
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
            return cached

    @staticmethod
    def _check_plain(users: Mapping[str, bytes], user: str, password: bytes) -> bool:
        # digests of equal length, compared without an early exit
        ok = False
        for name, expected in users.items():
            ok |= hmac.compare_digest(
                hashlib.sha256(user.encode()).digest(), hashlib.sha256(name.encode()).digest()
            ) & hmac.compare_digest(hashlib.sha256(password).digest(), hashlib.sha256(expected).digest())
        return ok

    def _decoy_hash(self, cost: int) -> str:
        decoy = self._decoys.get(cost)
        if decoy is None:
            bcrypt = require_bcrypt()
            decoy = self._decoys[cost] = bcrypt.hashpw(
                secrets.token_urlsafe(16).encode(), bcrypt.gensalt(cost)
            ).decode()
        return decoy


def _cache_key(user: str, hashed: str, password: bytes) -> bytes:
    return hashlib.sha256(b"\0".join((user.encode(), hashed.encode(), password))).digest()
