"""What the shipped rules and dashboards cost Prometheus as nodes are added:
``python -m lavametrics.devtools.bench_scale [--nodes 1,10,100,500] [--json]``.

For each N, on loopback:

- a load generator (one child process, one listening socket per target) serves N synthetic
  Lavalink nodes' ``/metrics`` and M = max(1, N // 5) bot shards'. Each body is a replay of a
  real exposition captured once from the stand-in node with the plugin, under load
  (``bench_scale_capture``; ``tests/fixtures/scale/node.prom`` and ``bot.prom``): the same
  families, labels and series count. Every counter, histogram bucket, ``_count`` and ``_sum``
  advances with time as ``base * k * (1 + (t - origin) / age)``, ``k`` a per-target factor and
  ``age`` the captured process's age: one positive factor for all of a histogram's samples
  keeps its buckets monotone and ``_count`` equal to the ``+Inf`` bucket (rounding down keeps
  both, since flooring is monotone). Gauges stay as captured. Shards are renumbered.
- ``hours`` of that history is backfilled first (``promtool tsdb create-blocks-from
  openmetrics``), from the same formula, so the live scrapes continue it;
- Prometheus (whatever ``stack.prometheus_binary`` finds: Debian's 2.42) starts with the shipped
  rule files (``monitoring/prometheus/rules/*.yml``) and the scrape config the product generates
  (``stackconfig.prometheus_config``, the stack's jobs, file_sd targets as ``lavametrics
  targets`` writes them);
- after ``warmup`` seconds of scraping and rule evaluation it records: head series, each rule
  group's evaluation time (the largest ``prometheus_rule_group_last_duration_seconds`` seen
  during the warm-up) against its interval, RSS (``/proc``) and ``go_memstats_heap_inuse_bytes``,
  then runs every query of the generated dashboards (``monitoring/grafana/dashboards``, variables
  as ``mixin.panelqueries`` substitutes them) as a 6 h ``query_range`` at Grafana's step for
  6 h (20 s), ``--repeats`` times each, and keeps each query's p95.

The backfill is bounded by ``--max-samples`` (default 40 M samples per N, what this 2-core
machine writes and compacts in a few minutes), at a step of twice the scrape interval (20 s, the
widest that still leaves two samples in a 40 s ``$__rate_interval``). The series the rules read
over windows longer than 5 minutes (the SLO burn rates' 30 m to 6 h: their evaluation cost grows
with that history) always get the whole 6 h; every other series gets 6 h too where the bound
allows, fewer hours where it does not, and the result says how many. The queries always span
6 h. The recorded series the dashboards read are backfilled too, over the 6 h at the same step
(``promtool tsdb create-blocks-from rules`` against the running Prometheus, which then restarts
to load them): those of rules over raw series with windows up to 5 minutes. The SLO's 1 h burn
rate is not (each of its 1,080 steps would re-read an hour of every frame and command
counter): its panel has the live minutes only, and says less about its cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lavametrics.devtools import bench_report, bench_stats, procs
from lavametrics.devtools.node import free_port, repo_root
from lavametrics.devtools.stack import (
    USED_JOBS,
    Daemon,
    StackError,
    http_ok,
    prometheus_api,
    prometheus_binary,
    wait_until,
)
from lavametrics.mixin import dashboards, grafana, rules
from lavametrics.mixin.config import MixinConfig, duration_seconds
from lavametrics.mixin.panelqueries import substitute
from lavametrics.mixin.promql import metric_names
from lavametrics.mixin.stackconfig import prometheus_config
from lavametrics.monitor import targets
from lavametrics.monitor.nodesfile import NodeSpec

FIXTURES = Path("tests") / "fixtures" / "scale"
RULES = Path("monitoring") / "prometheus" / "rules"  # the shipped, generated rule files
NODE_FIXTURE, BOT_FIXTURE = "node.prom", "bot.prom"
# how old the captured processes were (bench_scale_capture: a JVM start, 60 s of load), so the
# replayed counters advance at about the captured rates
NODE_AGE_S, BOT_AGE_S = 120.0, 90.0
QUERY_RANGE_S = 6 * 3600
QUERY_STEP_S = 20  # Grafana's interval for a 6 h range on a full-width panel
BACKFILL_STEP_S = 20
DEFAULT_MAX_SAMPLES = 40_000_000


def bots_for(nodes: int) -> int:
    """Bot shards beside N nodes: a shard per five nodes (a big bot runs a few hundred guilds'
    players per node and about a thousand guilds per shard)."""
    return max(1, nodes // 5)


# --- the replayed expositions ---------------------------------------------------------------------
CONSTANT, ADVANCING = 0, 1


@dataclass(frozen=True)
class Sample:
    prefix: str  # name{labels}
    name: str
    base: float
    kind: int  # CONSTANT or ADVANCING
    integral: bool


@dataclass(frozen=True)
class Family:
    name: str  # as the text format's TYPE line names it
    type: str
    samples: tuple[Sample, ...]


def _advancing(family_type: str, sample_name: str) -> bool:
    if sample_name.endswith("_created"):
        return False
    if family_type == "counter":
        return True
    if family_type in ("histogram", "summary"):
        return sample_name.endswith(("_bucket", "_count", "_sum"))
    return False


def parse_exposition(text: str, *, source: str = "exposition") -> tuple[Family, ...]:
    """The families of a Prometheus text exposition (0.0.4), in order."""
    families: list[Family] = []
    name, ftype = "", "untyped"
    samples: list[Sample] = []

    def close() -> None:
        if samples:
            families.append(Family(name, ftype, tuple(samples)))

    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith("# TYPE "):
            close()
            parts = line.split()
            name, ftype, samples = parts[2], parts[3], []
            continue
        if line.startswith("#"):
            continue
        prefix, _, value = line.rpartition(" ")
        if prefix.endswith(",}"):  # the Java client's trailing comma: valid text, not OpenMetrics
            prefix = prefix[:-2] + "}"
        sample_name = prefix.split("{", 1)[0]
        try:
            base = float(value)
        except ValueError:
            raise ValueError(f"{source}: line {lineno}: not a sample: {line[:80]!r}") from None
        if not samples and not sample_name.startswith(name):
            close()  # an untyped sample after a typed family
            name, ftype, samples = sample_name, "untyped", []
        kind = ADVANCING if _advancing(ftype, sample_name) and math.isfinite(base) else CONSTANT
        samples.append(Sample(prefix, sample_name, base, kind, base.is_integer()))
    close()
    return tuple(families)


def _value(s: Sample, factor: float) -> str:
    if s.kind == CONSTANT:
        return repr(s.base) if not s.base.is_integer() else f"{s.base:.0f}" if abs(s.base) < 1e15 else repr(s.base)
    v = s.base * factor
    return f"{math.floor(v)}" if s.integral else repr(v)


@dataclass(frozen=True)
class Replay:
    """One synthetic target: a captured exposition, its own factor, its counters' age."""

    families: tuple[Family, ...]
    k: float
    age: float
    origin: float

    def factor(self, t: float) -> float:
        return self.k * (1 + max(0.0, t - self.origin) / self.age)

    def body(self, t: float) -> bytes:
        f = self.factor(t)
        out = []
        for fam in self.families:
            out.append(f"# TYPE {fam.name} {fam.type}\n")
            out += [f"{s.prefix} {_value(s, f)}\n" for s in fam.samples]
        return "".join(out).encode()

    def series(self) -> int:
        return sum(len(f.samples) for f in self.families)


