"""The three dashboards: command performance (the bot), playback health and node infrastructure.

Each has the ``datasource``, ``job`` and ``node`` variables; every rate uses
``$__rate_interval`` so panels stay right whatever the scrape interval and zoom. SLO panels
read the recording rules (``slo:*``), which keep their own fixed windows.

Every query carries the mixin's selector of the kind of target it reads (node, merged, bot,
node_exporter) besides ``job=~"$job"``, and the ``job`` variables list only jobs of their
kind (kubernetes-mixin style): *All* is ``.*``, and without the selector it would match the
bot, Prometheus itself and node_exporter in a node panel.
"""

from __future__ import annotations

from prometheus_client.utils import floatToGoString

from lavametrics.mixin import clusters
from lavametrics.mixin.config import MixinConfig
from lavametrics.mixin.grafana import Dashboard, Panel, Target, datasource_variable, query_variable
from lavametrics.mixin.rules import refusal_regex, source_refused
from lavametrics.mixin.slo import objectives

R = "$__rate_interval"


def _variables(selector: str, job_metric: str, node_metric: str) -> list[dict]:
    """``job``: the jobs ``selector`` matches that export ``job_metric``; ``node``: their nodes."""
    return [
        datasource_variable(),
        query_variable("job", "Job", f"label_values({job_metric}{{{selector}}}, job)"),
        query_variable("node", "Node", f'label_values({node_metric}{{{selector}, job=~"$job"}}, node)'),
    ]


