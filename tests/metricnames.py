"""Every metric name a rule or dashboard may select, each from the code or note that defines it.

- the plugin's families: the catalog (``lavametrics.config.catalog``), with their sample suffixes
- the bot's: a throw-away ``BotMetrics`` registry, collected
- ``lavametrics serve``'s own gauges: the constants in ``lavametrics.monitor.merge``
- Lavalink core's: listed below from /work/shared/notes/lavalink-facts.md (the
  ``LavalinkStatsCollector`` gauges, ``lavalink_gc_pauses_seconds``, ``logback_appender_total``)
  and simpleclient_hotspot 0.16's ``DefaultExports`` as a node exposes them
- node_exporter's host series the node dashboard reads (CPU steal, UDP errors), listed below
  from node_exporter's default ``cpu`` and ``netstat`` collectors
- Prometheus' own per-target series (``up``, ``scrape_*``) and ``ALERTS``
- the recording rules, which define their own names (added by the caller)

A name outside all of these is a typo or a metric nobody exports: a panel that stays empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from lavametrics.bot.metrics import BotMetrics
from lavametrics.config.catalog import load_catalog
from lavametrics.monitor import merge

_HISTOGRAM = ("_bucket", "_sum", "_count")

# Lavalink core's LavalinkStatsCollector gauges (no labels; the _total ones are gauges too)
LAVALINK_STATS = (
    "lavalink_players_total",
    "lavalink_playing_players_total",
    "lavalink_uptime_milliseconds",
    "lavalink_memory_free_bytes",
    "lavalink_memory_used_bytes",
    "lavalink_memory_allocated_bytes",
    "lavalink_memory_reservable_bytes",
    "lavalink_cpu_cores",
    "lavalink_cpu_system_load_percentage",
    "lavalink_cpu_lavalink_load_percentage",
)
# Lavalink's development branch (lavalink-devs/Lavalink dev 800c2ae, SearchMetrics.kt, PR #1188):
# counters not in any release yet; tracks_played carries guild_id, which prometheus.yml drops
LAVALINK_DEV = ("lavalink_tracks_played_total", "lavalink_item_load_results_total")
# GC pause histogram and log events by level (real Lavalink; the stand-in models them too)
LAVALINK_EXTRA = tuple(f"lavalink_gc_pauses_seconds{s}" for s in _HISTOGRAM) + ("logback_appender_total",)
# simpleclient_hotspot 0.16 DefaultExports (process, memory, GC, threads, classes, buffer pools)
JVM_DEFAULT_EXPORTS = (
    "process_cpu_seconds_total",
    "process_start_time_seconds",
    "process_open_fds",
    "process_max_fds",
    "process_virtual_memory_bytes",
    "process_resident_memory_bytes",
    "jvm_info",
    "jvm_memory_objects_pending_finalization",
    "jvm_memory_bytes_used",
    "jvm_memory_bytes_committed",
    "jvm_memory_bytes_max",
    "jvm_memory_bytes_init",
    "jvm_memory_pool_bytes_used",
    "jvm_memory_pool_bytes_committed",
    "jvm_memory_pool_bytes_max",
    "jvm_memory_pool_bytes_init",
    "jvm_memory_pool_collection_used_bytes",
    "jvm_memory_pool_collection_committed_bytes",
    "jvm_memory_pool_collection_max_bytes",
    "jvm_memory_pool_collection_init_bytes",
    "jvm_memory_pool_allocated_bytes_total",
    "jvm_gc_collection_seconds_count",
    "jvm_gc_collection_seconds_sum",
    "jvm_threads_current",
    "jvm_threads_daemon",
    "jvm_threads_peak",
    "jvm_threads_started_total",
    "jvm_threads_deadlocked",
    "jvm_threads_deadlocked_monitor",
    "jvm_threads_state",
    "jvm_classes_currently_loaded",
    "jvm_classes_loaded_total",
    "jvm_classes_unloaded_total",
    "jvm_buffer_pool_used_bytes",
    "jvm_buffer_pool_capacity_bytes",
    "jvm_buffer_pool_used_buffers",
)
# node_exporter (1.x defaults): the cpu collector and the netstat collector's default fields
NODE_EXPORTER = (
    "node_cpu_seconds_total",
    "node_netstat_Udp_InDatagrams",
    "node_netstat_Udp_OutDatagrams",
    "node_netstat_Udp_InErrors",
    "node_netstat_Udp_NoPorts",
    "node_netstat_Udp_RcvbufErrors",
    "node_netstat_Udp_SndbufErrors",
)
PROMETHEUS_SYNTHETIC = (
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
    "ALERTS",
    "ALERTS_FOR_STATE",
)


def plugin_names() -> frozenset[str]:
    catalog = load_catalog(prefer_jar=False)
    return frozenset(n for fam in catalog.families for n in fam.sample_names)


def bot_names() -> frozenset[str]:
    return frozenset(n for fam in bot_families() for n in fam.samples)


def merge_names() -> frozenset[str]:
    return frozenset(n for fam in merge_families() for n in fam.samples)


@dataclass(frozen=True)
class Family:
    """One metric family somebody in this project exports, and the sample names it has."""

    source: str
    name: str
    samples: tuple[str, ...]


def plugin_families() -> list[Family]:
    return [Family("plugin catalog", f.name, f.sample_names) for f in load_catalog(prefer_jar=False).families]


def bot_families() -> list[Family]:
    registry = CollectorRegistry()
    BotMetrics(registry=registry, commands=("play",))
    out = []
    for fam in registry.collect():
        if fam.type == "histogram":
            samples = tuple(fam.name + s for s in _HISTOGRAM)
        elif fam.type == "counter":
            samples = (fam.name + "_total",)
        else:
            samples = (fam.name,)
        out.append(Family("BotMetrics", samples[0] if fam.type == "counter" else fam.name, samples))
    return out


def merge_families() -> list[Family]:
    gauges = (merge.UP, merge.DURATION, merge.FALLBACK, merge.CONFLICTS, *merge.STATS_NAMES)
    return [Family("lavametrics serve", n, (n,)) for n in gauges] + [
        Family("lavametrics serve", merge.FAILURES + "_total", (merge.FAILURES + "_total",))
    ]


def own_families() -> list[Family]:
    """Every family this project defines: the plugin's, BotMetrics' and lavametrics serve's."""
    return plugin_families() + bot_families() + merge_families()


def lavalink_core_names() -> frozenset[str]:
    return frozenset(LAVALINK_STATS + LAVALINK_EXTRA + LAVALINK_DEV + JVM_DEFAULT_EXPORTS)


def known_names() -> dict[str, frozenset[str]]:
    """Source -> the names it defines."""
    return {
        "plugin catalog": plugin_names(),
        "BotMetrics": bot_names(),
        "lavametrics serve": merge_names(),
        "Lavalink core": lavalink_core_names(),
        "node_exporter": frozenset(NODE_EXPORTER),
        "Prometheus": frozenset(PROMETHEUS_SYNTHETIC),
    }
