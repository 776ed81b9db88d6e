"""Basic auth: bcrypt paid once per credentials, whoever asks at the same moment."""

import threading

from lavametrics.http.auth import BasicAuth
from lavametrics.http.webconfig import WebConfig
from tests.unit.webhelpers import basic, bcrypt_hash


def test_bcrypt_runs_once_per_credentials_even_for_concurrent_requests():
    cfg = WebConfig(users={"prom": bcrypt_hash("pw", cost=6)})
    auth = BasicAuth()
    results = []
    threads = [threading.Thread(target=lambda: results.append(auth.check(cfg, basic("prom", "pw")))) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [True] * 10 and auth.bcrypt_runs == 1
    assert auth.check(cfg, basic("prom", "wrong")) is False and auth.bcrypt_runs == 2
    assert auth.check(cfg, basic("someone", "pw")) is False and auth.bcrypt_runs == 3  # against a decoy
    assert auth.check(cfg, basic("prom", "x" * 100)) is False  # over bcrypt's 72 bytes: refused, no crash
    assert auth.check(cfg, None) is False and auth.check(cfg, "Basic bm9jb2xvbg==") is False  # "nocolon"
