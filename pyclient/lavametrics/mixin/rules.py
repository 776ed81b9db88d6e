"""Recording and alert rules for Lavalink nodes, the lavametrics plugin and the bot.

Severity decides who hears of it: ``critical`` pages (Alertmanager sends it after a short
group wait), ``warning`` goes to the team's channel. Each alert's ``runbook_url`` points at
its section of docs/monitoring/operations-guide.md (the anchor is the lower-cased name).

Alerts about one node carry its ``node`` label, so that Alertmanager can group by node and
let ``LavalinkNodeDown`` silence that node's other alerts (its symptoms).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from prometheus_client.utils import floatToGoString

from lavametrics.config.catalog import packaged
from lavametrics.mixin import clusters
from lavametrics.mixin.config import MixinConfig, duration_seconds
from lavametrics.mixin.slo import Objective, objectives, windows

CRITICAL, WARNING = "critical", "warning"


@dataclass(frozen=True)
class Alert:
    name: str
    group: str  # node | bot | slo: which rule group it lives in
    severity: str
    expr: str
    for_: str | None
    summary: str
    description: str

    @property
    def anchor(self) -> str:
        return self.name.lower()

    def rule(self, c: MixinConfig) -> dict:
        rule: dict[str, object] = {"alert": self.name, "expr": self.expr}
        if self.for_:
            rule["for"] = self.for_
        rule["labels"] = {"severity": self.severity}
        rule["annotations"] = {
            "summary": self.summary,
            "description": self.description,
            "runbook_url": f"{c.links.runbook_base}#{self.anchor}",
        }
        return rule


# How a quantity reads a counter's growth over a window: increase() of its samples, or the
# window's own samples (latest minus lowest). A quantity is written once as a function of it.
Delta = Callable[[str], str]


def increase_over(window: str) -> Delta:
    return lambda selector: f"increase({selector}[{window}])"


def sampled_over(window: str) -> Delta:
    return lambda selector: f"({selector} - min_over_time({selector}[{window}]))"


def more_than_in_window(
    quantity: Callable[[Delta], str], counters: Sequence[str], by: str, window: str, threshold: int
) -> str:
    """PromQL true where more than ``threshold`` events fell in ``window``: ``quantity`` sums
    (by ``by``) the growth of ``counters``, as the ``Delta`` it is given reads each.

    increase() alone misreads small counts: it extrapolates to the window's end, by up to one
    scrape interval, in proportion to the span its samples cover. On a series a minute old
    (a node or bot just started) 3 events read as 3.9, and "> 3.5" paged on them; 2 failed
    commands read as 2.9, past "at least 3". The count of the window's own samples, latest minus
    lowest, is exact but blind across a counter reset. So both are needed: increase() past
    N + 0.5 (N events of a long-lived series never reach it, N + 1 always do), and either more
    than N in the samples themselves or a reset in the window, where only increase() adds up the
    events on both sides of the restart.
    """
    counted = f"{quantity(increase_over(window))} > {threshold + 0.5:g}"
    sampled = f"{quantity(sampled_over(window))} > {threshold}"
    restarted = " or ".join(f"(sum by ({by}) (resets({c}[{window}])) > 0)" for c in counters)
    return f"({counted}) and (({sampled}) or {restarted})"


def more_than_of_counter(selector: str, by: str, window: str, threshold: int) -> str:
    """:func:`more_than_in_window` of one counter's events, summed by ``by``."""
    return more_than_in_window(lambda d: f"sum by ({by}) ({d(selector)})", [selector], by, window, threshold)


def _over_bound(by: str, count: str, within: str) -> Callable[[Delta], str]:
    """The observations of a histogram above a bucket's bound: its ``_count`` less that bucket."""
    return lambda d: f"(sum by ({by}) ({d(count)}) - sum by ({by}) ({d(within)}))"


