"""The Prometheus web configuration file (``--web.config.file``): its format, read and checked.

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
no effect: these endpoints speak HTTP/1.x. Files are read with yamlread's bounds: at most
1 MiB, regular files only (a FIFO or /dev/zero is refused). Header values must be one line
(a CR LF would start a header of its own).

What the parsed configuration does to connections and requests lives beside this module:
``tls`` (the SSL context), ``auth`` (basic auth), ``ratelimit``, and ``gate``, which applies
them and re-reads the file when it changes.

Errors are one line naming the file, line and field. Secrets -- bcrypt hashes, ``key`` --
are never part of a message, and neither is any value of a field we do not know.
"""

from __future__ import annotations

import os
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import overload

from lavametrics import yamlread
from lavametrics.errors import LavametricsError

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

TLS_VERSIONS = {
    "TLS10": ssl.TLSVersion.TLSv1,
    "TLS11": ssl.TLSVersion.TLSv1_1,
    "TLS12": ssl.TLSVersion.TLSv1_2,
    "TLS13": ssl.TLSVersion.TLSv1_3,
}

CLIENT_AUTH = {
    "NoClientCert": ssl.CERT_NONE,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
_CLIENT_AUTH_UNSUPPORTED = ("RequestClientCert", "RequireAnyClientCert", "RequireClientCert")

# The toolkit's TLS names and what they are in Python's ssl (``tls`` builds the context).
# Go's crypto/tls names (what the toolkit accepts) -> OpenSSL's. The TLS 1.3 suites are
# accepted and, as in Go, not configurable: they stay whatever OpenSSL enables.
CIPHERS = {
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
CURVES = {"CurveP256": "prime256v1", "CurveP384": "secp384r1", "CurveP521": "secp521r1", "X25519": "X25519"}

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # all but tab, which a header value may hold
_BCRYPT_HASH = re.compile(r"\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


class WebConfigError(LavametricsError, ValueError):
    """One line: file, line, field and what is wrong (never a secret)."""


@dataclass(frozen=True, eq=False)
class TLSServerConfig:
    """The ``tls_server_config`` section, checked; ``tls.server_context`` makes it a context."""

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


def read_file(path: str, what: str = "a web configuration file") -> bytes:
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
        data = yamlread.load(yamlread.new_yaml(), yamlread.decode(read_file(path), path), path)
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
    return WebConfigError(f"{yamlread.where(path, mapping, key, value=value)}: {dotted}: {message}")


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
    if auth not in CLIENT_AUTH:
        raise _fail(
            path,
            sec,
            "client_auth_type",
            p + "client_auth_type",
            f"value {auth!r}: unknown (allowed: {', '.join(CLIENT_AUTH)})",
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
        if value not in TLS_VERSIONS:
            raise _fail(
                path, sec, key, p + key, f"value {value!r}: unknown (allowed: {', '.join(TLS_VERSIONS)})", value=True
            )
        versions[key] = value
    if TLS_VERSIONS[versions["min_version"]] > TLS_VERSIONS[versions["max_version"]]:
        raise _fail(path, sec, "min_version", p + "min_version", "is above max_version", value=True)
    suites = _strings(sec, "cipher_suites", p + "cipher_suites", path)
    for suite in suites:
        if suite not in CIPHERS:
            raise _fail(
                path,
                sec,
                "cipher_suites",
                p + "cipher_suites",
                f"value {suite!r}: unknown cipher suite (allowed: {', '.join(CIPHERS)})",
                value=True,
            )
    curves = _strings(sec, "curve_preferences", p + "curve_preferences", path)
    for curve in curves:
        if curve not in CURVES:
            raise _fail(
                path,
                sec,
                "curve_preferences",
                p + "curve_preferences",
                f"value {curve!r}: unknown curve (allowed: {', '.join(CURVES)})",
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
            require_bcrypt()  # fail at load time, not at the first request
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


def require_bcrypt():
    """The bcrypt module, which ``basic_auth_users`` needs (the ``web`` extra)."""
    try:
        import bcrypt
    except ImportError:
        raise WebConfigError(f"basic_auth_users: {BCRYPT_HINT}") from None
    return bcrypt
