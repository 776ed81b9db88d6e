"""``promtool test rules`` cases: every alert fires on the fault it is for and stays quiet otherwise.

Each alert has at least one case where it fires (with its exact labels and annotations) and
cases where it must not: flapping input, counter resets (a restarted node or bot), a node
that left service discovery, traffic too small to judge. Durations and counts follow the
config; ratios and the job labels (``lavalink``, ``bot``) are written for the default
thresholds and selectors: with a mixin.yml that moves them, a failing case tells which.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from prometheus_client.utils import floatToGoString

from lavametrics.buckets import LATENCY_BUCKETS
from lavametrics.mixin.config import MixinConfig, Timings, duration_seconds
from lavametrics.mixin.rules import Alert, alerts

STEP = int(duration_seconds(Timings().scrape_interval))  # seconds between input samples: one scrape

NODE_A = {"job": "lavalink", "instance": "node-a:2333", "node": "a"}
NODE_B = {"job": "lavalink", "instance": "node-b:2333", "node": "b"}
MERGED = {"job": "lavametrics-merge", "instance": "bot:9478", "node": "c"}
BOT = {"job": "bot", "instance": "bot:8000"}
LATENCY_LE = (*map(floatToGoString, LATENCY_BUCKETS), "+Inf")  # as BotMetrics exports them


# --- Go template expansion, for the expected annotations ----------------------------------


def _go_g4(v: float) -> str:
    return f"{v:.4g}"


def humanize(v: float) -> str:
    if v == 0:
        return _go_g4(v)
    if abs(v) >= 1:
        prefix = ""
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(v) < 1000:
                break
            prefix, v = p, v / 1000
        return _go_g4(v) + prefix
    prefix = ""
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(v) >= 1:
            break
        prefix, v = p, v * 1000
    return _go_g4(v) + prefix


def expand(template: str, labels: dict[str, str], value: float | None) -> str:
    """The subset of Prometheus' alert templating the rules use."""

    def sub(m: re.Match) -> str:
        expr = m.group(1).strip()
        if expr.startswith("$labels."):
            return labels.get(expr[len("$labels.") :], "")
        if value is None:
            raise ValueError(f"template {template!r} needs the alert's value")
        if expr == "$value":
            return str(value)
        if expr == "$value | humanize":
            return humanize(value)
        if expr == "$value | humanizePercentage":
            return _go_g4(value * 100) + "%"
        raise ValueError(f"unsupported template expression {expr!r}")

    return re.sub(r"\{\{(.*?)\}\}", sub, template)


# --- input series -------------------------------------------------------------------------


def _labels(labels: dict[str, str]) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def series(name: str, labels: dict[str, str], values: str) -> dict:
    return {"series": name + _labels(labels), "values": values}


def explicit(values) -> str:
    return " ".join(f"{v:g}" if isinstance(v, (int, float)) else v for v in values)


def histogram(
    name: str, labels: dict[str, str], per_step: list[list[float]], buckets: tuple[str, ...] = LATENCY_LE
) -> list[dict]:
    """Cumulative bucket, _count and _sum series from the observations made in each step."""
    bounds = [float("inf") if b == "+Inf" else float(b) for b in buckets]
    cum = {b: 0.0 for b in buckets}
    count = total = 0.0
    rows: dict[str, list[float]] = {b: [] for b in buckets}
    counts: list[float] = []
    sums: list[float] = []
    for step in per_step:
        for obs in step:
            for b, bound in zip(buckets, bounds, strict=True):
                if obs <= bound:
                    cum[b] += 1
            count += 1
            total += obs
        for b in buckets:
            rows[b].append(cum[b])
        counts.append(count)
        sums.append(round(total, 6))
    out = [series(f"{name}_bucket", {**labels, "le": b}, explicit(rows[b])) for b in buckets]
    out.append(series(f"{name}_count", labels, explicit(counts)))
    out.append(series(f"{name}_sum", labels, explicit(sums)))
    return out


# --- cases --------------------------------------------------------------------------------


@dataclass
class Fires:
    labels: dict[str, str]
    value: float | None = None  # the alert's value, when an annotation shows it


@dataclass
class Case:
    name: str
    input: list[dict]
    checks: list[tuple[str, str, list[Fires]]]  # (eval time, alert name, expected firing alerts)
    interval: str = f"{STEP}s"
    # (eval time, alert name, labels): the alert fires by then. Checked through ALERTS, whose
    # value does not depend on the window still filling, where an annotation's $value would
    firing: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    # (eval time, alert name, labels of each series it holds then): the alert's condition as an
    # instant query at any time, e.g. between two scrapes, where promtool's rule evaluations (on
    # the scrape grid) never look and increase() extrapolates furthest
    condition: list[tuple[str, str, list[dict[str, str]]]] = field(default_factory=list)


