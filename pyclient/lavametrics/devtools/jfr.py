"""Reading a node's Flight Recorder profile: the recording's flags, its events, and who a sample
is charged to. Shared by ``bench_profile`` (the plugin's share of a whole node) and
``bench_node scrape --profile`` (where one scrape's time goes).

The node runs with JDK 17's built-in Flight Recorder from its start (``-XX:StartFlightRecording``
with the JDK's ``profile`` settings: ``jdk.ExecutionSample`` every 10 ms,
``jdk.ObjectAllocationSample`` throttled to 300/s); the recording is dumped with ``jcmd`` and read
with the JDK's ``jfr print --json``.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from lavametrics.devtools import bench_stats
from lavametrics.devtools.node import java_binary

# the plugin's packages; not "dev.lavametrics.": the stand-in node lives in dev.lavametrics.standin
PLUGIN_PREFIX = "dev.lavametrics.plugin."
# jdk.ExecutionSample's period in the JDK's profile settings: each sample stands for this much
# of one thread's Java CPU
SAMPLE_PERIOD_S = 0.010
# Code a sample is charged through to the nearest frame below it that is not of these: the JDK,
# Kotlin's runtime, simpleclient and Jackson are libraries both the node and the plugin call, so
# time in them belongs to whoever called them. Charging by "a plugin frame anywhere on the stack"
# instead would make the plugin own everything it wraps: its servlet filter sits under every REST
# request Lavalink handles, its frame buffer under lavaplayer's (on real 4.2.2 that rule charged
# 56 % of the node's Java samples to the plugin).
LIBRARY_PREFIXES = (
    "java.",
    "javax.",
    "jdk.",
    "sun.",
    "com.sun.",
    "kotlin.",
    "io.prometheus.client.",
    "com.fasterxml.jackson.",
)
# simpleclient's text exposition: the loop that writes every registered family
WRITER_CLASSES = ("io.prometheus.client.exporter.common.TextFormat",)
RECORDING = "lavametrics-bench"


def _jfr() -> str:
    beside = Path(java_binary()).resolve().parent / "jfr"
    if beside.is_file():
        return str(beside)
    raise RuntimeError("jfr not found beside java (it comes with the JDK)")


def jfr_flags(path: Path) -> list[str]:
    return [f"-XX:StartFlightRecording=name={RECORDING},settings=profile,filename={path}"]


def frames(event: Mapping) -> list[str]:
    """The class names on an event's stack, innermost first."""
    stack = (event.get("values") or {}).get("stackTrace") or {}
    out = []
    for frame in stack.get("frames") or []:
        method = frame.get("method") or {}
        out.append(((method.get("type") or {}).get("name") or "").replace("/", "."))
    return out


def methods(event: Mapping) -> list[str]:
    """``Class.method`` for each frame on an event's stack, innermost first."""
    stack = (event.get("values") or {}).get("stackTrace") or {}
    out = []
    for frame in stack.get("frames") or []:
        method = frame.get("method") or {}
        cls = ((method.get("type") or {}).get("name") or "").replace("/", ".")
        out.append(f"{cls}.{method.get('name') or ''}")
    return out


def thread_name(event: Mapping) -> str:
    """The Java name of the thread an event was taken on (sampled or emitting)."""
    values = event.get("values") or {}
    thread = values.get("sampledThread") or values.get("eventThread") or {}
    return str(thread.get("javaName") or thread.get("osName") or "")


def owner(classes: list[str]) -> str | None:
    """The class a sample is charged to: its innermost frame outside the shared libraries."""
    return next((c for c in classes if not c.startswith(LIBRARY_PREFIXES)), None)


def event_time(event: Mapping) -> float:
    """An event's start as seconds since the epoch (``jfr print --json`` writes ISO 8601)."""
    raw = str((event.get("values") or {}).get("startTime"))
    # nanoseconds do not fit datetime: keep microseconds
    head, _, frac = raw.rstrip("Z").partition(".")
    stamp = head + ("." + frac[:6] if frac else "")
    return datetime.fromisoformat(stamp + "+00:00").timestamp()


PROFILE_EVENTS = ("jdk.ExecutionSample", "jdk.ObjectAllocationSample")
# what a scrape's profile also reads: the collector's pauses, which stop the request thread too
SCRAPE_EVENTS = (*PROFILE_EVENTS, "jdk.GarbageCollection")


