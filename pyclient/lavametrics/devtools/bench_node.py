"""What the plugin costs a node: ``python -m lavametrics.devtools.bench_node ab|scrape [...]``.

``ab``: pairs of runs of the same node workload with the plugin (A) and without it (B),
interleaved A B, B A, A B ... (the order alternates, so a drifting machine favours neither
side), each on a fresh node with the same JVM flags: players streaming to the voice simulator,
a steady mix of track loads and REST calls, and a scrape of /metrics every few seconds (as
Prometheus would). After a warm-up that is discarded, each run
measures over a window:

- node CPU seconds, from /proc/<pid>/stat (utime + stime of the JVM, all threads),
- heap used after a forced full GC (``jcmd <pid> GC.run``, then ``GC.heap_info``),
- RSS (/proc/<pid>/status VmRSS),
- frame deficit: the frames 50 per second per player would give over the window, minus
  the RTP packets the simulator received (the node's side of it, seen from Discord's).

Reported per pair: the CPU ratio A/B and the heap and RSS differences; overall the median
ratio with its spread.

``scrape``: a node with N players (0, 100, 1,000: each with the track loaded and paused,
no voice connection), with and without the plugin; per N, p50/p99 of /metrics latency over
sequential scrapes and the bytes, ours (``lavametrics_*``) and core's.

The node is whatever ``lavametrics.devtools.node`` starts: ``LAVALINK_JAR=/path/Lavalink.jar`` for a
real Lavalink, otherwise the stand-in; the result names it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from lavametrics.devtools import procs
from lavametrics.devtools.node import Node, java_binary, start_node
from lavametrics.devtools.voicelink import connect_and_play
from lavametrics.devtools.voicesim import VoiceSimulator
from lavametrics.devtools.wavgen import write_tone
from lavametrics.lavalink.session import LavalinkSession, SessionError

FIRST_GUILD = 920_000
FRAMES_PER_SECOND = 50
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process, all its threads."""
    fields = procs.stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # fields 14 and 15 of stat(5)


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def _jcmd() -> str:
    found = shutil.which("jcmd")
    if found:
        return found
    beside = Path(java_binary()).resolve().parent / "jcmd"
    if beside.is_file():
        return str(beside)
    raise RuntimeError("jcmd not found (it comes with the JDK)")


def heap_used_after_gc(pid: int) -> int:
    """Heap in use after a forced full GC, in bytes."""
    jcmd = _jcmd()
    subprocess.run([jcmd, str(pid), "GC.run"], check=True, capture_output=True, timeout=60)
    out = subprocess.run(
        [jcmd, str(pid), "GC.heap_info"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    m = re.search(r"used (\d+)K", out)
    if m is None:
        raise RuntimeError(f"cannot read GC.heap_info: {out[:200]}")
    return int(m.group(1)) * 1024


def _server_name(node: Node) -> str:
    """Which node a figure came from: the stand-in, or a real Lavalink's jar."""
    if node.server.is_real_lavalink:
        return f"Lavalink {node.server.path.name}"
    return "stand-in node"


class _Traffic:
    """Background load besides streaming: track loads, REST calls, /metrics scrapes."""

    def __init__(
        self,
        node: Node,
        audio: str,
        guilds: list[int],
        loads_per_s: float = 2.0,
        rest_per_s: float = 10.0,
        scrape_every: float = 5.0,
    ):
        self.node, self.audio, self.guilds = node, audio, guilds
        self.loads_per_s, self.rest_per_s, self.scrape_every = loads_per_s, rest_per_s, scrape_every
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._rest, daemon=True),
            threading.Thread(target=self._scrapes, daemon=True),
        ]
        self.errors = 0
        self.requests = 0

    def __enter__(self):
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for t in self._threads:
            t.join(timeout=30)

    def _rest(self) -> None:
        with LavalinkSession(
            self.node.url, self.node.password, client_name="lavametrics-bench-rest", timeout=30
        ) as session:
            per_second = int(self.loads_per_s + self.rest_per_s)
            i = 0
            while not self._stop.is_set():
                tick = time.monotonic()
                for k in range(per_second):
                    try:
                        if k < self.loads_per_s:
                            session.load(self.audio if k % 2 == 0 else self.audio + ".missing")
                        elif k % 3 == 0:
                            session.request("GET", "/v4/stats")
                        elif k % 3 == 1:
                            session.request("GET", f"/v4/sessions/{session.session_id}/players")
                        else:
                            session.request("GET", "/v4/info")
                        self.requests += 1
                    except SessionError:
                        self.errors += 1
                    i += 1
                self._stop.wait(max(0.0, 1.0 - (time.monotonic() - tick)))

    def _scrapes(self) -> None:
        while not self._stop.wait(self.scrape_every):
            try:
                with urllib.request.urlopen(self.node.metrics_url, timeout=10) as resp:
                    resp.read()
            except OSError:
                self.errors += 1


