"""Metrics a Discord music bot should keep about itself.

Everything here is bounded by construction: command names are declared up front (anything
else is counted as ``other``), outcomes are one of three words, and no method accepts a
guild, user or track -- so an ID cannot end up in a label by accident.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
import math
import os
import threading
import weakref
from bisect import bisect_left
from importlib import resources
from time import perf_counter

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString

from lavametrics.buckets import LATENCY_BUCKETS, RESULT_BUCKETS
from lavametrics.errors import LavametricsError

OUTCOMES = ("success", "error", "cancelled")
OTHER = "other"
NODE_EVENTS = ("connected", "disconnected", "ready", "changed")
TRACK_EVENTS = ("start", "end", "exception", "stuck", "load_failed")


def _plugin_values(family: str, label: str) -> tuple[str, ...]:
    """The bounded values the plugin's catalog gives ``family``'s ``label``, without ``other``
    (folding into ``other`` is ``_fold``'s job): one vocabulary for the node and the bot, so a
    4017 close or a ``tidal`` track reads the same on both sides."""
    values = next(lb["values"] for lb in _catalog_family(family)["labels"] if lb["name"] == label)
    return tuple(v for v in values or () if v != OTHER)


@functools.cache
def _catalog() -> dict:
    # the packaged JSON itself, not lavametrics.config.catalog: a bot pulls in nothing of the
    # monitoring side (docs/design/architecture.md, enforced by make lint)
    return json.loads(resources.files("lavametrics.data").joinpath("catalog.json").read_text(encoding="utf-8"))


def _catalog_family(family: str) -> dict:
    data = _catalog()
    names = {data["prefix"] + family, data["prefix"] + family + "_total"}
    return next(f for f in data["families"] if f["name"] in names)


DEFAULT_SOURCES = _plugin_values("track_starts", "source")
TRACK_END_REASONS = _plugin_values("track_ends", "reason")
EXCEPTION_SEVERITIES = _plugin_values("track_exceptions", "severity")
# end reasons and exception severities share the reason label; "none" for events without one
TRACK_REASONS = ("none", *TRACK_END_REASONS, *EXCEPTION_SEVERITIES)
MAX_NODES = 32
# command names an adapter may take from the bot's command tree (bounded by the bot's code; the
# cap is for a bot that generates commands): past it, "other"
MAX_COMMANDS = 256
GATEWAY_EVENTS = ("connect", "disconnect", "resume")
# the libraries lavametrics.bot has an adapter for: the label of instrumentation_errors_total
ADAPTERS = ("discord", "wavelink", "mafic", "pomice", "lavalink_py")
# Discord voice close codes worth telling apart (the plugin's list); anything else is "other"
VOICE_CLOSE_CODES = _plugin_values("voice_closes", "code")

# One set of collectors per (registry, prefix): prometheus_client refuses to register a name
# twice, and bots (or their tests, or hot reloads) do construct BotMetrics more than once.
_cache: weakref.WeakKeyDictionary[CollectorRegistry, dict] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


log = logging.getLogger(__name__)
_rejected = [0]  # durations observe_command dropped, process-wide (a list: mutable without global)
_rejected_lock = threading.Lock()
_hook_errors = [0]  # exceptions adapters' hooks swallowed, process-wide (for the log's first-warning rule)


def _reject_duration(name: str, seconds) -> None:
    with _rejected_lock:
        _rejected[0] += 1
        first = _rejected[0] == 1
    log.log(
        logging.WARNING if first else logging.DEBUG,
        "observe_command(%r): duration %r is not a finite number of seconds >= 0: dropped%s",
        name,
        seconds,
        " (further drops are logged at debug level)" if first else "",
    )


# How many raw values a children cache keeps: the labels are bounded by folding, but the raw
# values a caller passes need not be (a buggy caller passing free text would grow the cache).
MAX_CACHED_CHILDREN = 512


def _remember(cache: dict, key, child) -> None:
    if len(cache) < MAX_CACHED_CHILDREN:
        cache[key] = child


def _fold(value: str | None, allowed) -> str:
    return value if value is not None and value in allowed else OTHER


def end_reason(reason) -> str:
    """A track end reason as the plugin spells it (Lavalink v4's camelCase, ``loadFailed``),
    from a string or a str enum, also in the v3 spelling some libraries still pass
    (``LOAD_FAILED``)."""
    raw = str(getattr(reason, "value", reason))
    if raw.isupper():
        first, *rest = raw.lower().split("_")
        raw = first + "".join(part.capitalize() for part in rest)
    return raw


def _track_labels(key: tuple) -> tuple[str, str]:
    event, reason = key
    return _fold(event, TRACK_EVENTS), _fold(end_reason(reason), TRACK_REASONS)


class BotMetrics:
    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        commands=(),
        prefix: str = "bot_",
        sources=DEFAULT_SOURCES,
        nodes=(),
    ):
        self.registry = registry if registry is not None else REGISTRY
        self.prefix = prefix
        self.commands = frozenset(commands)
        self.sources = frozenset(sources)
        self.nodes = frozenset(nodes)  # node names from the bot's config: bounded by the operator
        with _cache_lock:
            per_registry = _cache.setdefault(self.registry, {})
            shared = per_registry.get(prefix)
            if shared is None:
                shared = self._create(prefix)
                per_registry[prefix] = shared
        self._m = shared
        self.server = None  # the /metrics endpoint from_env started, if any
        self._observe = shared["commands"].observe  # bound once: every command passes here
        # declared series start at 0 so rate() works from the first scrape
        for cmd in (*sorted(self.commands), OTHER):
            shared["commands"].declare(cmd)
        for node in sorted(self.nodes):
            self._declare_node(node)

    @classmethod
    def from_env(cls, registry: CollectorRegistry | None = None, *, environ=None, **kwargs) -> BotMetrics:
        """``BotMetrics(registry, **kwargs)`` with the bot's /metrics endpoint started as the
        environment says (``METRICS_ENABLED``, ``METRICS_BASIC_AUTH``, ...: see ``serve_from_env``)
        and kept in ``server`` (None when it is off); stop it with
        ``metrics.server.shutdown(); metrics.server.server_close()``. A bad setting raises
        before anything is registered."""
        server = serve_from_env(registry if registry is not None else REGISTRY, environ)
        try:
            metrics = cls(registry, **kwargs)
        except BaseException:
            if server is not None:
                server.shutdown()
                server.server_close()
            raise
        metrics.server = server
        return metrics

    def _create(self, p: str) -> dict:
        r = self.registry
        return {
            "commands": _CommandMetrics(p, r),
            "queue": Gauge(f"{p}queue_tracks", "Tracks waiting in all guild queues", registry=r),
            "search_results": Histogram(
                f"{p}search_results", "Tracks returned per search", ["source"], buckets=RESULT_BUCKETS, registry=r
            ),
            "searches": Counter(
                f"{p}searches_total",
                "Searches by source and whether anything was found",
                ["source", "found"],
                registry=r,
            ),
            "fallbacks": Counter(
                f"{p}source_fallbacks_total",
                "Searches retried on another source",
                ["from_source", "to_source"],
                registry=r,
            ),
            "reconnects": Counter(f"{p}voice_reconnects_total", "Voice connections re-established", registry=r),
            "voice_closes": _Tally(
                f"{p}voice_closes",
                "Voice websocket closes reported by Lavalink",
                ("code",),
                r,
                lambda code: (_fold(str(code), VOICE_CLOSE_CODES),),
            ),
            "node_events": Counter(
                f"{p}lavalink_node_events_total",
                "Lavalink node connects and disconnects",
                ["node", "event"],
                registry=r,
            ),
            "track_events": _Tally(
                f"{p}lavalink_track_events",
                "Track events seen by the bot",
                ("event", "reason"),
                r,
                _track_labels,
            ),
            "gateway_events": Counter(
                f"{p}gateway_events_total",
                "Discord gateway connects, disconnects and resumes, by shard",
                ["shard", "event"],
                registry=r,
            ),
            "gateway": _GatewayCollector(p, r),
            "hook_errors": Counter(
                f"{p}instrumentation_errors_total",
                "Exceptions inside a library adapter's hooks: swallowed (never raised into the bot) and counted",
                ["adapter"],
                registry=r,
            ),
        }

    # --- commands ------------------------------------------------------------------------

    def _command(self, name: str) -> str:
        return _fold(name, self.commands)

    def command_from_tree(self, name: str) -> str:
        """The label of a command an adapter got from the bot's own command tree: such a name
        is bounded by the bot's code, so it is admitted (and its series declared at 0) even if
        not declared up front, up to MAX_COMMANDS names; past that, ``other``."""
        if name in self.commands:
            return name
        with _cache_lock:
            if name not in self.commands:
                if len(self.commands) >= MAX_COMMANDS:
                    return OTHER
                # a new frozenset, rebound at once: readers never see one half built
                self.commands = self.commands | {name}
        self._m["commands"].declare(name)
        return name

    def observe_command(self, name: str, seconds: float, outcome: str) -> None:
        """Count a command the bot timed itself. A duration that is not a finite number of
        seconds >= 0 is dropped (command and outcome too, so the counts and the histogram
        agree): one NaN would poison ``_sum`` for good, and an infinite or negative one
        is a clock bug, not a latency. The first drop is logged as a warning, the rest at
        debug level, so a broken caller cannot flood the log; ``rejected_durations`` counts them."""
        if not (isinstance(seconds, (int, float)) and math.isfinite(seconds) and seconds >= 0):
            _reject_duration(name, seconds)
            return
        self._m["commands"].observe(
            name if name in self.commands else OTHER, outcome if outcome in OUTCOMES else "error", seconds
        )

    @property
    def rejected_durations(self) -> int:
        """Durations ``observe_command`` dropped in this process (NaN, infinite, negative)."""
        return _rejected[0]

    @staticmethod
    def _outcome_of(exc: BaseException | None) -> str:
        if exc is None:
            return "success"
        if isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt)):
            return "cancelled"
        return "error"

    def time_command(self, name: str) -> _CommandTimer:
        """``with``/``async with`` block timing one command; an exception counts as error
        (CancelledError as cancelled) and is re-raised."""
        # _command inlined: one call less on a path every command of the bot takes
        return _CommandTimer(self._observe, name if name in self.commands else OTHER)

    def command(self, name: str):
        """Decorator for sync or async command handlers."""
        # resolved once here, not per call: every command of the bot runs through this
        observe, cmd = self._observe, self._command(name)

        def wrap(fn):
            if inspect.iscoroutinefunction(fn):

                @functools.wraps(fn)
                async def async_wrapper(*args, **kwargs):
                    start = perf_counter()
                    try:
                        result = await fn(*args, **kwargs)
                    except BaseException as exc:
                        observe(cmd, BotMetrics._outcome_of(exc), perf_counter() - start)
                        raise
                    observe(cmd, "success", perf_counter() - start)
                    return result

                return async_wrapper

            @functools.wraps(fn)
            def sync_wrapper(*args, **kwargs):
                start = perf_counter()
                try:
                    result = fn(*args, **kwargs)
                except BaseException as exc:
                    observe(cmd, BotMetrics._outcome_of(exc), perf_counter() - start)
                    raise
                observe(cmd, "success", perf_counter() - start)
                return result

            return sync_wrapper

        return wrap

    # --- music state ---------------------------------------------------------------------

    def set_queue_length(self, tracks: int) -> None:
        self._m["queue"].set(tracks)

    def queue_from(self, count, adapter: str) -> None:
        """``<prefix>queue_tracks`` becomes ``count()``, read at every scrape (a library
        adapter that can see all players' queues); ``set_queue_length`` no longer shows. An
        exception in ``count`` is counted as ``adapter``'s and the last value is kept."""
        last = [0.0]

        def read() -> float:
            try:
                last[0] = float(count())
            except Exception:
                self.hook_error(adapter)
            return last[0]

        self._m["queue"].set_function(read)

    def observe_search(self, source: str, results: int) -> None:
        src = _fold(source, self.sources)
        self._m["search_results"].labels(src).observe(results)
        self._m["searches"].labels(src, "true" if results > 0 else "false").inc()

    def fallback(self, from_source: str, to_source: str) -> None:
        self._m["fallbacks"].labels(_fold(from_source, self.sources), _fold(to_source, self.sources)).inc()

    def voice_reconnect(self) -> None:
        self._m["reconnects"].inc()

    def voice_close(self, code) -> None:
        self._m["voice_closes"].inc(code)

    def node_event(self, node: str, event: str) -> None:
        self._m["node_events"].labels(self._node_label(node), _fold(event, NODE_EVENTS)).inc()

    def _declare_node(self, label: str) -> None:
        # every event of a node starts at 0 with the node: the disconnect alert takes increase()
        # over "disconnected", and a series born at 1 by the first disconnect would hide it
        for event in NODE_EVENTS:
            self._m["node_events"].labels(label, event)

    def _node_label(self, node: str) -> str:
        label = _fold(node, self.nodes) if self.nodes else None
        with _cache_lock:
            seen = self._m.setdefault("_seen_nodes", set())
            if label is None:
                # undeclared: node names come from the bot's own config, but cap them anyway
                label = node if node in seen or len(seen) < MAX_NODES else OTHER
            if label in seen:
                return label
            seen.add(label)
        self._declare_node(label)
        return label

    def track_event(self, event: str, reason="none") -> None:
        """Count a track event; ``reason`` as the library gives it (an end reason or exception
        severity: a str or str enum, in v4's or the v3 spelling), read once per distinct value."""
        # every track event of every player passes here (see _Tally)
        self._m["track_events"].inc((event, reason))

    # --- what the library adapters feed ------------------------------------------------------

    def gateway_event(self, shard: int, event: str) -> None:
        """A gateway connect, disconnect or resume of shard ``shard`` (0 for an unsharded bot);
        the first event of a shard declares all three at 0."""
        self._m["gateway_events"].labels(self.declare_shard(shard), _fold(event, GATEWAY_EVENTS)).inc()

    def declare_shard(self, shard: int) -> str:
        """Start shard ``shard``'s gateway events at 0 (once); its label."""
        label = str(int(shard))
        with _cache_lock:
            seen = self._m.setdefault("_seen_shards", set())
            if label in seen:
                return label
            seen.add(label)
        for event in GATEWAY_EVENTS:
            self._m["gateway_events"].labels(label, event)
        return label

    def watch_client(self, client) -> None:
        """Report ``client``'s gateway latency per shard, guild count and voice clients at
        every scrape (a weak reference: the client is not kept alive for its metrics)."""
        self._m["gateway"].watch(client, self.hook_error)

    def declare_adapter(self, adapter: str) -> None:
        self._m["hook_errors"].labels(_fold(adapter, ADAPTERS))

    def hook_error(self, adapter: str) -> None:
        """Count an exception a library hook swallowed; logged once per process at warning
        level (with its traceback), later ones at debug level."""
        self._m["hook_errors"].labels(_fold(adapter, ADAPTERS)).inc()
        with _rejected_lock:
            _hook_errors[0] += 1
            first = _hook_errors[0] == 1
        log.log(
            logging.WARNING if first else logging.DEBUG,
            "lavametrics %s hook failed; the bot goes on, the error is counted in instrumentation_errors_total%s",
            adapter,
            " (further ones are logged at debug level)" if first else "",
            exc_info=True,
        )


class _Tally:
    """A labelled counter for the paths every event takes (track events, voice closes).

    Its children are found by the raw key the caller passes (folded into the bounded label
    values once, on that key's first use, by ``fold``) and are plain one-item lists, exposed
    as ``<name>_total`` at scrape time. A prometheus_client Counter child costs ~0.3 µs per
    ``inc`` (checks and its own lock) after a ``labels()`` lookup; this costs ~0.15 µs. The
    lock is for bots that feed events from threads; uncontended it costs ~0.1 µs.
    """

    def __init__(self, name: str, documentation: str, labelnames: tuple[str, ...], registry, fold):
        self._name, self._documentation, self._labelnames = name, documentation, list(labelnames)
        self._fold = fold
        self._lock = threading.Lock()
        self._by_key: dict = {}  # raw key -> cell, at most MAX_CACHED_CHILDREN keys (see _remember)
        self._by_labels: dict[tuple[str, ...], list] = {}  # label values -> cell
        registry.register(self)

    def _cell(self, key) -> list:
        labels = self._fold(key)
        with self._lock:
            cell = self._by_labels.setdefault(labels, [0])
        _remember(self._by_key, key, cell)
        return cell

    def inc(self, key) -> None:
        cell = self._by_key.get(key) or self._cell(key)
        self._lock.acquire()  # as in _CommandMetrics.observe: nothing in between can raise
        cell[0] += 1
        self._lock.release()

    def describe(self):
        return [CounterMetricFamily(self._name, self._documentation, labels=self._labelnames)]

    def collect(self):
        family = CounterMetricFamily(self._name, self._documentation, labels=self._labelnames)
        with self._lock:
            cells = sorted((labels, cell[0]) for labels, cell in self._by_labels.items())
        for labels, value in cells:
            family.add_metric(list(labels), value)
        return [family]


# Where _CommandMetrics keeps, in a command's list, the sum and each outcome's count.
_SUM_AT = len(LATENCY_BUCKETS) + 1
_OUTCOME_AT = {outcome: _SUM_AT + 1 + i for i, outcome in enumerate(OUTCOMES)}


class _CommandMetrics:
    """``<prefix>command_duration_seconds`` and ``<prefix>commands_total``, one collector.

    Every command of a bot passes here, so it is kept lean: per command a list of bucket
    counts and a sum, per (command, outcome) a count, updated under one lock and exposed as
    a histogram and a counter at scrape time. prometheus_client's own Histogram and Counter
    (``labels()`` twice, a lock per value) cost ~5 µs per command; this costs well under 1.
    The lock is for bots that handle commands in threads; uncontended it costs ~0.1 µs.
    """

    def __init__(self, prefix: str, registry: CollectorRegistry):
        self._latency = f"{prefix}command_duration_seconds"
        self._outcomes = f"{prefix}commands"
        self._lock = threading.Lock()
        # command -> [count per bucket ..., +Inf, sum, count per outcome ...]: one list, so
        # an observation is one dict lookup and three increments
        self._per_command: dict[str, list] = {}
        registry.register(self)

    def declare(self, command: str) -> None:
        with self._lock:
            self._stats(command)

    def _stats(self, command: str) -> list:
        stats = self._per_command.get(command)
        if stats is None:
            stats = self._per_command[command] = [0] * _SUM_AT + [0.0] + [0] * len(OUTCOMES)
        return stats

    def observe(self, command: str, outcome: str, seconds: float) -> None:
        bucket = bisect_left(LATENCY_BUCKETS, seconds)  # the first bound >= seconds: "le"
        at = _OUTCOME_AT[outcome]
        stats = self._per_command.get(command)
        if stats is None:
            with self._lock:
                stats = self._stats(command)
        # acquire/release rather than ``with``: ~0.1 µs less on every command, and nothing
        # between them can raise
        self._lock.acquire()
        stats[bucket] += 1
        stats[_SUM_AT] += seconds
        stats[at] += 1
        self._lock.release()

    def describe(self):
        return [
            HistogramMetricFamily(self._latency, "Time from command invocation to reply", labels=["command"]),
            CounterMetricFamily(self._outcomes, "Commands handled by outcome", labels=["command", "outcome"]),
        ]

    def collect(self):
        latency, outcomes = self.describe()
        with self._lock:
            per_command = [(command, list(stats)) for command, stats in self._per_command.items()]
        for command, stats in per_command:
            cumulative, buckets = 0, []
            for bound, count in zip((*map(floatToGoString, LATENCY_BUCKETS), "+Inf"), stats):
                cumulative += count
                buckets.append((bound, cumulative))
            latency.add_metric([command], buckets, stats[_SUM_AT])
        for command, stats in per_command:
            for outcome in OUTCOMES:
                outcomes.add_metric([command, outcome], stats[_OUTCOME_AT[outcome]])
        return [latency, outcomes]


class _GatewayCollector:
    """``<prefix>gateway_latency_seconds{shard}``, ``<prefix>guilds``, ``<prefix>voice_clients``,
    read from the watched discord clients at scrape time (live state, not a copy that can go
    stale). With no client watched the families are there without samples."""

    def __init__(self, prefix: str, registry: CollectorRegistry):
        self._names = (f"{prefix}gateway_latency_seconds", f"{prefix}guilds", f"{prefix}voice_clients")
        self._clients: weakref.WeakSet = weakref.WeakSet()
        self._on_error = None
        registry.register(self)

    def watch(self, client, on_error) -> None:
        self._clients.add(client)
        self._on_error = on_error

    def describe(self):
        latency, guilds, voice = self._names
        return [
            GaugeMetricFamily(latency, "Discord gateway heartbeat latency by shard", labels=["shard"]),
            GaugeMetricFamily(guilds, "Guilds the bot is in"),
            GaugeMetricFamily(voice, "Voice clients (connections to a voice channel) the bot holds"),
        ]

    def collect(self):
        latency, guilds, voice = self.describe()
        clients = list(self._clients)
        if clients:
            shards: dict[str, float] = {}
            n_guilds = n_voice = 0
            for client in clients:
                try:
                    pairs = getattr(client, "latencies", None)
                    if pairs is None:
                        pairs = [(getattr(client, "shard_id", None) or 0, client.latency)]
                    for shard, seconds in pairs:
                        if math.isfinite(seconds):  # nan before the first heartbeat: no sample
                            shards[str(int(shard))] = seconds
                    n_guilds += len(client.guilds)
                    n_voice += len(client.voice_clients)
                except Exception:
                    if self._on_error is not None:
                        self._on_error("discord")
            for shard, seconds in sorted(shards.items()):
                latency.add_metric([shard], seconds)
            guilds.add_metric([], n_guilds)
            voice.add_metric([], n_voice)
        return [latency, guilds, voice]


class _CommandTimer:
    """One object serving both ``with`` and ``async with`` so callers need not care."""

    __slots__ = ("_observe", "_command", "_start")

    def __init__(self, observe, command: str):
        self._observe, self._command, self._start = observe, command, 0.0

    def __enter__(self):
        self._start = perf_counter()
        return self

    def __exit__(self, exc_type, exc, tb):
        self._observe(
            self._command, "success" if exc is None else BotMetrics._outcome_of(exc), perf_counter() - self._start
        )
        return False

    def __aenter__(self):
        # a plain method returning a finished awaitable, as __aexit__: no coroutine object per
        # command. The timer has nothing to read, so ``async with ... as t`` binds None.
        self._start = perf_counter()
        return _DONE

    def __aexit__(self, exc_type, exc, tb):
        # a plain method returning a finished awaitable: one coroutine object less per
        # command; awaiting it gives None, so an exception still propagates
        self._observe(
            self._command, "success" if exc is None else BotMetrics._outcome_of(exc), perf_counter() - self._start
        )
        return _DONE


class _Done:
    """An awaitable that is finished at once, with the value None."""

    __slots__ = ()

    def __await__(self):
        return iter(())


_DONE = _Done()


# --- the bot's own endpoint ----------------------------------------------------------------

DEFAULT_METRICS_PORT = 9479
DEFAULT_METRICS_ADDR = "127.0.0.1"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


class MetricsEnvError(LavametricsError, ValueError):
    """A METRICS_* variable is wrong; one line naming it (never the value of a secret one)."""


def serve_from_env(registry: CollectorRegistry, environ=None):
    """Start ``registry``'s /metrics endpoint as the environment says; None when it is off
    (``BotMetrics.from_env`` is how a bot calls this).

    ``METRICS_ENABLED``      true/false (default false: nothing is started)
    ``METRICS_PORT``         port (default 9479; 0 picks a free one, see ``server.server_address``)
    ``METRICS_ADDR``         address to listen on (default 127.0.0.1; 0.0.0.0 in a container)
    ``METRICS_BASIC_AUTH``   "user:password": clients must send these credentials
    ``METRICS_WEB_CONFIG``   path of an exporter-toolkit web configuration file (TLS, bcrypt
                             users, headers; see ``lavametrics.http.webconfig``), re-read on change

    The two auth variables are exclusive. The server runs in daemon threads, serving
    ``registry`` concurrently; stop it with ``server.shutdown(); server.server_close()``. Raises
    MetricsEnvError or http.webconfig.WebConfigError (both ValueError) for bad settings, OSError
    when the port is taken.
    """
    env = os.environ if environ is None else environ
    enabled = env.get("METRICS_ENABLED", "").strip().lower()
    if enabled in _FALSE:
        return None
    if enabled not in _TRUE:
        raise MetricsEnvError(f"METRICS_ENABLED={enabled!r}: expected true or false")
    raw_port = env.get("METRICS_PORT", "").strip() or str(DEFAULT_METRICS_PORT)
    if not raw_port.isdigit() or int(raw_port) > 65535:
        raise MetricsEnvError(f"METRICS_PORT={raw_port!r}: expected a port number 0..65535")
    addr = env.get("METRICS_ADDR", "").strip() or DEFAULT_METRICS_ADDR
    basic = env.get("METRICS_BASIC_AUTH")
    web_file = env.get("METRICS_WEB_CONFIG", "").strip()

    from lavametrics.http.gate import WebConfigFile, WebGate
    from lavametrics.http.server import start_server
    from lavametrics.http.webconfig import WebConfig

    if basic and web_file:
        raise MetricsEnvError(
            "METRICS_BASIC_AUTH and METRICS_WEB_CONFIG are exclusive: "
            "put the user in the web config file's basic_auth_users"
        )
    web: WebGate | None
    if web_file:
        web = WebConfigFile(web_file)
    elif basic:
        user, sep, password = basic.partition(":")
        if not sep or not user or not password:
            raise MetricsEnvError("METRICS_BASIC_AUTH: expected user:password (both non-empty)")
        web = WebGate(WebConfig(source="METRICS_BASIC_AUTH", plain_users={user: password.encode()}))
    else:
        web = None
    return start_server(registry, addr, int(raw_port), web=web)