def commands(c: MixinConfig) -> Dashboard:
    b = f'{c.selectors.bot}, job=~"$job"'
    slo = next(o for o in objectives(c) if o.name == "commands")
    # the quantiles read the recorded 5 m bucket rates (the series BotCommandLatencyHigh reads),
    # not a rate over every shard's raw buckets: bench_scale measured those panels as the
    # dashboards' slowest, growing with the shards (docs/benchmarks.md, "Many nodes")
    buckets = f"job_command:bot_command_duration_seconds_bucket:rate5m{{{{{b}}}}}"
    q = f"histogram_quantile({{q}}, sum by (command, le) ({buckets}))"
    fast_long, fast_short = c.slo.fast_windows
    return Dashboard(
        "lavametrics-commands",
        "Lavalink bot: command performance",
        "Commands the bot handles (BotMetrics): rate, latency, failures and the command SLO.",
        _variables(c.selectors.bot, "bot_commands_total", "bot_lavalink_node_events_total"),
        [
            "Traffic and latency",
            Panel(
                "Commands per second",
                "Commands handled, by command (all outcomes).",
                "ops",
                (Target(f"sum by (command) (rate(bot_commands_total{{{b}}}[{R}]))", "{{command}}"),),
                stack=True,
            ),
            Panel(
                "Command latency p50 / p95 / p99",
                "Time from invocation to reply, quantiles from the "
                "bot_command_duration_seconds histogram over 5 minutes (recorded), per command.",
                "s",
                (
                    Target(q.format(q=0.5), "p50 {{command}}"),
                    Target(q.format(q=0.95), "p95 {{command}}"),
                    Target(q.format(q=0.99), "p99 {{command}}"),
                ),
            ),
            Panel(
                "p95 latency by command",
                f"The number BotCommandLatencyHigh watches (threshold {c.thresholds.command_p95_seconds:g} s).",
                "s",
                (Target(q.format(q=0.95), "{{command}}"),),
                thresholds=((None, "green"), (c.thresholds.command_p95_seconds, "red")),
            ),
            Panel(
                "Share of commands over the SLO bound",
                f"Commands slower than {c.slo.commands_latency_seconds:g} s (the bound the command SLO counts as bad). "
                f"BotCommandsSlow pages when more than {c.thresholds.command_slow_ratio:.0%} of a bot's commands are "
                f"over {c.thresholds.command_page_window}.",
                "percentunit",
                (
                    Target(
                        f"1 - sum(rate(bot_command_duration_seconds_bucket{{{b}, "
                        f'le="{floatToGoString(c.slo.commands_latency_seconds)}"}}[{R}])) / '
                        f"sum(rate(bot_command_duration_seconds_count{{{b}}}[{R}]))",
                        "slower than the bound",
                    ),
                ),
                min=0,
                thresholds=((None, "green"), (c.thresholds.command_slow_ratio, "red")),
            ),
            "Failures",
            Panel(
                "Commands by outcome",
                "Commands that did not succeed: error (an exception) or cancelled.",
                "ops",
                (
                    Target(
                        f'sum by (outcome) (rate(bot_commands_total{{{b}, outcome!="success"}}[{R}]))', "{{outcome}}"
                    ),
                ),
                stack=True,
            ),
            Panel(
                "Error ratio by command",
                f"Share of each command's invocations that raised an error. BotCommandErrorsHigh pages when more "
                f"than {c.thresholds.command_error_ratio:.0%} of all of a bot's commands fail over "
                f"{c.thresholds.command_page_window}.",
                "percentunit",
                (
                    Target(
                        f'sum by (command) (rate(bot_commands_total{{{b}, outcome="error"}}[{R}])) / '
                        f"sum by (command) (rate(bot_commands_total{{{b}}}[{R}]))",
                        "{{command}}",
                    ),
                ),
                min=0,
                thresholds=((None, "green"), (c.thresholds.command_error_ratio, "red")),
            ),
            "What the bot sees of Lavalink",
            Panel(
                "Lavalink node events seen by the bot",
                "Connects and disconnects of the bot's Lavalink nodes (BotLavalinkDisconnects pages on these).",
                "ops",
                (
                    Target(
                        f'sum by (node, event) (rate(bot_lavalink_node_events_total{{{b}, node=~"$node"}}[{R}]))',
                        "{{node}} {{event}}",
                    ),
                ),
            ),
            Panel(
                "Search results found",
                "Searches by source and whether anything was found.",
                "ops",
                (
                    Target(
                        f"sum by (source, found) (rate(bot_searches_total{{{b}}}[{R}]))", "{{source}} found={{found}}"
                    ),
                ),
            ),
            Panel(
                "Results per search and source fallbacks",
                "Tracks a search returned (median and p95 of bot_search_results) and searches retried "
                "on another source (bot_source_fallbacks_total; no series until the first fallback).",
                "short",
                (
                    Target(
                        f"histogram_quantile(0.5, sum by (le) (rate(bot_search_results_bucket{{{b}}}[{R}])))",
                        "results p50",
                    ),
                    Target(
                        f"histogram_quantile(0.95, sum by (le) (rate(bot_search_results_bucket{{{b}}}[{R}])))",
                        "results p95",
                    ),
                    Target(
                        f"sum by (from_source, to_source) (rate(bot_source_fallbacks_total{{{b}}}[{R}]))",
                        "fallback {{from_source}} -> {{to_source}} /s",
                        optional=True,
                    ),
                ),
                min=0,
            ),
            Panel(
                "Voice closes and reconnects seen by the bot",
                "Voice websocket closes Lavalink reported to the bot, by Discord close code (no series "
                "until the first close), and voice connections the bot re-established. Compare with the "
                "node's own count on the playback dashboard.",
                "ops",
                (
                    Target(
                        f"sum by (code) (rate(bot_voice_closes_total{{{b}}}[{R}]))", "close {{code}}", optional=True
                    ),
                    Target(f"sum(rate(bot_voice_reconnects_total{{{b}}}[{R}]))", "reconnects"),
                ),
                min=0,
            ),
            Panel(
                "Track events seen by the bot",
                "Track starts, ends (by reason), exceptions (by severity), stuck tracks and failed loads "
                "as the bot's Lavalink client received them.",
                "ops",
                (
                    Target(
                        f"sum by (event, reason) (rate(bot_lavalink_track_events_total{{{b}}}[{R}]))",
                        "{{event}} {{reason}}",
                    ),
                ),
                min=0,
            ),
            "Discord gateway (lavametrics.bot.discord)",
            Panel(
                "Gateway latency",
                "Heartbeat latency of the bot's shards (bot_gateway_latency_seconds, read at scrape time): "
                "the worst shard and the mean. No series for a bot not instrumented with "
                "lavametrics.bot.discord, or before the first heartbeat.",
                "s",
                (
                    Target(f"max by (job) (bot_gateway_latency_seconds{{{b}}})", "worst shard {{job}}", optional=True),
                    Target(f"avg by (job) (bot_gateway_latency_seconds{{{b}}})", "mean {{job}}", optional=True),
                ),
                min=0,
            ),
            Panel(
                "Gateway connects, disconnects and resumes",
                "Gateway sessions the bot's shards opened, lost and resumed, summed over shards "
                "(bot_gateway_events_total has them per shard).",
                "ops",
                (Target(f"sum by (event) (rate(bot_gateway_events_total{{{b}}}[{R}]))", "{{event}}", optional=True),),
                min=0,
            ),
            Panel(
                "Guilds and voice connections",
                "Guilds the bot is in and voice clients it holds (connected to a voice channel), at scrape time.",
                "short",
                (
                    Target(f"sum by (job) (bot_guilds{{{b}}})", "guilds {{job}}", optional=True),
                    Target(f"sum by (job) (bot_voice_clients{{{b}}})", "voice clients {{job}}", optional=True),
                ),
                min=0,
            ),
            Panel(
                "Instrumentation errors",
                "Exceptions inside lavametrics' library adapters (swallowed, never raised into the bot): "
                "anything above 0 means some of the bot's metrics are missing events.",
                "ops",
                (
                    Target(
                        f"sum by (adapter) (rate(bot_instrumentation_errors_total{{{b}}}[{R}]))",
                        "{{adapter}}",
                        optional=True,
                    ),
                ),
                min=0,
            ),
            "Command SLO",
            Panel(
                "Command error budget left",
                f"Share of the {c.slo.period} error budget "
                f"({slo.budget:.6g} of commands) not yet spent; recorded once a minute, and only once "
                f"Prometheus holds {c.slo.period} of history (before that the share would be of a shorter window).",
                "percentunit",
                (Target(f"{slo.budget_record}{{{b}}}", "{{job}}", optional=True),),
                kind="stat",
                no_value=f"needs {c.slo.period} of history",
                width=6,
                height=6,
                thresholds=((None, "red"), (0.25, "orange"), (0.5, "green")),
            ),
            Panel(
                "Command SLO burn rate",
                f"Bad ratio over the fast-burn windows divided by the budget "
                f"({slo.budget:.6g}); {c.slo.fast_burn:g} over both pages.",
                "short",
                (
                    Target(f"{slo.ratio_record(fast_long)}{{{b}}} / {slo.budget:g}", f"{fast_long} {{{{job}}}}"),
                    Target(f"{slo.ratio_record(fast_short)}{{{b}}} / {slo.budget:g}", f"{fast_short} {{{{job}}}}"),
                ),
                width=18,
                height=6,
                min=0,
                thresholds=((None, "green"), (c.slo.slow_burn, "orange"), (c.slo.fast_burn, "red")),
            ),
        ],
    )