def off_the_scrapes(c: MixinConfig, window: str) -> str:
    """A range for "the last ``window``" that starts between two scrapes: ``window`` plus half a
    scrape interval.

    Prometheus 2 counts a sample lying exactly on a range's start, 3 does not (ranges are
    left-open since 3.0). Where scrapes and evaluations line up (the rule tests, and steady
    scrapes often enough), a 30s range over 10s scrapes holds 4 samples under 2.42 but 3 under
    3.x, so "no frame for 30 s" fired after a 20 s stall. With no sample on the edge both read the
    same samples; what a flat counter then means is still "nothing in the last ``window``".
    """
    ms = int(duration_seconds(window) * 1000 + duration_seconds(c.timings.scrape_interval) * 500)
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def node_recording(c: MixinConfig) -> list[dict]:
    n = c.selectors.node
    sent = f"rate(lavametrics_frames_sent_total{{{n}}}[5m])"
    nulled = f"rate(lavametrics_frames_nulled_total{{{n}}}[5m])"
    deficit = f"rate(lavametrics_frames_deficit_total{{{n}}}[5m])"
    return [
        {
            "record": "node:lavametrics_frames_expected:rate5m",
            "expr": f"sum by (job, node) ({sent} + {nulled} + {deficit})",
        },
        {"record": "node:lavametrics_frames_lost:rate5m", "expr": f"sum by (job, node) ({nulled} + {deficit})"},
        # Lavalink's development branch counts plays per guild (stackconfig.GUILD_SERIES_DROP drops
        # those series at scrape); where they are kept, this sums the guild away for dashboards
        {
            "record": "node_source:lavalink_tracks_played:rate5m",
            "expr": f"sum by (job, node, source) (rate(lavalink_tracks_played_total{{{n}}}[5m]))",
        },
        {
            "record": "node:lavametrics_frame_loss:ratio_rate5m",
            "expr": "node:lavametrics_frames_lost:rate5m / node:lavametrics_frames_expected:rate5m",
        },
    ]


def bot_recording(c: MixinConfig) -> list[dict]:
    b = c.selectors.bot
    return [
        {
            "record": "job_command:bot_command_duration_seconds_bucket:rate5m",
            "expr": f"sum by (job, command, le) (rate(bot_command_duration_seconds_bucket{{{b}}}[5m]))",
        },
        {
            "record": "job_command:bot_commands:rate5m",
            "expr": f"sum by (job, command) (rate(bot_commands_total{{{b}}}[5m]))",
        },
        {
            "record": "job_command:bot_command_errors:rate5m",
            "expr": f'sum by (job, command) (rate(bot_commands_total{{{b}, outcome="error"}}[5m]))',
        },
    ]


def slo_recording(c: MixinConfig) -> list[dict]:
    rules = []
    for o in objectives(c):
        for w in windows(c):
            rules.append({"record": o.ratio_record(w), "expr": o.ratio_expr(w)})
        rules.append({"record": o.bad_rate_record, "expr": o.bad.replace("{w}", "5m")})
        rules.append({"record": o.total_rate_record, "expr": o.total.replace("{w}", "5m")})
    return rules


def slo_budget_recording(c: MixinConfig) -> list[dict]:
    """Error budget left over the SLO period; it reads the whole period, so its group runs once a minute.

    Over less history than the period the same expression is the budget of a shorter window
    (a fresh Prometheus printed -8,590 % after a bad hour), so the budget is recorded only once
    the history covers the period; the history's share of it is recorded beside, for the panel.
    """
    rules = []
    p = c.slo.period
    for o in objectives(c):
        rules.append(
            {
                "record": o.history_record,
                # the share of the period the recorded rates it sums cover: one sample per evaluation
                # (those start with the rules, not with the raw data, which a backfilled or older TSDB
                # holds more of). A scan like the budget's own, where a subquery stepping through the
                # period costs 43,200 evaluations a minute
                "expr": (
                    f"clamp_max(count_over_time({o.total_rate_record}[{p}]) * "
                    f"{duration_seconds(c.timings.evaluation_interval):g} / {duration_seconds(p):g}, 1)"
                ),
            }
        )
        rules.append(
            {
                "record": o.budget_record,
                "expr": (
                    f"(1 - (sum_over_time({o.bad_rate_record}[{p}]) / sum_over_time({o.total_rate_record}[{p}]))"
                    f" / {o.budget:g}) and {o.history_record} >= 0.99"
                ),
            }
        )
    return rules