def run_once(plugin: bool, sim: VoiceSimulator, audio: Path, *, players: int, seconds: float, warmup: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="lavametrics-bench-node-") as workdir:
        node = start_node(workdir=Path(workdir), plugin=plugin, jvm_args=sim.jvm_args(), timeout=180)
        try:
            assert node.process is not None  # start_node returns a started node
            pid = node.process.pid
            guilds = list(range(FIRST_GUILD, FIRST_GUILD + players))
            with LavalinkSession(node.url, node.password, client_name="lavametrics-bench", timeout=60) as session:
                connect_and_play(session, sim, guilds, str(audio), timeout=120)
                with _Traffic(node, str(audio), guilds) as traffic:
                    time.sleep(warmup)
                    t0, c0, p0 = time.monotonic(), cpu_seconds(pid), sim.totals()["packets"]
                    time.sleep(seconds)
                    t1, c1, p1 = time.monotonic(), cpu_seconds(pid), sim.totals()["packets"]
                heap = heap_used_after_gc(pid)
                rss = rss_bytes(pid)
                connected = sum(1 for s in sim.stats().values() if s.get("connected"))
                for guild in guilds:
                    session.destroy_player(guild)
            window = t1 - t0
            expected = FRAMES_PER_SECOND * players * window
            return {
                "plugin": plugin,
                "server": _server_name(node),
                "window_s": window,
                "cpu_seconds": c1 - c0,
                "cpu_percent": 100 * (c1 - c0) / window,
                "heap_used_bytes": heap,
                "rss_bytes": rss,
                "players_connected": connected,
                "packets": p1 - p0,
                "expected_frames": expected,
                "frame_deficit_ratio": max(0.0, (expected - (p1 - p0)) / expected) if expected else 0.0,
                "rest_requests": traffic.requests,
                "traffic_errors": traffic.errors,
            }
        finally:
            node.stop()


def ab(pairs: int = 5, players: int = 100, seconds: float = 30.0, warmup: float = 15.0, progress=None) -> dict:
    runs = []
    with (
        tempfile.TemporaryDirectory(prefix="lavametrics-bench-sim-") as sim_dir,
        VoiceSimulator(workdir=Path(sim_dir)) as sim,
        tempfile.TemporaryDirectory(prefix="lavametrics-bench-audio-") as audio_dir,
    ):
        audio = write_tone(Path(audio_dir) / "bench.wav", seconds=warmup + seconds + 60)
        for i in range(pairs):
            pair: dict[str, Any] = {"order": "with first" if i % 2 == 0 else "without first"}
            # A B, B A, A B, ...: a machine whose load drifts during the runs favours whichever
            # side runs later; alternating the order cancels that out over the pairs
            for plugin in (True, False) if i % 2 == 0 else (False, True):
                run = run_once(plugin, sim, audio, players=players, seconds=seconds, warmup=warmup)
                pair["with" if plugin else "without"] = run
                if progress:
                    progress(i, run)
            pair["cpu_ratio"] = pair["with"]["cpu_seconds"] / pair["without"]["cpu_seconds"]
            pair["heap_difference_bytes"] = pair["with"]["heap_used_bytes"] - pair["without"]["heap_used_bytes"]
            pair["rss_difference_bytes"] = pair["with"]["rss_bytes"] - pair["without"]["rss_bytes"]
            runs.append(pair)
    ratios = [p["cpu_ratio"] for p in runs]
    heaps = [p["heap_difference_bytes"] for p in runs]
    return {
        "pairs": runs,
        "players": players,
        "seconds": seconds,
        "warmup": warmup,
        "server": runs[0]["with"]["server"] if runs else None,
        "jvm_opts": os.environ.get("LAVAMETRICS_NODE_JAVA_OPTS", "-Xmx384m"),
        "median_cpu_ratio": statistics.median(ratios),
        "cpu_ratio_spread": (min(ratios), max(ratios)),
        "median_heap_difference_bytes": statistics.median(heaps),
        "heap_difference_spread_bytes": (min(heaps), max(heaps)),
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))]


def _split_bytes(body: bytes) -> tuple[int, int]:
    """(our bytes, everything else's): lines naming a lavametrics_ family are ours."""
    ours = 0
    for line in body.split(b"\n"):
        if line.startswith((b"lavametrics_", b"# HELP lavametrics_", b"# TYPE lavametrics_")):
            ours += len(line) + 1
    return ours, len(body) - ours


_OUR_COLLECTION = re.compile(rb"^lavametrics_collector_duration_seconds\{[^}]*\} (\S+)$", re.M)


def _our_collection_seconds(body: bytes) -> float | None:
    """The plugin's own account of what collecting its families cost (the sum of its groups'
    ``lavametrics_collector_duration_seconds``): our share of a scrape, apart from core's
    collectors and the HTTP around them. None without the plugin."""
    values = _OUR_COLLECTION.findall(body)
    return sum(float(v) for v in values) if values else None


