"""The two service level objectives and their multi-window, multi-burn-rate alerts.

An SLO here is a ratio of bad events to all events. For each window the alerts need, a
recording rule keeps that ratio (``slo:<name>:ratio_rate<window>``); an alert fires when the
ratio exceeds ``burn rate x error budget`` over both a long window (the budget really is
burning) and a short one (it still is: the alert clears soon after the problem does).

- commands: a command is bad when it fails (outcome="error") or takes longer than the
  latency bound. The histogram and the outcome counter are separate series, so a command both
  slow and failed counts twice; the ratio is capped at 1 and errs on the side of paging.
- playback: an expected audio frame is bad when it was nulled (no audio ready) or never
  requested (deficit); expected = sent + nulled + deficit, summed over all nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client.utils import floatToGoString

from lavametrics.mixin.config import MixinConfig, duration_seconds


@dataclass(frozen=True)
class Objective:
    name: str  # commands | playback
    title: str
    objective: float
    by: tuple[str, ...]  # labels the ratio keeps
    bad: str  # PromQL of bad events per second, with {w} for the window
    total: str  # PromQL of all events per second, with {w}

    @property
    def budget(self) -> float:
        return round(1 - self.objective, 10)

    def ratio_record(self, window: str) -> str:
        return f"slo:{self.name}_bad:ratio_rate{window}"

    def ratio_expr(self, window: str) -> str:
        bad, total = self.bad.replace("{w}", window), self.total.replace("{w}", window)
        return f"clamp_max(({bad}) / ({total}), 1)"

    @property
    def bad_rate_record(self) -> str:
        return f"slo:{self.name}_bad:rate5m"

    @property
    def total_rate_record(self) -> str:
        return f"slo:{self.name}_events:rate5m"

    @property
    def history_record(self) -> str:
        return f"slo:{self.name}_history:ratio"

    @property
    def budget_record(self) -> str:
        return f"slo:{self.name}_error_budget:remaining_ratio"


def _by(labels: tuple[str, ...]) -> str:
    return f"sum by ({', '.join(labels)}) " if labels else "sum "


def objectives(c: MixinConfig) -> list[Objective]:
    le = floatToGoString(c.slo.commands_latency_seconds)
    bot = c.selectors.bot
    by = ("job",)
    s = _by(by)
    commands = Objective(
        "commands",
        f"Commands answered successfully within {c.slo.commands_latency_seconds:g} s",
        c.slo.commands_objective,
        by,
        bad=(
            f'{s}(rate(bot_commands_total{{{bot}, outcome="error"}}[{{w}}])) '
            f"+ {s}(rate(bot_command_duration_seconds_count{{{bot}}}[{{w}}])) "
            f'- {s}(rate(bot_command_duration_seconds_bucket{{{bot}, le="{le}"}}[{{w}}]))'
        ),
        total=f"{s}(rate(bot_command_duration_seconds_count{{{bot}}}[{{w}}]))",
    )
    node = c.selectors.node
    lost = (
        f"sum(rate(lavametrics_frames_nulled_total{{{node}}}[{{w}}])) "
        f"+ sum(rate(lavametrics_frames_deficit_total{{{node}}}[{{w}}]))"
    )
    playback = Objective(
        "playback",
        "Expected audio frames delivered",
        c.slo.playback_objective,
        (),
        bad=lost,
        total=f"sum(rate(lavametrics_frames_sent_total{{{node}}}[{{w}}])) + {lost}",
    )
    return [commands, playback]


def windows(c: MixinConfig) -> list[str]:
    """Every window a burn-rate alert reads, shortest first (5m is always kept for dashboards)."""
    return sorted({*c.slo.fast_windows, *c.slo.slow_windows, "5m"}, key=duration_seconds)