def load_fixture(path: Path) -> tuple[Family, ...]:
    try:
        text = path.read_text()
    except OSError as err:
        raise StackError(
            f"{path}: cannot read the captured exposition ({err.strerror}); see bench_scale_capture"
        ) from None
    return parse_exposition(text, source=str(path))


CAPTURED_SHARD, CAPTURED_NODE = 'shard="0"', 'node="node-1"'


def node_name(i: int) -> str:
    return f"node-{i:04d}"


def _renumber_shard(families: tuple[Family, ...], shard: int, node: str) -> tuple[Family, ...]:
    """The captured shard's families as shard ``shard``'s, its node events about ``node``."""

    def relabel(prefix: str) -> str:
        return prefix.replace(CAPTURED_SHARD, f'shard="{shard}"').replace(CAPTURED_NODE, f'node="{node}"')

    return tuple(
        Family(
            f.name,
            f.type,
            tuple(Sample(relabel(s.prefix), s.name, s.base, s.kind, s.integral) for s in f.samples),
        )
        for f in families
    )


def replays(
    node_families: tuple[Family, ...], bot_families: tuple[Family, ...], nodes: int, bots: int, origin: float
) -> tuple[list[Replay], list[Replay]]:
    """Node i's counters run at 1.0 to 1.9 times the captured ones, so nodes differ; shard j's bot
    reports node events of node j (modulo N), so every shard's node label names a real target."""
    return (
        [Replay(node_families, 1 + (i % 10) / 10, NODE_AGE_S, origin) for i in range(nodes)],
        [
            Replay(_renumber_shard(bot_families, j, node_name(j % nodes)), 1 + (j % 10) / 10, BOT_AGE_S, origin)
            for j in range(bots)
        ],
    )