def scrape_cost(player_counts=(0, 100, 1000), requests: int = 100, gap: float = 0.05) -> dict:
    results = []
    with tempfile.TemporaryDirectory(prefix="lavametrics-bench-audio-") as audio_dir:
        audio = write_tone(Path(audio_dir) / "scrape.wav", seconds=600)
        for plugin in (True, False):
            with tempfile.TemporaryDirectory(prefix="lavametrics-bench-node-") as workdir:
                node = start_node(workdir=Path(workdir), plugin=plugin, timeout=180)
                try:
                    with LavalinkSession(
                        node.url, node.password, client_name="lavametrics-bench", timeout=60
                    ) as session:
                        track = session.load(str(audio))["data"]
                        created = 0
                        for count in sorted(player_counts):
                            for guild in range(FIRST_GUILD + created, FIRST_GUILD + count):
                                session.update_player(guild, {"track": {"encoded": track["encoded"]}, "paused": True})
                            created = max(created, count)
                            results.append(
                                {
                                    "plugin": plugin,
                                    "players": count,
                                    "server": _server_name(node),
                                    **_scrapes(node.metrics_url, requests, gap),
                                }
                            )
                finally:
                    node.stop()
    return {"requests": requests, "results": results}


def _scrapes(url: str, requests: int, gap: float) -> dict:
    for _ in range(5):  # warm-up
        with urllib.request.urlopen(url, timeout=30) as resp:
            resp.read()
    latencies, collections, body = [], [], b""
    for _ in range(requests):
        t0 = time.perf_counter()
        with urllib.request.urlopen(url, timeout=30) as resp:
            body = resp.read()
        latencies.append(time.perf_counter() - t0)
        ours_seconds = _our_collection_seconds(body)
        if ours_seconds is not None:
            collections.append(ours_seconds)
        time.sleep(gap)
    ours, core = _split_bytes(body)
    return {
        "p50_ms": 1000 * _percentile(latencies, 0.5),
        "p99_ms": 1000 * _percentile(latencies, 0.99),
        # what the plugin's own collection took, from its self metrics (None without it)
        "ours_p50_ms": 1000 * _percentile(collections, 0.5) if collections else None,
        "ours_p99_ms": 1000 * _percentile(collections, 0.99) if collections else None,
        "bytes": len(body),
        "our_bytes": ours,
        "core_bytes": core,
        "our_lines": sum(1 for line in body.split(b"\n") if line.startswith(b"lavametrics_")),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lavametrics.devtools.bench_node")
    sub = ap.add_subparsers(dest="what", required=True)
    p = sub.add_parser("ab", help="interleaved pairs of runs with and without the plugin")
    p.add_argument("--pairs", type=int, default=5)
    p.add_argument("--players", type=int, default=100)
    p.add_argument("--seconds", type=float, default=30.0, help="measured window per run")
    p.add_argument("--warmup", type=float, default=15.0, help="discarded seconds before each window")
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", help="also write the JSON result to this file")
    p = sub.add_parser("scrape", help="/metrics latency and size against the number of players")
    p.add_argument("--players", default="0,100,1000", help="comma-separated player counts")
    p.add_argument("--requests", type=int, default=100)
    p.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    if a.what == "ab":

        def progress(i, run):
            print(
                f"pair {i + 1}: {'with   ' if run['plugin'] else 'without'} plugin  cpu {run['cpu_percent']:6.1f}%  "
                f"heap {run['heap_used_bytes'] / 2**20:6.1f} MiB  rss {run['rss_bytes'] / 2**20:6.1f} MiB  "
                f"deficit {run['frame_deficit_ratio'] * 100:5.2f}%  players {run['players_connected']}",
                flush=True,
            )

        r = ab(a.pairs, a.players, a.seconds, a.warmup, progress=None if a.json else progress)
        if a.out:
            Path(a.out).write_text(json.dumps(r, indent=2) + "\n")
        if a.json:
            print(json.dumps(r, indent=2))
            return 0
        print(f"{r['server']}, {r['players']} players, {len(r['pairs'])} pairs of {r['seconds']:g} s windows")
        for i, p in enumerate(r["pairs"], 1):
            print(
                f"pair {i}: cpu ratio {p['cpu_ratio']:.3f}  heap {p['heap_difference_bytes'] / 2**20:+.1f} MiB  "
                f"rss {p['rss_difference_bytes'] / 2**20:+.1f} MiB"
            )
        lo, hi = r["cpu_ratio_spread"]
        print(
            f"median cpu ratio {r['median_cpu_ratio']:.3f} (spread {lo:.3f}..{hi:.3f}); median heap difference "
            f"{r['median_heap_difference_bytes'] / 2**20:+.1f} MiB"
        )
        return 0
    counts = tuple(int(c) for c in a.players.split(","))
    r = scrape_cost(counts, a.requests)
    if a.json:
        print(json.dumps(r, indent=2))
        return 0
    for row in r["results"]:
        print(
            f"{'with   ' if row['plugin'] else 'without'} plugin  {row['players']:5d} players  "
            f"p50 {row['p50_ms']:6.1f} ms  p99 {row['p99_ms']:6.1f} ms  {row['bytes']:7d} bytes "
            f"(ours {row['our_bytes']}, core {row['core_bytes']}, {row['our_lines']} lines)  [{row['server']}]"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
