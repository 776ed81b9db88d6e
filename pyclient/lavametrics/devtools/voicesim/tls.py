"""Self-signed TLS material for the simulated voice gateway, and a JVM truststore that trusts it.

The certificate is made with the ``openssl`` command (no Python dependency): an EC P-256 key,
CN=localhost, subjectAltName DNS:localhost and IP:127.0.0.1, so a client that verifies host names
accepts it both for ``wss://localhost:<port>`` and ``wss://127.0.0.1:<port>``.
The truststore is a PKCS12 file written by the JDK's ``keytool``.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

from lavametrics import javatools
from lavametrics.errors import LavametricsError

log = logging.getLogger(__name__)


class TlsSetupError(LavametricsError, RuntimeError):
    """openssl or keytool is missing or failed."""


@dataclass(frozen=True)
class CertPair:
    cert_path: Path
    key_path: Path


def find_openssl() -> str:
    path = shutil.which("openssl")
    if not path:
        raise TlsSetupError("the `openssl` command is needed to make the voice gateway's certificate")
    return path


def find_keytool() -> str:
    """The keytool of the JDK the node runs on (``javatools.jdk_tool``)."""
    try:
        return str(javatools.jdk_tool("keytool"))
    except javatools.JvmUnavailable as exc:
        raise TlsSetupError(f"`keytool` is needed to write the JVM truststore: {exc}") from None


def _run(cmd: list[str]) -> None:
    log.debug("running %s", " ".join(cmd))
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise TlsSetupError(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")


def make_self_signed(directory: Path, days: int = 30) -> CertPair:
    """Write cert.pem/key.pem for localhost + 127.0.0.1 into ``directory``.

    An existing pair in ``directory`` is reused, so a node that was started once with a
    truststore holding this certificate keeps trusting the simulator across runs.
    """
    directory.mkdir(parents=True, exist_ok=True)
    cert = directory / "voicesim-cert.pem"
    key = directory / "voicesim-key.pem"
    if cert.is_file() and key.is_file():
        log.info("reusing voice gateway certificate %s", cert)
        return CertPair(cert, key)
    _run(
        [
            find_openssl(),
            "req",
            "-x509",
            "-nodes",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            str(days),
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            "extendedKeyUsage=serverAuth",
        ]
    )
    os.chmod(key, 0o600)
    log.info("generated self-signed voice gateway certificate %s", cert)
    return CertPair(cert, key)


def server_context(pair: CertPair) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(pair.cert_path), str(pair.key_path))
    return ctx


def client_context(cert_path: Path | str) -> ssl.SSLContext:
    """A client context that trusts only the simulator's certificate (host names are checked)."""
    return ssl.create_default_context(cafile=str(cert_path))


def write_truststore(
    cert_path: Path, store_path: Path, password: str | None = None, merge_jdk_cacerts: bool = False
) -> str:
    """Import ``cert_path`` into a PKCS12 truststore at ``store_path``; returns the password.

    A truststore given with -Djavax.net.ssl.trustStore *replaces* the JDK's cacerts; with
    ``merge_jdk_cacerts`` the JDK's public CAs are copied in first so the JVM can still reach
    ordinary HTTPS sites.
    """
    keytool = find_keytool()
    password = password or secrets.token_hex(12)
    if store_path.exists():
        store_path.unlink()
    if merge_jdk_cacerts:
        cacerts = Path(keytool).resolve().parent.parent / "lib" / "security" / "cacerts"
        if not cacerts.exists():
            raise TlsSetupError(f"no JDK cacerts at {cacerts}")
        _run(
            [
                keytool,
                "-importkeystore",
                "-noprompt",
                "-srckeystore",
                str(cacerts),
                "-srcstorepass",
                "changeit",
                "-destkeystore",
                str(store_path),
                "-deststoretype",
                "PKCS12",
                "-deststorepass",
                password,
            ]
        )
    _run(
        [
            keytool,
            "-importcert",
            "-noprompt",
            "-alias",
            "lavametrics-voicesim",
            "-file",
            str(cert_path),
            "-keystore",
            str(store_path),
            "-storetype",
            "PKCS12",
            "-storepass",
            password,
        ]
    )
    log.info("wrote JVM truststore %s", store_path)
    return password