def _at(seconds: float) -> str:
    seconds = int(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return "".join(f"{n}{u}" for n, u in ((h, "h"), (m, "m"), (s, "s")) if n) or "0s"


def _steps(seconds: float) -> int:
    return int(seconds // STEP)


YOUNG_AT = 20  # the step a young series is born on: a node or bot started just now


def _young_events(k: int) -> list[int | None]:
    """Per step: nothing before the series is born, then 0, then one event a step, ``k`` in all."""
    return [None] * YOUNG_AT + [0] + [1] * k + [0] * 40


def _cumulative(events: list[int | None]) -> str:
    """A counter's values for per-step events (``_`` before it exists)."""
    total, values = 0, []
    for e in events:
        if e is not None:
            total += e
        values.append("_" if e is None else total)
    return explicit(values)


def _young_histogram(name: str, labels: dict[str, str], events: list[int | None], seconds: float, le) -> list[dict]:
    """A histogram born on YOUNG_AT with one ``seconds`` observation per event."""
    rows = histogram(name, labels, [[seconds] * (e or 0) for e in events], le)
    return [{**r, "values": " ".join(["_"] * YOUNG_AT + r["values"].split()[YOUNG_AT:])} for r in rows]


def _young_cases(alert: str, least: int, what: str, make, fires: dict[str, str]) -> list[Case]:
    """An alert that needs at least ``least`` events in its window, on series born a few scrapes
    ago: ``least - 1`` events, one a scrape, keep it quiet and ``least`` fire it, checked as an
    instant query just before the next scrape, where increase() extrapolates furthest (2 events
    there read as 2.9, past "> 2.5"; promtool's evaluations, on the scrape grid, never look)."""
    cases = []
    for k, held in ((least - 1, []), (least, [fires])):
        verdict = "fires" if held else "stays quiet between scrapes"
        cases.append(
            Case(
                f"{k} {what} on series born {k + 1} scrapes ago: the condition {verdict}",
                make(_young_events(k)),
                [],
                condition=[(_at((YOUNG_AT + k) * STEP + STEP - 1), alert, held)],
            )
        )
    return cases


def node_cases(c: MixinConfig) -> list[Case]:
    t = c.thresholds
    down_for = duration_seconds(t.node_down_for)
    n = _steps(down_for) + 8
    fault = 4 * STEP  # the first failed scrape
    # the outage the alert waits for: `for` covers this many failed scrapes after the first
    held = _steps(down_for)
    cases = [
        Case(
            "a stopped node pages; its neighbour does not",
            [
                series("up", NODE_A, f"1x3 0x{n}"),
                series("up", NODE_B, f"1x{n + 4}"),
            ],
            [
                (_at(fault + down_for - STEP), "LavalinkNodeDown", []),  # still pending
                (_at(fault + down_for), "LavalinkNodeDown", [Fires(NODE_A)]),
            ],
        ),
        Case(
            f"an outage of {held + 1} failed scrapes pages, and clears with the first good one",
            [series("up", NODE_A, f"1x3 0x{held} 1x{n}")],
            [
                (_at(fault + down_for), "LavalinkNodeDown", [Fires(NODE_A)]),
                (_at(fault + down_for + STEP), "LavalinkNodeDown", []),
            ],
        ),
        Case(
            f"an outage of up to {held * STEP}s ({held} failed scrapes: a restart, a 20s blip) does not page",
            [series("up", NODE_A, f"1x3 0x{held - 1} 1x{n}")],
            [(_at(fault + t), "LavalinkNodeDown", []) for t in range(0, int(down_for) + 4 * STEP, STEP)],
        ),
        Case(
            "a flapping node (every other scrape fails) does not page",
            [
                series("up", NODE_A, explicit([i % 2 for i in range(n + 8)])),
            ],
            [(_at((n + 6) * STEP), "LavalinkNodeDown", [])],
        ),
        Case(
            "a node removed from service discovery is not down",
            [
                series("up", NODE_A, "1x3 stale"),
                series("up", NODE_B, f"1x{n + 4}"),
            ],
            [(_at(fault + down_for + 4 * STEP), "LavalinkNodeDown", [])],
        ),
        Case(
            "a node behind lavametrics serve pages through lavametrics_node_up",
            [
                series("lavametrics_node_up", MERGED, f"1x3 0x{n}"),
            ],
            [(_at(fault + down_for + STEP), "LavalinkNodeDown", [Fires(MERGED)])],
        ),
    ]
    no_targets = duration_seconds(t.no_targets_for)
    m = _steps(no_targets) + 8
    cases += [
        Case(
            "no Lavalink target at all",
            [series("up", BOT, f"1x{m}")],
            [(_at(no_targets + 2 * STEP), "LavalinkNoTargets", [Fires({})])],
        ),
        Case(
            "one node target is enough",
            [series("up", BOT, f"1x{m}"), series("up", NODE_A, f"1x{m}")],
            [(_at(no_targets + 2 * STEP), "LavalinkNoTargets", [])],
        ),
    ]
    absent = duration_seconds(t.plugin_absent_for)
    m = _steps(absent) + 8
    info = lambda node: {**node, "version": "0.1.0"}  # noqa: E731
    cases += [
        Case(
            "a node without the plugin",
            [
                series("up", NODE_A, f"1x{m}"),
                series("up", NODE_B, f"1x{m}"),
                series("lavametrics_info", info(NODE_B), f"1x{m}"),
            ],
            [(_at(absent + 2 * STEP), "LavametricsPluginMissing", [Fires(NODE_A)])],
        ),
        Case(
            "the plugin appearing late after a start is not missing",
            [
                series("up", NODE_A, f"1x{m}"),
                series("lavametrics_info", info(NODE_A), f"_x8 1x{m - 9}"),
            ],
            [(_at(absent + 2 * STEP), "LavametricsPluginMissing", [])],
        ),
    ]
    for alert, name, extra, good in (
        ("LavametricsConfigInvalid", "lavametrics_config_valid", {}, 1),
        ("LavametricsCollectorFailing", "lavametrics_collector_success", {"collector": "frames"}, 1),
    ):
        hold = duration_seconds(
            t.config_invalid_for if alert == "LavametricsConfigInvalid" else t.collector_failing_for
        )
        m = _steps(hold) + 8
        labels = {**NODE_A, **extra}
        other = {**NODE_A, "collector": "players"} if extra else NODE_B
        cases += [
            Case(
                f"{name} stuck at 0",
                [series(name, labels, f"0x{m}"), series(name, other, f"{good}x{m}")],
                [(_at(hold - STEP), alert, []), (_at(hold + 2 * STEP), alert, [Fires(labels)])],
            ),
            Case(
                f"{name} flapping between 0 and 1",
                [series(name, labels, explicit([i % 2 for i in range(m)]))],
                [(_at(hold + 2 * STEP), alert, [])],
            ),
        ]
    # voice closes: counters exported at 0 from the start, as the plugin does
    k = t.voice_closes_max
    code = {**NODE_A, "code": "4006"}
    fires_at = _at((8 + k + 1) * STEP)
    closes = "lavametrics_voice_closes_total"
    rising = " ".join(str(i) for i in range(1, k + 2))
    cases += [
        Case(
            f"{k + 1} closes with code 4006 within {t.voice_closes_window}",
            [
                series(closes, code, f"0x8 {rising} {k + 1}x40"),
                series(closes, {**NODE_A, "code": "1000"}, "0x50"),
            ],
            [
                (_at(8 * STEP), "LavalinkVoiceCloses", []),
                (fires_at, "LavalinkVoiceCloses", [Fires({"job": "lavalink", "node": "a", "code": "4006"})]),
            ],
        ),
        Case(
            f"exactly {k} closes stay quiet",
            [
                series(closes, code, f"0x8 {' '.join(str(i) for i in range(1, k + 1))} {k}x40"),
            ],
            [(fires_at, "LavalinkVoiceCloses", []), (_at(10 * 60), "LavalinkVoiceCloses", [])],
        ),
        Case(
            "normal closes (1000) never page",
            [series(closes, {**NODE_A, "code": "1000"}, "0+1x50")],
            [(_at(40 * STEP), "LavalinkVoiceCloses", [])],
        ),
        Case(
            "closes before and after a node restart add up",
            [
                series(closes, code, "0x8 1 2 0 1 2x40"),
            ],
            [(_at(14 * STEP), "LavalinkVoiceCloses", [Fires({"job": "lavalink", "node": "a", "code": "4006"})])],
        ),
        # a node started a minute ago: evaluated just before the next scrape, increase() reads its
        # k closes as about 1.3 k (the drill that found it: 3 closes on a young node paged)
        Case(
            f"exactly {k} closes on a node started {k + 1} scrapes ago stay quiet between scrapes",
            [series(closes, code, f"_x20 0 {' '.join(str(i) for i in range(1, k + 1))} {k}x40")],
            [],
            condition=[(_at((20 + k) * STEP + STEP - 1), "LavalinkVoiceCloses", [])],
        ),
        Case(
            f"{k + 1} closes on a node started {k + 2} scrapes ago page",
            [series(closes, code, f"_x20 0 {rising} {k + 1}x40")],
            [],
            condition=[
                (
                    _at((21 + k) * STEP + STEP - 1),
                    "LavalinkVoiceCloses",
                    [{"job": "lavalink", "node": "a", "code": "4006"}],
                )
            ],
        ),
    ]
    cases += _silent_cases(c) + _frame_loss_page_cases(c)
    # tracks: exceptions + stuck against starts
    yt = {"source": "youtube"}
    ex = lambda node, sev="fault": {**node, **yt, "severity": sev}  # noqa: E731
    cases += [
        Case(
            "half the tracks fail",
            [
                series("lavametrics_track_starts_total", {**NODE_A, **yt}, "0+2x60"),
                series("lavametrics_track_exceptions_total", ex(NODE_A), "0+1x60"),
                series("lavametrics_track_stuck_total", {**NODE_A, **yt}, "0x60"),
            ],
            [(_at(5 * 60), "LavalinkTrackProblems", [Fires({"job": "lavalink", "node": "a"}, 0.5)])],
        ),
        Case(
            "a quarter of the tracks get stuck",
            [
                series("lavametrics_track_starts_total", {**NODE_B, **yt}, "0+4x60"),
                series("lavametrics_track_exceptions_total", ex(NODE_B), "0x60"),
                series("lavametrics_track_stuck_total", {**NODE_B, **yt}, "0+1x60"),
            ],
            [(_at(5 * 60), "LavalinkTrackProblems", [Fires({"job": "lavalink", "node": "b"}, 0.25)])],
        ),
        Case(
            "a few failures on a quiet node are not a spike",
            [
                series("lavametrics_track_starts_total", {**NODE_A, **yt}, "0x8 1 2 3 4x50"),
                series("lavametrics_track_exceptions_total", ex(NODE_A), f"0x8 1 2 {t.track_problem_min - 2}x51"),
                series("lavametrics_track_stuck_total", {**NODE_A, **yt}, "0x60"),
            ],
            [(_at(5 * 60), "LavalinkTrackProblems", [])],
        ),
        Case(
            "one failure in twenty starts is normal",
            [
                series("lavametrics_track_starts_total", {**NODE_A, **yt}, "0+4x80"),
                series("lavametrics_track_exceptions_total", ex(NODE_A, "common"), "0+0.2x80"),
                series("lavametrics_track_stuck_total", {**NODE_A, **yt}, "0x80"),
            ],
            [(_at(15 * 60), "LavalinkTrackProblems", [])],
        ),
    ]
    loads = "lavametrics_loads_total"
    cases += [
        Case(
            "half the loads fail",
            [
                series(loads, {**NODE_A, "result": "error"}, "0+1x60"),
                series(loads, {**NODE_A, "result": "track"}, "0+1x60"),
            ],
            [(_at(5 * 60), "LavalinkLoadFailures", [Fires({"job": "lavalink", "node": "a"}, 0.5)])],
        ),
        Case(
            "two failed loads are not a trend",
            [
                series(loads, {**NODE_A, "result": "error"}, "0x8 1 2x51"),
                series(loads, {**NODE_A, "result": "track"}, "0x8 1 2x51"),
            ],
            [(_at(5 * 60), "LavalinkLoadFailures", [])],
        ),
        Case(
            "one load in ten failing stays below the threshold",
            [
                series(loads, {**NODE_A, "result": "error"}, "0+1x60"),
                series(loads, {**NODE_A, "result": "search"}, "0+9x60"),
            ],
            [(_at(5 * 60), "LavalinkLoadFailures", [])],
        ),
    ]
    hold = duration_seconds(t.frame_loss_for)
    # rate() over a window the series does not fill yet reads low: faults start after a
    # healthy warm-up as long as the window, as they do on a node that has been running
    warm = _steps(300)
    m = warm + _steps(hold + 300) + 8
    frames = lambda kind, node, values: series(f"lavametrics_frames_{kind}_total", node, values)  # noqa: E731
    lossy = {"job": "lavalink", "node": "a"}
    cases += [
        Case(
            "a node nulls and misses frames",
            [
                frames("sent", NODE_A, f"0+1500x{m}"),
                frames("nulled", NODE_A, f"0x{warm} 0+30x{m - warm}"),
                frames("deficit", NODE_A, f"0x{warm} 0+15x{m - warm}"),
                frames("sent", NODE_B, f"0+1500x{m}"),
                frames("nulled", NODE_B, f"0x{m}"),
                frames("deficit", NODE_B, f"0x{m}"),
            ],
            [
                (_at(warm * STEP + hold - STEP), "LavalinkFrameLoss", []),
                (_at(warm * STEP + 300 + hold), "LavalinkFrameLoss", [Fires(lossy, 45 / 1545)]),
            ],
        ),
        Case(
            "an idle node has no loss to judge",
            [
                frames("sent", NODE_A, f"0x{m}"),
                frames("nulled", NODE_A, f"0x{m}"),
                frames("deficit", NODE_A, f"0x{m}"),
            ],
            [(_at(hold + 4 * STEP), "LavalinkFrameLoss", [])],
        ),
        Case(
            "less than one player's frames is too little to judge",
            [
                frames("sent", NODE_A, f"0+300x{m}"),
                frames("nulled", NODE_A, f"0+60x{m}"),
                frames("deficit", NODE_A, f"0x{m}"),
            ],
            [(_at(hold + 4 * STEP), "LavalinkFrameLoss", [])],
        ),
        Case(
            "a node restart (counters back to 0) is not loss",
            [
                frames("sent", NODE_A, f"0+750x20 0+750x{m}"),
                frames("nulled", NODE_A, f"0x20 0x{m}"),
                frames("deficit", NODE_A, f"0x20 0x{m}"),
            ],
            [(_at(hold + 25 * STEP), "LavalinkFrameLoss", [])],
        ),
    ]
    cases += _source_refused_cases(c)
    hold = duration_seconds(t.heap_for)
    m = _steps(hold) + 8
    heap = {"area": "heap"}
    cases += [
        Case(
            "the heap stays 95% full",
            [
                series("jvm_memory_bytes_used", {**NODE_A, **heap}, f"950x{m}"),
                series("jvm_memory_bytes_max", {**NODE_A, **heap}, f"1000x{m}"),
            ],
            [(_at(hold + 2 * STEP), "LavalinkHeapPressure", [Fires(NODE_A, 0.95)])],
        ),
        Case(
            "a heap the GC keeps emptying is fine",
            [
                series(
                    "jvm_memory_bytes_used", {**NODE_A, **heap}, explicit([950 if i % 2 else 400 for i in range(m)])
                ),
                series("jvm_memory_bytes_max", {**NODE_A, **heap}, f"1000x{m}"),
            ],
            [(_at(hold + 2 * STEP), "LavalinkHeapPressure", [])],
        ),
        Case(
            "no -Xmx (max -1) is not pressure",
            [
                series("jvm_memory_bytes_used", {**NODE_A, **heap}, f"950x{m}"),
                series("jvm_memory_bytes_max", {**NODE_A, **heap}, f"-1x{m}"),
            ],
            [(_at(hold + 2 * STEP), "LavalinkHeapPressure", [])],
        ),
    ]
    return cases


# --- source refused (issue 22) ---------------------------------------------------------------


def _source_refused_cases(c: MixinConfig) -> list[Case]:
    """LavalinkSourceRefused pages on the share of loads and track starts a source refused over
    its window: built from per-step counts of loads, starts and refused failures (the quantity the
    alert names), with the same slope on numerator and denominator so the share is exact."""
    t = c.thresholds
    window = duration_seconds(t.source_refused_window)
    n = _steps(window) * 3 + 8
    at = _at(window * 2)  # the window long since full
    node = {"job": "lavalink", "node": "a"}
    loads, failures = "lavametrics_loads_total", "lavametrics_load_failures_total"
    starts, track_failures = "lavametrics_track_starts_total", "lavametrics_track_failures_total"
    yt = {"source": "youtube"}

    def load_mix(good: float, refused: float, cause: str = "forbidden", labels=NODE_A) -> list[dict]:
        """Per step: ``good`` loads that found a track, ``refused`` that failed with ``cause``."""
        return [
            series(loads, {**labels, "result": "track"}, f"0+{good:g}x{n}"),
            series(loads, {**labels, "result": "error"}, f"0+{refused:g}x{n}"),
            series(failures, {**labels, "cause": cause}, f"0+{refused:g}x{n}"),
        ]

    # just over and just under the threshold, in refused loads per 20 loads a step
    over = math.floor(t.source_refused_ratio * 20) + 1
    under = math.ceil(t.source_refused_ratio * 20) - 1
    fault = _steps(window) + 4  # a healthy node first, its window full
    refusing = _steps(window) * 2  # steps the source refuses before the fault is cleared
    return [
        Case(
            f"{over} of 20 loads refused (403) pages",
            load_mix(20 - over, over),
            [(at, "LavalinkSourceRefused", [Fires(node, over / 20)])],
        ),
        Case(
            f"{under} of 20 loads refused stays quiet",
            load_mix(20 - under, under),
            [(at, "LavalinkSourceRefused", [])],
        ),
        Case(
            "track starts YouTube refuses (rate limited) count with the loads",
            [
                *load_mix(2, 0),
                series(starts, {**NODE_A, **yt}, f"0+4x{n}"),
                series(track_failures, {**NODE_A, **yt, "cause": "rate_limited"}, f"0+2x{n}"),
            ],
            [(at, "LavalinkSourceRefused", [Fires(node, 2 / 6)])],
        ),
        Case(
            "a node whose loads all fail for other causes (unavailable, decode) is not refused",
            [*load_mix(0, 5, "unavailable"), series(failures, {**NODE_A, "cause": "decode"}, f"0+1x{n}")],
            [(at, "LavalinkSourceRefused", [])],
        ),
        Case(
            f"{t.source_refused_min - 1} refused loads on a quiet node are too few to judge",
            [
                series(loads, {**NODE_A, "result": "error"}, f"0x4 1 {t.source_refused_min - 1}x{n}"),
                series(failures, {**NODE_A, "cause": "login_required"}, f"0x4 1 {t.source_refused_min - 1}x{n}"),
            ],
            [(_at(6 * STEP), "LavalinkSourceRefused", [])],
        ),
        Case(
            "a source that starts refusing every load pages within a minute, and clears once it stops",
            [
                series(loads, {**NODE_A, "result": "track"}, f"0+4x{fault} {4 * fault}x{n}"),
                series(loads, {**NODE_A, "result": "error"}, f"0x{fault} 0+4x{refusing} {4 * refusing}x{n}"),
                series(failures, {**NODE_A, "cause": "forbidden"}, f"0x{fault} 0+4x{refusing} {4 * refusing}x{n}"),
            ],
            [
                (_at(fault * STEP), "LavalinkSourceRefused", []),
                # the refusals stopped (the fault was cleared) a window ago: quiet again
                (_at((fault + refusing + _steps(window) + 3) * STEP), "LavalinkSourceRefused", []),
            ],
            firing=[(_at(fault * STEP + 60), "LavalinkSourceRefused", node)],
        ),
        Case(
            "a node restart (every counter back to 0) is not a refusal",
            [
                series(loads, {**NODE_A, "result": "track"}, f"0+10x20 0+10x{n}"),
                series(loads, {**NODE_A, "result": "error"}, f"0x10 1 2x9 0x{n}"),
                series(failures, {**NODE_A, "cause": "forbidden"}, f"0x10 1 2x9 0x{n}"),
            ],
            [(at, "LavalinkSourceRefused", [])],
        ),
        *_young_cases(
            "LavalinkSourceRefused",
            t.source_refused_min,
            "refused loads",
            lambda ev: [
                series(loads, {**NODE_A, "result": "error"}, _cumulative(ev)),
                series(failures, {**NODE_A, "cause": "forbidden"}, _cumulative(ev)),
            ],
            node,
        ),
    ]


# --- end source refused -------------------------------------------------------------------


def _frame_loss_page_cases(c: MixinConfig) -> list[Case]:
    """LavalinkFrameLossHigh pages on a node's share of lost frames over one minute: within a
    minute when a third of the audio is gone, never for a short stall or too few players."""
    t = c.thresholds
    window = duration_seconds(t.frame_loss_page_window)
    warm = _steps(window) + 4  # a node that has been playing: rate() reads its whole window
    fault = warm * STEP
    m = warm + _steps(window + duration_seconds(t.frame_loss_page_for)) + 40
    per_step = 3 * 50 * STEP  # three players' frames
    lossy = {"job": "lavalink", "node": "a"}
    lag = _page_lag(c)

    def node(lost_at) -> list[dict]:
        lost = [sum(lost_at(k) for k in range(i)) for i in range(m)]
        return [
            _frames("sent", NODE_A, explicit([i * per_step - lost[i] for i in range(m)])),
            _frames("nulled", NODE_A, explicit(lost)),
            _frames("deficit", NODE_A, f"0x{m}"),
        ]

    cases = []
    over = t.frame_loss_page_ratio + 0.01
    for share, within in ((1.0, 60), (0.3, 60), (0.1, 120), (over, 120)):
        lost = round(share * per_step)
        cases.append(
            Case(
                f"a node loses {share:.0%} of its frames: a page within {within} s",
                node(lambda k, n=lost: n if k >= warm else 0),
                [
                    (_at(fault), "LavalinkFrameLossHigh", []),
                    (_at(fault + window + 3 * STEP), "LavalinkFrameLossHigh", [Fires(lossy, lost / per_step)]),
                    # the warning about the same loss keeps quiet: the page told
                    *((_at(fault + t_), "LavalinkFrameLoss", []) for t_ in range(0, (m - warm) * STEP, 60)),
                ],
                firing=[(_at(fault + within - lag), "LavalinkFrameLossHigh", lossy)],
            )
        )
    under = round((t.frame_loss_page_ratio - 0.01) * per_step)
    stall = round(2 * 150)  # every player stalls for 2 s: 300 frames
    cases += [
        Case(
            "a node loses just under the page's share",
            node(lambda k: under if k >= warm else 0),
            [(_at(fault + t_), "LavalinkFrameLossHigh", []) for t_ in range(0, 300, 30)],
        ),
        Case(
            "a 2 s stall of every player is no page",
            node(lambda k: stall if k == warm else 0),
            [(_at(fault + t_), "LavalinkFrameLossHigh", []) for t_ in range(0, 120, 10)],
        ),
        Case(
            "the page clears once the frames flow again",
            node(lambda k: 450 if warm <= k < warm + 18 else 0),
            [
                (_at(fault + 170), "LavalinkFrameLossHigh", [Fires(lossy, 0.3)]),
                (_at(fault + 180 + window + 2 * STEP), "LavalinkFrameLossHigh", []),
            ],
        ),
        Case(
            "less than one player's frames is too little to judge",
            [
                _frames("sent", NODE_A, f"0+300x{m}"),
                _frames("nulled", NODE_A, f"0+150x{m}"),
                _frames("deficit", NODE_A, f"0x{m}"),
            ],
            [(_at(fault + t_), "LavalinkFrameLossHigh", []) for t_ in range(0, 120, 20)],
        ),
        Case(
            "a node restart (counters back to 0) is no loss",
            [
                _frames("sent", NODE_A, f"0+1500x20 0+1500x{m}"),
                _frames("nulled", NODE_A, f"0x20 0x{m}"),
                _frames("deficit", NODE_A, f"0x20 0x{m}"),
            ],
            [(_at(t_ * STEP), "LavalinkFrameLossHigh", []) for t_ in range(18, 30, 2)],
        ),
    ]
    return cases


def _silent_cases(c: MixinConfig) -> list[Case]:
    """LavalinkPlaybackSilent: players playing, no frame sent. The 4006 incident: three players
    lose their voice connections, Koe's reconnects fail, and the node plays into the void."""
    t = c.thresholds
    silent = duration_seconds(t.silent_window)
    players = 3
    per_step = players * 50 * STEP  # 50 frames/s per connected player
    warm = 12
    fault = warm * STEP  # the last frame is sent at this sample
    dead = _steps(20 * 60)  # silent for longer than the voice-close alert's window
    back = warm + dead
    total = back + 20
    node = {"job": "lavalink", "node": "a"}
    sent = explicit([per_step * min(i, warm) + per_step * max(0, i - back) for i in range(total)])
    closes = explicit([0] * warm + [min(i + 1, 12) for i in range(total - warm)])
    playing = lambda values: series("lavametrics_players", {**NODE_A, "state": "playing"}, values)  # noqa: E731
    frames_sent = lambda values: series("lavametrics_frames_sent_total", NODE_A, values)  # noqa: E731
    stall = _steps(silent) - 1  # the longest stall the window rides out (a voice reconnect)
    flowing = lambda i: per_step * i  # noqa: E731
    return [
        Case(
            "every player lost its voice connection (repeated 4006): silence pages until frames flow again",
            [
                playing(f"{players}x{total - 1}"),
                frames_sent(sent),
                series("lavametrics_voice_closes_total", {**NODE_A, "code": "4006"}, closes),
            ],
            [
                (_at(fault + silent - STEP), "LavalinkPlaybackSilent", []),
                (_at(fault + silent), "LavalinkPlaybackSilent", [Fires(node, players)]),
                # still firing after the closes stopped and their window has passed
                (_at(fault + 19 * 60), "LavalinkPlaybackSilent", [Fires(node, players)]),
                (_at(back * STEP + STEP), "LavalinkPlaybackSilent", []),
            ],
        ),
        Case(
            f"frames stalled for {stall * STEP}s (a voice reconnect) do not page",
            [
                playing(f"{players}x60"),
                frames_sent(
                    explicit([flowing(i if i < 20 else (20 if i < 20 + stall else i - stall)) for i in range(61)])
                ),
            ],
            [(_at((20 + k) * STEP), "LavalinkPlaybackSilent", []) for k in range(0, stall + 6)],
        ),
        Case(
            "paused players are silent on purpose",
            [
                playing("0x60"),
                series("lavametrics_players", {**NODE_A, "state": "paused"}, f"{players}x60"),
                frames_sent(f"{per_step * 20}x60"),
            ],
            [(_at(40 * STEP), "LavalinkPlaybackSilent", [])],
        ),
        Case(
            "a node without the frames group cannot tell, and does not page",
            [playing(f"{players}x60")],
            [(_at(40 * STEP), "LavalinkPlaybackSilent", [])],
        ),
        Case(
            "a node restart (counters back to 0, no players yet) is not silence",
            [
                playing(f"{players}x20 0x40"),
                frames_sent(explicit([flowing(i) if i <= 20 else 0 for i in range(61)])),
            ],
            [(_at(k * STEP), "LavalinkPlaybackSilent", []) for k in range(18, 40, 2)],
        ),
    ]


def _commands(
    steps: int,
    *,
    per_step: int,
    errors=lambda i: 0.0,
    slow=lambda i: 0,
    reset_at: int | None = None,
    command: str = "play",
) -> list[dict]:
    """A bot's command metrics: ``per_step`` commands each step, some failing, some slow (3 s)."""
    obs, success, error = [], [], []
    s = e = 0.0
    for i in range(steps):
        if reset_at is not None and i == reset_at:
            s = e = 0.0
        n_slow = slow(i)
        obs.append([3.0] * n_slow + [0.2] * (per_step - n_slow))
        e += errors(i)
        s += per_step - errors(i)
        success.append(round(s, 6))
        error.append(round(e, 6))
    hist_steps = obs
    if reset_at is not None:  # the histogram restarts too: its cumulative values drop to 0
        first = histogram("bot_command_duration_seconds", {**BOT, "command": command}, hist_steps[:reset_at])
        second = histogram("bot_command_duration_seconds", {**BOT, "command": command}, hist_steps[reset_at:])
        hist = [
            {"series": a["series"], "values": a["values"] + " " + b["values"]}
            for a, b in zip(first, second, strict=True)
        ]
    else:
        hist = histogram("bot_command_duration_seconds", {**BOT, "command": command}, hist_steps)
    return hist + [
        series("bot_commands_total", {**BOT, "command": command, "outcome": "success"}, explicit(success)),
        series("bot_commands_total", {**BOT, "command": command, "outcome": "error"}, explicit(error)),
    ]


def true_quantile(q: float, observations: list[float]) -> float:
    """The q-quantile of the observations themselves (nearest rank): what the alert's name claims."""
    ordered = sorted(observations)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def bucket_quantile(q: float, observations: list[float], bounds: tuple[float, ...] = LATENCY_BUCKETS) -> float:
    """What histogram_quantile reports from cumulative buckets (Prometheus' documented linear
    interpolation inside the bucket holding the rank): the value an alert's annotation shows."""
    counts = [sum(1 for o in observations if o <= b) for b in bounds]
    rank = q * len(observations)
    lower, below = 0.0, 0
    for bound, cum in zip(bounds, counts, strict=True):
        if cum >= rank:
            return lower + (bound - lower) * (rank - below) / (cum - below)
        lower, below = bound, cum
    return bounds[-1]


def _mix(per_step: int, parts: list[tuple[float, float]]) -> list[float]:
    """``per_step`` observations split by share: [(share, seconds), ...]."""
    out: list[float] = []
    for share, seconds in parts:
        out += [seconds] * round(share * per_step)
    assert len(out) == per_step, parts
    return out


def _latency_cases(c: MixinConfig) -> list[Case]:
    """BotCommandLatencyHigh fires exactly when the true p95 of the commands exceeds the threshold."""
    t = c.thresholds
    hold = duration_seconds(t.command_latency_for)
    # the traffic guard's rate() reads low until its 5m window is full: judge after that
    fire_at = hold + 300 + 2 * STEP
    m = _steps(fire_at) + 8
    threshold = t.command_p95_seconds
    play = {"job": "bot", "command": "play"}
    cases = []
    for name, parts in (
        # (a p95 above the SLO's bound, 2.5 s, pages as BotCommandsSlow, which keeps this one quiet)
        ("every command takes 2.4 s", [(1.0, 2.4)]),
        ("every command takes 1.1 s", [(1.0, 1.1)]),
        ("90% of commands take 0.4 s, 10% take 2.4 s", [(0.9, 0.4), (0.1, 2.4)]),
        ("a true p95 just over the threshold (6% of commands slow)", [(0.94, 0.4), (0.06, threshold + 0.1)]),
        ("a true p95 just under the threshold (4% of commands slow)", [(0.96, 0.4), (0.04, threshold + 0.4)]),
        ("a true p95 just under the threshold (10% at threshold - 0.1 s)", [(0.9, 0.4), (0.1, threshold - 0.1)]),
        ("fast commands", [(1.0, 0.2)]),
    ):
        obs = _mix(50, parts)
        fires = true_quantile(0.95, obs) > threshold
        expected = [Fires(play, bucket_quantile(0.95, obs))] if fires else []
        checks = [(_at(fire_at), "BotCommandLatencyHigh", expected)]
        if fires:
            checks.insert(0, (_at(hold - STEP), "BotCommandLatencyHigh", []))  # `for` still pending
        cases.append(Case(f"{name}: true p95 {true_quantile(0.95, obs):g}s", _histogram_commands(m, obs), checks))
    cases += [
        Case(
            "one slow command among many fast ones",
            _commands(m, per_step=4, slow=lambda i: int(i == 10)),
            [(_at(fire_at), "BotCommandLatencyHigh", [])],
        ),
        Case(
            "a slow command every two minutes is too little traffic to judge",
            [
                *histogram(
                    "bot_command_duration_seconds",
                    {**BOT, "command": "play"},
                    [[3.0] if i % 12 == 0 else [] for i in range(m)],
                ),
                series(
                    "bot_commands_total",
                    {**BOT, "command": "play", "outcome": "success"},
                    explicit([i // 12 + 1 for i in range(m)]),
                ),
            ],
            [(_at(fire_at), "BotCommandLatencyHigh", [])],
        ),
    ]
    return cases


def _histogram_commands(steps: int, per_step: list[float], command: str = "play") -> list[dict]:
    """The same observations every step, all successful."""
    labels = {**BOT, "command": command}
    return [
        *histogram("bot_command_duration_seconds", labels, [per_step] * steps),
        series(
            "bot_commands_total",
            {**labels, "outcome": "success"},
            explicit([len(per_step) * (i + 1) for i in range(steps)]),
        ),
        series("bot_commands_total", {**labels, "outcome": "error"}, f"0x{steps - 1}"),
    ]


def _error_cases(c: MixinConfig) -> list[Case]:
    """BotCommandErrorsHigh pages on the share of commands failing, fast, but not on a quiet bot."""
    t = c.thresholds
    hold = duration_seconds(t.command_page_for)
    window = duration_seconds(t.command_page_window)
    warm = _steps(window) + 4  # healthy traffic first: the fault starts on a running bot
    fault = warm * STEP
    m = warm + _steps(window + hold) + 30
    job = {"job": "bot"}
    # a page must reach the webhook within 2 minutes of the fault; one scrape, one evaluation and
    # Alertmanager's group_wait come on top of the rule's own time
    lag = sum(duration_seconds(x) for x in (c.timings.scrape_interval, c.timings.evaluation_interval))
    lag += duration_seconds(c.timings.group_wait_critical)
    page_by = fault + 120 - lag
    cases = []
    over = round((t.command_error_ratio + 0.01) * 100)  # one point above the threshold
    for per_step, failing in ((10, 1), (10, 3), (10, 10), (100, over)):
        share = failing / per_step
        cases.append(
            Case(
                f"{share:.0%} of a busy bot's commands fail: a page within 2 minutes",
                _commands(m, per_step=per_step, errors=lambda i, f=failing: f if i >= warm else 0),
                [
                    (_at(fault), "BotCommandErrorsHigh", []),
                    (_at(page_by), "BotCommandErrorsHigh", [Fires(job, share)]),
                ],
            )
        )
    under = round((t.command_error_ratio - 0.01) * 100)  # one point below it
    cases += [
        Case(
            f"{under}% of the commands fail: just under the threshold",
            _commands(m, per_step=100, errors=lambda i: under if i >= warm else 0),
            [(_at(fault + t_), "BotCommandErrorsHigh", []) for t_ in range(0, 300, 30)],
        ),
        Case(
            "a quiet bot's only failed command does not page",
            [
                series(
                    "bot_commands_total",
                    {**BOT, "command": "play", "outcome": "error"},
                    explicit([int(i >= warm) for i in range(m)]),
                ),
                series(
                    "bot_commands_total",
                    {**BOT, "command": "play", "outcome": "success"},
                    explicit([i // 6 for i in range(m)]),
                ),
            ],
            [(_at(fault + t_), "BotCommandErrorsHigh", []) for t_ in range(0, 180, 20)],
        ),
        Case(
            "two failed commands in a minute on a quiet bot do not page",
            _commands(m, per_step=1, errors=lambda i: 1 if warm <= i < warm + 2 else 0),
            [(_at(fault + t_), "BotCommandErrorsHigh", []) for t_ in range(0, 180, 20)],
        ),
        Case(
            "a bot restart (counters back to 0) is no error spike",
            _commands(m, per_step=20, errors=lambda i: 0.5, reset_at=m // 2),
            [(_at((m // 2 + t_) * STEP), "BotCommandErrorsHigh", []) for t_ in range(0, 12, 2)],
        ),
        Case(
            "the error page clears once commands succeed again",
            _commands(m, per_step=10, errors=lambda i: 3 if warm <= i < warm + 18 else 0),
            [
                (_at(fault + 170), "BotCommandErrorsHigh", [Fires(job, 0.3)]),
                (_at(fault + 180 + window + 2 * STEP), "BotCommandErrorsHigh", []),
            ],
        ),
        *_young_cases(
            "BotCommandErrorsHigh",
            t.command_page_min,
            "failed commands",
            lambda ev: [
                series("bot_commands_total", {**BOT, "command": "play", "outcome": "error"}, _cumulative(ev)),
                series(
                    "bot_commands_total",
                    {**BOT, "command": "play", "outcome": "success"},
                    _cumulative([None if e is None else 0 for e in ev]),
                ),
            ],
            job,
        ),
    ]
    return cases


def _page_lag(c: MixinConfig) -> float:
    """What a page adds to its rule's own time before it reaches the webhook: one scrape, one
    evaluation and Alertmanager's group wait."""
    t = c.timings
    return sum(duration_seconds(x) for x in (t.scrape_interval, t.evaluation_interval, t.group_wait_critical))


def _slow_cases(c: MixinConfig) -> list[Case]:
    """BotCommandsSlow pages on the share of commands slower than the SLO's bound, within a
    minute for an outage, but not on a quiet bot's few slow commands."""
    t = c.thresholds
    bound = c.slo.commands_latency_seconds
    window = duration_seconds(t.command_page_window)
    warm = _steps(window) + 4  # healthy traffic first: the fault starts on a running bot
    fault = warm * STEP
    m = warm + _steps(window + duration_seconds(t.command_page_for)) + 30
    job = {"job": "bot"}
    lag = _page_lag(c)
    cases = []
    over = round((t.command_slow_ratio + 0.01) * 100)  # one point above the threshold
    for per_step, slow, within in ((10, 10, 60), (10, 3, 60), (10, 1, 120), (100, over, 120)):
        share = slow / per_step
        cases.append(
            Case(
                f"{share:.0%} of a busy bot's commands are slower than {bound:g} s: a page within {within} s",
                _commands(m, per_step=per_step, slow=lambda i, k=slow: k if i >= warm else 0),
                [
                    (_at(fault), "BotCommandsSlow", []),
                    (_at(fault + window + 3 * STEP), "BotCommandsSlow", [Fires(job, share)]),
                ],
                firing=[(_at(fault + within - lag), "BotCommandsSlow", job)],
            )
        )
    under = round((t.command_slow_ratio - 0.01) * 100)  # one point below it
    at_bound = [[bound] * 10 if i >= warm else [0.2] * 10 for i in range(m)]  # le is inclusive
    cases += [
        Case(
            f"{under}% of the commands are slow: just under the threshold",
            _commands(m, per_step=100, slow=lambda i: under if i >= warm else 0),
            [(_at(fault + t_), "BotCommandsSlow", []) for t_ in range(0, 300, 30)],
        ),
        Case(
            f"every command takes exactly the bound ({bound:g} s): within the objective",
            [
                *histogram("bot_command_duration_seconds", {**BOT, "command": "play"}, at_bound),
                series("bot_commands_total", {**BOT, "command": "play", "outcome": "success"}, f"0+10x{m}"),
                series("bot_commands_total", {**BOT, "command": "play", "outcome": "error"}, f"0x{m}"),
            ],
            [(_at(fault + t_), "BotCommandsSlow", []) for t_ in range(0, 180, 20)],
        ),
        Case(
            "two slow commands in a minute on a quiet bot do not page",
            _commands(m, per_step=1, slow=lambda i: 1 if warm <= i < warm + 2 else 0),
            [(_at(fault + t_), "BotCommandsSlow", []) for t_ in range(0, 180, 20)],
        ),
        Case(
            "a bot restart (counters back to 0) is no slow spike",
            _commands(m, per_step=20, reset_at=m // 2),
            [(_at((m // 2 + t_) * STEP), "BotCommandsSlow", []) for t_ in range(0, 12, 2)],
        ),
        Case(
            "the slow page clears once commands are fast again",
            _commands(m, per_step=10, slow=lambda i: 3 if warm <= i < warm + 18 else 0),
            [
                (_at(fault + 170), "BotCommandsSlow", [Fires(job, 0.3)]),
                (_at(fault + 180 + window + 2 * STEP), "BotCommandsSlow", []),
            ],
        ),
        Case(
            "slow commands the slow page told of: the p95 warning keeps quiet during and after",
            _commands(m + 60, per_step=10, slow=lambda i: 10 if warm <= i < warm + 60 else 0),
            [
                (_at(fault + 300), "BotCommandsSlow", [Fires(job, 1.0)]),
                *((_at(fault + t_), "BotCommandLatencyHigh", []) for t_ in range(0, 900, 60)),
            ],
        ),
        *_young_cases(
            "BotCommandsSlow",
            t.command_page_min,
            "slow commands",
            lambda ev: _young_histogram(
                "bot_command_duration_seconds", {**BOT, "command": "play"}, ev, 3.0, LATENCY_LE
            ),
            job,
        ),
    ]
    return cases


# --- route planner and voice connects (issue 22) ---------------------------------------------

# the plugin's default voice-connect buckets as its exposition writes them (simpleclient's Go form)
CONNECT_LE = ("0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf")


def _planner(m: int, size: float, failing: str) -> list[dict]:
    return [
        series("lavametrics_route_planner_addresses", NODE_A, f"{size:g}x{m}"),
        series("lavametrics_route_planner_failing_addresses", NODE_A, failing),
    ]


def _route_planner_cases(c: MixinConfig) -> list[Case]:
    """LavalinkRoutePlannerExhausted: failing / all addresses of the block, above the ratio for
    ``route_planner_for``."""
    t = c.thresholds
    hold = duration_seconds(t.route_planner_for)
    m = _steps(hold) + 40
    node = {k: NODE_A[k] for k in ("job", "instance", "node")}
    size = 100
    over = math.floor(t.route_planner_failing_ratio * size) + 1  # one address past the threshold
    at = round(t.route_planner_failing_ratio * size)  # exactly at it: not above
    burst = _steps(hold) - 2  # banned, then freed before `for` ran out
    return [
        Case(
            f"{over} of {size} addresses failing: just over the threshold",
            _planner(m, size, f"0x4 {over}x{m - 4}"),
            [
                (_at(4 * STEP + hold - STEP), "LavalinkRoutePlannerExhausted", []),
                (_at(4 * STEP + hold + 2 * STEP), "LavalinkRoutePlannerExhausted", [Fires(node, over / size)]),
            ],
        ),
        Case(
            f"{at} of {size} addresses failing: at the threshold, quiet",
            _planner(m, size, f"0x4 {at}x{m - 4}"),
            [(_at(4 * STEP + hold + t_ * STEP), "LavalinkRoutePlannerExhausted", []) for t_ in range(0, 20, 4)],
        ),
        Case(
            "a /126 block with 3 of its 4 addresses banned, then freed: fires, then resolves",
            _planner(m, 4, f"0x4 1 2 3x{m - 20} 0x13"),
            [
                (_at(7 * STEP + hold + STEP), "LavalinkRoutePlannerExhausted", [Fires(node, 0.75)]),
                (_at((m - 10) * STEP), "LavalinkRoutePlannerExhausted", []),
            ],
        ),
        Case(
            "bans freed again before the hold ran out do not warn",
            _planner(m, 4, f"0x4 4x{burst} 0x{m - 4 - burst}"),
            [(_at((4 + t_) * STEP), "LavalinkRoutePlannerExhausted", []) for t_ in range(0, m - 4, 3)],
        ),
        Case(
            "a node without a route planner (no series) is quiet",
            [series("lavametrics_info", {**NODE_A, "version": "0.1.0"}, f"1x{m}")],
            [(_at(hold + 10 * STEP), "LavalinkRoutePlannerExhausted", [])],
        ),
        Case(
            "an empty block (size 0) is no division by zero",
            _planner(m, 0, f"0x{m}"),
            [(_at(hold + 10 * STEP), "LavalinkRoutePlannerExhausted", [])],
        ),
    ]


def _connects(m: int, per_step: list[list[float]], reset_at: int | None = None) -> list[dict]:
    rows = histogram("lavametrics_voice_connect_seconds", NODE_A, per_step, CONNECT_LE)
    if reset_at is None:
        return rows
    # a restarted node: its counters begin again from 0 at step reset_at
    again = histogram("lavametrics_voice_connect_seconds", NODE_A, per_step[reset_at:], CONNECT_LE)
    out = []
    for before, after in zip(rows, again, strict=True):
        head = before["values"].split()[:reset_at]
        out.append({"series": before["series"], "values": " ".join(head + after["values"].split())})
    return out


def _voice_connect_cases(c: MixinConfig) -> list[Case]:
    """LavalinkVoiceConnectsSlow: the share of connects slower than voice_connect_seconds (from
    the bucket at that bound) over voice_connect_window, with at least voice_connect_min slow."""
    t = c.thresholds
    bound = t.voice_connect_seconds
    slow_s, fast_s = bound * 1.5, bound / 5
    window = duration_seconds(t.voice_connect_window)
    warm = 6
    fault = warm * STEP
    m = warm + _steps(window) * 2 + 20
    node = {"job": NODE_A["job"], "node": NODE_A["node"]}
    over = round((t.voice_connect_slow_ratio + 0.01) * 100)
    under = round((t.voice_connect_slow_ratio - 0.01) * 100)

    def mix(slow: int, total: int, since: int = warm, until: int = m) -> list[list[float]]:
        return [
            [slow_s] * slow + [fast_s] * (total - slow) if since <= i < until else [fast_s] * total for i in range(m)
        ]

    return [
        Case(
            f"{over}% of the connects take {slow_s:g} s: just over the threshold",
            _connects(m, mix(over, 100)),
            [
                (_at(fault), "LavalinkVoiceConnectsSlow", []),
                (_at(fault + window + 2 * STEP), "LavalinkVoiceConnectsSlow", [Fires(node, over / 100)]),
            ],
        ),
        Case(
            f"{under}% of the connects are slow: just under the threshold",
            _connects(m, mix(under, 100)),
            [(_at(fault + t_), "LavalinkVoiceConnectsSlow", []) for t_ in range(0, int(window) * 2, 60)],
        ),
        Case(
            f"every connect takes exactly {bound:g} s (le is inclusive): not slow",
            _connects(m, [[bound] * 5 for _ in range(m)]),
            [(_at(fault + t_), "LavalinkVoiceConnectsSlow", []) for t_ in range(0, int(window) * 2, 60)],
        ),
        Case(
            "two slow connects on a quiet node do not warn",
            _connects(m, [[slow_s] if i in (warm, warm + 3) else [] for i in range(m)]),
            [(_at(fault + t_), "LavalinkVoiceConnectsSlow", []) for t_ in range(0, int(window) * 2, 60)],
        ),
        Case(
            "a node restart (counters back to 0) is no slow spike",
            _connects(m, mix(0, 10), reset_at=m // 2),
            [(_at((m // 2 + t_) * STEP), "LavalinkVoiceConnectsSlow", []) for t_ in range(0, 12, 2)],
        ),
        Case(
            "every connect slow for longer than the window: warns, and clears a window after connects are fast again",
            _connects(m, mix(2, 2, warm, warm + _steps(window) + 10)),
            [
                (_at(fault + window + 5 * STEP), "LavalinkVoiceConnectsSlow", [Fires(node, 1.0)]),
                (_at(fault + 2 * window + 13 * STEP), "LavalinkVoiceConnectsSlow", []),
            ],
        ),
        *_young_cases(
            "LavalinkVoiceConnectsSlow",
            t.voice_connect_min,
            "slow connects",
            lambda ev: _young_histogram("lavametrics_voice_connect_seconds", NODE_A, ev, slow_s, CONNECT_LE),
            node,
        ),
    ]


def routevoice_cases(c: MixinConfig) -> list[Case]:
    return _route_planner_cases(c) + _voice_connect_cases(c)


# --- end route planner and voice connects ------------------------------------------------------


def bot_cases(c: MixinConfig) -> list[Case]:
    t = c.thresholds
    cases = _latency_cases(c) + _error_cases(c) + _slow_cases(c)
    hold = duration_seconds(t.bot_down_for)
    m = _steps(hold) + 8
    cases += [
        Case(
            "a bot whose metrics cannot be scraped",
            [series("up", BOT, f"0x{m}"), series("up", NODE_A, f"1x{m}")],
            [(_at(hold - STEP), "BotMetricsDown", []), (_at(hold + 2 * STEP), "BotMetricsDown", [Fires(BOT)])],
        ),
        Case(
            "a bot restarting (a few failed scrapes) is not down",
            [
                series("up", BOT, f"1x10 0x4 1x{m}"),
            ],
            [(_at(hold + 2 * STEP), "BotMetricsDown", [])],
        ),
    ]
    # disconnects, seen by the bot: BotMetrics creates every event of a node at 0 with the node
    k = t.disconnects_max
    ev = {**BOT, "node": "a", "event": "disconnected"}
    fires = [Fires({"job": "bot", "node": "a"})]
    first_k1 = " ".join(str(i) for i in range(1, k + 2))
    first_k = " ".join(str(i) for i in range(1, k + 1))
    at = _at((8 + k + 1) * STEP)
    window = duration_seconds(t.disconnects_window)
    cases += [
        Case(
            f"{k + 1} disconnects, the first one on a series exported at 0",
            [
                series("bot_lavalink_node_events_total", ev, f"0x8 {first_k1} {k + 1}x{_steps(window) + 30}"),
            ],
            [
                (_at(8 * STEP), "BotLavalinkDisconnects", []),
                (at, "BotLavalinkDisconnects", fires),
                (_at(window + (12 + k) * STEP + 60), "BotLavalinkDisconnects", []),
            ],
        ),  # the window moved past them
        Case(
            f"exactly {k} disconnects stay quiet",
            [
                series("bot_lavalink_node_events_total", ev, f"0x8 {first_k} {k}x60"),
            ],
            [(at, "BotLavalinkDisconnects", [])],
        ),
        Case(
            f"{k} disconnects on a long-lived series stay quiet",
            [
                series("bot_lavalink_node_events_total", ev, f"0x40 {first_k} {k}x30"),
            ],
            [(_at((40 + k + 1) * STEP), "BotLavalinkDisconnects", [])],
        ),
        Case(
            "disconnects before and after a bot restart add up",
            [
                series("bot_lavalink_node_events_total", ev, "5x40 6 7 1 2x30"),
            ],
            [(_at(45 * STEP), "BotLavalinkDisconnects", fires)],
        ),
        Case(
            f"exactly {k} disconnects on a bot started {k + 1} scrapes ago stay quiet between scrapes",
            [series("bot_lavalink_node_events_total", ev, f"_x20 0 {first_k} {k}x40")],
            [],
            condition=[(_at((20 + k) * STEP + STEP - 1), "BotLavalinkDisconnects", [])],
        ),
        Case(
            f"{k + 1} disconnects on a bot started {k + 2} scrapes ago page",
            [series("bot_lavalink_node_events_total", ev, f"_x20 0 {first_k1} {k + 1}x40")],
            [],
            condition=[(_at((21 + k) * STEP + STEP - 1), "BotLavalinkDisconnects", [{"job": "bot", "node": "a"}])],
        ),
        Case(
            "connects are not disconnects",
            [
                series("bot_lavalink_node_events_total", {**ev, "event": "connected"}, "0+1x40"),
            ],
            [(_at(30 * STEP), "BotLavalinkDisconnects", [])],
        ),
    ]
    return cases


def slo_cases(c: MixinConfig) -> list[Case]:
    job = {"job": "bot"}
    minute = 60 // STEP  # steps
    # a spike on a bot or node that has been healthy for longer than the fast burn's long window,
    # as in production: without that history a 1h ratio reads the spike's first seconds as the
    # whole hour and fires before any 1 min page can
    healthy = int(duration_seconds(c.slo.fast_windows[0]) // 60) + 5  # minutes
    end = (healthy + 50) * minute

    def lost(i: int) -> int:  # frames nulled by sample i: one in ten for 10 minutes after `healthy`
        return max(0, min(i, (healthy + 10) * minute) - healthy * minute)

    cases = [
        Case(
            "a fifth of the commands fail: the error page tells, the fast burn keeps quiet",
            _commands(40, per_step=15, errors=lambda i: 3),
            [
                (_at(5 * 60), "BotCommandErrorsHigh", [Fires(job, 0.2)]),
                (_at(5 * 60), "BotCommandSLOFastBurn", []),
            ],
        ),
        Case(
            "every command is slower than the SLO bound: the slow page tells, the fast burn keeps quiet",
            _commands(40, per_step=15, slow=lambda i: 15),
            [
                (_at(5 * 60), "BotCommandsSlow", [Fires(job, 1.0)]),
                (_at(5 * 60), "BotCommandSLOFastBurn", []),
            ],
        ),
        # 4 % of commands slow: under the slow page's 5 %, a 40x burn of the 99.9 % objective
        Case(
            "4% of commands slower than the SLO bound: the fast burn pages what the slow page cannot",
            _commands(40, per_step=25, slow=lambda i: 1),
            [
                (_at(5 * 60), "BotCommandSLOFastBurn", [Fires(job, 0.04)]),
                (_at(5 * 60), "BotCommandsSlow", []),
            ],
        ),
        Case(
            "an outage that ended: the short window clears the page",
            _commands(40 * minute + 4, per_step=25, slow=lambda i: 1 if i < 10 * minute else 0),
            [
                (_at(8 * 60), "BotCommandSLOFastBurn", [Fires(job, 0.04)]),
                (_at(40 * 60), "BotCommandSLOFastBurn", []),
                (_at(40 * 60), "BotCommandSLOSlowBurn", []),
            ],
        ),
        Case(
            "an incident the fast burn paged ends: the slow burn does not start notifying as it clears",
            _commands(50 * minute, per_step=25, slow=lambda i: 1 if i < 10 * minute else 0),
            [
                (_at(8 * 60), "BotCommandSLOFastBurn", [Fires(job, 0.04)]),
                # from the fast burn's resolution on (its 5m window empties) until long after the
                # slow burn's own 30m window did: quiet
                *(
                    (_at(m * 60), name, [])
                    for m in range(16, 46, 3)
                    for name in ("BotCommandSLOFastBurn", "BotCommandSLOSlowBurn")
                ),
            ],
        ),
        Case(
            "0.5% bad commands burn the budget slowly enough not to page",
            _commands(70 * minute, per_step=15, errors=lambda i: 0.075),
            [(_at(65 * 60), "BotCommandSLOFastBurn", []), (_at(65 * 60), "BotCommandSLOSlowBurn", [])],
        ),
        Case(
            "a bot restart (counters back to 0) burns nothing",
            _commands(40, per_step=15, reset_at=20),
            [(_at(8 * 60), "BotCommandSLOFastBurn", [])],
        ),
    ]
    cases += [
        # 4 % of frames lost: under the node's frame-loss page (5 %), a 40x burn of the objective
        Case(
            "a node nulls one frame in 25: the fast burn pages what the node's page cannot",
            [
                _frames("sent", NODE_A, "0+720x40"),
                _frames("nulled", NODE_A, "0+30x40"),
                _frames("deficit", NODE_A, "0x40"),
            ],
            [(_at(5 * 60), "PlaybackSLOFastBurn", [Fires({}, 0.04)]), (_at(5 * 60), "LavalinkFrameLossHigh", [])],
        ),
        Case(
            "a node nulls one frame in ten: the node's page tells, the playback burns keep quiet during and after",
            [
                _frames("sent", NODE_A, explicit([750 * i - 75 * lost(i) for i in range(end)])),
                _frames("nulled", NODE_A, explicit([75 * lost(i) for i in range(end)])),
                _frames("deficit", NODE_A, f"0x{end}"),
            ],
            [
                (_at((healthy + 5) * 60), "LavalinkFrameLossHigh", [Fires({"job": "lavalink", "node": "a"}, 0.1)]),
                *(
                    (_at(healthy * 60 + t_), name, [])
                    for t_ in range(0, 46 * 60, 30)
                    for name in ("PlaybackSLOFastBurn", "PlaybackSLOSlowBurn")
                ),
            ],
        ),
        Case(
            "a failure spike the error page told of: neither burn rate pages during or after it",
            _commands(
                (healthy + 50) * minute,
                per_step=15,
                errors=lambda i: 4.5 if healthy * minute <= i < (healthy + 3) * minute else 0,
            ),
            [
                (_at((healthy + 2) * 60), "BotCommandErrorsHigh", [Fires(job, 0.3)]),
                *(
                    (_at(healthy * 60 + t_), name, [])
                    for t_ in range(0, 46 * 60, 30)
                    for name in ("BotCommandSLOFastBurn", "BotCommandSLOSlowBurn")
                ),
            ],
        ),
        Case(
            "a frame-loss incident the fast burn paged ends: the slow burn does not start notifying",
            [
                _frames("sent", NODE_A, f"0+960x{50 * minute}"),
                _frames("nulled", NODE_A, explicit([40 * min(i, 10 * minute) for i in range(50 * minute + 1)])),
                _frames("deficit", NODE_A, f"0x{50 * minute}"),
            ],
            [
                (_at(8 * 60), "PlaybackSLOFastBurn", [Fires({}, 0.04)]),
                *(
                    (_at(m * 60), name, [])
                    for m in range(16, 46, 3)
                    for name in ("PlaybackSLOFastBurn", "PlaybackSLOSlowBurn")
                ),
            ],
        ),
        Case(
            "a node leaving and a node restarting lose no frames",
            [
                _frames("sent", NODE_A, "0+750x40"),
                _frames("nulled", NODE_A, "0x40"),
                _frames("deficit", NODE_A, "0x40"),
                _frames("sent", NODE_B, "0+750x10 stale"),
                _frames("nulled", NODE_B, "0x10 stale"),
                _frames("deficit", NODE_B, "0x10 stale"),
                _frames("sent", {**NODE_B, "instance": "node-b2:2333"}, "_x20 0+750x20"),
                _frames("nulled", {**NODE_B, "instance": "node-b2:2333"}, "_x20 0x20"),
                _frames("deficit", {**NODE_B, "instance": "node-b2:2333"}, "_x20 0x20"),
            ],
            [(_at(8 * 60), "PlaybackSLOFastBurn", []), (_at(8 * 60), "PlaybackSLOSlowBurn", [])],
        ),
        Case(
            "an idle fleet has no budget to burn",
            [
                _frames("sent", NODE_A, "0x40"),
                _frames("nulled", NODE_A, "0x40"),
                _frames("deficit", NODE_A, "0x40"),
            ],
            [(_at(8 * 60), "PlaybackSLOFastBurn", [])],
        ),
    ]
    return cases


def slow_burn_cases(c: MixinConfig) -> list[Case]:
    """Hours of input: sampled and evaluated once a minute (the burn alerts have no ``for``)."""
    long_slow = duration_seconds(c.slo.slow_windows[0])
    job = {"job": "bot"}
    cases = []
    # 1% bad for longer than the long window
    steps = int(long_slow // 60) + 40
    per_min = 60
    slow_input = [
        series("bot_command_duration_seconds_count", {**BOT, "command": "play"}, f"0+{per_min}x{steps}"),
        series("bot_command_duration_seconds_bucket", {**BOT, "command": "play", "le": "2.5"}, f"0+{per_min}x{steps}"),
        series("bot_commands_total", {**BOT, "command": "play", "outcome": "success"}, f"0+59.4x{steps}"),
        series("bot_commands_total", {**BOT, "command": "play", "outcome": "error"}, f"0+0.6x{steps}"),
    ]
    at = _at(long_slow + 10 * 60)
    cases.append(
        Case(
            "1% bad commands for hours",
            slow_input,
            [(at, "BotCommandSLOSlowBurn", [Fires(job, 0.01)]), (at, "BotCommandSLOFastBurn", [])],
            interval="1m",
        )
    )
    cases.append(
        Case(
            "1% of frames lost for hours",
            [
                _frames("sent", NODE_A, f"0+990x{steps}"),
                _frames("nulled", NODE_A, f"0+10x{steps}"),
                _frames("deficit", NODE_A, f"0x{steps}"),
            ],
            [(at, "PlaybackSLOSlowBurn", [Fires({}, 0.01)]), (at, "PlaybackSLOFastBurn", [])],
            interval="1m",
        )
    )
    return cases


def _frames(kind: str, node: dict[str, str], values: str) -> dict:
    return series(f"lavametrics_frames_{kind}_total", node, values)


def _test_group(c: MixinConfig, case: Case, by_name: dict[str, Alert]) -> dict:
    checks = []
    for when, name, fires in case.checks:
        alert = by_name[name]
        expected = []
        for f in fires:
            labels = {**f.labels, "severity": alert.severity}
            annotations = {k: expand(v, labels, f.value) for k, v in alert.rule(c)["annotations"].items()}
            expected.append({"exp_labels": labels, "exp_annotations": annotations})
        checks.append({"eval_time": when, "alertname": name, "exp_alerts": expected})
    group = {"name": case.name, "interval": case.interval, "input_series": case.input, "alert_rule_test": checks}
    expr_tests = [
        {
            # count by its own labels: 1 per series the condition holds, whatever the value read
            "expr": f"count by ({', '.join(sorted({k for lb in held for k in lb}) or ['job'])}) "
            f"({by_name[name].rule(c)['expr']})",
            "eval_time": when,
            "exp_samples": [{"labels": _labels(lb), "value": 1} for lb in held],
        }
        for when, name, held in case.condition
    ]
    if case.firing:
        expr_tests += [
            {
                "expr": f'ALERTS{{alertname="{name}", alertstate="firing"}}',
                "eval_time": when,
                "exp_samples": [
                    {
                        "labels": "ALERTS"
                        + _labels(
                            {"alertname": name, "alertstate": "firing", **labels, "severity": by_name[name].severity}
                        ),
                        "value": 1,
                    }
                ],
            }
            for when, name, labels in case.firing
        ]
    if expr_tests:
        group["promql_expr_test"] = expr_tests
    return group


# --- two clusters (mixin clusters.label) -------------------------------------------------
# Every case runs again with its input in one cluster and a healthy, busier twin of every node
# and bot it names in another, under the same job, instance and node labels. An alert that
# aggregated or joined across clusters would mix them: a failing node's loss ratio diluted by
# its healthy namesake's traffic, a plugin "found" on the other cluster's node, an alert
# without the cluster label. Each case's alerts must fire exactly as in one cluster, now
# labelled with the failing cluster, and the healthy one must raise nothing.
FAILING_CLUSTER, HEALTHY_CLUSTER = "east", "west"


def _healthy(labels: dict[str, str], seconds: float, step: int) -> list[dict]:
    n = int(seconds // step) + 2
    rate = lambda per_second: f"0+{per_second * step:g}x{n}"  # noqa: E731 (a counter at this rate)
    const = lambda v: f"{v:g}x{n}"  # noqa: E731
    nodes = (NODE_A, NODE_B)
    out = [series("up", {**labels, **x}, const(1)) for x in (*nodes, BOT, MERGED)]
    out.append(series("lavametrics_node_up", {**labels, **MERGED}, const(1)))
    for node in nodes:
        node = {**labels, **node}
        out += [
            series("lavametrics_info", {**node, "version": "0.1.0"}, const(1)),
            series("lavametrics_config_valid", node, const(1)),
            series("lavametrics_players", {**node, "state": "playing"}, const(50)),
            _frames("sent", node, rate(2500)),  # 50 players' 50 frames/s, none lost
            _frames("nulled", node, const(0)),
            _frames("deficit", node, const(0)),
            series("lavametrics_track_starts_total", {**node, "source": "youtube"}, rate(1)),
            series("lavametrics_track_exceptions_total", {**node, "source": "youtube", "severity": "fault"}, const(0)),
            series("lavametrics_track_stuck_total", {**node, "source": "youtube"}, const(0)),
            series("lavametrics_loads_total", {**node, "result": "track"}, rate(1)),
            series("lavametrics_loads_total", {**node, "result": "error"}, const(0)),
            series("jvm_memory_bytes_used", {**node, "area": "heap"}, const(1e8)),
            series("jvm_memory_bytes_max", {**node, "area": "heap"}, const(1e9)),
        ]
        for collector in ("frames", "players"):
            out.append(series("lavametrics_collector_success", {**node, "collector": collector}, const(1)))
    bot = {**labels, **BOT}
    play = {**bot, "command": "play"}
    out += [
        series("bot_commands_total", {**play, "outcome": "success"}, rate(10)),
        series("bot_commands_total", {**play, "outcome": "error"}, const(0)),
        # every command answered within the smallest bucket
        *(series("bot_command_duration_seconds_bucket", {**play, "le": le}, rate(10)) for le in LATENCY_LE),
        series("bot_command_duration_seconds_count", play, rate(10)),
        series("bot_command_duration_seconds_sum", play, rate(10 * LATENCY_BUCKETS[0])),
        series("bot_lavalink_node_events_total", {**bot, "node": "a", "event": "disconnected"}, const(0)),
    ]
    return out


def _in_cluster(item: dict, labels: dict[str, str]) -> dict:
    name, _, rest = item["series"].partition("{")
    inner = rest.removesuffix("}")
    extra = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    return {**item, "series": f"{name}{{{extra}{', ' + inner if inner else ''}}}"}


def clustered_case(c: MixinConfig, case: Case) -> Case:
    """``case`` with its input in the failing cluster beside a healthy one (see above)."""
    label = c.clusters.label
    failing, healthy = {label: FAILING_CLUSTER}, {label: HEALTHY_CLUSTER}
    step = int(duration_seconds(case.interval))
    last = max(duration_seconds(when) for when, *_ in [*case.checks, *case.firing, *case.condition])
    return Case(
        f"{case.name} [{label} {FAILING_CLUSTER}; {label} {HEALTHY_CLUSTER} healthy]",
        [*(_in_cluster(item, failing) for item in case.input), *_healthy(healthy, last, step)],
        [(when, name, [Fires({**failing, **f.labels}, f.value) for f in fires]) for when, name, fires in case.checks],
        case.interval,
        [(when, name, {**failing, **labels}) for when, name, labels in case.firing],
        [(when, name, [{**failing, **labels} for labels in held]) for when, name, held in case.condition],
    )


RULE_FILES = ("../rules/lavametrics-recording.yml", "../rules/lavametrics-alerts.yml")


def suites(c: MixinConfig) -> dict[str, dict]:
    """Suite name -> promtool test file content."""
    by_name = {a.name: a for a in alerts(c)}
    out = {}
    for name, cases, every in (
        ("node-alerts", node_cases(c), c.timings.evaluation_interval),
        ("node-routevoice-alerts", routevoice_cases(c), c.timings.evaluation_interval),
        ("bot-alerts", bot_cases(c), c.timings.evaluation_interval),
        ("slo-alerts", slo_cases(c), c.timings.evaluation_interval),
        ("slo-slow-burn-alerts", slow_burn_cases(c), "1m"),
    ):
        if c.clusters.label:
            cases = [clustered_case(c, case) for case in cases]
        out[name] = {
            "rule_files": list(RULE_FILES),
            "evaluation_interval": every,
            "tests": [_test_group(c, case, by_name) for case in cases],
        }
    return out