def read_recording(path: Path, events: tuple[str, ...] = PROFILE_EVENTS) -> list[dict]:
    out = subprocess.run(
        [_jfr(), "print", "--json", "--stack-depth", "64", "--events", ",".join(events), str(path)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    ).stdout
    return json.loads(out)["recording"]["events"]


# the threads of the node's web server: Undertow's (XNIO: its I/O threads and the task threads
# the controller runs on) in real Lavalink, Tomcat's in the stand-in. In a scrape benchmark the
# only requests a node serves in the window are the scrapes
REQUEST_THREAD_PREFIXES = ("XNIO-", "http-nio-")
# on the stack while simpleclient's registry asks a collector for its families (TextFormat's
# loop calls it for the next family): the frames above it are collection, not writing
COLLECTING = "io.prometheus.client.CollectorRegistry$MetricFamilySamplesEnumeration"
SCRAPE_PARTS = ("our_collect", "core_collect", "writing_ours", "writing_core", "our_http", "serving")


def scrape_part(classes: list[str]) -> str:
    """Which part of a scrape a request thread's sample is: collecting our families or core's,
    writing the text (one loop for every family: split later by bytes), the plugin's own code
    around the request (its servlet filter), or the rest of serving it (Spring, Tomcat, the
    controller turning the text into the response)."""
    charged_to = owner(classes)
    ours = charged_to is not None and charged_to.startswith(PLUGIN_PREFIX)
    if COLLECTING in classes:
        return "our_collect" if ours else "core_collect"
    if ours:
        return "our_http"
    if any(c in WRITER_CLASSES for c in classes):
        return "writing"
    return "serving"


def scrape_shares(events: list[dict], t0: float, t1: float, our_byte_share: float, scrapes: int) -> dict:
    """Where the scrapes' time and allocation went inside [t0, t1] (epoch seconds): execution
    samples of the request threads by ``scrape_part`` (the writing split between our families
    and core's by `our_byte_share`), the bytes allocated there per scrape, and the collector's
    pauses over the window (they stop every thread, a scrape's too)."""
    counts = {part: 0.0 for part in SCRAPE_PARTS}
    alloc = {part: 0.0 for part in SCRAPE_PARTS}
    gc_pause_s = 0.0
    gc_count = 0
    for event in events:
        kind = event.get("type")
        stamp = event_time(event)
        if not t0 <= stamp <= t1:
            continue
        if kind == "jdk.GarbageCollection":
            gc_count += 1
            gc_pause_s += _seconds((event.get("values") or {}).get("sumOfPauses"))
            continue
        if not thread_name(event).startswith(REQUEST_THREAD_PREFIXES):
            continue
        part = scrape_part(frames(event))
        weight = 1.0 if kind == "jdk.ExecutionSample" else float((event.get("values") or {}).get("weight") or 0)
        into = counts if kind == "jdk.ExecutionSample" else alloc
        if part == "writing":
            into["writing_ours"] += weight * our_byte_share
            into["writing_core"] += weight * (1 - our_byte_share)
        else:
            into[part] += weight
    samples = sum(counts.values())
    window = max(t1 - t0, 1e-9)
    return {
        "scrape_samples": samples,
        # the request threads' Java CPU per scrape, to set beside its wall time: the rest is waiting
        "java_cpu_ms_per_scrape": 1000 * samples * SAMPLE_PERIOD_S / max(scrapes, 1),
        "shares": {part: (n / samples if samples else 0.0) for part, n in counts.items()},
        "plugin_share": (counts["our_collect"] + counts["writing_ours"] + counts["our_http"]) / samples
        if samples
        else 0.0,
        "alloc_bytes_per_scrape": {part: b / max(scrapes, 1) for part, b in alloc.items()},
        "gc_pauses": gc_count,
        "gc_pause_share": gc_pause_s / window,
    }


def _seconds(value: object) -> float:
    """A JFR duration as ``jfr print --json`` writes it (ISO 8601, e.g. "PT0.0042S"), in seconds."""
    text = str(value or "")
    if not text.startswith("PT"):
        return 0.0
    total, number = 0.0, ""
    for ch in text[2:]:
        if ch.isdigit() or ch == ".":
            number += ch
        else:
            total += float(number or 0) * {"H": 3600, "M": 60, "S": 1}.get(ch, 0)
            number = ""
    return total


def gc_pauses(events: list[dict]) -> list[tuple[float, float]]:
    """(start, end) in epoch seconds of every collection in `events` (``jdk.GarbageCollection``)."""
    out = []
    for event in events:
        if event.get("type") == "jdk.GarbageCollection":
            start = event_time(event)
            out.append((start, start + _seconds((event.get("values") or {}).get("duration"))))
    return out


def slow_in_gc(starts: list[float], latencies: list[float], pauses: list[tuple[float, float]], q: float = 0.99) -> dict:
    """How many scrapes overlapped a collection, among all and among the slowest (latency at or
    above the `q` quantile): when the slow ones are mostly those, the tail is the collector's, and
    it comes as often as the node allocates (here: as often as scrapes allocate)."""

    def overlaps(start: float, seconds: float) -> bool:
        return any(p0 < start + seconds and start < p1 for p0, p1 in pauses)

    hit = [overlaps(s, lat) for s, lat in zip(starts, latencies)]
    threshold = bench_stats.percentile(latencies, q)
    slow = [h for h, lat in zip(hit, latencies) if lat >= threshold]
    return {
        "scrapes": len(hit),
        "in_gc": sum(hit),
        "slow": len(slow),
        "slow_in_gc": sum(slow),
    }