# --- failure causes (issue 22) ----------------------------------------------------------------
def _source_failure_panels(c: MixinConfig, s: str) -> list[Panel | str]:
    """Why loads and tracks fail (the plugin's closed set of causes), and the refused share that
    LavalinkSourceRefused pages on, over the alert's own window."""
    t = c.thresholds
    # the panel's own rate interval, as every panel (the alert reads its fixed window)
    refused, attempts = source_refused(s, R, by="node")
    return [
        "Source failures",
        Panel(
            "Failures by cause",
            "Failed loads and track exceptions per second, by the cause the plugin classified from the "
            f"exception chain ({refusal_regex()} mean the source refuses the node; other: nothing matched). "
            "Track failures are by source in lavametrics_track_failures_total.",
            "ops",
            (
                Target(f"sum by (cause) (rate(lavametrics_load_failures_total{{{s}}}[{R}]))", "load {{cause}}"),
                Target(f"sum by (cause) (rate(lavametrics_track_failures_total{{{s}}}[{R}]))", "track {{cause}}"),
            ),
            stack=True,
            min=0,
        ),
        Panel(
            "Refused share of loads and starts",
            f"Share of loads and track starts that failed as refused ({refusal_regex()}), per node; "
            f"LavalinkSourceRefused pages above {t.source_refused_ratio:.0%} over {t.source_refused_window}.",
            "percentunit",
            (Target(f"{refused} / clamp_min({attempts}, 1)", "{{node}}"),),
            min=0,
            max=1,
            thresholds=((None, "green"), (t.source_refused_ratio, "red")),
        ),
    ]


# --- end failure causes ---------------------------------------------------------------------