def _burn_alerts(c: MixinConfig, o: Objective) -> list[Alert]:
    out = []
    family = f"{'BotCommand' if o.name == 'commands' else 'Playback'}SLO"  # + Fast|Slow + Burn
    for speed, burn, (long_w, short_w), severity in (
        ("Fast", c.slo.fast_burn, c.slo.fast_windows, CRITICAL),
        ("Slow", c.slo.slow_burn, c.slo.slow_windows, WARNING),
    ):
        threshold = f"{burn * o.budget:.6g}"
        subject = "Bot {{ $labels.job }}: commands burn" if o.name == "commands" else "Playback burns"
        expr = f"{o.ratio_record(long_w)} > {threshold} and {o.ratio_record(short_w)} > {threshold}"
        # A burn's short window stays high for as long after an incident another page already
        # told: the spike pages for both burns, the fast burn for the slow one. Within
        # that window a burn is not news; without this it started notifying as that page resolved
        # (seen in drills: an Alertmanager inhibition ends with its source).
        earlier = list(SPIKE_PAGES[o.name])
        if speed == "Slow":
            earlier.append(f"{family}FastBurn")
        expr = quiet_after(expr, earlier, o.by, short_w)
        out.append(
            Alert(
                f"{family}{speed}Burn",
                "slo",
                severity,
                expr,
                None,
                f"{subject} the error budget {burn:g}x too fast",
                (
                    f"{{{{ $value | humanizePercentage }}}} of {o.name} were bad over the last {long_w} "
                    f"(objective {o.objective:.6g}: {o.budget:.6g} may be bad; the last {short_w} is above "
                    f"{burn:g}x that too). At this rate the {c.slo.period} budget is gone in "
                    f"{_budget_gone(c, burn)}."
                ),
            )
        )
    return out


def quiet_after(expr: str, pages: list[str] | tuple[str, ...], on: tuple[str, ...], window: str) -> str:
    """``expr``, kept quiet while any of ``pages`` fires for the same ``on`` labels, and for
    ``window`` after: an alert whose own window outlasts the page that already told of the
    incident would otherwise start notifying just as that page resolves."""
    if not pages:
        return expr
    fired = f'ALERTS{{alertname=~"{"|".join(pages)}", alertstate="firing"}}'
    return f"{expr} unless on ({', '.join(on)}) max_over_time({fired}[{window}])"


# Symptoms another page already tells of: alert -> (the pages, the labels that make them one
# incident, the alert's own window). The rule keeps the alert quiet for its window after those
# pages (quiet_after) and Alertmanager inhibits it while they fire (stackconfig), so it shows as
# held back there rather than missing.
QUIETED_BY: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "BotCommandLatencyHigh": (("BotCommandsSlow", "BotCommandSLOFastBurn"), ("job",), "5m"),
    "LavalinkFrameLoss": (("LavalinkFrameLossHigh",), ("job", "node"), "5m"),
}


# The pages that tell of a spike of an objective's bad events within a minute. A burn-rate page
# reads its 1h window, so it cannot page a spike that fast (at 100 % bad it crosses 14.4x the
# budget after 52 s of the hour, then scrape, evaluation and group wait); these pages do, and
# the burns page what they cannot see: a budget burning steadily below their thresholds.
SPIKE_PAGES = {
    "commands": ("BotCommandErrorsHigh", "BotCommandsSlow"),
    "playback": ("LavalinkFrameLossHigh", "LavalinkPlaybackSilent"),
}


def _budget_gone(c: MixinConfig, burn: float) -> str:
    hours = duration_seconds(c.slo.period) / burn / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.0f} hours"


# --- source refused (issue 22) ---------------------------------------------------------------
def refusal_regex() -> str:
    """The plugin's refusal causes as a PromQL regex; the catalog (FailureCauses.REFUSALS) says which."""
    causes = packaged().refusal_causes()
    if not causes:
        raise RuntimeError("the packaged catalog names no refusal causes: run `make generate`")
    return "|".join(causes)


def _refused_counters(selector: str) -> tuple[str, str]:
    cause = f'cause=~"{refusal_regex()}"'
    return (
        f"lavametrics_load_failures_total{{{selector}, {cause}}}",
        f"lavametrics_track_failures_total{{{selector}, {cause}}}",
    )


def _loads_and_tracks(loads: str, tracks: str, by: str) -> Callable[[Delta], str]:
    """``(loads + tracks) or loads or tracks``, so a node whose tracks never started (no track
    series yet), or with one of the two groups off, is still judged on what it has."""

    def quantity(d: Delta) -> str:
        a = f"sum by ({by}) ({d(loads)})"
        b = f"sum by ({by}) ({d(tracks)})"
        return f"(({a} + {b}) or {a} or {b})"

    return quantity