# --- the load generator ----------------------------------------------------------------------------
async def _serve_one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, replay: Replay) -> None:
    """HTTP/1.1 with keep-alive, GET only: what Prometheus' scraper sends."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"GET "):
                writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
                continue
            body = replay.body(time.time())
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


def _generator_main(conn, node_replays: list[Replay], bot_replays: list[Replay]) -> None:
    async def run() -> None:
        ports: dict[str, list[int]] = {"nodes": [], "bots": []}
        servers = []
        for key, group in (("nodes", node_replays), ("bots", bot_replays)):
            for replay in group:

                async def handle(r, w, replay=replay):
                    await _serve_one(r, w, replay)

                server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=16)
                servers.append(server)
                ports[key].append(server.sockets[0].getsockname()[1])
        conn.send(ports)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        for server in servers:
            server.close()

    asyncio.run(run())


class LoadGenerator:
    """The synthetic targets, in a child process (its CPU is not the measuring client's)."""

    def __init__(self, node_replays: list[Replay], bot_replays: list[Replay]):
        ctx = multiprocessing.get_context("fork")
        self._conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_generator_main, args=(child, node_replays, bot_replays), daemon=True)

    def __enter__(self) -> LoadGenerator:
        self.process.start()
        if not self._conn.poll(120):
            self.stop()
            raise StackError("bench_scale: the load generator did not open its ports within 120 s")
        self.ports: dict[str, list[int]] = self._conn.recv()
        return self

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(15)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)

    def __exit__(self, *exc) -> None:
        self.stop()


# --- the backfill -------------------------------------------------------------------------------------
def _om_family(fam: Family) -> tuple[str, str] | None:
    """The OpenMetrics family name and type for a text-format family (None: nothing to write:
    ``_created`` series, which the text format gives families of their own, are not history)."""
    if all(s.name.endswith("_created") for s in fam.samples):
        return None
    if fam.type == "counter":
        if all(s.name.endswith("_total") or s.name.endswith("_created") for s in fam.samples):
            base = fam.name[: -len("_total")] if fam.name.endswith("_total") else fam.name
            return base, "counter"
        return fam.name, "unknown"
    if fam.type in ("gauge", "histogram", "summary"):
        return fam.name, fam.type
    return fam.name, "unknown"


def _with_target(prefix: str, labels: str) -> str:
    name, brace, rest = prefix.partition("{")
    if not brace:
        return f"{name}{{{labels}}}"
    return f"{name}{{{labels},{rest}" if rest != "}" else f"{name}{{{labels}}}"


def long_window_names(c: MixinConfig) -> frozenset[str]:
    """The raw series the rules read over windows longer than five minutes (the SLO burn rates'
    30 m, 1 h, 6 h): what an evaluation costs grows with their history, so they get all of it.
    From the mixin's rules, which the shipped files are generated from."""
    names: set[str] = set()
    for file in (rules.recording_file(c), rules.alerts_file(c)):
        for group in file["groups"]:
            for rule in group["rules"]:
                windows = re.findall(r"\[(\d+[smhdwy])\]", rule["expr"])
                if any(duration_seconds(w) > 300 for w in windows):
                    names |= {n for n in metric_names(rule["expr"]) if ":" not in n}
    return frozenset(names)


def openmetrics_lines(
    groups: list[tuple[str, list[tuple[Replay, str]]]],
    times: list[float],
    *,
    full_from: float | None = None,
    long_names: frozenset[str] = frozenset(),
) -> Iterator[str]:
    """OpenMetrics text of every target (``(replay, its target labels)`` per job) at ``times``:
    the series in ``long_names`` at all of them, the others from ``full_from`` on.
    A family's samples stay together (OpenMetrics requires it), each series in time order."""
    start = times[0] if full_from is None else full_from
    families: dict[tuple[str, str], list[tuple[Family, list[tuple[Replay, str]]]]] = {}
    for job, members in groups:
        for replay, labels in members:
            for fam in replay.families:
                om = _om_family(fam)
                if om is None:
                    continue
                families.setdefault(om, []).append((fam, [(replay, f'job="{job}",{labels}')]))
    for (name, om_type), parts in families.items():
        yield f"# TYPE {name} {om_type}\n"
        for fam, members in parts:
            kept = [s for s in fam.samples if not s.name.endswith("_created")]
            for replay, labels in members:
                prefixes = [_with_target(s.prefix, labels) for s in kept]
                long = [(p, s) for p, s in zip(prefixes, kept, strict=True) if s.name in long_names]
                every = list(zip(prefixes, kept, strict=True))
                for t in times:
                    chosen = every if t >= start else long
                    if chosen:
                        f = replay.factor(t)
                        ts = f" {t:.3f}\n"
                        yield "".join(f"{p} {_value(s, f)}{ts}" for p, s in chosen)
    yield "# EOF\n"


