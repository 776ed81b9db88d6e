"""Merge the expositions of several Lavalink nodes (and a bot's own registry) into one.

For bots whose nodes Prometheus cannot reach directly. Prometheus' own conventions decide
the shape: every node sample gets ``node=<name>`` (an upstream ``node`` label is kept as
``exported_node``, as honor_labels=false would), one family per name, and a type clash is
never mixed -- the later source's family is dropped and counted.

Reported per scrape, all gauges describing *the last scrape*:

- ``lavametrics_node_up{node}``                         1 when any data came from the node
- ``lavametrics_node_scrape_duration_seconds{node}``    wall time spent on the node
- ``lavametrics_node_stats_fallback{node}``             1 when /v4/stats stood in for the plugin
- ``lavametrics_merge_type_conflicts{node}``            families of that node dropped for a clash

and one counter over the life of the process:

- ``lavametrics_node_scrape_failures_total{node,reason}``  scrapes of the node's metrics
  endpoint that failed, by reason (``FAILURE_REASONS``; a body over the size or series
  limit is ``too_large``). Each reason starts at 0 so rate() works from the first scrape.

Concurrent collect() calls share one scrape round (``singleflight``): ten scrapes of the
merged endpoint arriving together cost one scrape of each node, not ten.

The conflict count is a gauge of the last scrape rather than a ``_total`` counter because it
describes a standing condition (a clash repeats on every scrape), and a gauge reads directly
as "how many families are missing right now" without depending on the scrape interval.
"""

from __future__ import annotations

import concurrent.futures as cf
import threading
import time
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import CollectorRegistry
from prometheus_client.samples import Sample

from lavametrics.config import catalog
from lavametrics.exposition import gcpause
from lavametrics.exposition.names import counter_sample_name
from lavametrics.exposition.parse import ParseError, count_samples, is_openmetrics, looks_like_a_page, parse
from lavametrics.exposition.relabel import JoinedFamily, NodeRelabeller, TextFamily, relabel
from lavametrics.httpfetch import MAX_BODY_BYTES, FetchError, fetch
from lavametrics.lavalink.rest import LavalinkClient, LavalinkError
from lavametrics.monitor.nodesfile import NodeSpec
from lavametrics.monitor.scrape import ScrapeError
from lavametrics.singleflight import SingleFlight

UP = "lavametrics_node_up"
DURATION = "lavametrics_node_scrape_duration_seconds"
FALLBACK = "lavametrics_node_stats_fallback"
CONFLICTS = "lavametrics_merge_type_conflicts"
FAILURES = "lavametrics_node_scrape_failures"  # a counter: exposed with _total
STATS_PREFIX = "lavametrics_node_stats_"
# present iff the plugin's families are on the exposition
PLUGIN_MARKER = catalog.packaged().family("info").parsed_name

# (stats path, family suffix, help, scale) -- /v4/stats as documented for Lavalink v4
_STATS_GAUGES = (
    (("players",), "players", "Players on the node (from /v4/stats)", 1.0),
    (("playingPlayers",), "playing_players", "Players playing a track (from /v4/stats)", 1.0),
    (("uptime",), "uptime_seconds", "Node uptime (from /v4/stats)", 0.001),
    (("memory", "free"), "memory_free_bytes", "JVM free memory (from /v4/stats)", 1.0),
    (("memory", "used"), "memory_used_bytes", "JVM used memory (from /v4/stats)", 1.0),
    (("memory", "allocated"), "memory_allocated_bytes", "JVM allocated memory (from /v4/stats)", 1.0),
    (("memory", "reservable"), "memory_reservable_bytes", "JVM reservable memory (from /v4/stats)", 1.0),
    (("cpu", "cores"), "cpu_cores", "CPU cores available to the node (from /v4/stats)", 1.0),
    (("cpu", "systemLoad"), "cpu_system_load_ratio", "System CPU load 0..1 (from /v4/stats)", 1.0),
    (("cpu", "lavalinkLoad"), "cpu_lavalink_load_ratio", "Lavalink process CPU load 0..1 (from /v4/stats)", 1.0),
    (("frameStats", "sent"), "frames_sent", "Frames sent per minute, average per player (from stats)", 1.0),
    (("frameStats", "nulled"), "frames_nulled", "Frames nulled per minute, average per player (from stats)", 1.0),
    (("frameStats", "deficit"), "frames_deficit", "Frames missing per minute, average per player (from stats)", 1.0),
)

