"""TLS for our endpoints: the server context a web configuration's ``tls_server_config``
asks for, and its ``client_allowed_sans`` check on a connected client.

Building a context reads the certificate and key files (within yamlread's bounds first:
OpenSSL would wait on a FIFO forever); ``gate`` rebuilds it when they change, as the
toolkit reloads certificates per connection.
"""

from __future__ import annotations

import ipaddress
import ssl
from typing import cast

from lavametrics.http.webconfig import (
    CIPHERS,
    CLIENT_AUTH,
    CURVES,
    TLS_VERSIONS,
    TLSServerConfig,
    WebConfigError,
    read_file,
)


def server_context(config: TLSServerConfig) -> ssl.SSLContext:
    """A server context for this configuration; WebConfigError when a file is unusable."""
    where = f"{config.source}: tls_server_config"
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = TLS_VERSIONS[config.min_version]
    ctx.maximum_version = TLS_VERSIONS[config.max_version]
    for key, path in (("cert_file", config.cert_file), ("key_file", config.key_file)):
        try:
            read_file(path, "a certificate or key file")  # OpenSSL would wait on a FIFO forever
        except WebConfigError as exc:
            raise WebConfigError(f"{where}.{key}: {exc}") from None
    try:
        ctx.load_cert_chain(config.cert_file, config.key_file)
    except ssl.SSLError as exc:
        # the reason is OpenSSL's ("PEM lib", "KEY_VALUES_MISMATCH"), never the key's bytes
        raise WebConfigError(
            f"{where}.cert_file/key_file: not a usable certificate and key ({exc.reason or exc.__class__.__name__})"
        ) from None
    ctx.verify_mode = CLIENT_AUTH[config.client_auth_type]
    if config.client_ca_file:
        try:
            ctx.load_verify_locations(cafile=config.client_ca_file)
        except OSError as exc:
            reason = getattr(exc, "reason", None) or exc.strerror or exc.__class__.__name__
            raise WebConfigError(f"{where}.client_ca_file: cannot load {config.client_ca_file}: {reason}") from None
    elif config.client_ca:
        try:
            ctx.load_verify_locations(cadata=config.client_ca)
        except ssl.SSLError as exc:
            raise WebConfigError(f"{where}.client_ca: not a PEM certificate ({exc.reason or exc})") from None
    suites = [openssl for c in config.cipher_suites if (openssl := CIPHERS[c])]
    if suites:
        try:
            ctx.set_ciphers(":".join(suites))
        except ssl.SSLError:
            raise WebConfigError(f"{where}.cipher_suites: OpenSSL here enables none of them") from None
    if config.prefer_server_cipher_suites:
        ctx.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    else:
        ctx.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    if config.curve_preferences:
        ctx.set_ecdh_curve(CURVES[config.curve_preferences[0]])
    return ctx


def peer_allowed(config: TLSServerConfig, sock: ssl.SSLSocket) -> bool:
    """client_allowed_sans: the verified client certificate has one of the listed SANs."""
    if not config.client_allowed_sans:
        return True
    cert = sock.getpeercert() or {}
    # ssl's documented shape: (("DNS", "a.example"), ("IP Address", "10.0.0.1"), ...)
    peer_sans = cast(tuple[tuple[str, str], ...], cert.get("subjectAltName", ()))
    allowed = {_normal_san(s) for s in config.client_allowed_sans}
    return any(_normal_san(value) in allowed for _kind, value in peer_sans)


def _normal_san(value: str) -> str:
    # Python prints IPv6 SANs uncompressed and upper case; Go compares ip.String()
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return value