def source_refused(selector: str, window: str, by: str = "job, node") -> tuple[str, str]:
    """(refused, attempts) over ``window``: loads and track failures classified as a refusal, and
    every load and track start."""
    d = increase_over(window)
    refused = _loads_and_tracks(*_refused_counters(selector), by)
    attempts = _loads_and_tracks(
        f"lavametrics_loads_total{{{selector}}}", f"lavametrics_track_starts_total{{{selector}}}", by
    )
    return refused(d), attempts(d)


def _source_refused_alert(c: MixinConfig) -> Alert:
    t = c.thresholds
    refused, attempts = source_refused(c.selectors.node, t.source_refused_window)
    counters = _refused_counters(c.selectors.node)
    enough = more_than_in_window(
        _loads_and_tracks(*counters, "job, node"),
        counters,
        "job, node",
        t.source_refused_window,
        t.source_refused_min - 1,
    )
    return Alert(
        "LavalinkSourceRefused",
        "node",
        CRITICAL,
        f"{refused} / clamp_min({attempts}, 1) > {t.source_refused_ratio:g} and {enough}",
        None,
        "A source refuses node {{ $labels.node }}",
        f"{{{{ $value | humanizePercentage }}}} of loads and track starts over the last {t.source_refused_window} "
        f"failed because the source refused the node (cause {refusal_regex()}; page above "
        f"{t.source_refused_ratio:.0%}): YouTube's bot check, HTTP 403 or 429. Listeners cannot play from it "
        "until the node's IP, client or source version changes.",
    )


# --- end source refused -------------------------------------------------------------------