# the /v4/stats copies, one gauge family each
STATS_NAMES = tuple(STATS_PREFIX + s[1] for s in _STATS_GAUGES)

_OWN_NAMES = frozenset(
    {UP, DURATION, FALLBACK, CONFLICTS, FAILURES, counter_sample_name(FAILURES), FAILURES + "_created"}
    | {STATS_PREFIX + s[1] for s in _STATS_GAUGES}
)

# Samples a node's exposition may hold (Prometheus' sample_limit, on by default here): the
# cost of a body is per series far more than per byte. Measured with 1.3 M one-label series
# in 20 MiB: 0.85 GB peak RSS and 15 s as text, 1.4 GB and 43 s as OpenMetrics. A Lavalink
# node with the plugin exposes about a thousand.
MAX_SERIES = 100_000

# Bounded values of the reason label: ScrapeError's reasons ("http <code>" folded into
# "http", so a node answering odd codes cannot grow the label), a worker that overran its
# budget ("timeout") and a bug of ours ("internal").
FAILURE_REASONS = ("unreachable", "timeout", "http", "garbage", "too_large", "internal")


def failure_reason(exc: FetchError) -> str:
    if exc.reason.startswith("http"):
        return "http"
    reason = exc.reason.replace(" ", "_")
    return reason if reason in FAILURE_REASONS else "internal"


@dataclass
class NodeResult:
    name: str
    families: list[Metric] = field(default_factory=list)
    stats: list[Metric] = field(default_factory=list)  # /v4/stats gauges, already labelled
    up: bool = False
    fallback: bool = False
    duration: float = 0.0
    error: str | None = None  # why the metrics endpoint (or everything) failed
    failure: str | None = None  # one of FAILURE_REASONS when the metrics endpoint failed


def _stats_families(stats: dict, node: str) -> list[Metric]:
    out = []
    for path, suffix, help_text, scale in _STATS_GAUGES:
        value: Any = stats
        for seg in path:
            value = value.get(seg) if isinstance(value, dict) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        fam = Metric(STATS_PREFIX + suffix, help_text, "gauge")
        fam.samples.append(Sample(fam.name, {"node": node}, float(value) * scale, None, None))
        out.append(fam)
    return out


_NAME_OF = itemgetter(0)


def _claims(fam: Metric) -> set[str]:
    """Sample names a family puts on the exposition (its own plus those its type implies).

    ``_created`` is claimed only when present: the 0.0.4 text format carries it as a
    separate gauge family, which must then stay free to merge across nodes.
    """
    names = set(fam.sample_names) if isinstance(fam, TextFamily) else set(map(_NAME_OF, fam.samples))
    names.add(fam.name)
    if fam.type == "counter":
        names.add(counter_sample_name(fam.name))
    elif fam.type in ("histogram", "summary"):
        names.update(fam.name + sfx for sfx in ("_bucket", "_sum", "_count"))
    return names


# Owner of the names the merge itself reports. No family can be called this, so a bot or
# node family using one of those names clashes instead of sitting next to ours.
_MERGE_OWNER = "<merge>"


