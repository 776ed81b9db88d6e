"""Certificates (made by the openssl CLI), bcrypt hashes and HTTP(S) clients for the tests
of our metrics endpoints and their web configuration file."""

from __future__ import annotations

import base64
import ssl
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import require_tool


@dataclass
class Cert:
    cert: Path
    key: Path


def self_signed(directory: Path, name: str = "server", san: str = "IP:127.0.0.1,DNS:localhost") -> Cert:
    """A self-signed EC certificate (fast to make) for 127.0.0.1 / localhost."""
    openssl = require_tool("openssl")
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            f"/CN={name}",
            "-addext",
            f"subjectAltName={san}",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return Cert(cert, key)


def bcrypt_hash(password: str, cost: int = 4) -> str:
    import bcrypt  # a dev dependency: the tests need it, as `lavametrics[web]` users do

    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(cost)).decode()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def client_context(ca: Path | None = None, client: Cert | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(ca) if ca else None)
    if client is not None:
        ctx.load_cert_chain(str(client.cert), str(client.key))
    return ctx


def get(url: str, *, headers: dict | None = None, context: ssl.SSLContext | None = None, timeout: float = 20):
    """(status, headers, body) -- also for 4xx/5xx answers."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers, exc.read()
