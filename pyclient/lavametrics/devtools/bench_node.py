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
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from lavametrics.devtools import bench_report, bench_stats, jfr, procs
from lavametrics.devtools.node import Node, NodeError, jcmd, start_node
from lavametrics.devtools.voicelink import connect_and_play, rewind
from lavametrics.devtools.voicesim import VoiceSimulator
from lavametrics.devtools.wavgen import write_tone
from lavametrics.lavalink.session import LavalinkSession, SessionError

FIRST_GUILD = 920_000
FRAMES_PER_SECOND = 50


def heap_used_after_gc(pid: int) -> int:
    """Heap in use after a forced full GC, in bytes."""
    tool = jcmd()
    subprocess.run([tool, str(pid), "GC.run"], check=True, capture_output=True, timeout=60)
    out = subprocess.run(
        [tool, str(pid), "GC.heap_info"], check=True, capture_output=True, text=True, timeout=60
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


class _Sampler:
    """Once a second, for the whole run: the node's CPU and the RTP packets of every guild.

    Both sides of the A/B get exactly the same sampling, and it reads only /proc and the
    simulator's counters (never the node's /metrics: scraping the plugin's frame counters every
    second would add work to the plugin side only). The rows are kept in the run's result, so a
    broken run can be read second by second afterwards.
    """

    def __init__(self, pid: int, sim: VoiceSimulator, guilds: list[int]):
        self.pid, self.sim = pid, sim
        self.guilds = [str(g) for g in guilds]
        self.start = time.monotonic()
        self.rows: list[dict] = []
        self.slices: list[tuple[float, dict[str, int]]] = []  # (seconds, packets per guild)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _read(self) -> tuple[float, float, dict[str, int], int]:
        return time.monotonic(), procs.cpu_seconds(self.pid), self.sim.packets_by_guild(), self.sim.kernel_drops() or 0

    def _run(self) -> None:
        last = self._read()
        while not self._stop.wait(max(0.0, 1.0 - (time.monotonic() - last[0]))):
            try:
                now = self._read()
            except OSError:
                return  # the node is gone; the run reports that
            dt = now[0] - last[0]
            per_guild = {g: now[2].get(g, 0) - last[2].get(g, 0) for g in self.guilds}
            floor = bench_stats.MIN_SLICE_SHARE * FRAMES_PER_SECOND * dt
            with self._lock:
                self.slices.append((dt, per_guild))
                self.rows.append(
                    {
                        "t": round(now[0] - self.start, 2),
                        "cpu_percent": round(100 * (now[1] - last[1]) / dt, 1),
                        "packets_per_s": round(sum(per_guild.values()) / dt, 1),
                        "streaming": sum(1 for v in per_guild.values() if v >= floor),
                        "kernel_drops": now[3] - last[3],
                    }
                )
            last = now

    def between(self, t0: float, t1: float) -> list[tuple[float, dict[str, int]]]:
        """The slices wholly inside monotonic times [t0, t1] (the sampler's clock is not aligned
        with the window, so its first and last partial slices are left out)."""
        with self._lock:
            ends = [r["t"] + self.start for r in self.rows]
            return [sl for sl, end in zip(self.slices, ends) if end - sl[0] >= t0 - 0.01 and end <= t1 + 0.01]

    def steady(self, seconds: int, players: int) -> bool:
        """The last `seconds` slices had every player streaming and (together) at most the
        allowed frame deficit: the node delivers the whole workload, so a window can start."""
        with self._lock:
            recent = self.slices[-seconds:]
        if len(recent) < seconds:
            return False
        if bench_stats.silent_slices(recent, self.guilds, FRAMES_PER_SECOND):
            return False
        expected = FRAMES_PER_SECOND * players * sum(dt for dt, _ in recent)
        delivered = sum(sum(c.values()) for _, c in recent)
        return bench_stats.frame_deficit(expected, delivered) <= bench_stats.MAX_FRAME_DEFICIT


def warm_up(
    sampler: _Sampler, players: int, warmup: float, max_warmup: float, steady_seconds: int = 5
) -> tuple[float, bool]:
    """Wait at least `warmup` seconds, then until the node has delivered the whole workload for
    `steady_seconds` (see ``_Sampler.steady``), at most `max_warmup` in all: (seconds waited, steady)."""
    start = time.monotonic()
    time.sleep(warmup)
    while not sampler.steady(steady_seconds, players) and time.monotonic() - start < max_warmup:
        time.sleep(1.0)
    return time.monotonic() - start, sampler.steady(steady_seconds, players)


def _handshake_spread(sim: VoiceSimulator, guilds: list[int]) -> float | None:
    """Seconds between the first and the last guild's completed voice handshake: a long one
    means one connection held the others up (kept in the result as evidence)."""
    times = [s.connected_at for g in guilds if (s := sim.gateway.sessions.get(str(g))) and s.connected_at]
    return max(times) - min(times) if times else None


NMT_FLAG = "-XX:NativeMemoryTracking=summary"


def native_memory(pid: int) -> dict[str, int]:
    """Committed bytes per Native Memory Tracking category (``jcmd <pid> VM.native_memory summary``)."""
    out = subprocess.run(
        [jcmd(), str(pid), "VM.native_memory", "summary"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    return parse_native_memory(out)


_NMT_LINE = re.compile(r"^-\s+(?P<name>[A-Za-z][\w ]*?)\s+\(reserved=(?P<r>\d+)KB, committed=(?P<c>\d+)KB\)", re.M)
_NMT_TOTAL = re.compile(r"^Total: reserved=(?P<r>\d+)KB, committed=(?P<c>\d+)KB", re.M)


def parse_native_memory(text: str) -> dict[str, int]:
    """{category: committed bytes} from an NMT summary, with "Total" for the whole JVM."""
    found = {m.group("name").strip(): int(m.group("c")) * 1024 for m in _NMT_LINE.finditer(text)}
    total = _NMT_TOTAL.search(text)
    if total:
        found["Total"] = int(total.group("c")) * 1024
    return found


_JIT_COUNTERS = {
    "sun.ci.totalCompiles": "compiles",
    "sun.ci.totalInvalidates": "invalidations",
    "sun.ci.totalBailouts": "bailouts",
    "java.ci.totalTime": "compile_ticks",
}


def jit_counters(pid: int) -> dict[str, int]:
    """The JIT compiler's running totals (``jcmd <pid> PerfCounter.print``): compiles,
    invalidations (deoptimised code thrown away), bailouts and compile time in ticks. A side
    that keeps compiling or deoptimising through the window spends CPU on its compiler threads
    that is not the workload's; the A/B reports it per run."""
    out = subprocess.run(
        [jcmd(), str(pid), "PerfCounter.print"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    return parse_jit_counters(out)


def parse_jit_counters(text: str) -> dict[str, int]:
    found = {}
    for line in text.splitlines():
        name, _, value = line.partition("=")
        if name in _JIT_COUNTERS and value.strip().isdigit():
            found[_JIT_COUNTERS[name]] = int(value)
    return found


def _players_connected(sim: VoiceSimulator) -> int:
    return sum(1 for s in sim.stats().values() if s.get("connected"))


def run_once(
    plugin: bool,
    sim: VoiceSimulator,
    audio: Path,
    *,
    players: int,
    seconds: float,
    warmup: float,
    max_warmup: float | None = None,
    steady_seconds: int = 5,
    nmt: bool = True,
) -> dict:
    """One run: a fresh node, `players` streaming, a warm-up until the whole workload is
    delivered (at least `warmup` seconds, at most `max_warmup`), then the measured window.

    Players are rewound once all are connected (``voicelink.rewind``): before, the first
    players had played for as long as connecting took, and after one slow voice handshake their
    tone ran out inside the window (the 17-31 % deficits, see ``docs/benchmarks.md``, "Warm-up").
    The warm-up then lasts until `steady_seconds` consecutive seconds had every player streaming
    and the frame deficit within bounds (a fixed 15 s does not cover a fresh node on a busy
    machine); a node that never gets there gives an invalid run.
    """
    max_warmup = max(warmup, max_warmup if max_warmup is not None else 4 * warmup)
    jvm_args = [*sim.jvm_args(), *([NMT_FLAG] if nmt else [])]
    with tempfile.TemporaryDirectory(prefix="lavametrics-bench-node-") as workdir:
        node = start_node(workdir=Path(workdir), plugin=plugin, jvm_args=jvm_args, timeout=180)
        result: dict[str, Any] = {"plugin": plugin, "server": _server_name(node), "players": players}
        # where a failed run stopped, with the simulator's view and the node's threads at that
        # moment: "TimeoutError: timed out" alone does not say which call hung, or on what
        phase = "opening the session"
        sampler: _Sampler | None = None
        try:
            assert node.process is not None  # start_node returns a started node
            pid = node.process.pid
            guilds = list(range(FIRST_GUILD, FIRST_GUILD + players))
            with (
                LavalinkSession(node.url, node.password, client_name="lavametrics-bench", timeout=60) as session,
                _Sampler(pid, sim, guilds) as sampler,
            ):
                phase = "connecting the players"
                t_connect = time.monotonic()
                connect_and_play(session, sim, guilds, str(audio), timeout=120)
                result["connect_s"] = time.monotonic() - t_connect
                result["handshake_spread_s"] = _handshake_spread(sim, guilds)
                # every stream from the top of the tone, however long connecting took (see rewind)
                phase = "rewinding"
                rewind(session, guilds)
                phase = "warming up"
                with _Traffic(node, str(audio), guilds) as traffic:
                    result["warmup_s"], result["steady"] = warm_up(sampler, players, warmup, max_warmup, steady_seconds)
                    if result["steady"]:
                        phase = "measuring"
                        jit0 = jit_counters(pid)  # before t0: the attach's own work stays out of the window
                        threads0 = procs.thread_cpu_seconds(pid)
                        t0, c0, p0 = time.monotonic(), procs.cpu_seconds(pid), sum(sim.packets_by_guild().values())
                        time.sleep(seconds)
                        t1, c1, p1 = time.monotonic(), procs.cpu_seconds(pid), sum(sim.packets_by_guild().values())
                        threads1 = procs.thread_cpu_seconds(pid)
                        jit1 = jit_counters(pid)
                        time.sleep(1.1)  # let the sampler close the slice holding t1
                phase = "reading memory"
                if result["steady"]:
                    result["heap_used_bytes"] = heap_used_after_gc(pid)
                    result["rss_bytes"] = procs.memory_bytes(pid)["VmRSS"]
                    if nmt:
                        result["native_memory"] = native_memory(pid)
                result["players_connected"] = _players_connected(sim)
                phase = "destroying the players"
                for guild in guilds:
                    session.destroy_player(guild)
            result["per_second"] = sampler.rows
            result["rest_requests"], result["traffic_errors"] = traffic.requests, traffic.errors
            if result["steady"]:
                window = t1 - t0
                expected = FRAMES_PER_SECOND * players * window
                # slices wholly inside the window (the sampler's clock is not aligned with it)
                inside = sampler.between(t0, t1)
                silent = bench_stats.silent_slices(inside, sampler.guilds, FRAMES_PER_SECOND)
                result.update(
                    {
                        "window_s": window,
                        "cpu_seconds": c1 - c0,
                        "cpu_percent": 100 * (c1 - c0) / window,
                        "packets": p1 - p0,
                        "expected_frames": expected,
                        "frame_deficit_ratio": bench_stats.frame_deficit(expected, p1 - p0),
                        "window_slices": len(inside),
                        "silent_players": silent,
                        "cpu_seconds_by_thread": {
                            g: round(threads1[g] - threads0.get(g, 0.0), 3) for g in sorted(threads1)
                        },
                        "jit_in_window": {k: jit1[k] - jit0.get(k, 0) for k in jit1},
                    }
                )
        except (SessionError, NodeError, OSError, subprocess.SubprocessError) as exc:
            result["error"] = f"{phase}: {type(exc).__name__}: {exc}"
            result["players_connected"] = _players_connected(sim)
            if sampler is not None:
                result["per_second"] = sampler.rows
            result["thread_dump"] = node.thread_dump()
        finally:
            node.stop()
    result["invalid_reasons"] = bench_stats.invalid_reasons(result, players)
    result["valid"] = not result["invalid_reasons"]
    return result


def thread_differences(a: dict, b: dict) -> dict[str, float]:
    """With - without, per thread group, in % of one core over each run's own window: where a
    pair's CPU difference comes from (the playback threads, the network, the JIT, GC, ...)."""
    ua, ub = a.get("cpu_seconds_by_thread") or {}, b.get("cpu_seconds_by_thread") or {}
    return {
        g: round(100 * (ua.get(g, 0.0) / a["window_s"] - ub.get(g, 0.0) / b["window_s"]), 2)
        for g in sorted(set(ua) | set(ub))
    }


# thread groups under this share of a core on both sides are left out of the summary
_THREAD_GROUP_FLOOR_PERCENT = 0.2


def _thread_summary(pairs: list[dict], confidence: float) -> dict[str, dict]:
    """Per thread group: each side's median use and the median difference with its interval."""
    with_plugin = [p for p in pairs if p.get("cpu_difference_by_thread_percent")]
    groups = sorted({g for p in with_plugin for g in p["cpu_difference_by_thread_percent"]})
    out = {}
    for g in groups:
        use = {
            side: statistics.median(
                100 * p[side]["cpu_seconds_by_thread"].get(g, 0.0) / p[side]["window_s"] for p in with_plugin
            )
            for side in ("with", "without")
        }
        if max(use.values()) < _THREAD_GROUP_FLOOR_PERCENT:
            continue
        diffs = [p["cpu_difference_by_thread_percent"].get(g, 0.0) for p in with_plugin]
        out[g] = {
            "with_percent": round(use["with"], 2),
            "without_percent": round(use["without"], 2),
            "median_difference_percent": round(statistics.median(diffs), 2),
            "difference_ci_percent": bench_stats.median_ci(diffs, confidence),
        }
    return out


def _pair_summary(pairs: list[dict], confidence: float) -> dict:
    ratios = [p["cpu_ratio"] for p in pairs]
    heaps = [p["heap_difference_bytes"] for p in pairs]
    rss = [p["rss_difference_bytes"] for p in pairs]
    out: dict[str, Any] = {
        "cpu_ratio": bench_stats.summarize_ratios(ratios, confidence).as_dict(),
        "median_cpu_ratio": statistics.median(ratios) if ratios else None,
        "cpu_ratio_spread": (min(ratios), max(ratios)) if ratios else None,
        "median_heap_difference_bytes": statistics.median(heaps) if heaps else None,
        "heap_difference_spread_bytes": (min(heaps), max(heaps)) if heaps else None,
        "median_rss_difference_bytes": statistics.median(rss) if rss else None,
        "rss_difference_ci_bytes": bench_stats.median_ci(rss, confidence),
    }
    # RSS moves with the Java heap's committed size, which G1 grows and shrinks with GC timing on
    # either side; the rest of the difference is what the plugin adds outside the heap
    outside = [
        p["rss_difference_bytes"] - p["native_memory_difference_bytes"].get("Java Heap", 0)
        for p in pairs
        if "native_memory_difference_bytes" in p
    ]
    out["cpu_by_thread"] = _thread_summary(pairs, confidence)
    out["median_rss_outside_heap_difference_bytes"] = statistics.median(outside) if outside else None
    out["rss_outside_heap_difference_ci_bytes"] = bench_stats.median_ci(outside, confidence)
    # the RSS difference by NMT category: where the resident memory of the plugin side goes
    categories = sorted({c for p in pairs for c in p.get("native_memory_difference_bytes", {})})
    out["native_memory_difference_bytes"] = {
        c: statistics.median(p["native_memory_difference_bytes"].get(c, 0) for p in pairs) for c in categories
    }
    return out


# The window opens once the node runs its steady state, which is what "runtime overhead" means.
# On real Lavalink 4.2.2 with 100 players (2026-12-07) the JIT compiler threads used 5-7 % of a
# core until ~80 s after streaming began and 0-2.6 % after, and the code that runs a few times a
# second (the plugin's read of each playerUpdate, its REST hooks, the scrape) was still leaving
# the interpreter: with a 15 s warm-up both showed up as plugin overhead. What the warm-up costs
# is reported apart (docs/benchmarks.md, "JIT warm-up").
AB_WARMUP = 90.0
AB_SECONDS = 60.0


def ab(
    pairs: int = 5,
    players: int = 100,
    seconds: float = AB_SECONDS,
    warmup: float = AB_WARMUP,
    progress=None,
    *,
    max_pairs: int | None = None,
    target_ci: float | None = None,
    confidence: float = 0.95,
    retries: int = 2,
    max_warmup: float | None = None,
    nmt: bool = True,
) -> dict:
    """At least `pairs` pairs of valid runs; with `target_ci`, more pairs (up to `max_pairs`)
    until the interval of the median ratio is within ±target_ci. A run that is invalid is
    repeated up to `retries` times; a pair whose side stays invalid is dropped, and every
    invalid run is listed with its reasons."""
    max_pairs = max(pairs, max_pairs or pairs)
    done: list[dict] = []
    invalid: list[dict] = []
    with (
        tempfile.TemporaryDirectory(prefix="lavametrics-bench-sim-") as sim_dir,
        VoiceSimulator(workdir=Path(sim_dir)) as sim,
        tempfile.TemporaryDirectory(prefix="lavametrics-bench-audio-") as audio_dir,
    ):
        # players are rewound once connected (see voicelink.rewind), which only works while a
        # player's decoder has not reached the end of the tone: so the tone also covers
        # connecting (120 s, the handshake timeout), then the longest warm-up, the window and a
        # margin. A stream that still ends early makes its run invalid.
        longest = 120 + max(warmup, max_warmup or 4 * warmup) + seconds + 60
        audio = write_tone(Path(audio_dir) / "bench.wav", seconds=longest)
        i = 0
        while i < max_pairs:
            if i >= pairs and (
                target_ci is None
                or bench_stats.precise_enough(
                    bench_stats.summarize_ratios([p["cpu_ratio"] for p in done], confidence), target_ci
                )
            ):
                break
            pair: dict[str, Any] = {"index": i + 1, "order": "with first" if i % 2 == 0 else "without first"}
            # A B, B A, A B, ...: a machine whose load drifts during the runs favours whichever
            # side runs later; alternating the order cancels that out over the pairs
            for plugin in (True, False) if i % 2 == 0 else (False, True):
                for attempt in range(retries + 1):
                    run = run_once(
                        plugin,
                        sim,
                        audio,
                        players=players,
                        seconds=seconds,
                        warmup=warmup,
                        max_warmup=max_warmup,
                        nmt=nmt,
                    )
                    run["pair"], run["attempt"] = i + 1, attempt + 1
                    if progress:
                        progress(i, run)
                    if run["valid"]:
                        pair["with" if plugin else "without"] = run
                        break
                    invalid.append(run)
                else:
                    break  # this side stayed invalid: the pair is dropped
            i += 1
            if "with" not in pair or "without" not in pair:
                continue
            a, b = pair["with"], pair["without"]
            pair["cpu_ratio"] = a["cpu_seconds"] / b["cpu_seconds"]
            pair["cpu_difference_by_thread_percent"] = thread_differences(a, b)
            pair["heap_difference_bytes"] = a["heap_used_bytes"] - b["heap_used_bytes"]
            pair["rss_difference_bytes"] = a["rss_bytes"] - b["rss_bytes"]
            if "native_memory" in a and "native_memory" in b:
                pair["native_memory_difference_bytes"] = {
                    c: a["native_memory"].get(c, 0) - b["native_memory"].get(c, 0)
                    for c in sorted(set(a["native_memory"]) | set(b["native_memory"]))
                }
            done.append(pair)
    return {
        "pairs": done,
        "invalid_runs": [
            {
                k: r.get(k)
                for k in (
                    "pair",
                    "attempt",
                    "plugin",
                    "invalid_reasons",
                    "frame_deficit_ratio",
                    "cpu_percent",
                    "warmup_s",
                    "players_connected",
                    "per_second",
                    "thread_dump",
                )
            }
            for r in invalid
        ],
        "players": players,
        "seconds": seconds,
        "warmup": warmup,
        "target_ci": target_ci,
        "server": done[0]["with"]["server"] if done else None,
        "jvm_opts": os.environ.get("LAVAMETRICS_NODE_JAVA_OPTS", "-Xmx384m") + (f" {NMT_FLAG}" if nmt else ""),
        **_pair_summary(done, confidence),
    }


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


class CpuBurn:
    """A defined background load: `threads` processes each spinning on a core until stopped.

    "Under load" then means the same thing on every run, not whatever else the machine happens
    to run (which is still there, so the load average is recorded beside the numbers). Processes,
    not Python threads: threads would share one interpreter lock and burn about one core in all.
    """

    def __init__(self, threads: int):
        self.threads = threads
        self.pids: list[int] = []
        self._procs: list[subprocess.Popen] = []

    def __enter__(self) -> CpuBurn:
        for _ in range(self.threads):
            p = subprocess.Popen([sys.executable, "-c", "while True: pass"], stdin=subprocess.DEVNULL)
            self._procs.append(p)
            self.pids.append(p.pid)
        return self

    def __exit__(self, *exc) -> None:
        for p in self._procs:
            p.terminate()
        for p in self._procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
        self._procs.clear()


def _scrape(url: str) -> tuple[float, bytes]:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as resp:
        body = resp.read()
    return time.perf_counter() - t0, body


def interleaved_scrapes(urls: dict[str, str], rounds: int, gap: float, scrape=_scrape) -> dict[str, dict]:
    """`rounds` rounds of one scrape of each node, in the order ``bench_stats.interleaved_order``
    gives, `gap` seconds apart: {side: {"latencies": [...], "starts": [epoch seconds], "collections": [...],
    "body": the last body}}.
    Round i of one side is round i of the other (the pairing ``bench_stats.block_ratios`` uses)."""
    out: dict[str, dict[str, Any]] = {
        side: {"latencies": [], "starts": [], "collections": [], "body": b""} for side in urls
    }
    for order in bench_stats.interleaved_order(rounds):
        for side in order:
            out[side]["starts"].append(time.time())
            seconds, body = scrape(urls[side])
            out[side]["latencies"].append(seconds)
            out[side]["body"] = body
            ours = _our_collection_seconds(body)
            if ours is not None:
                out[side]["collections"].append(ours)
        time.sleep(gap)
    return out


def _side_summary(side: dict) -> dict:
    latencies, collections, body = side["latencies"], side["collections"], side["body"]
    ours, core = _split_bytes(body)
    return {
        "p50_ms": 1000 * bench_stats.percentile(latencies, 0.5),
        "p99_ms": 1000 * bench_stats.percentile(latencies, 0.99),
        # what the plugin's own collection took, from its self metrics (None without it)
        "ours_p50_ms": 1000 * bench_stats.percentile(collections, 0.5) if collections else None,
        "ours_p99_ms": 1000 * bench_stats.percentile(collections, 0.99) if collections else None,
        "bytes": len(body),
        "our_bytes": ours,
        "core_bytes": core,
        "our_lines": sum(1 for line in body.split(b"\n") if line.startswith(b"lavametrics_")),
    }


def compare(measured: dict[str, dict], blocks: int, confidence: float = 0.95) -> dict:
    """p50 and p99 of the plugin side over the other side's, from the paired rounds."""
    a, b = measured["with"]["latencies"], measured["without"]["latencies"]
    return {
        "p99": bench_stats.quantile_ratio(a, b, 0.99, blocks, confidence),
        "p50": bench_stats.quantile_ratio(a, b, 0.5, blocks, confidence),
    }


def scrape_cost(
    player_counts=(0, 100, 1000),
    rounds: int = 1000,
    gap: float = 0.05,
    *,
    burn_threads: int = 4,
    blocks: int = 10,
    profile_dir: Path | None = None,
    plugin_jar: Path | None = None,
    progress=None,
) -> dict:
    """Both nodes (with the plugin and without) run at once with the same players; per player
    count, `rounds` interleaved rounds of scrapes under `burn_threads` CPU-burning processes.

    With `profile_dir`, both nodes run under JFR and each count's window is read back: where the
    plugin node's scrapes' samples went (``jfr.scrape_shares``) and, on both, how many of the
    slowest scrapes ran into a collection (``jfr.slow_in_gc``). The recordings add work (a few
    per cent, on both sides), so the numbers to compare come from a run without them.
    `plugin_jar` runs another build of the plugin than the checkout's (a before/after)."""
    results: list[dict] = []
    comparisons: list[dict] = []
    profiles: list[dict] = []
    nodes: dict[str, Node] = {}
    with (
        tempfile.TemporaryDirectory(prefix="lavametrics-bench-audio-") as audio_dir,
        tempfile.TemporaryDirectory(prefix="lavametrics-bench-node-a-") as dir_a,
        tempfile.TemporaryDirectory(prefix="lavametrics-bench-node-b-") as dir_b,
    ):
        audio = write_tone(Path(audio_dir) / "scrape.wav", seconds=600)
        recordings = {"with": Path(dir_a) / "node.jfr", "without": Path(dir_b) / "node.jfr"}
        try:
            nodes["with"] = start_node(
                workdir=Path(dir_a),
                plugin=True,
                plugin_jar=plugin_jar,
                jvm_args=jfr.jfr_flags(recordings["with"]) if profile_dir else None,
                timeout=180,
            )
            nodes["without"] = start_node(
                workdir=Path(dir_b),
                plugin=False,
                jvm_args=jfr.jfr_flags(recordings["without"]) if profile_dir else None,
                timeout=180,
            )
            sessions = {
                side: LavalinkSession(node.url, node.password, client_name="lavametrics-bench", timeout=60)
                for side, node in nodes.items()
            }
            try:
                tracks = {side: s.load(str(audio))["data"] for side, s in sessions.items()}
                created = 0
                for count in sorted(player_counts):
                    for side, session in sessions.items():
                        for guild in range(FIRST_GUILD + created, FIRST_GUILD + count):
                            session.update_player(
                                guild, {"track": {"encoded": tracks[side]["encoded"]}, "paused": True}
                            )
                    created = max(created, count)
                    urls = {side: node.metrics_url for side, node in nodes.items()}
                    interleaved_scrapes(urls, 5, gap)  # warm-up, discarded
                    with CpuBurn(burn_threads):
                        load_before = os.getloadavg()[0]
                        t0 = time.time()
                        measured = interleaved_scrapes(urls, rounds, gap)
                        t1 = time.time()
                        load_after = os.getloadavg()[0]
                    for side, node in nodes.items():
                        results.append(
                            {
                                "plugin": side == "with",
                                "players": count,
                                "server": _server_name(node),
                                **_side_summary(measured[side]),
                            }
                        )
                    comparison = {
                        "players": count,
                        "load_average": (load_before, load_after),
                        **compare(measured, blocks),
                    }
                    comparisons.append(comparison)
                    if profile_dir is not None:
                        profiles.append(_profile_window(nodes, recordings, profile_dir, count, t0, t1, measured))
                    if progress:
                        progress(comparison, results[-2:])
            finally:
                for s in sessions.values():
                    s.close()
        finally:
            for node in nodes.values():
                node.stop()
    return {
        "rounds": rounds,
        "gap_s": gap,
        "burn_threads": burn_threads,
        "cpus": os.cpu_count(),
        "blocks": blocks,
        "plugin_jar": str(plugin_jar) if plugin_jar else None,
        "results": results,
        "comparisons": comparisons,
        "profiles": profiles,
    }


def _profile_window(
    nodes: dict[str, Node], recordings: dict[str, Path], keep: Path, players: int, t0: float, t1: float, measured
) -> dict:
    """Where the plugin node's scrapes went in [t0, t1] (``jfr.scrape_shares``), and on both
    nodes how many of the slowest scrapes ran into a collection (``jfr.slow_in_gc``)."""
    events: dict[str, list[dict]] = {}
    kept = {}
    for side, node in nodes.items():
        assert node.process is not None
        subprocess.run(
            [jcmd(), str(node.process.pid), "JFR.dump", f"name={jfr.RECORDING}", f"filename={recordings[side]}"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        keep.mkdir(parents=True, exist_ok=True)
        kept[side] = keep / f"scrape-{players}-players-{side}.jfr"
        shutil.copy2(recordings[side], kept[side])
        events[side] = jfr.read_recording(
            recordings[side], jfr.SCRAPE_EVENTS if side == "with" else ("jdk.GarbageCollection",)
        )
    ours, core = _split_bytes(measured["with"]["body"])
    return {
        "players": players,
        "recording": str(kept["with"]),
        "window_epoch": (t0, t1),  # to read the kept recordings again over the same window
        **jfr.scrape_shares(events["with"], t0, t1, ours / (ours + core), len(measured["with"]["latencies"])),
        "gc": {
            side: jfr.slow_in_gc(measured[side]["starts"], measured[side]["latencies"], jfr.gc_pauses(events[side]))
            for side in nodes
        },
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lavametrics.devtools.bench_node")
    sub = ap.add_subparsers(dest="what", required=True)
    p = sub.add_parser("ab", help="interleaved pairs of runs with and without the plugin")
    p.add_argument("--pairs", type=int, default=5)
    p.add_argument("--players", type=int, default=100)
    p.add_argument("--seconds", type=float, default=AB_SECONDS, help="measured window per run")
    p.add_argument(
        "--warmup",
        type=float,
        default=AB_WARMUP,
        help="minimum warm-up before each window, seconds (long enough for the JIT to settle)",
    )
    p.add_argument(
        "--max-warmup",
        type=float,
        default=None,
        help="longest warm-up waiting for every player to stream (default 4 x --warmup); past it the run is invalid",
    )
    p.add_argument("--max-pairs", type=int, default=None, help="pair budget for --target-ci (default --pairs)")
    p.add_argument(
        "--target-ci",
        type=float,
        default=None,
        help="add pairs until the 95%% interval of the median ratio is within +-this (0.02 = 2%%) "
        "or the pair budget is spent",
    )
    p.add_argument("--retries", type=int, default=2, help="repeats of an invalid run before its pair is dropped")
    p.add_argument("--no-nmt", action="store_true", help="run the JVMs without Native Memory Tracking")
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", help="also write the JSON result to this file")
    p = sub.add_parser("scrape", help="/metrics latency and size against the number of players, both nodes interleaved")
    p.add_argument("--players", default="0,100,1000", help="comma-separated player counts")
    p.add_argument("--rounds", type=int, default=1000, help="interleaved rounds (one scrape of each node) per count")
    p.add_argument("--gap", type=float, default=0.05, help="seconds between rounds")
    p.add_argument("--burn", type=int, default=4, help="CPU-burning processes running through the measurement")
    p.add_argument("--blocks", type=int, default=10, help="blocks of rounds the ratio's interval is built from")
    p.add_argument("--profile", help="run both nodes under JFR and keep each count's recordings here")
    p.add_argument("--plugin-jar", help="the plugin build to measure (default: the checkout's)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", help="also write the JSON result to this file")
    a = ap.parse_args(argv)
    if a.what == "ab":

        def progress(i, run):
            if not run["valid"]:
                print(
                    f"pair {i + 1}: INVALID run, {'with' if run['plugin'] else 'without'} plugin: "
                    + "; ".join(run["invalid_reasons"]),
                    flush=True,
                )
                return
            jit = run.get("jit_in_window") or {}
            print(
                f"pair {i + 1}: {'with   ' if run['plugin'] else 'without'} plugin  cpu {run['cpu_percent']:6.1f}%  "
                f"heap {run['heap_used_bytes'] / 2**20:6.1f} MiB  rss {run['rss_bytes'] / 2**20:6.1f} MiB  "
                f"deficit {run['frame_deficit_ratio'] * 100:5.2f}%  players {run['players_connected']}  "
                f"warm-up {run['warmup_s']:.0f} s  JIT in window: {jit.get('compiles', 0)} compiles, "
                f"{jit.get('invalidations', 0)} invalidations",
                flush=True,
            )

        r = ab(
            a.pairs,
            a.players,
            a.seconds,
            a.warmup,
            progress=None if a.json else progress,
            max_pairs=a.max_pairs,
            target_ci=a.target_ci,
            retries=a.retries,
            max_warmup=a.max_warmup,
            nmt=not a.no_nmt,
        )
        if a.out:
            Path(a.out).write_text(json.dumps(r, indent=2) + "\n")
        if a.json:
            print(json.dumps(r, indent=2))
            return 0
        for line in bench_report.ab_lines(r, per_pair=True):
            print(line)
        return 0
    counts = tuple(int(c) for c in a.players.split(","))

    def scrape_progress(comparison, rows):
        if not a.json:
            for line in bench_report.scrape_lines(
                {"results": rows, "comparisons": [comparison], "burn_threads": a.burn}
            ):
                print(line, flush=True)

    r = scrape_cost(
        counts,
        a.rounds,
        a.gap,
        burn_threads=a.burn,
        blocks=a.blocks,
        profile_dir=Path(a.profile) if a.profile else None,
        plugin_jar=Path(a.plugin_jar) if a.plugin_jar else None,
        progress=scrape_progress,
    )
    if a.out:
        Path(a.out).write_text(json.dumps(r, indent=2) + "\n")
    if a.json:
        print(json.dumps(r, indent=2))
        return 0
    print("all counts:")
    for line in bench_report.scrape_profile_lines(r):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