class _Merger:
    """Accumulates families source by source; the first source to claim a name wins."""

    def __init__(self):
        self.parts: dict[str, list[Metric]] = {}  # per name, the families taken, in order
        self.sample_owner: dict[str, str] = dict.fromkeys(_OWN_NAMES, _MERGE_OWNER)

    def add(self, fam: Metric, claims: set[str] | None = None) -> bool:
        """Take ``fam`` unless it clashes; ``claims`` is ``_claims(fam)`` when already known."""
        parts = self.parts.get(fam.name)
        if parts is not None and parts[0].type != fam.type:
            return False
        if claims is None:
            claims = _claims(fam)
        if any(self.sample_owner.get(n, fam.name) != fam.name for n in claims):
            return False
        # also when extending: this source may bring sample names (x_created in OpenMetrics)
        # the first one did not, and a later family of that name must then clash
        for n in claims:
            self.sample_owner[n] = fam.name
        if parts is not None:
            parts.append(fam)
        else:
            self.parts[fam.name] = [fam]
        return True

    def families(self) -> list[Metric]:
        """One family per name, named, documented and typed as its first source has it.
        New objects throughout: the sources (the bot's, cached relabels) are never changed."""
        out: list[Metric] = []
        for parts in self.parts.values():
            first = parts[0]
            if any(isinstance(p, TextFamily) for p in parts):
                out.append(JoinedFamily(first, parts))  # its text parts render as they are
                continue
            merged = Metric(first.name, first.documentation, first.type, first.unit)
            merged.samples = [s for p in parts for s in p.samples]
            out.append(merged)
        return out


