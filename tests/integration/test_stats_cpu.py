"""A node's /v4/stats cpu numbers: one reading per 30 s, 0.0 until the second (real 4.1.2 and
4.2.2 do this, the stand-in models it). Why `lavametrics loadtest` reads the JVM's CPU from
/proc for a local node, and why a dashboard must not read lavalink_cpu_* as "now"."""

from __future__ import annotations

import time

from lavametrics.lavalink.rest import LavalinkClient

REFRESH_S = 30  # Lavalink's StatsCollector: the cpu reading is refreshed at most this often


def test_cpu_is_zero_until_the_second_reading_thirty_seconds_later(node_factory):
    node = node_factory(plugin=False)  # nothing else asks this node for its stats
    api = LavalinkClient(node.url, node.password, timeout=10)
    first_at = time.monotonic()
    first = api.stats()["cpu"]
    assert first["lavalinkLoad"] == 0.0 and first["systemLoad"] == 0.0, first
    # the same cached reading while the 30 s last, however busy the node is (it just started: JIT)
    while time.monotonic() - first_at < REFRESH_S - 5:
        assert api.stats()["cpu"] == first
        time.sleep(1)
    # then a new one, measured since the first: a JVM that started up has used some CPU
    deadline = first_at + REFRESH_S + 60  # generous: a busy machine answers slowly
    while True:
        cpu = api.stats()["cpu"]
        if cpu["lavalinkLoad"] > 0:
            break
        assert time.monotonic() < deadline, f"no new cpu reading {time.monotonic() - first_at:.0f}s after the first"
        time.sleep(1)
    assert time.monotonic() - first_at >= REFRESH_S - 1
    assert 0 < cpu["lavalinkLoad"] <= 1 and cpu["cores"] == first["cores"], cpu