def backfill_plan(
    series: int, *, max_samples: int, scrape_interval: float, long_series: int = 0
) -> tuple[float, float]:
    """(hours, step) for every series: 6 h at twice the scrape interval, fewer hours (in quarters)
    when that exceeds the bound, after the ``long_series``' 6 h, which always fit."""
    step = max(float(BACKFILL_STEP_S), scrape_interval)
    left = max_samples - long_series * QUERY_RANGE_S / step
    points = left / max(series - long_series, 1)
    hours = min(QUERY_RANGE_S / 3600, math.floor(points * step / 3600 * 4) / 4)
    return max(hours, 0.25), step


def backfill(promtool: str, data: Path, om: Path, lines: Iterator[str]) -> None:
    with om.open("w") as out:
        for chunk in lines:
            out.write(chunk)
    proc = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", "--quiet", str(om), str(data)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    om.unlink()
    if proc.returncode != 0:
        raise StackError(f"promtool backfill failed: {(proc.stderr or proc.stdout).strip()[-400:]}")


def recorded_for_dashboards(c: MixinConfig, root: Path) -> list[dict]:
    """The recording rules whose series the dashboards read and that read raw series over at most
    5 minutes: those ``promtool tsdb create-blocks-from rules`` backfills (it cannot chain rules,
    and a long window re-read at every step of 6 h costs more than the whole sweep)."""
    read = {n for q in dashboard_queries(c, root) for n in metric_names(q.expr)}
    out = []
    for group in rules.recording_file(c)["groups"]:
        for rule in group["rules"]:
            windows = re.findall(r"\[(\d+[smhdwy])\]", rule["expr"])
            raw = all(":" not in n for n in metric_names(rule["expr"]))
            if rule["record"] in read and raw and windows and max(map(duration_seconds, windows)) <= 300:
                out.append(rule)
    return out