def alerts(c: MixinConfig) -> list[Alert]:
    t, n, m, b = c.thresholds, c.selectors.node, c.selectors.merged, c.selectors.bot
    ignored = "|".join(t.voice_closes_ignored_codes)
    close_sel = (
        f'lavametrics_voice_closes_total{{{n}, code!~"{ignored}"}}'
        if ignored
        else f"lavametrics_voice_closes_total{{{n}}}"
    )
    disc_sel = f'bot_lavalink_node_events_total{{{b}, event="disconnected"}}'
    w = t.command_page_window
    failed = f'bot_commands_total{{{b}, outcome="error"}}'
    errors = f"sum by (job) (increase({failed}[{w}]))"
    commands = f"sum by (job) (increase(bot_commands_total{{{b}}}[{w}]))"
    timed = f"sum by (job) (increase(bot_command_duration_seconds_count{{{b}}}[{w}]))"
    within = floatToGoString(c.slo.commands_latency_seconds)
    slow_counters = (
        f"bot_command_duration_seconds_count{{{b}}}",
        f'bot_command_duration_seconds_bucket{{{b}, le="{within}"}}',
    )
    slow_q = _over_bound("job", *slow_counters)
    slow = slow_q(increase_over(w))
    fw = t.frame_loss_page_window
    lost = (
        f"sum by (job, node) (rate(lavametrics_frames_nulled_total{{{n}}}[{fw}]) "
        f"+ rate(lavametrics_frames_deficit_total{{{n}}}[{fw}]))"
    )
    expected = f"({lost} + sum by (job, node) (rate(lavametrics_frames_sent_total{{{n}}}[{fw}])))"
    sent = f"sum by (job, node) (rate(lavametrics_frames_sent_total{{{n}}}[{off_the_scrapes(c, t.silent_window)}]))"
    playing = f'sum by (job, node) (lavametrics_players{{{n}, state="playing"}})'
    track_bad = (
        f"(sum by (job, node) (increase(lavametrics_track_exceptions_total{{{n}}}[{t.track_window}])) "
        f"+ sum by (job, node) (increase(lavametrics_track_stuck_total{{{n}}}[{t.track_window}])))"
    )
    load_bad = f'sum by (job, node) (increase(lavametrics_loads_total{{{n}, result="error"}}[{t.load_window}]))'
    # --- route planner and voice connects (issue 22) ---
    vw = t.voice_connect_window
    connects = f"sum by (job, node) (increase(lavametrics_voice_connect_seconds_count{{{n}}}[{vw}]))"
    connect_bound = floatToGoString(t.voice_connect_seconds)
    slow_connect_counters = (
        f"lavametrics_voice_connect_seconds_count{{{n}}}",
        f'lavametrics_voice_connect_seconds_bucket{{{n}, le="{connect_bound}"}}',
    )
    slow_connects_q = _over_bound("job, node", *slow_connect_counters)
    slow_connects = slow_connects_q(increase_over(vw))
    enough_slow_connects = more_than_in_window(
        slow_connects_q, slow_connect_counters, "job, node", vw, t.voice_connect_min - 1
    )
    # --- end route planner and voice connects ---
    found = [
        # --- node ------------------------------------------------------------------------
        Alert(
            "LavalinkNodeDown",
            "node",
            CRITICAL,
            f"up{{{n}}} == 0 or lavametrics_node_up{{{m}}} == 0",
            t.node_down_for,
            "Lavalink node {{ $labels.node }} is down",
            f"{{{{ $labels.job }}}}/{{{{ $labels.instance }}}} has failed every scrape for {t.node_down_for}: "
            "the node is stopped, unreachable or too slow to answer. Its players are silent and the bot "
            "must move them to another node.",
        ),
        Alert(
            "LavalinkNoTargets",
            "node",
            WARNING,
            _no_targets(c),
            t.no_targets_for,
            "Prometheus scrapes no Lavalink node at all",
            f"No target matches {n} for {t.no_targets_for}: the file_sd file is empty or missing "
            "(lavametrics targets), or the job was renamed. Nothing about the nodes can alert.",
        ),
        Alert(
            "LavametricsPluginMissing",
            "node",
            WARNING,
            f"up{{{n}}} == 1 unless on (job, instance) lavametrics_info{{{n}}}",
            t.plugin_absent_for,
            "Node {{ $labels.node }} answers but exports no lavametrics metrics",
            "{{ $labels.job }}/{{ $labels.instance }} is up but has no lavametrics_info: the plugin jar "
            "is not in plugins/, failed to load, or the target points at the wrong endpoint. Playback, "
            "frame and voice alerts cannot fire for this node.",
        ),
        Alert(
            "LavametricsConfigInvalid",
            "node",
            WARNING,
            f"lavametrics_config_valid{{{n}}} == 0",
            t.config_invalid_for,
            "lavametrics config on {{ $labels.node }} is invalid",
            "plugins.lavametrics did not validate, or the plugin's own endpoint could not start; the "
            "bad parts fell back to defaults (see the node log, or lavametrics config validate).",
        ),
        Alert(
            "LavametricsCollectorFailing",
            "node",
            WARNING,
            f"lavametrics_collector_success{{{n}}} == 0",
            t.collector_failing_for,
            "lavametrics collector {{ $labels.collector }} fails on {{ $labels.node }}",
            f"The {{{{ $labels.collector }}}} collector has failed every scrape for {t.collector_failing_for}; "
            "its metrics are missing or stale. The node log has the exception.",
        ),
        Alert(
            "LavalinkVoiceCloses",
            "node",
            CRITICAL,
            more_than_of_counter(close_sel, "job, node, code", t.voice_closes_window, t.voice_closes_max),
            None,
            "Voice connections on {{ $labels.node }} keep closing with code {{ $labels.code }}",
            f"More than {t.voice_closes_max} voice websockets closed with code {{{{ $labels.code }}}} in the "
            f"last {t.voice_closes_window}: listeners are dropped from voice.",
        ),
        Alert(
            "LavalinkPlaybackSilent",
            "node",
            CRITICAL,
            f"{playing} > 0 and on (job, node) {sent} == 0",
            None,
            "Players on {{ $labels.node }} should be playing but no audio is sent",
            f"{{{{ $value }}}} players are playing a track, yet the node handed no audio frame to any voice "
            f"connection in the last {t.silent_window}: every listener on this node hears silence (voice "
            "connections lost or never made). It clears when frames flow again, or when lavaplayer stops "
            "the tracks nobody pulls frames from (end reason cleanup, after about a minute): then playback "
            "is over, not back.",
        ),
        Alert(
            "LavalinkTrackProblems",
            "node",
            WARNING,
            f"{track_bad} / clamp_min(sum by (job, node) (increase(lavametrics_track_starts_total{{{n}}}"
            f"[{t.track_window}])), 1) > {t.track_problem_ratio:g} and {track_bad} >= {t.track_problem_min}",
            None,
            "Tracks fail or get stuck on {{ $labels.node }}",
            f"Exceptions plus stuck tracks were {{{{ $value | humanizePercentage }}}} of track starts over "
            f"{t.track_window} (threshold {t.track_problem_ratio:.0%}): a source is failing.",
        ),
        Alert(
            "LavalinkLoadFailures",
            "node",
            WARNING,
            f"{load_bad} / clamp_min(sum by (job, node) (increase(lavametrics_loads_total{{{n}}}"
            f"[{t.load_window}])), 1) > {t.load_failure_ratio:g} and {load_bad} >= {t.load_failure_min}",
            None,
            "Track loads fail on {{ $labels.node }}",
            f"{{{{ $value | humanizePercentage }}}} of /v4/loadtracks answered loadType=error over "
            f"{t.load_window} (threshold {t.load_failure_ratio:.0%}).",
        ),
        _source_refused_alert(c),
        Alert(
            "LavalinkFrameLoss",
            "node",
            WARNING,
            f"node:lavametrics_frame_loss:ratio_rate5m > {t.frame_loss_ratio:g} "
            f"and node:lavametrics_frames_expected:rate5m > {t.frame_loss_min_frames:g}",
            t.frame_loss_for,
            "Audio frames are lost on {{ $labels.node }}",
            f"{{{{ $value | humanizePercentage }}}} of expected audio frames were nulled or never sent for "
            f"{t.frame_loss_for} (threshold {t.frame_loss_ratio:.0%}): listeners hear stutter.",
        ),
        Alert(
            "LavalinkFrameLossHigh",
            "node",
            CRITICAL,
            f"{lost} / {expected} > {t.frame_loss_page_ratio:g} and {expected} > {t.frame_loss_min_frames:g}",
            t.frame_loss_page_for,
            "Audio on {{ $labels.node }} is breaking up",
            f"{{{{ $value | humanizePercentage }}}} of the audio frames the node's players should have sent over "
            f"the last {fw} were nulled or never sent (page above {t.frame_loss_page_ratio:.0%}): listeners "
            "hear audio cut in and out.",
        ),
        # --- route planner and voice connects (issue 22) ---
        Alert(
            "LavalinkRoutePlannerExhausted",
            "node",
            WARNING,
            f"lavametrics_route_planner_failing_addresses{{{n}}} / (lavametrics_route_planner_addresses{{{n}}} > 0) "
            f"> {t.route_planner_failing_ratio:g}",
            t.route_planner_for,
            "The route planner of {{ $labels.node }} is running out of addresses",
            f"{{{{ $value | humanizePercentage }}}} of the route planner's IP block is marked failing (banned by "
            f"the source), above {t.route_planner_failing_ratio:.0%} for {t.route_planner_for}: once every "
            "address is failing, YouTube loads and plays fail on this node.",
        ),
        Alert(
            "LavalinkVoiceConnectsSlow",
            "node",
            WARNING,
            f"{slow_connects} / {connects} > {t.voice_connect_slow_ratio:g} and {enough_slow_connects}",
            None,
            "Voice connects on {{ $labels.node }} are slow",
            f"{{{{ $value | humanizePercentage }}}} of the voice connects over the last {vw} took longer than "
            f"{t.voice_connect_seconds:g}s from the voice update to the first audio frame (warns above "
            f"{t.voice_connect_slow_ratio:.0%}, i.e. a p95 above {t.voice_connect_seconds:g}s, with at least "
            f"{t.voice_connect_min} slow): listeners wait in silence after a join or a move.",
        ),
        # --- end route planner and voice connects ---
        Alert(
            "LavalinkHeapPressure",
            "node",
            WARNING,
            f'max by (job, instance, node) (jvm_memory_bytes_used{{{n}, area="heap"}}) / '
            f'max by (job, instance, node) (jvm_memory_bytes_max{{{n}, area="heap"}} > 0) > {t.heap_used_ratio:g}',
            t.heap_for,
            "JVM heap of {{ $labels.node }} is nearly full",
            f"Heap use has stayed above {t.heap_used_ratio:.0%} of -Xmx for {t.heap_for} "
            "(now {{ $value | humanizePercentage }}): GC pauses grow and audio stutters before an OutOfMemoryError.",
        ),
        # --- bot -------------------------------------------------------------------------
        Alert(
            "BotMetricsDown",
            "bot",
            WARNING,
            f"up{{{b}}} == 0",
            t.bot_down_for,
            "Prometheus cannot scrape bot {{ $labels.job }} ({{ $labels.instance }})",
            f"The bot's metrics endpoint has failed every scrape for {t.bot_down_for}: the bot is down or its "
            "exporter is. The command SLO and the disconnect alerts are blind until it is back.",
        ),
        Alert(
            "BotLavalinkDisconnects",
            "bot",
            CRITICAL,
            more_than_of_counter(disc_sel, "job, node", t.disconnects_window, t.disconnects_max),
            None,
            "Bot {{ $labels.job }} keeps losing Lavalink node {{ $labels.node }}",
            f"The bot lost its connection to {{{{ $labels.node }}}} more than {t.disconnects_max} times in "
            f"{t.disconnects_window}: players on it stop and move.",
        ),
        Alert(
            "BotCommandLatencyHigh",
            "bot",
            WARNING,
            f"histogram_quantile(0.95, job_command:bot_command_duration_seconds_bucket:rate5m{{{b}}}) "
            f"> {t.command_p95_seconds:g} and on (job, command) job_command:bot_commands:rate5m{{{b}}} "
            f"> {t.command_min_rate:g}",
            t.command_latency_for,
            "Command {{ $labels.command }} of {{ $labels.job }} is slow",
            f"p95 latency of {{{{ $labels.command }}}} is {{{{ $value | humanize }}}}s, above "
            f"{t.command_p95_seconds:g}s for {t.command_latency_for}.",
        ),
        Alert(
            "BotCommandErrorsHigh",
            "bot",
            CRITICAL,
            f"{errors} / {commands} > {t.command_error_ratio:g} "
            f"and {more_than_of_counter(failed, 'job', w, t.command_page_min - 1)}",
            t.command_page_for,
            "Commands of {{ $labels.job }} fail",
            f"{{{{ $value | humanizePercentage }}}} of commands raised an error over the last "
            f"{w}, above {t.command_error_ratio:.0%} for {t.command_page_for} "
            f"(at least {t.command_page_min} failed).",
        ),
        Alert(
            "BotCommandsSlow",
            "bot",
            CRITICAL,
            f"{slow} / {timed} > {t.command_slow_ratio:g} "
            f"and {more_than_in_window(slow_q, slow_counters, 'job', w, t.command_page_min - 1)}",
            t.command_page_for,
            "Commands of {{ $labels.job }} are slow",
            f"{{{{ $value | humanizePercentage }}}} of commands took longer than {c.slo.commands_latency_seconds:g}s "
            f"(the command SLO's bound) over the last {w}, above {t.command_slow_ratio:.0%} for "
            f"{t.command_page_for} (at least {t.command_page_min} slow).",
        ),
    ]
    found = [replace(a, expr=quiet_after(a.expr, *QUIETED_BY[a.name])) if a.name in QUIETED_BY else a for a in found]
    for o in objectives(c):
        found.extend(_burn_alerts(c, o))
    return [replace(a, expr=clusters.rule_expr(c, a.expr)) for a in found]


