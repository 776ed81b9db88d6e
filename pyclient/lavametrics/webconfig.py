"""The Prometheus web configuration file (``--web.config.file``) for our HTTP endpoints.

The format is the Prometheus exporter-toolkit's, so one file can serve node_exporter and
``lavametrics serve`` alike::

    tls_server_config:
      cert_file: server.crt            # relative paths: relative to this file's directory
      key_file: server.key
      client_auth_type: RequireAndVerifyClientCert
      client_ca_file: clients-ca.crt
      min_version: TLS12
    http_server_config:
      headers: {X-Content-Type-Options: nosniff}
    basic_auth_users:
      prometheus: $2y$10$...           # bcrypt hashes only (htpasswd -nBC 10 "" | tr -d ':\\n')
    rate_limit: {interval: 1s, burst: 20}

Field names, defaults and checks follow the toolkit's documentation (a field it does not
know is an error; so is a header it does not allow). Where Python's ``ssl`` cannot do what
the toolkit's Go TLS does, the field is refused with a one-line reason instead of being
silently ignored: inline ``cert``/``key`` (use the files), ``client_auth_type``
``RequestClientCert``/``RequireAnyClientCert`` (Python always verifies a client certificate
it asks for) and more than one ``curve_preferences`` entry. ``http2`` is accepted and has
no effect: these endpoints speak HTTP/1.x.

Reloading follows the toolkit: the file is looked at on every request (and, with TLS, on
every new connection), so new users, headers and certificates apply without a restart. We
compare the file's (and the certificate files') contents with the last ones and parse again
only when they changed. A file that became invalid makes requests fail with 500 (TLS
handshakes fail) until it is fixed, and says why once on stderr; turning TLS on or off
needs a restart, and so does turning basic auth off: a file that had users and has none
(emptied by an editor for a moment, say) fails closed like an invalid one. Files are read
with yamlread's bounds: at most 1 MiB, regular files only (a FIFO or /dev/zero is refused).
Header values must be one line (a CR LF would start a header of its own).

Errors are one line naming the file, line and field. Secrets -- bcrypt hashes, ``key`` --
are never part of a message, and neither is any value of a field we do not know.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import ipaddress
import os
import re
import secrets
import ssl
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast, overload

from lavametrics import yamlread
from lavametrics.monitor.nodesfile import _where

BCRYPT_HINT = "needs the bcrypt package: pip install 'lavametrics[web]'"

_TOP_KEYS = ("tls_server_config", "http_server_config", "basic_auth_users", "rate_limit")
_TLS_KEYS = (
    "cert",
    "key",
    "client_ca",
    "cert_file",
    "key_file",
    "client_auth_type",
    "client_ca_file",
    "client_allowed_sans",
    "min_version",
    "max_version",
    "cipher_suites",
    "prefer_server_cipher_suites",
    "curve_preferences",
)
_HTTP_KEYS = ("http2", "headers")
_RATE_KEYS = ("interval", "burst")

# the headers the toolkit lets a file set, with their allowed values (None: any)
_HEADERS: dict[str, tuple[str, ...] | None] = {
    "Strict-Transport-Security": None,
    "X-Content-Type-Options": ("nosniff",),
    "X-Frame-Options": ("deny", "sameorigin"),
    "X-XSS-Protection": None,
    "Content-Security-Policy": None,
}

_TLS_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}

_CLIENT_AUTH = {
    "NoClientCert": ssl.CERT_NONE,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
_CLIENT_AUTH_UNSUPPORTED = ("RequestClientCert", "RequireAnyClientCert", "RequireClientCert")

# Go's crypto/tls names (what the toolkit accepts) -> OpenSSL's. The TLS 1.3 suites are
# accepted and, as in Go, not configurable: they stay whatever OpenSSL enables.
_CIPHERS = {
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": "ECDHE-ECDSA-AES128-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": "ECDHE-ECDSA-AES256-SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": "ECDHE-RSA-AES128-SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": "ECDHE-RSA-AES256-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": "ECDHE-RSA-AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-ECDSA-CHACHA20-POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-RSA-CHACHA20-POLY1305",
    "TLS_AES_128_GCM_SHA256": None,
    "TLS_AES_256_GCM_SHA384": None,
    "TLS_CHACHA20_POLY1305_SHA256": None,
}
_CURVES = {"CurveP256": "prime256v1", "CurveP384": "secp384r1", "CurveP521": "secp521r1", "X25519": "X25519"}

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # all but tab, which a header value may hold
_BCRYPT_HASH = re.compile(r"\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


class WebConfigError(ValueError):
    """One line: file, line, field and what is wrong (never a secret)."""


@dataclass(frozen=True, eq=False)
class TLSServerConfig:
    cert_file: str
    key_file: str
    client_auth_type: str = "NoClientCert"
    client_ca_file: str | None = None
    client_ca: str | None = field(default=None, repr=False)  # inline PEM
    client_allowed_sans: tuple[str, ...] = ()
    min_version: str = "TLS12"
    max_version: str = "TLS13"
    cipher_suites: tuple[str, ...] = ()
    prefer_server_cipher_suites: bool = True
    curve_preferences: tuple[str, ...] = ()
    source: str = "<web config>"

    def files(self) -> tuple[str, ...]:
        return tuple(f for f in (self.cert_file, self.key_file, self.client_ca_file) if f)

    def ssl_context(self) -> ssl.SSLContext:
        """A server context for this configuration; WebConfigError when a file is unusable."""
        where = f"{self.source}: tls_server_config"
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = _TLS_VERSIONS[self.min_version]
        ctx.maximum_version = _TLS_VERSIONS[self.max_version]
        for key, path in (("cert_file", self.cert_file), ("key_file", self.key_file)):
            try:
                _read(path, "a certificate or key file")  # OpenSSL would wait on a FIFO forever
            except WebConfigError as exc:
                raise WebConfigError(f"{where}.{key}: {exc}") from None
        try:
            ctx.load_cert_chain(self.cert_file, self.key_file)
        except ssl.SSLError as exc:
            # the reason is OpenSSL's ("PEM lib", "KEY_VALUES_MISMATCH"), never the key's bytes
            raise WebConfigError(
                f"{where}.cert_file/key_file: not a usable certificate and key ({exc.reason or exc.__class__.__name__})"
            ) from None
        ctx.verify_mode = _CLIENT_AUTH[self.client_auth_type]
        if self.client_ca_file:
            try:
                ctx.load_verify_locations(cafile=self.client_ca_file)
            except OSError as exc:
                reason = getattr(exc, "reason", None) or exc.strerror or exc.__class__.__name__
                raise WebConfigError(f"{where}.client_ca_file: cannot load {self.client_ca_file}: {reason}") from None
        elif self.client_ca:
            try:
                ctx.load_verify_locations(cadata=self.client_ca)
            except ssl.SSLError as exc:
                raise WebConfigError(f"{where}.client_ca: not a PEM certificate ({exc.reason or exc})") from None
        suites = [openssl for c in self.cipher_suites if (openssl := _CIPHERS[c])]
        if suites:
            try:
                ctx.set_ciphers(":".join(suites))
            except ssl.SSLError:
                raise WebConfigError(f"{where}.cipher_suites: OpenSSL here enables none of them") from None
        if self.prefer_server_cipher_suites:
            ctx.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
        else:
            ctx.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
        if self.curve_preferences:
            ctx.set_ecdh_curve(_CURVES[self.curve_preferences[0]])
        return ctx

    def peer_allowed(self, sock: ssl.SSLSocket) -> bool:
        """client_allowed_sans: the verified client certificate has one of the listed SANs."""
        if not self.client_allowed_sans:
            return True
        cert = sock.getpeercert() or {}
        # ssl's documented shape: (("DNS", "a.example"), ("IP Address", "10.0.0.1"), ...)
        peer_sans = cast(tuple[tuple[str, str], ...], cert.get("subjectAltName", ()))
        allowed = {_normal_san(s) for s in self.client_allowed_sans}
        return any(_normal_san(value) in allowed for _kind, value in peer_sans)


def _normal_san(value: str) -> str:
    # Python prints IPv6 SANs uncompressed and upper case; Go compares ip.String()
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return value


@dataclass(frozen=True, eq=False)
class WebConfig:
    source: str = "<web config>"
    tls: TLSServerConfig | None = None
    headers: tuple[tuple[str, str], ...] = ()
    users: Mapping[str, str] = field(default_factory=dict, repr=False)  # user -> bcrypt hash
    plain_users: Mapping[str, bytes] = field(default_factory=dict, repr=False)  # user -> password
    rate_interval: float = 0.0  # seconds between requests; 0: no rate limit
    rate_burst: int = 0
    http2: bool = True

    @property
    def needs_auth(self) -> bool:
        return bool(self.users or self.plain_users)

    def describe(self) -> str:
        """For the start-up line: what is on, never who or with what."""
        parts = ["TLS" if self.tls else "no TLS"]
        if self.tls and self.tls.client_auth_type != "NoClientCert":
            parts.append("client certificates")
        n = len(self.users) + len(self.plain_users)
        if n:
            parts.append(f"basic auth ({n} user{'s' if n != 1 else ''})")
        if self.rate_interval:
            parts.append("rate limit")
        return ", ".join(parts)


# --- parsing ------------------------------------------------------------------------------


def _read(path: str, what: str = "a web configuration file") -> bytes:
    """A regular file of at most 1 MiB (yamlread's bounds: a FIFO or /dev/zero is refused,
    not waited on or read forever)."""
    try:
        return yamlread.read_bytes(path, what)
    except yamlread.YamlReadError as exc:
        raise WebConfigError(str(exc)) from None


def load(path: str | os.PathLike) -> WebConfig:
    path = os.fspath(path)
    try:
        # yamlread's messages never quote a value: a duplicate key's may be a hash
        data = yamlread.load(yamlread.new_yaml(), yamlread.decode(_read(path), path), path)
    except yamlread.YamlReadError as exc:
        raise WebConfigError(str(exc)) from None
    return parse(data, path)


def parse(data, path: str = "<web config>") -> WebConfig:
    if data is None:  # an empty file: no TLS, no auth, as with the toolkit
        return WebConfig(source=path)
    if not isinstance(data, dict):
        raise WebConfigError(f"{path}: expected a mapping with {', '.join(_TOP_KEYS)}")
    _known(data, _TOP_KEYS, "", path)
    tls = _parse_tls(_section(data, "tls_server_config", path), path)
    http2, headers = _parse_http(_section(data, "http_server_config", path), path)
    users = _parse_users(data, path)
    interval, burst = _parse_rate(_section(data, "rate_limit", path), path)
    return WebConfig(
        source=path, tls=tls, headers=headers, users=users, rate_interval=interval, rate_burst=burst, http2=http2
    )


def _fail(path, mapping, key, dotted, message, value=False) -> WebConfigError:
    return WebConfigError(f"{_where(path, mapping, key, value=value)}: {dotted}: {message}")


def _known(mapping, allowed, prefix, path) -> None:
    for key in mapping:
        if key not in allowed:
            raise _fail(path, mapping, key, f"{prefix}{key}", f"unknown field (allowed: {', '.join(allowed)})")


def _section(data, key, path) -> dict:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(path, data, key, key, "must be a mapping", value=True)
    return value


def _string(mapping, key, dotted, path, secret=False) -> str | None:
    value = mapping.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        shown = "" if secret else f"value {value!r}: "
        raise _fail(path, mapping, key, dotted, f"{shown}must be a string", value=True)
    return value


def _strings(mapping, key, dotted, path) -> tuple[str, ...]:
    value = mapping.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(path, mapping, key, dotted, "must be a list of strings", value=True)
    return tuple(value)


def _bool(mapping, key, dotted, path, default: bool) -> bool:
    value = mapping.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _fail(path, mapping, key, dotted, f"value {value!r}: must be true or false", value=True)
    return value


@overload
def _resolve(path: str, file: str) -> str: ...
@overload
def _resolve(path: str, file: None) -> None: ...
@overload
def _resolve(path: str, file: str | None) -> str | None: ...


def _resolve(path: str, file: str | None) -> str | None:
    # the toolkit joins relative paths with the web config file's directory
    if file is None or os.path.isabs(file):
        return file
    return os.path.join(os.path.dirname(os.path.abspath(path)), file)


def _parse_tls(sec: dict, path: str) -> TLSServerConfig | None:
    p = "tls_server_config."
    _known(sec, _TLS_KEYS, p, path)
    cert_file = _string(sec, "cert_file", p + "cert_file", path)
    key_file = _string(sec, "key_file", p + "key_file", path)
    cert = _string(sec, "cert", p + "cert", path)
    key = _string(sec, "key", p + "key", path, secret=True)
    client_ca = _string(sec, "client_ca", p + "client_ca", path)
    client_ca_file = _string(sec, "client_ca_file", p + "client_ca_file", path)
    auth = _string(sec, "client_auth_type", p + "client_auth_type", path)
    if not any((cert_file, key_file, cert, key, client_ca, client_ca_file, auth)):
        # the toolkit's rule: TLS is on iff one of these is set; the rest alone mean nothing
        return None
    if cert is not None:
        raise _fail(
            path,
            sec,
            "cert",
            p + "cert",
            "inline certificates are not supported by lavametrics: put it in a file and name it in cert_file",
        )
    if key is not None:
        raise _fail(
            path,
            sec,
            "key",
            p + "key",
            "inline keys are not supported by lavametrics: put it in a file and name it in key_file",
        )
    if cert_file is None:
        raise WebConfigError(f"{path}: tls_server_config: missing one of cert or cert_file")
    if key_file is None:
        raise WebConfigError(f"{path}: tls_server_config: missing one of key or key_file")
    auth = auth or "NoClientCert"
    if auth in _CLIENT_AUTH_UNSUPPORTED:
        raise _fail(
            path,
            sec,
            "client_auth_type",
            p + "client_auth_type",
            f"value {auth!r}: not supported by lavametrics (Python's ssl verifies every client "
            "certificate it asks for): use VerifyClientCertIfGiven or RequireAndVerifyClientCert",
            value=True,
        )
    if auth not in _CLIENT_AUTH:
        raise _fail(
            path,
            sec,
            "client_auth_type",
            p + "client_auth_type",
            f"value {auth!r}: unknown (allowed: {', '.join(_CLIENT_AUTH)})",
            value=True,
        )
    if client_ca and client_ca_file:
        raise WebConfigError(f"{path}: tls_server_config: give client_ca or client_ca_file, not both")
    has_ca = bool(client_ca or client_ca_file)
    if has_ca and auth == "NoClientCert":
        raise _fail(
            path,
            sec,
            "client_ca_file" if client_ca_file else "client_ca",
            p + "client_ca_file",
            "client CAs are configured without a client_auth_type",
        )
    if not has_ca and auth != "NoClientCert":
        raise _fail(
            path,
            sec,
            "client_auth_type",
            p + "client_auth_type",
            f"value {auth!r}: needs client_ca_file (the CA that signs client certificates)",
            value=True,
        )
    sans = _strings(sec, "client_allowed_sans", p + "client_allowed_sans", path)
    if sans and auth != "RequireAndVerifyClientCert":
        raise _fail(
            path,
            sec,
            "client_allowed_sans",
            p + "client_allowed_sans",
            "requires client_auth_type RequireAndVerifyClientCert",
        )
    versions = {}
    for key, default in (("min_version", "TLS12"), ("max_version", "TLS13")):
        value = _string(sec, key, p + key, path) or default
        if value not in _TLS_VERSIONS:
            raise _fail(
                path, sec, key, p + key, f"value {value!r}: unknown (allowed: {', '.join(_TLS_VERSIONS)})", value=True
            )
        versions[key] = value
    if _TLS_VERSIONS[versions["min_version"]] > _TLS_VERSIONS[versions["max_version"]]:
        raise _fail(path, sec, "min_version", p + "min_version", "is above max_version", value=True)
    suites = _strings(sec, "cipher_suites", p + "cipher_suites", path)
    for suite in suites:
        if suite not in _CIPHERS:
            raise _fail(
                path,
                sec,
                "cipher_suites",
                p + "cipher_suites",
                f"value {suite!r}: unknown cipher suite (allowed: {', '.join(_CIPHERS)})",
                value=True,
            )
    curves = _strings(sec, "curve_preferences", p + "curve_preferences", path)
    for curve in curves:
        if curve not in _CURVES:
            raise _fail(
                path,
                sec,
                "curve_preferences",
                p + "curve_preferences",
                f"value {curve!r}: unknown curve (allowed: {', '.join(_CURVES)})",
                value=True,
            )
    if len(curves) > 1:
        raise _fail(
            path,
            sec,
            "curve_preferences",
            p + "curve_preferences",
            "lavametrics can restrict the handshake to one curve only (Python's ssl): list one",
        )
    prefer = _bool(sec, "prefer_server_cipher_suites", p + "prefer_server_cipher_suites", path, True)
    return TLSServerConfig(
        cert_file=_resolve(path, cert_file),
        key_file=_resolve(path, key_file),
        client_auth_type=auth,
        client_ca_file=_resolve(path, client_ca_file),
        client_ca=client_ca,
        client_allowed_sans=sans,
        min_version=versions["min_version"],
        max_version=versions["max_version"],
        cipher_suites=suites,
        prefer_server_cipher_suites=prefer,
        curve_preferences=curves,
        source=path,
    )


def _parse_http(sec: dict, path: str) -> tuple[bool, tuple[tuple[str, str], ...]]:
    p = "http_server_config."
    _known(sec, _HTTP_KEYS, p, path)
    http2 = _bool(sec, "http2", p + "http2", path, True)
    headers = sec.get("headers")
    if headers is None:
        return http2, ()
    if not isinstance(headers, dict):
        raise _fail(path, sec, "headers", p + "headers", "must be a mapping of header: value", value=True)
    out = []
    for name, value in headers.items():
        dotted = f"{p}headers.{name}"
        if name not in _HEADERS:
            raise _fail(
                path, headers, name, dotted, f"this header cannot be configured (allowed: {', '.join(_HEADERS)})"
            )
        if value is None or value == "":
            continue  # "unset if blank"
        if not isinstance(value, str):
            raise _fail(path, headers, name, dotted, f"value {value!r}: must be a string", value=True)
        if _CONTROL.search(value):
            # written raw, a CR LF would end the header and start another (Set-Cookie: ...)
            raise _fail(
                path, headers, name, dotted, "must be one line: no CR, LF or other control character", value=True
            )
        allowed = _HEADERS[name]
        if allowed is not None and value not in allowed:
            raise _fail(
                path, headers, name, dotted, f"value {value!r}: expected one of {', '.join(allowed)}", value=True
            )
        out.append((name, value))
    return http2, tuple(out)


def _parse_users(data: dict, path: str) -> dict[str, str]:
    users = data.get("basic_auth_users")
    if users is None:
        return {}
    if not isinstance(users, dict):
        raise _fail(
            path, data, "basic_auth_users", "basic_auth_users", "must be a mapping of user: bcrypt hash", value=True
        )
    out = {}
    for i, (user, hashed) in enumerate(users.items(), 1):
        # user names are not secrets, but a pasted "user:password" key would be: say which entry
        where = f"basic_auth_users (entry {i})"
        if not isinstance(user, str) or not user:
            raise _fail(path, users, user, where, "the user name must be a non-empty string")
        if not isinstance(hashed, str) or not _BCRYPT_HASH.fullmatch(hashed):
            raise _fail(
                path,
                users,
                user,
                where,
                "the password is not a bcrypt hash ($2y$<cost>$... as made "
                "by htpasswd -nBC 10); plain passwords are not accepted",
                value=True,
            )
        out[user] = hashed
    if out:
        try:
            _bcrypt()  # fail at load time, not at the first request
        except WebConfigError as exc:
            raise WebConfigError(f"{path}: {exc}") from None
    return out


def parse_duration(text: str) -> float:
    """Go's time.ParseDuration (what the toolkit's YAML uses): "1s", "500ms", "1m30s"; seconds."""
    s = text.strip()
    if s in ("0", "+0", "-0"):
        return 0.0
    pos, total = 0, 0.0
    while pos < len(s):
        m = _DURATION_PART.match(s, pos)
        if m is None:
            raise ValueError(text)
        total += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
        pos = m.end()
    if pos == 0:
        raise ValueError(text)
    return total


def _parse_rate(sec: dict, path: str) -> tuple[float, int]:
    p = "rate_limit."
    _known(sec, _RATE_KEYS, p, path)
    raw = sec.get("interval")
    interval = 0.0
    if raw is not None and raw != "":
        try:
            if isinstance(raw, bool) or not isinstance(raw, str):
                raise ValueError
            interval = parse_duration(raw)
        except ValueError:
            raise _fail(
                path,
                sec,
                "interval",
                p + "interval",
                f"value {raw!r}: expected a duration such as 1s, 500ms or 1m",
                value=True,
            ) from None
    burst = sec.get("burst", 0)
    if burst is None:
        burst = 0
    if isinstance(burst, bool) or not isinstance(burst, int) or burst < 0:
        raise _fail(path, sec, "burst", p + "burst", f"value {burst!r}: must be a whole number >= 0", value=True)
    if interval > 0 and burst < 1:
        # the toolkit would build a limiter that refuses every request
        raise _fail(path, sec, "burst", p + "burst", "must be at least 1 when interval is set", value=True)
    return interval, burst


# --- enforcing it -------------------------------------------------------------------------


def _bcrypt():
    try:
        import bcrypt
    except ImportError:
        raise WebConfigError(f"basic_auth_users: {BCRYPT_HINT}") from None
    return bcrypt


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
                ok = _bcrypt().checkpw(password, hashed.encode())
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
            bcrypt = _bcrypt()
            decoy = self._decoys[cost] = bcrypt.hashpw(
                secrets.token_urlsafe(16).encode(), bcrypt.gensalt(cost)
            ).decode()
        return decoy


def _cache_key(user: str, hashed: str, password: bytes) -> bytes:
    return hashlib.sha256(b"\0".join((user.encode(), hashed.encode(), password))).digest()


class RateLimiter:
    """A token bucket: ``burst`` requests at once, then one per ``interval`` seconds."""

    def __init__(self, interval: float, burst: int):
        self.interval, self.burst = interval, burst
        self._tokens = float(burst)
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(float(self.burst), self._tokens + (now - self._last) / self.interval)
            self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False


# With rate_limit set, each kind of client has its own bucket of the configured size, so that
# nobody spends another's budget (the toolkit has one bucket, which 20 anonymous requests
# empty for the scraper that has the password):
# - "verified": credentials known valid without bcrypt (cached from an earlier check, or
#   plain users); every request when the file has no users;
# - "unverified": credentials not checked yet, the only requests that cost a bcrypt run,
#   which this bucket bounds (a scraper's first request, and password guessing);
# - "anonymous": no or malformed credentials, answered 401 at no cost.
RATE_CLASSES = ("verified", "unverified", "anonymous")


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
        self._limiters = self._limiters_for(config, None)
        self._ctx: ssl.SSLContext | None = None
        self._ctx_key = None
        self._ctx_lock = threading.Lock()
        if config.tls is not None:
            WebGate.tls_context(self)  # a bad certificate fails at start, not at the first scrape

    def current(self) -> WebConfig:
        return self._config

    def describe(self) -> str:
        return self._config.describe()

    @staticmethod
    def _limiters_for(config: WebConfig, previous: dict[str, RateLimiter] | None) -> dict[str, RateLimiter] | None:
        if not config.rate_interval:
            return None
        if previous is not None:
            some = next(iter(previous.values()))
            if (some.interval, some.burst) == (config.rate_interval, config.rate_burst):
                return previous
        return {kind: RateLimiter(config.rate_interval, config.rate_burst) for kind in RATE_CLASSES}

    def admit(self, authorization: str | None) -> Verdict:
        """The toolkit's order -- configuration, rate limit, headers, then basic auth --
        except that the rate limit is one bucket per kind of client (``RATE_CLASSES``)."""
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
                self._ctx = config.tls.ssl_context()
                self._ctx_key = key
            return self._ctx


def _stamp(path: str) -> bytes | None:
    """What a file holds, as a digest. Modification times tick in jiffies: two same-size
    writes within one would look unchanged. These files are a few KiB; reading them per
    request is what the toolkit does anyway. None when unreadable (load() then says why)."""
    try:
        return hashlib.sha256(_read(path)).digest()
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
                    self._limiters = self._limiters_for(config, self._limiters)
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