def playback(c: MixinConfig) -> Dashboard:
    s = f'{c.selectors.node}, job=~"$job", node=~"$node"'
    bot = f'{c.selectors.bot}, job=~"$bot"'
    slo = next(o for o in objectives(c) if o.name == "playback")
    fast_long, fast_short = c.slo.fast_windows
    return Dashboard(
        "lavametrics-playback",
        "Lavalink: playback health",
        "What listeners hear: players, tracks, loads, audio frames and voice connections (lavametrics plugin).",
        [
            *_variables(c.selectors.node, "lavametrics_info", "lavametrics_info"),
            # the bots whose queues the queue-depth panel shows
            query_variable("bot", "Bot", f"label_values(bot_queue_tracks{{{c.selectors.bot}}}, job)"),
        ],
        [
            "Players and tracks",
            Panel(
                "Players by state",
                "Players on the selected nodes: playing, paused, stopped (played before, no "
                "track now) and idle (never played).",
                "short",
                (Target(f"sum by (state) (lavametrics_players{{{s}}})", "{{state}}"),),
                stack=True,
                min=0,
            ),
            Panel(
                "Queue depth",
                "Tracks waiting in all guild queues of each bot (BotMetrics.set_queue_length; the Bot "
                "variable): a growing queue with few playing players means tracks do not start.",
                "short",
                (Target(f"sum by (job) (bot_queue_tracks{{{bot}}})", "{{job}}"),),
                min=0,
            ),
            Panel(
                "Players created and destroyed",
                "Players created and destroyed per second on the selected nodes (churn: bots joining and "
                "leaving voice channels).",
                "ops",
                (
                    Target(f"sum(rate(lavametrics_player_creations_total{{{s}}}[{R}]))", "created"),
                    Target(f"sum(rate(lavametrics_player_destructions_total{{{s}}}[{R}]))", "destroyed"),
                ),
                min=0,
            ),
            Panel(
                "Track starts by source",
                "Tracks started per second, by source manager.",
                "ops",
                (Target(f"sum by (source) (rate(lavametrics_track_starts_total{{{s}}}[{R}]))", "{{source}}"),),
                stack=True,
            ),
            Panel(
                "Track ends by reason",
                "Tracks ended per second by Lavalink's end reason (finished, stopped, replaced, cleanup, loadFailed).",
                "ops",
                (Target(f"sum by (reason) (rate(lavametrics_track_ends_total{{{s}}}[{R}]))", "{{reason}}"),),
                stack=True,
            ),
            Panel(
                "Track exceptions and stuck tracks",
                "Track exceptions by lavaplayer severity, and tracks that produced no audio for the stuck threshold.",
                "ops",
                (
                    Target(
                        f"sum by (severity) (rate(lavametrics_track_exceptions_total{{{s}}}[{R}]))",
                        "exception {{severity}}",
                    ),
                    Target(f"sum(rate(lavametrics_track_stuck_total{{{s}}}[{R}]))", "stuck"),
                ),
            ),
            "Loads",
            Panel(
                "Loads by result",
                "/v4/loadtracks answers per second, by loadType (error is a failed load).",
                "ops",
                (Target(f"sum by (result) (rate(lavametrics_loads_total{{{s}}}[{R}]))", "{{result}}"),),
                stack=True,
            ),
            Panel(
                "Load latency p50 / p95",
                "Time to answer /v4/loadtracks, from lavametrics_load_duration_seconds.",
                "s",
                (
                    Target(
                        f"histogram_quantile(0.5, sum by (le) (rate(lavametrics_load_duration_seconds_bucket{{{s}}}"
                        f"[{R}])))",
                        "p50",
                    ),
                    Target(
                        f"histogram_quantile(0.95, sum by (le) (rate(lavametrics_load_duration_seconds_bucket{{{s}}}"
                        f"[{R}])))",
                        "p95",
                    ),
                ),
            ),
            *_source_failure_panels(c, s),
            "Audio frames",
            Panel(
                "Frames sent, nulled and missing",
                "Audio frames per second: sent to voice connections, nulled "
                "(no audio ready when asked) and deficit (never asked for). 50 per playing player is ideal.",
                "suffix:frames/s",
                (
                    Target(f"sum(rate(lavametrics_frames_sent_total{{{s}}}[{R}]))", "sent"),
                    Target(f"sum(rate(lavametrics_frames_nulled_total{{{s}}}[{R}]))", "nulled"),
                    Target(f"sum(rate(lavametrics_frames_deficit_total{{{s}}}[{R}]))", "deficit"),
                ),
            ),
            Panel(
                "Frame loss ratio",
                f"(nulled + deficit) / expected frames, per node; LavalinkFrameLoss warns "
                f"above {c.thresholds.frame_loss_ratio:.0%} over 5 minutes, LavalinkFrameLossHigh pages above "
                f"{c.thresholds.frame_loss_page_ratio:.0%} over {c.thresholds.frame_loss_page_window}.",
                "percentunit",
                (
                    Target(
                        # the recorded rates LavalinkFrameLoss reads, one series per node
                        f"sum by (node) (node:lavametrics_frames_lost:rate5m{{{s}}}) / "
                        f"sum by (node) (node:lavametrics_frames_expected:rate5m{{{s}}})",
                        "{{node}}",
                    ),
                ),
                min=0,
                thresholds=(
                    (None, "green"),
                    (c.thresholds.frame_loss_ratio, "orange"),
                    (c.thresholds.frame_loss_page_ratio, "red"),
                ),
            ),
            Panel(
                "Per-track frame loss p95",
                "95th percentile of each finished track's own loss ratio.",
                "percentunit",
                (
                    Target(
                        f"histogram_quantile(0.95, sum by (le) (rate(lavametrics_player_frame_loss_ratio_bucket"
                        f"{{{s}}}[{R}])))",
                        "p95",
                    ),
                ),
                min=0,
            ),
            Panel(
                "Playback SLO burn rate",
                f"Frame loss over the fast-burn windows divided by the budget "
                f"({slo.budget:.6g}); {c.slo.fast_burn:g} over both pages. Fleet-wide: not filtered by node.",
                "short",
                (
                    Target(f"{slo.ratio_record(fast_long)} / {slo.budget:g}", fast_long),
                    Target(f"{slo.ratio_record(fast_short)} / {slo.budget:g}", fast_short),
                ),
                min=0,
                thresholds=((None, "green"), (c.slo.slow_burn, "orange"), (c.slo.fast_burn, "red")),
            ),
            "Voice",
            Panel(
                "Voice closes by code",
                "Voice websocket closes per second by Discord close code (1000 is a "
                "normal close; 4006/4009 session problems; 4014 disconnected).",
                "ops",
                (Target(f"sum by (code) (rate(lavametrics_voice_closes_total{{{s}}}[{R}]))", "{{code}}"),),
                stack=True,
            ),
            Panel(
                "Voice-connected players",
                "Players whose last player update reported a connected voice gateway.",
                "short",
                (Target(f"sum(lavametrics_voice_connected_players{{{s}}})", "connected players"),),
                min=0,
            ),
            Panel(
                "Voice ping p95",
                "95th percentile of the voice gateway ping of connected players.",
                "s",
                (
                    Target(
                        f"histogram_quantile(0.95, sum by (le) (rate(lavametrics_voice_ping_seconds_bucket{{{s}}}"
                        f"[{R}])))",
                        "p95",
                    ),
                ),
                min=0,
            ),
            # --- voice connects and route planner (issue 22) ---
            Panel(
                "Voice connects slower than the bound",
                f"Share of voice connects (voice update to the first audio frame sent) that took longer than "
                f"{c.thresholds.voice_connect_seconds:g} s, per node. LavalinkVoiceConnectsSlow warns when this share "
                f"over {c.thresholds.voice_connect_window} is above {c.thresholds.voice_connect_slow_ratio:.0%} "
                f"(a p95 above the bound).",
                "percentunit",
                (
                    Target(
                        f"(sum by (node) (increase(lavametrics_voice_connect_seconds_count{{{s}}}[{R}])) "
                        f"- sum by (node) (increase(lavametrics_voice_connect_seconds_bucket{{{s}, "
                        f'le="{floatToGoString(c.thresholds.voice_connect_seconds)}"}}[{R}]))) '
                        f"/ sum by (node) (increase(lavametrics_voice_connect_seconds_count{{{s}}}[{R}]))",
                        "{{node}}",
                    ),
                ),
                min=0,
                max=1,
                thresholds=((None, "green"), (c.thresholds.voice_connect_slow_ratio, "red")),
            ),
            Panel(
                "Voice connect time p95",
                "95th percentile of the time from a player's voice update (or its track's start, when that comes "
                "later) to the first audio frame its voice connection pulled: the silence a listener waits "
                "through after a join or a region move.",
                "s",
                (
                    Target(
                        f"histogram_quantile(0.95, sum by (le) (rate(lavametrics_voice_connect_seconds_bucket{{{s}}}"
                        f"[{R}])))",
                        "p95",
                    ),
                ),
                min=0,
                thresholds=((None, "green"), (c.thresholds.voice_connect_seconds, "red")),
            ),
            Panel(
                "Route planner: failing share of the IP block",
                f"Addresses the route planner marks failing (banned by the source) / addresses in its block. "
                f"LavalinkRoutePlannerExhausted warns above {c.thresholds.route_planner_failing_ratio:.0%} for "
                f"{c.thresholds.route_planner_for}. Empty on nodes without a route planner (ratelimit.ipBlocks).",
                "percentunit",
                (
                    Target(
                        f"lavametrics_route_planner_failing_addresses{{{s}}} / "
                        f"(lavametrics_route_planner_addresses{{{s}}} > 0)",
                        "{{node}}",
                        optional=True,
                    ),
                ),
                min=0,
                max=1,
                thresholds=((None, "green"), (c.thresholds.route_planner_failing_ratio, "red")),
            ),
            Panel(
                "Route planner: failing addresses and bans",
                "Failing addresses now, and bans (rises of that count between scrapes) over the last hour, per node; "
                "the planner's class is in lavametrics_route_planner_info. Empty without a route planner.",
                "short",
                (
                    Target(
                        f"sum by (node) (lavametrics_route_planner_failing_addresses{{{s}}})",
                        "{{node}} failing",
                        optional=True,
                    ),
                    Target(
                        f"sum by (node) (increase(lavametrics_route_planner_bans_total{{{s}}}[1h]))",
                        "{{node}} bans / 1h",
                        optional=True,
                    ),
                    Target(
                        f"sum by (node) (lavametrics_route_planner_addresses{{{s}}})",
                        "{{node}} block size",
                        optional=True,
                    ),
                ),
                min=0,
            ),
            # --- end voice connects and route planner ---
            Panel(
                "Filter usage",
                "Players with each audio filter set by their last player update.",
                "short",
                (Target(f"sum by (filter) (lavametrics_filter_players{{{s}}})", "{{filter}}"),),
                min=0,
            ),
            "REST API (plugin group rest, off by default: groups.rest: true)",
            Panel(
                "REST requests by route and status",
                "Requests to the node's REST API per second, by templated route and status class. Empty "
                "unless plugins.lavametrics.groups.rest is true.",
                "ops",
                (
                    Target(
                        f"sum by (route, status) (rate(lavametrics_rest_requests_total{{{s}}}[{R}]))",
                        "{{route}} {{status}}",
                        optional=True,
                    ),
                ),
                min=0,
            ),
            Panel(
                "REST latency p95 by route",
                "95th percentile time to answer, by templated route (lavametrics_rest_request_duration_seconds). "
                "Empty unless the rest group is on.",
                "s",
                (
                    Target(
                        f"histogram_quantile(0.95, sum by (route, le) (rate("
                        f"lavametrics_rest_request_duration_seconds_bucket{{{s}}}[{R}])))",
                        "{{route}}",
                        optional=True,
                    ),
                ),
                min=0,
            ),
        ],
    )


