"""An hour of healthy history of the bot and of the nodes' audio frames, as OpenMetrics for
``promtool tsdb create-blocks-from openmetrics``.

A burn-rate page reads a long window (1 h): on a Prometheus that has scraped the bot for
two minutes, that window is two minutes long, and a full outage crosses the threshold
within seconds instead of the 52 s it takes on a bot with an hour of history; it would page
before the one-minute spike pages that are meant to tell of an outage first. The local stack
and the alert-latency test backfill this history first, so what they measure is the steady
state. The series match what :mod:`botsim` exports (same command mix, latencies and labels)
and what the plugin exports for the players the stack streams (every frame sent).
"""

from __future__ import annotations

import math
from pathlib import Path

from prometheus_client.utils import floatToGoString

from lavametrics.buckets import LATENCY_BUCKETS
from lavametrics.devtools.botsim import COMMAND_MIX, LATENCY_SIGMA


def _lognormal_cdf(x: float, median: float, sigma: float) -> float:
    return 0.5 * (1 + math.erf((math.log(x) - math.log(median)) / (sigma * math.sqrt(2))))


def _labels(labels: dict[str, str]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def bot_history(
    *,
    job: str,
    instance: str,
    end: float,
    seconds: float = 3600.0,
    step: float = 15.0,
    rate: float = 2.0,
    error_ratio: float = 0.0005,
) -> str:
    """Counters of a bot handling ``rate`` commands/s with ``error_ratio`` failing, until ``end``."""
    target = {"job": job, "instance": instance}
    times = [end - seconds + i * step for i in range(int(seconds // step) + 1)]
    t0 = times[0]
    commands, hist = [], []
    for name, share, median in COMMAND_MIX:
        r = rate * share
        for outcome, part in (("success", 1 - error_ratio), ("error", error_ratio)):
            key = _labels({**target, "command": name, "outcome": outcome})
            commands += [f"bot_commands_total{key} {math.floor(r * part * (t - t0))} {t:.3f}" for t in times]
        mean = median * math.exp(LATENCY_SIGMA**2 / 2)
        buckets = [
            (
                _labels({**target, "command": name, "le": floatToGoString(le)}),
                1.0 if le == math.inf else _lognormal_cdf(le, median, LATENCY_SIGMA),
            )
            for le in (*LATENCY_BUCKETS, math.inf)
        ]
        key = _labels({**target, "command": name})
        # one histogram point (buckets, count, sum) per timestamp, as OpenMetrics orders them; counts
        # are whole observations, rounded down, so every bucket stays within the +Inf one
        for t in times:
            hist += [
                f"bot_command_duration_seconds_bucket{k} {math.floor(r * share * (t - t0))} {t:.3f}"
                for k, share in buckets
            ]
            hist.append(f"bot_command_duration_seconds_count{key} {math.floor(r * (t - t0))} {t:.3f}")
            hist.append(f"bot_command_duration_seconds_sum{key} {r * mean * (t - t0):.6f} {t:.3f}")
    return (
        "\n".join(
            ["# TYPE bot_commands counter", *commands, "# TYPE bot_command_duration_seconds histogram", *hist, "# EOF"]
        )
        + "\n"
    )


def frames_history(
    *,
    job: str,
    targets: list[tuple[str, dict[str, str]]],
    end: float,
    frames_per_second: float,
    seconds: float = 3600.0,
    step: float = 15.0,
) -> str:
    """The plugin's frame counters of nodes (``(instance, labels)`` each) sending every frame of
    ``frames_per_second`` (50 per playing player), until ``end``: no frame nulled or missed."""
    times = [end - seconds + i * step for i in range(int(seconds // step) + 1)]
    t0 = times[0]
    lines = []
    for kind in ("sent", "nulled", "deficit"):
        lines.append(f"# TYPE lavametrics_frames_{kind} counter")
        for instance, labels in targets:
            key = _labels({"job": job, "instance": instance, **labels})
            rate = frames_per_second if kind == "sent" else 0.0
            lines += [f"lavametrics_frames_{kind}_total{key} {math.floor(rate * (t - t0))} {t:.3f}" for t in times]
    return "\n".join([*lines, "# EOF"]) + "\n"


def write(path: str | Path, **kwargs) -> Path:
    path = Path(path)
    path.write_text(bot_history(**kwargs))
    return path