def backfill_recorded(
    promtool: str, prom: Path, base: str, c: MixinConfig, root: Path, *, start: float, end: float, step: float
) -> list[str]:
    """Backfill the recorded series the dashboards read (``recorded_for_dashboards``), evaluated
    every ``step`` from ``start`` to ``end`` against the running Prometheus, into its data
    directory (it loads the blocks when restarted). Returns the records backfilled."""
    chosen = recorded_for_dashboards(c, root)
    if not chosen:
        return []
    rule_file = prom / "recorded-backfill.yml"  # JSON is YAML
    rule_file.write_text(json.dumps({"groups": [{"name": "backfill", "rules": chosen}]}, indent=2) + "\n")
    out = prom / "recorded-blocks"
    proc = subprocess.run(
        [
            promtool,
            "tsdb",
            "create-blocks-from",
            "rules",
            "--quiet",
            f"--start={int(start)}",
            f"--end={int(end)}",
            f"--url={base}",
            f"--output-dir={out}",
            f"--eval-interval={int(step)}s",
            str(rule_file),
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if proc.returncode != 0:
        raise StackError(f"promtool rules backfill failed: {(proc.stderr or proc.stdout).strip()[-400:]}")
    for block in out.iterdir():
        if block.is_dir():
            shutil.move(str(block), str(prom / "data" / block.name))
    shutil.rmtree(out, ignore_errors=True)
    return [r["record"] for r in chosen]


# --- Prometheus and its API ------------------------------------------------------------------------
def own_metrics(base: str) -> dict[str, list[tuple[str, float]]]:
    """Prometheus' own /metrics, name -> [(labels, value)]."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=60) as resp:
        text = resp.read().decode()
    out: dict[str, list[tuple[str, float]]] = {}
    for fam in parse_exposition(text, source="prometheus /metrics"):
        for s in fam.samples:
            labels = s.prefix[len(s.name) :]
            out.setdefault(s.name, []).append((labels, s.base))
    return out


def _label(labels: str, key: str) -> str:
    start = labels.find(f'{key}="')
    if start < 0:
        return ""
    start += len(key) + 2
    return labels[start : labels.index('"', start)]


def rss_bytes(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of the process: resident now, and its peak."""
    sizes = procs.memory_bytes(pid)
    return sizes["VmRSS"], sizes["VmHWM"]


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    expr: str  # as Grafana sends it
    optional: bool


def dashboard_queries(c: MixinConfig, root: Path) -> list[PanelQuery]:
    """Every target of the generated dashboards, variables substituted for a 6 h range; optional
    as the mixin marks it (a panel of something a healthy node may not have)."""
    optional = {
        t.expr for d in dashboards.all_dashboards(c) for p in grafana.panels_of(d) for t in p.targets if t.optional
    }
    out = []
    for path in sorted((root / "monitoring" / "grafana" / "dashboards").glob("*.json")):
        d = json.loads(path.read_text())

        def walk(node: Any, uid: str = d["uid"]) -> None:
            if isinstance(node, dict):
                for t in node.get("targets", []):
                    out.append(
                        PanelQuery(
                            uid,
                            str(node.get("title", "")),
                            substitute(t["expr"], c, range_="6h"),
                            t["expr"] in optional,
                        )
                    )
                for v in node.values():
                    if isinstance(v, (dict, list)):
                        walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)

        walk(d.get("panels", []))
    return out


# --- one N ------------------------------------------------------------------------------------------
def measure(
    nodes: int,
    *,
    workdir: Path,
    config: MixinConfig,
    warmup: float,
    repeats: int,
    max_samples: int,
    progress=lambda msg: None,
) -> dict:
    root = repo_root()
    promtool = shutil.which("promtool")
    if not promtool:
        raise StackError("no `promtool` command (backfill): apt-get install prometheus")
    bots = bots_for(nodes)
    scrape = duration_seconds(config.timings.scrape_interval)
    node_fams = load_fixture(root / FIXTURES / NODE_FIXTURE)
    bot_fams = load_fixture(root / FIXTURES / BOT_FIXTURE)
    per_node = sum(len(f.samples) for f in node_fams)
    per_bot = sum(len(f.samples) for f in bot_fams)
    series = nodes * per_node + bots * per_bot
    long_names = long_window_names(config)
    long_series = nodes * sum(1 for f in node_fams for s in f.samples if s.name in long_names) + bots * sum(
        1 for f in bot_fams for s in f.samples if s.name in long_names
    )
    hours, step = backfill_plan(series, max_samples=max_samples, scrape_interval=scrape, long_series=long_series)
    end = time.time()
    origin = end - QUERY_RANGE_S
    node_replays, bot_replays = replays(node_fams, bot_fams, nodes, bots, origin)

    prom = workdir / f"n{nodes}"
    shutil.rmtree(prom, ignore_errors=True)
    (prom / "data").mkdir(parents=True)
    result: dict[str, Any] = {
        "nodes": nodes,
        "bots": bots,
        "series_per_node": per_node,
        "series_per_bot": per_bot,
        "backfill_hours": hours,
        "backfill_step_s": step,
        "long_window_series": long_series,
        "long_window_hours": QUERY_RANGE_S / 3600,
    }
    with LoadGenerator(node_replays, bot_replays) as gen:
        node_labels = [f'instance="127.0.0.1:{p}",node="{node_name(i)}"' for i, p in enumerate(gen.ports["nodes"])]
        bot_labels = [f'instance="127.0.0.1:{p}"' for p in gen.ports["bots"]]
        times = [origin + i * step for i in range(int(QUERY_RANGE_S // step))]
        full_from = end - hours * 3600
        samples = long_series * len(times) + (series - long_series) * sum(1 for t in times if t >= full_from)
        progress(
            f"N={nodes}: backfilling {hours:g} h of every series and 6 h of the {long_series} the rules read "
            f"over long windows, at {step:g} s ({samples / 1e6:.1f} M samples)"
        )
        t0 = time.monotonic()
        backfill(
            promtool,
            prom / "data",
            prom / "history.om",
            openmetrics_lines(
                [
                    ("lavalink", list(zip(node_replays, node_labels, strict=True))),
                    ("bot", list(zip(bot_replays, bot_labels, strict=True))),
                ],
                times,
                full_from=full_from,
                long_names=long_names,
            ),
        )
        result["backfill_s"] = round(time.monotonic() - t0, 1)
        result["backfill_samples"] = samples

        # the scrape config the product generates, the targets as `lavametrics targets` writes them
        cfg = prometheus_config(
            config,
            rule_files=(str(root / RULES / "*.yml"),),
            targets_dir="targets",
            alertmanagers=("127.0.0.1:9",),  # nobody: alerts are not what is measured
            jobs=USED_JOBS,
        )
        (prom / "prometheus.yml").write_text(json.dumps(cfg, indent=2) + "\n")
        (prom / "targets" / "core").mkdir(parents=True)
        targets.write(
            [
                NodeSpec(node_name(i), f"http://127.0.0.1:{p}", "unused", f"http://127.0.0.1:{p}/metrics")
                for i, p in enumerate(gen.ports["nodes"])
            ],
            prom / "targets" / "core" / "nodes.json",
        )
        (prom / "targets" / "bot").mkdir(parents=True)
        (prom / "targets" / "bot" / "shards.json").write_text(
            json.dumps([{"targets": [f"127.0.0.1:{p}" for p in gen.ports["bots"]], "labels": {}}], indent=2) + "\n"
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        want = nodes + bots

        def start_prometheus() -> Daemon:
            daemon = Daemon(
                "prometheus",
                [
                    prometheus_binary(),
                    "--config.file=prometheus.yml",
                    "--storage.tsdb.path=data",
                    f"--web.listen-address=127.0.0.1:{port}",
                    f"--storage.tsdb.retention.time={config.timings.retention}",
                ],
                prom,
                prom / "prometheus.log",
            ).start()
            wait_until(
                lambda: http_ok(f"{base}/-/ready"), time.monotonic() + 300, "prometheus", "/-/ready", daemon, poll=1
            )
            return daemon

        daemon = start_prometheus()
        try:
            # the recorded series the dashboards read, over the same hours, from the raw history
            t0 = time.monotonic()
            recorded = backfill_recorded(promtool, prom, base, config, root, start=origin, end=end, step=step)
            progress(f"N={nodes}: recorded history of {len(recorded)} rules backfilled; restarting Prometheus")
            daemon.stop()
            daemon = start_prometheus()
            result["recorded_backfill_s"] = round(time.monotonic() - t0, 1)
            result["recorded_backfilled"] = recorded
            progress(f"N={nodes}: Prometheus ready; waiting for every target's first scrape")
            wait_until(
                lambda: _targets_up(base) >= want,
                time.monotonic() + 300,
                "prometheus",
                f"{want} targets up",
                daemon,
                poll=1,
            )
            result.update(_observe(base, daemon, warmup, progress, nodes))
            progress(f"N={nodes}: {len(dashboard_queries(config, root))} dashboard queries x {repeats}")
            result["queries"] = _run_queries(base, dashboard_queries(config, root), repeats)
            assert daemon.process is not None
            result["rss_after_queries_bytes"], result["rss_peak_bytes"] = rss_bytes(daemon.process.pid)
            result["counter_increase"] = _counter_increase(base)
            result["frames_sent_over_history"] = [
                _frames_sent(base, at) for at in (origin + step, origin + QUERY_RANGE_S / 2, time.time())
            ]
        finally:
            daemon.stop()
    result["load_average"] = os.getloadavg()  # the machine's, as the measurement ended
    result["tsdb_bytes"] = sum(f.stat().st_size for f in (prom / "data").rglob("*") if f.is_file())
    shutil.rmtree(prom, ignore_errors=True)
    return result


def _targets_up(base: str) -> int:
    try:
        active = prometheus_api(base, "/api/v1/targets", state="active")["activeTargets"]
    except (OSError, StackError):
        return 0
    return sum(1 for t in active if t["health"] == "up")


def _observe(base: str, daemon: Daemon, warmup: float, progress, nodes: int) -> dict:
    """The rule groups' evaluation time, the head and the heap, over ``warmup`` seconds of scraping
    and evaluating (at least two evaluations of the slowest group)."""
    progress(f"N={nodes}: every target up; observing rule evaluation for {warmup:.0f} s")
    worst: dict[str, float] = {}
    intervals: dict[str, float] = {}
    deadline = time.monotonic() + warmup
    metrics: dict[str, list[tuple[str, float]]] = {}
    while True:
        metrics = own_metrics(base)
        for labels, value in metrics.get("prometheus_rule_group_last_duration_seconds", []):
            group = _label(labels, "rule_group").rsplit(";", 1)[-1]
            worst[group] = max(worst.get(group, 0.0), value)
        for labels, value in metrics.get("prometheus_rule_group_interval_seconds", []):
            intervals[_label(labels, "rule_group").rsplit(";", 1)[-1]] = value
        if time.monotonic() > deadline:
            break
        time.sleep(5)
    evals = {
        _label(labels, "rule_group").rsplit(";", 1)[-1]: value
        for labels, value in metrics.get("prometheus_rule_group_iterations_total", [])
    }
    assert daemon.process is not None
    rss, hwm = rss_bytes(daemon.process.pid)
    groups = {
        g: {"max_duration_s": worst[g], "interval_s": intervals.get(g), "iterations": evals.get(g)} for g in worst
    }
    shortest = min((v for v in intervals.values() if v), default=0.0)
    slowest = max(worst, key=lambda g: worst[g] / (intervals.get(g) or 1), default=None)
    # each rule's own last evaluation time, to name what a slow group spends its time on
    rule_times = sorted(
        (
            (float(r.get("evaluationTime", 0.0)), g["name"], r.get("name", ""))
            for g in prometheus_api(base, "/api/v1/rules")["groups"]
            for r in g["rules"]
        ),
        reverse=True,
    )
    return {
        "slowest_rules": [{"seconds": t, "group": g, "rule": n} for t, g, n in rule_times[:8]],
        "head_series": int(sum(v for _, v in metrics.get("prometheus_tsdb_head_series", []))),
        "heap_inuse_bytes": int(sum(v for _, v in metrics.get("go_memstats_heap_inuse_bytes", []))),
        "rss_bytes": rss,
        "rss_peak_warmup_bytes": hwm,
        "rule_groups": groups,
        "rule_eval_max_s": max(worst.values(), default=0.0),
        "rule_eval_sum_s": sum(worst.values()),
        "rule_eval_worst_group": slowest,
        "rule_eval_worst_share": (worst[slowest] / (intervals.get(slowest) or 1)) if slowest else 0.0,
        # every group evaluated back to back within the shortest interval: the sum against it
        "rule_eval_sum_share": sum(worst.values()) / shortest if shortest else 0.0,
        "evaluation_interval_s": shortest,
    }


def _run_queries(base: str, queries: list[PanelQuery], repeats: int) -> list[dict]:
    end = time.time()
    out = []
    for q in queries:
        times, series = [], 0
        for _ in range(repeats):
            t0 = time.perf_counter()
            data = prometheus_api(
                base,
                "/api/v1/query_range",
                timeout=300,
                query=q.expr,
                start=f"{end - QUERY_RANGE_S:.3f}",
                end=f"{end:.3f}",
                step=str(QUERY_STEP_S),
            )
            times.append(time.perf_counter() - t0)
            series = len(data["result"])
        out.append(
            {
                "dashboard": q.dashboard,
                "panel": q.panel,
                "expr": q.expr,
                "optional": q.optional,
                "series": series,
                "p95_s": bench_stats.percentile(times, 0.95),
                "median_s": statistics.median(times),
            }
        )
    return out


def _counter_increase(base: str) -> float:
    """How much the nodes' frames-sent counters rose over the last minute (live scrapes only)."""
    data = prometheus_api(base, "/api/v1/query", query="sum(increase(lavametrics_frames_sent_total[1m]))")
    return float(data["result"][0]["value"][1]) if data["result"] else 0.0


def _frames_sent(base: str, at: float) -> float:
    """Every node's frames-sent counter at ``at`` (backfilled or scraped)."""
    data = prometheus_api(base, "/api/v1/query", query="sum(lavametrics_frames_sent_total)", time=f"{at:.3f}")
    return float(data["result"][0]["value"][1]) if data["result"] else 0.0


# --- the sweep and its report -------------------------------------------------------------------------
def summary(result: dict) -> dict:
    qs = result["queries"]
    slowest = max(qs, key=lambda q: q["p95_s"])
    return {
        "nodes": result["nodes"],
        "bots": result["bots"],
        "head_series": result["head_series"],
        "rule_eval_max_s": result["rule_eval_max_s"],
        "rule_eval_sum_s": result["rule_eval_sum_s"],
        "rule_eval_sum_share": result["rule_eval_sum_share"],
        "rss_bytes": result["rss_bytes"],
        "rss_peak_bytes": result["rss_peak_bytes"],
        "heap_inuse_bytes": result["heap_inuse_bytes"],
        "query_p95_median_s": statistics.median(q["p95_s"] for q in qs),
        "query_p95_max_s": slowest["p95_s"],
        "query_slowest": f"{slowest['dashboard']}: {slowest['panel']}",
        "queries_empty": sum(1 for q in qs if not q["series"] and not q["optional"]),
        "backfill_hours": result["backfill_hours"],
        "backfill_step_s": result["backfill_step_s"],
        "load_average_1m": result.get("load_average", [None])[0],
    }


def largest_within(results: list[dict], share: float = bench_report.SCALE_TARGET_SHARE) -> int | None:
    """The largest N measured whose rule groups, all together, evaluate within ``share`` of the
    evaluation interval (and every smaller N did too)."""
    best = None
    for r in sorted(results, key=lambda r: r["nodes"]):
        if r["rule_eval_sum_share"] > share:
            break
        best = r["nodes"]
    return best


def sweep(
    node_counts: list[int], *, warmup: float, repeats: int, max_samples: int, workdir: Path | None, progress
) -> dict:
    config = MixinConfig()
    own = workdir is None
    work = Path(tempfile.mkdtemp(prefix="lavametrics-bench-scale-")) if own else workdir
    assert work is not None
    try:
        results = []
        for n in node_counts:
            results.append(
                measure(
                    n,
                    workdir=work,
                    config=config,
                    warmup=warmup,
                    repeats=repeats,
                    max_samples=max_samples,
                    progress=progress,
                )
            )
            progress(json.dumps(summary(results[-1])))
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)
    version = subprocess.run([prometheus_binary(), "--version"], capture_output=True, text=True).stdout
    return {
        "prometheus": version.splitlines()[0] if version else "unknown",
        "load_average": os.getloadavg(),
        "cores": os.cpu_count(),
        "results": results,
        "summary": [summary(r) for r in results],
        "largest_n_within_10pct": largest_within(results),
    }


def format_table(report: dict) -> str:
    rows = [
        "| N nodes | M shards | head series | rule eval max group / sum (s) | sum / interval | RSS (MiB) | "
        "heap in use (MiB) | dashboard query p95 median / max (s) | backfill |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in report["summary"]:
        rows.append(
            f"| {s['nodes']} | {s['bots']} | {s['head_series']:,} | {s['rule_eval_max_s']:.3f} / "
            f"{s['rule_eval_sum_s']:.3f} | {s['rule_eval_sum_share'] * 100:.1f} % | {s['rss_bytes'] / 2**20:.0f} | "
            f"{s['heap_inuse_bytes'] / 2**20:.0f} | {s['query_p95_median_s']:.3f} / {s['query_p95_max_s']:.3f} | "
            f"{s['backfill_hours']:g} h at {s['backfill_step_s']:g} s |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench_scale", description=__doc__.splitlines()[0])
    p.add_argument("--nodes", default="1,10,100,500", help="comma-separated node counts")
    p.add_argument("--warmup", type=float, default=60.0, help="seconds of scraping before measuring")
    p.add_argument("--repeats", type=int, default=3, help="runs of each dashboard query")
    p.add_argument("--max-samples", type=int, default=DEFAULT_MAX_SAMPLES, help="backfill bound per N")
    p.add_argument("--workdir", type=Path, default=None)
    p.add_argument("--json", action="store_true", help="the whole report as JSON on stdout")
    p.add_argument("--chart", type=Path, default=None, help="write the chart PNG here")
    a = p.parse_args(argv)
    try:
        counts = [int(x) for x in a.nodes.split(",") if x.strip()]
    except ValueError:
        print(f"bench_scale: --nodes: not a list of numbers: {a.nodes!r}", file=sys.stderr)
        return 2
    if not counts or min(counts) < 1:
        print("bench_scale: --nodes: give at least one positive node count", file=sys.stderr)
        return 2
    try:
        report = sweep(
            counts,
            warmup=a.warmup,
            repeats=a.repeats,
            max_samples=a.max_samples,
            workdir=a.workdir,
            progress=lambda msg: print(msg, file=sys.stderr, flush=True),
        )
    except StackError as err:
        print(f"bench_scale: {err}", file=sys.stderr)
        return 1
    if a.chart:
        bench_report.scale_chart(report, a.chart)
    if a.json:
        json.dump(report, sys.stdout, indent=2)
        print()
    else:
        print(format_table(report))
        largest = report["largest_n_within_10pct"]
        print(f"largest N with all rule groups evaluated within 10 % of the interval: {largest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