def infrastructure(c: MixinConfig) -> Dashboard:
    s = f'{c.selectors.node}, job=~"$job", node=~"$node"'
    # lavametrics serve's own series about the nodes it merges, and node_exporter on their hosts:
    # both are other jobs than the node's, so they match their own selector and the node only
    merged = f'{c.selectors.merged}, node=~"$node"'
    host = f'{c.selectors.node_exporter}, node=~"$node"'
    up_states = (("1", "UP", "green"), ("0", "DOWN", "red"))
    return Dashboard(
        "lavametrics-nodes",
        "Lavalink: node infrastructure",
        "Is each node up, and what it costs: CPU, memory, GC, restarts, scrape time and the plugin's health.",
        _variables(c.selectors.node, "up", "up"),
        [
            "Availability",
            Panel(
                "Node up",
                "1 when Prometheus' last scrape of the node succeeded (LavalinkNodeDown pages after "
                f"{c.thresholds.node_down_for} of 0). The history is the timeline below.",
                "none",
                (Target(f"up{{{s}}}", "{{node}}"),),
                kind="stat",
                width=8,
                height=5,
                mappings=up_states,
            ),
            Panel(
                "Uptime",
                "Time since each node's process started (Lavalink's own uptime gauge).",
                "s",
                (Target(f"lavalink_uptime_milliseconds{{{s}}} / 1000", "{{node}}"),),
                kind="stat",
                width=8,
                height=5,
            ),
            Panel(
                "Restarts in the last hour",
                "Process restarts seen through process_start_time_seconds changes.",
                "short",
                (Target(f"changes(process_start_time_seconds{{{s}}}[1h])", "{{node}}"),),
                kind="stat",
                width=8,
                height=5,
                thresholds=((None, "green"), (1, "orange"), (3, "red")),
            ),
            Panel(
                "Node up over time",
                "Each scrape of each node: UP (green), DOWN (red, the scrape failed). Nodes behind "
                "lavametrics serve show its lavametrics_node_up. A gap means no target at all.",
                "none",
                (
                    Target(f"up{{{s}}}", "{{node}}"),
                    Target(f"lavametrics_node_up{{{merged}}}", "{{node}} (via serve)", optional=True),
                ),
                kind="state-timeline",
                width=24,
                height=5,
                mappings=up_states,
            ),
            "CPU and memory",
            Panel(
                "CPU load",
                "Share of all cores used by the node process and by the whole machine "
                "(Lavalink's _percentage gauges are 0..1). Lavalink refreshes them at most every 30 s "
                "and reports 0 until its second reading: CPU seconds per second, beside, is the JVM's own.",
                "percentunit",
                (
                    Target(f"lavalink_cpu_lavalink_load_percentage{{{s}}}", "{{node}} process"),
                    Target(f"lavalink_cpu_system_load_percentage{{{s}}}", "{{node}} system"),
                ),
                min=0,
            ),
            Panel(
                "CPU seconds per second",
                "Cores' worth of CPU time the JVM used.",
                "short",
                (Target(f"rate(process_cpu_seconds_total{{{s}}}[{R}])", "{{node}}"),),
                min=0,
            ),
            Panel(
                "JVM heap",
                f"Heap used and its maximum (-Xmx); LavalinkHeapPressure warns at {c.thresholds.heap_used_ratio:.0%}.",
                "bytes",
                (
                    Target(f'jvm_memory_bytes_used{{{s}, area="heap"}}', "{{node}} used"),
                    Target(f'jvm_memory_bytes_max{{{s}, area="heap"}}', "{{node}} max"),
                ),
                min=0,
            ),
            Panel(
                "JVM non-heap and direct buffers",
                "Non-heap (metaspace, code cache) and the direct buffer pool, where lavaplayer keeps "
                "its audio buffers: neither counts against -Xmx, both count against the container's memory.",
                "bytes",
                (
                    Target(f'jvm_memory_bytes_used{{{s}, area="nonheap"}}', "{{node}} non-heap"),
                    Target(f'jvm_buffer_pool_used_bytes{{{s}, pool="direct"}}', "{{node}} direct buffers"),
                ),
                min=0,
            ),
            Panel(
                "Process memory",
                "Resident memory of the node process (heap, off-heap buffers, natives).",
                "bytes",
                (
                    Target(f"process_resident_memory_bytes{{{s}}}", "{{node}} resident"),
                    Target(f"lavalink_memory_used_bytes{{{s}}}", "{{node}} Lavalink used"),
                ),
                min=0,
            ),
            Panel(
                "File descriptors",
                "Open file descriptors (sockets included: each voice connection holds UDP and "
                "websocket sockets) against the process limit.",
                "short",
                (
                    Target(f"process_open_fds{{{s}}}", "{{node}} open"),
                    Target(f"process_max_fds{{{s}}}", "{{node}} limit"),
                ),
                min=0,
            ),
            "Host (node_exporter)",
            Panel(
                "Host CPU steal",
                "Share of the host's CPU time the hypervisor gave to others (node_exporter, selector "
                f"{c.selectors.node_exporter}, matched to the Lavalink node by its node label). Audio "
                "stutters when a node does not get its CPU. Empty without node_exporter.",
                "percentunit",
                (
                    Target(
                        f'sum by (node) (rate(node_cpu_seconds_total{{{host}, mode="steal"}}[{R}])) / '
                        f'count by (node) (node_cpu_seconds_total{{{host}, mode="idle"}})',
                        "{{node}} steal",
                        optional=True,
                    ),
                ),
                min=0,
            ),
            Panel(
                "Host UDP errors and drops",
                "UDP datagrams the host's kernel dropped: receive errors, and receive/send buffer "
                "overruns (audio goes out over UDP: send-buffer errors are lost frames). Empty "
                "without node_exporter.",
                "ops",
                (
                    Target(
                        f"sum by (node) (rate(node_netstat_Udp_InErrors{{{host}}}[{R}]))",
                        "{{node}} in errors",
                        optional=True,
                    ),
                    Target(
                        f"sum by (node) (rate(node_netstat_Udp_RcvbufErrors{{{host}}}[{R}]))",
                        "{{node}} receive buffer drops",
                        optional=True,
                    ),
                    Target(
                        f"sum by (node) (rate(node_netstat_Udp_SndbufErrors{{{host}}}[{R}]))",
                        "{{node}} send buffer drops",
                        optional=True,
                    ),
                ),
                min=0,
            ),
            "Garbage collection and threads",
            Panel(
                "Time in GC",
                "Share of wall time the JVM spent in garbage collection, per collector.",
                "percentunit",
                (Target(f"rate(jvm_gc_collection_seconds_sum{{{s}}}[{R}])", "{{node}} {{gc}}"),),
                min=0,
            ),
            Panel(
                "GC pauses p99",
                "99th percentile GC pause from Lavalink's own histogram (real Lavalink "
                "exports it; the stand-in node does not), and collections per second.",
                "s",
                (
                    Target(
                        f"histogram_quantile(0.99, sum by (node, le) (rate(lavalink_gc_pauses_seconds_bucket"
                        f"{{{s}}}[{R}])))",
                        "{{node}} p99 pause",
                        optional=True,
                    ),
                    Target(
                        f"sum by (node) (rate(jvm_gc_collection_seconds_sum{{{s}}}[{R}])) / "
                        f"sum by (node) (rate(jvm_gc_collection_seconds_count{{{s}}}[{R}]))",
                        "{{node}} mean collection",
                    ),
                ),
                min=0,
            ),
            Panel(
                "JVM threads",
                "Live threads of the node's JVM.",
                "short",
                (Target(f"jvm_threads_current{{{s}}}", "{{node}}"),),
                min=0,
            ),
            Panel(
                "Log errors and warnings",
                "Log events per second at level error and warn (Lavalink's logback_appender_total): "
                "a node that starts logging errors tells why before a panel does.",
                "ops",
                (
                    Target(
                        f'sum by (node, level) (rate(logback_appender_total{{{s}, level=~"error|warn"}}[{R}]))',
                        "{{node}} {{level}}",
                    ),
                ),
                min=0,
            ),
            "Client sessions",
            Panel(
                "Client sessions",
                "Bot websocket sessions per node: active and paused (may still resume).",
                "short",
                (Target(f"sum by (node, state) (lavametrics_sessions{{{s}}})", "{{node}} {{state}}"),),
                min=0,
            ),
            Panel(
                "Session opens and closes",
                "Websocket sessions opened (new or resumed) and closed per second: a bot reconnecting "
                "in a loop shows here first.",
                "ops",
                (
                    Target(
                        f"sum by (node, resumed) (rate(lavametrics_session_opens_total{{{s}}}[{R}]))",
                        "{{node}} open resumed={{resumed}}",
                    ),
                    Target(f"sum by (node) (rate(lavametrics_session_closes_total{{{s}}}[{R}]))", "{{node}} close"),
                ),
                min=0,
            ),
            "Monitoring health",
            Panel(
                "Scrape duration",
                f"How long Prometheus' successful scrapes of each node took (timeout: "
                f"{c.timings.scrape_timeout}). A failed scrape is a gap, not its short failure time.",
                "s",
                (Target(f"scrape_duration_seconds{{{s}}} and on (job, instance) up{{{s}}} == 1", "{{node}}"),),
                min=0,
            ),
            Panel(
                "Collector duration",
                "Time each lavametrics collector took in the last scrape.",
                "s",
                (Target(f"max by (collector) (lavametrics_collector_duration_seconds{{{s}}})", "{{collector}}"),),
                min=0,
            ),
            Panel(
                "Collector health",
                "Lowest lavametrics_collector_success per collector across the selected "
                "nodes (0: failing) and the config check (lavametrics_config_valid).",
                "bool",
                (
                    Target(f"min by (collector) (lavametrics_collector_success{{{s}}})", "{{collector}}"),
                    Target(f"min(lavametrics_config_valid{{{s}}})", "config valid"),
                ),
                min=0,
                max=1,
            ),
            Panel(
                "Collector errors and registration conflicts",
                "Exceptions caught in collectors, event hooks or the own endpoint; and families the "
                "plugin could not register because another collector owns the name "
                "(lavametrics_registration_conflicts, 0 when healthy: those families are missing).",
                "short",
                (
                    Target(
                        f"sum by (collector) (rate(lavametrics_collector_errors_total{{{s}}}[{R}]))",
                        "errors/s {{collector}}",
                    ),
                    Target(f"max by (node) (lavametrics_registration_conflicts{{{s}}})", "{{node}} conflicts"),
                ),
                min=0,
                thresholds=((None, "green"), (1, "red")),
            ),
            "Nodes behind lavametrics serve",
            Panel(
                "Merged node scrape duration",
                "How long lavametrics serve took to fetch each node it merges "
                f"(selector {c.selectors.merged}). Empty without lavametrics serve.",
                "s",
                (Target(f"lavametrics_node_scrape_duration_seconds{{{merged}}}", "{{node}}", optional=True),),
                min=0,
            ),
            Panel(
                "Merged node failures, fallbacks and conflicts",
                "Failed fetches per second by reason; 1 while /v4/stats stands in for a node's plugin "
                "families (lavametrics_node_stats_fallback); families dropped for a TYPE clash.",
                "short",
                (
                    Target(
                        f"sum by (node, reason) (rate(lavametrics_node_scrape_failures_total{{{merged}}}[{R}]))",
                        "{{node}} failures/s {{reason}}",
                        optional=True,
                    ),
                    Target(f"lavametrics_node_stats_fallback{{{merged}}}", "{{node}} on /v4/stats", optional=True),
                    Target(f"lavametrics_merge_type_conflicts{{{merged}}}", "{{node}} type conflicts", optional=True),
                ),
                min=0,
            ),
        ],
    )


def all_dashboards(c: MixinConfig) -> list[Dashboard]:
    return [clusters.dashboard(c, d) for d in (commands(c), playback(c), infrastructure(c))]