def _no_targets(c: MixinConfig) -> str:
    n, label = c.selectors.node, c.clusters.label
    if not label:
        return f"absent(up{{{n}}})"
    # absent() keeps no label: per cluster, "this cluster has targets, but no node among them"
    # (a cluster Prometheus scrapes nothing of at all is one it cannot tell exists)
    return f"group by ({label}) (up) unless on ({label}) group by ({label}) (up{{{n}}})"


GROUP_TITLES = {"node": "lavametrics-node.alerts", "bot": "lavametrics-bot.alerts", "slo": "lavametrics-slo.alerts"}


def recording_file(c: MixinConfig) -> dict:
    groups: list[dict] = [
        {"name": "lavametrics-node.rules", "rules": node_recording(c)},
        {"name": "lavametrics-bot.rules", "rules": bot_recording(c)},
        {"name": "lavametrics-slo.rules", "rules": slo_recording(c)},
        {"name": "lavametrics-slo-budget.rules", "interval": "1m", "rules": slo_budget_recording(c)},
    ]
    for group in groups:
        group["rules"] = [clusters.recording_rule(c, r) for r in group["rules"]]
    return {"groups": groups}


def alerts_file(c: MixinConfig) -> dict:
    every = alerts(c)
    return {
        "groups": [
            {"name": title, "rules": [a.rule(c) for a in every if a.group == group]}
            for group, title in GROUP_TITLES.items()
        ]
    }


def recorded_names(c: MixinConfig) -> set[str]:
    return {r["record"] for g in recording_file(c)["groups"] for r in g["rules"]}