class NodeMetricsCollector:
    """A prometheus_client collector that scrapes every node on each collect().

    Nodes are scraped concurrently and each within ``timeout`` seconds in total, so one
    hung node costs at most ``timeout`` and never the whole endpoint. A node's body may be
    at most ``max_body_bytes`` (read in chunks, the connection dropped past the limit): a
    bigger one fails that node with reason ``too_large`` instead of exhausting memory.
    Parsed, a text exposition takes ~20x its size in Python objects, hence the default.
    Memory grows with the number of series too (~0.6 KB each as text, ~1 KB as OpenMetrics,
    whatever their length), so a body of more than ``max_series`` samples fails the same
    way, counted before anything is parsed.
    """

    def __init__(
        self,
        nodes: list[NodeSpec],
        timeout: float = 5.0,
        bot_registry: CollectorRegistry | None = None,
        stats_fallback: bool = True,
        max_workers: int | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
        max_series: int = MAX_SERIES,
    ):
        names = [n.name for n in nodes]
        if len(set(names)) != len(names):
            raise ValueError(f"node names must be unique: {names}")
        self.nodes = list(nodes)
        self.timeout = timeout
        self.bot_registry = bot_registry
        self.stats_fallback = stats_fallback
        if max_body_bytes < 1:
            raise ValueError(f"max_body_bytes must be positive: {max_body_bytes}")
        self.max_body_bytes = max_body_bytes
        if max_series < 1:
            raise ValueError(f"max_series must be positive: {max_series}")
        self.max_series = max_series
        self._pool = cf.ThreadPoolExecutor(
            max_workers=max_workers or max(2, min(32, 2 * len(nodes))), thread_name_prefix="lavametrics-scrape"
        )
        self._lock = threading.Lock()
        self.last_results: list[NodeResult] = []
        # Per node, the last body with its families (a body that did not change is neither
        # parsed nor relabelled again), the relabelled copy of the last families taken the
        # object path (reused while they are the same list object), and the line-by-line
        # relabeller of text expositions with its layout of the node's last body.
        self._last_body: dict[str, tuple[str, bytes, list[Metric]]] = {}
        self._relabelled: dict[str, tuple[list[Metric], list[tuple[Metric, set[str]]]]] = {}
        self._relabellers: dict[str, NodeRelabeller] = {n.name: NodeRelabeller(n.name) for n in nodes}
        self._running: dict[str, cf.Future] = {}  # per node, its latest scrape
        self._rounds = SingleFlight()
        self._failures: dict[tuple[str, str], int] = {}  # (node, reason) -> count

    def describe(self):
        # nothing to declare up front: registering must not trigger a scrape of every node
        return []

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _scrape_node(self, node: NodeSpec) -> NodeResult:
        start = time.monotonic()
        budget = node.timeout or self.timeout
        deadline = start + budget
        res = NodeResult(node.name)
        try:
            res.families = self._node_families(node, budget)
            res.up = True
            if any(f.name == PLUGIN_MARKER for f in res.families):
                res.duration = time.monotonic() - start
                return res
            res.error = "plugin families missing"
        except FetchError as exc:  # ScrapeError included
            self._last_body.pop(node.name, None)
            res.error = f"{exc.reason}" + (f": {exc.detail}" if exc.detail else "")
            res.failure = failure_reason(exc)
        remaining = deadline - time.monotonic()
        if self.stats_fallback and remaining > 0.05:
            try:
                stats = LavalinkClient(node.url, node.password, timeout=remaining).stats()
                res.stats = _stats_families(stats, node.name)
                res.fallback = True
                res.up = True
            except LavalinkError:
                pass
        res.duration = time.monotonic() - start
        return res

    def _node_families(self, node: NodeSpec, budget: float) -> list[Metric]:
        """Fetch the node's exposition: a text body is relabelled line by line (its families
        carry node=<name> already), anything else parsed into families to relabel."""
        url = node.metrics_url
        _, ctype, body, _ = fetch(url, timeout=budget, auth=node.metrics_auth, max_bytes=self.max_body_bytes)
        last = self._last_body.get(node.name)
        if last is not None and last[0] == ctype and last[1] == body:
            return last[2]
        samples = count_samples(body)
        if samples > self.max_series:
            raise ScrapeError(url, "too large", f"{samples} samples, over the limit of {self.max_series} series")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ScrapeError(url, "garbage", "body is not UTF-8") from exc
        families: list[Metric] | None = None
        if not is_openmetrics(ctype) and not looks_like_a_page(text):
            # no gcpause: this path makes strings (which the cyclic GC does not track), not
            # samples, and a pause only piles up collections for its end
            families = self._relabellers[node.name].families(text)
        if families is None:
            try:
                families = parse(text, ctype)
            except ParseError as exc:
                raise ScrapeError(url, "garbage", str(exc)) from exc
        self._last_body[node.name] = (ctype, body, families)
        return families

    def scrape_all(self) -> list[NodeResult]:
        start = time.monotonic()
        futures: dict[str, cf.Future] = {}
        still_running: set[str] = set()
        for node in self.nodes:
            previous = self._running.get(node.name)
            if previous is not None and not previous.done():
                # A worker stuck where no socket timeout reaches (name resolution, say) cannot
                # be cancelled. Another one for the same node would race it on _last_body
                # and, if the node hangs every time, fill the pool until every node times out.
                still_running.add(node.name)
                continue
            futures[node.name] = self._running[node.name] = self._pool.submit(self._scrape_node, node)
        # a small grace over the per-node budget: the worker enforces it, this only guards
        # against a worker stuck somewhere no socket timeout reaches
        limit = max((n.timeout or self.timeout) for n in self.nodes) + 0.5 if futures else 0
        cf.wait(futures.values(), timeout=limit)
        results = []
        for node in self.nodes:
            if node.name in still_running:
                results.append(
                    NodeResult(
                        node.name,
                        duration=time.monotonic() - start,
                        error="timeout: the previous scrape is still running",
                        failure="timeout",
                    )
                )
                continue
            fut = futures[node.name]
            if fut.done() and fut.exception() is None:
                results.append(fut.result())
            else:
                err = "timeout" if not fut.done() else f"internal error: {fut.exception()!r}"
                results.append(
                    NodeResult(
                        node.name,
                        duration=time.monotonic() - start,
                        error=err,
                        failure="timeout" if not fut.done() else "internal",
                    )
                )
        return results

    def merge(self, results: list[NodeResult]) -> list[Metric]:
        with gcpause.paused():  # one dict and one tuple per sample, no cycles
            return self._merge(results)

    def _merge(self, results: list[NodeResult]) -> list[Metric]:
        merger = _Merger()
        if self.bot_registry is not None:
            for fam in self.bot_registry.collect():
                merger.add(fam)  # the bot's own metrics come first and win every clash
        up = Metric(UP, "1 when the last scrape of the node returned data", "gauge")
        dur = Metric(DURATION, "Time the last scrape of the node took", "gauge")
        fb = Metric(FALLBACK, "1 when /v4/stats stood in for the plugin's families in the last scrape", "gauge")
        conf = Metric(CONFLICTS, "Families of the node dropped in the last scrape for a TYPE or name clash", "gauge")
        failures = Metric(FAILURES, "Scrapes of the node's metrics endpoint that failed, by reason", "counter")
        with self._lock:
            failure_counts = dict(self._failures)
        stats_fams: dict[str, Metric] = {}
        for res in results:
            lbl = {"node": res.name}
            clashes = 0
            for fam, claims in self._relabel_all(res):
                if not merger.add(fam, claims):
                    clashes += 1
            for fam in res.stats:
                stats_fams.setdefault(fam.name, Metric(fam.name, fam.documentation, "gauge")).samples.extend(
                    fam.samples
                )
            up.samples.append(Sample(UP, lbl, 1.0 if res.up else 0.0, None, None))
            dur.samples.append(Sample(DURATION, lbl, res.duration, None, None))
            fb.samples.append(Sample(FALLBACK, lbl, 1.0 if res.fallback else 0.0, None, None))
            conf.samples.append(Sample(CONFLICTS, lbl, float(clashes), None, None))
            for reason in FAILURE_REASONS:
                failures.samples.append(
                    Sample(
                        counter_sample_name(FAILURES),
                        {"node": res.name, "reason": reason},
                        float(failure_counts.get((res.name, reason), 0)),
                        None,
                        None,
                    )
                )
        out = merger.families()
        out.extend([up, dur, fb, conf, failures])
        out.extend(stats_fams.values())
        return out

    def _relabel_all(self, res: NodeResult) -> list[tuple[Metric, set[str]]]:
        """``res.families`` relabelled for the node, each with its ``_claims``; the previous
        scrape's when the node returned the same families (the claims walk every sample,
        which would cost an unchanged node more than the merge itself)."""
        cached = self._relabelled.get(res.name)
        if cached is not None and cached[0] is res.families:
            return cached[1]
        out = [
            (fam, _claims(fam))
            for fam in (
                f if isinstance(f, TextFamily) and f.node == res.name else relabel(f, res.name) for f in res.families
            )
        ]
        self._relabelled[res.name] = (res.families, out)
        return out

    def collect(self):
        # Overlapping collect() calls share the round in flight rather than queueing behind
        # it (which cost N upstream scrapes and up to N x the slowest node) or starting
        # their own (N x the load on every node). The merged families are shared read-only;
        # each caller gets its own list.
        return list(self._rounds.do(None, self._round))

    def _round(self) -> list[Metric]:
        results = self.scrape_all()
        with self._lock:
            for res in results:
                if res.failure is not None:
                    key = (res.name, res.failure)
                    self._failures[key] = self._failures.get(key, 0) + 1
            self.last_results = results
        return self.merge(results)

    @property
    def rounds(self) -> int:
        """Scrape rounds collect() has run (concurrent calls share one)."""
        return self._rounds.executions


def merged_registry(
    nodes: list[NodeSpec],
    bot_registry: CollectorRegistry | None = None,
    timeout: float = 5.0,
    max_body_bytes: int = MAX_BODY_BYTES,
    max_series: int = MAX_SERIES,
) -> CollectorRegistry:
    """A fresh registry exposing the bot's own metrics plus every node's, relabelled."""
    reg = CollectorRegistry(auto_describe=False)
    reg.register(
        NodeMetricsCollector(
            nodes, timeout=timeout, bot_registry=bot_registry, max_body_bytes=max_body_bytes, max_series=max_series
        )
    )
    return reg
