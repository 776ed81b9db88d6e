"""The three dashboards: command performance (the bot), playback health and node infrastructure.

Each has the ``datasource``, ``job`` and ``node`` variables; every rate uses
``$__rate_interval`` so panels stay right whatever the scrape interval and zoom. SLO panels
read the recording rules (``slo:*``), which keep their own fixed windows.
"""

from __future__ import annotations

from prometheus_client.utils import floatToGoString

from lavametrics.mixin.config import MixinConfig
from lavametrics.mixin.grafana import Dashboard, Panel, Target, datasource_variable, query_variable
from lavametrics.mixin.slo import objectives

R = "$__rate_interval"


def _variables(job_query: str, node_query: str) -> list[dict]:
    return [datasource_variable(), query_variable("job", "Job", job_query), query_variable("node", "Node", node_query)]


def commands(c: MixinConfig) -> Dashboard:
    b = 'job=~"$job"'
    slo = next(o for o in objectives(c) if o.name == "commands")
    q = f"histogram_quantile({{q}}, sum by (command, le) (rate(bot_command_duration_seconds_bucket{{{{{b}}}}}[{R}])))"
    fast_long, fast_short = c.slo.fast_windows
    return Dashboard(
        "lavametrics-commands",
        "Lavalink bot: command performance",
        "Commands the bot handles (BotMetrics): rate, latency, failures and the command SLO.",
        _variables(
            f"label_values(bot_commands_total{{{c.selectors.bot}}}, job)",
            'label_values(bot_lavalink_node_events_total{job=~"$job"}, node)',
        ),
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
                "bot_command_duration_seconds histogram, per command.",
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
                f"Commands slower than {c.slo.commands_latency_seconds:g} s (the bound the command SLO counts as bad).",
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
                f"{c.thresholds.command_errors_window}.",
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


def playback(c: MixinConfig) -> Dashboard:
    s = 'job=~"$job", node=~"$node"'
    slo = next(o for o in objectives(c) if o.name == "playback")
    fast_long, fast_short = c.slo.fast_windows
    return Dashboard(
        "lavametrics-playback",
        "Lavalink: playback health",
        "What listeners hear: players, tracks, loads, audio frames and voice connections (lavametrics plugin).",
        _variables(
            f"label_values(lavametrics_info{{{c.selectors.node}}}, job)",
            'label_values(lavametrics_info{job=~"$job"}, node)',
        ),
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
                f"above {c.thresholds.frame_loss_ratio:.0%}.",
                "percentunit",
                (
                    Target(
                        f"sum by (node) (rate(lavametrics_frames_nulled_total{{{s}}}[{R}]) + "
                        f"rate(lavametrics_frames_deficit_total{{{s}}}[{R}])) / sum by (node) ("
                        f"rate(lavametrics_frames_sent_total{{{s}}}[{R}]) + "
                        f"rate(lavametrics_frames_nulled_total{{{s}}}[{R}]) + "
                        f"rate(lavametrics_frames_deficit_total{{{s}}}[{R}]))",
                        "{{node}}",
                    ),
                ),
                min=0,
                thresholds=((None, "green"), (c.thresholds.frame_loss_ratio, "red")),
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
            Panel(
                "Filter usage",
                "Players with each audio filter set by their last player update.",
                "short",
                (Target(f"sum by (filter) (lavametrics_filter_players{{{s}}})", "{{filter}}"),),
                min=0,
            ),
        ],
    )


def infrastructure(c: MixinConfig) -> Dashboard:
    s = 'job=~"$job", node=~"$node"'
    return Dashboard(
        "lavametrics-nodes",
        "Lavalink: node infrastructure",
        "Is each node up, and what it costs: CPU, memory, GC, restarts, scrape time and the plugin's health.",
        _variables(f"label_values(up{{{c.selectors.node}}}, job)", 'label_values(up{job=~"$job"}, node)'),
        [
            "Availability",
            Panel(
                "Node up",
                "1 when Prometheus' last scrape of the node succeeded (LavalinkNodeDown pages after "
                f"{c.thresholds.node_down_for} of 0).",
                "none",
                (Target(f"up{{{s}}}", "{{node}}"),),
                kind="stat",
                width=8,
                height=5,
                mappings=(("1", "UP", "green"), ("0", "DOWN", "red")),
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
            "CPU and memory",
            Panel(
                "CPU load",
                "Share of all cores used by the node process and by the whole machine "
                "(Lavalink's _percentage gauges are 0..1).",
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
                "Process memory",
                "Resident memory of the node process (heap, off-heap buffers, natives).",
                "bytes",
                (
                    Target(f"process_resident_memory_bytes{{{s}}}", "{{node}} resident"),
                    Target(f"lavalink_memory_used_bytes{{{s}}}", "{{node}} Lavalink used"),
                ),
                min=0,
            ),
            "Garbage collection",
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
                "Client sessions",
                "Bot websocket sessions per node: active and paused (may still resume).",
                "short",
                (Target(f"sum by (node, state) (lavametrics_sessions{{{s}}})", "{{node}} {{state}}"),),
                min=0,
            ),
            "Monitoring health",
            Panel(
                "Scrape duration",
                f"How long Prometheus' scrape of each node took (timeout: {c.timings.scrape_timeout}).",
                "s",
                (Target(f"scrape_duration_seconds{{{s}}}", "{{node}}"),),
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
                "Collector errors",
                "Exceptions caught in collectors, event hooks or the own endpoint.",
                "ops",
                (
                    Target(
                        f"sum by (collector) (rate(lavametrics_collector_errors_total{{{s}}}[{R}]))", "{{collector}}"
                    ),
                ),
                min=0,
            ),
        ],
    )


def all_dashboards(c: MixinConfig) -> list[Dashboard]:
    return [commands(c), playback(c), infrastructure(c)]
