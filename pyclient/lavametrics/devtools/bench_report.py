"""``make bench``'s summary: ``python -m lavametrics.devtools.bench_report RESULTS_DIR OUT_DIR``.

Reads what the benchmarks wrote to RESULTS_DIR (``jmh.json``, ``merge.json``, ``bot.json``,
``scrape.json``, ``ab.json``, ``profile.json``, ``scale.json``; any may be missing), prints one line per
target with the measured figure, and draws ``benchmarks-ab.png``, ``benchmarks-scrape.png`` and
``benchmarks-scale.png`` into OUT_DIR
(matplotlib, the ``bench`` extra).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def ab_chart(ab: dict, out: Path) -> None:
    plt = _plt()
    pairs = ab["pairs"]
    xs = range(1, len(pairs) + 1)
    fig, (cpu, ratio) = plt.subplots(1, 2, figsize=(10, 3.8))
    cpu.plot(xs, [p["with"]["cpu_percent"] for p in pairs], "o-", label="with plugin")
    cpu.plot(xs, [p["without"]["cpu_percent"] for p in pairs], "s--", label="without plugin")
    cpu.set_xlabel("pair (A B interleaved)")
    cpu.set_ylabel("node CPU, % of one core")
    cpu.set_title(f"{ab['players']} players streaming, {ab['seconds']:g} s windows")
    cpu.legend()
    ratio.bar(list(xs), [p["cpu_ratio"] for p in pairs], color="tab:blue", alpha=0.6)
    ratio.axhline(1.0, color="black", linewidth=0.8)
    ratio.axhline(1.05, color="tab:orange", linestyle=":", label="seed 1.05")
    ratio.axhline(1.01, color="tab:red", linestyle=":", label="target 1.01")
    summary = ab.get("cpu_ratio") or {}
    median = summary.get("median", ab.get("median_cpu_ratio"))
    low_ci, high_ci = summary.get("ci_low"), summary.get("ci_high")
    if low_ci is not None and high_ci is not None:
        # the 95 % interval of the median, the figure the targets are judged by
        ratio.axhspan(low_ci, high_ci, color="tab:green", alpha=0.2, label=f"95 % CI {low_ci:.3f}..{high_ci:.3f}")
    if median is not None:
        ratio.axhline(median, color="tab:green", linestyle="--", label=f"median {median:.3f}")
    low = min(p["cpu_ratio"] for p in pairs)
    high = max(p["cpu_ratio"] for p in pairs)
    ratio.set_ylim(min(0.9, low - 0.02), max(1.1, high + 0.02))
    invalid = len(ab.get("invalid_runs") or [])
    if invalid:
        ratio.text(0.02, 0.97, f"{invalid} invalid run(s) left out", transform=ratio.transAxes, va="top", fontsize=8)
    ratio.set_xlabel("pair")
    ratio.set_ylabel("CPU with / without")
    ratio.set_title(ab.get("server") or "")
    ratio.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def scrape_chart(scrape: dict, out: Path) -> None:
    plt = _plt()
    fig, (lat, size) = plt.subplots(1, 2, figsize=(10, 3.8))
    for plugin, style in ((True, "o-"), (False, "s--")):
        rows = sorted((r for r in scrape["results"] if r["plugin"] == plugin), key=lambda r: r["players"])
        label = "with plugin" if plugin else "without plugin"
        xs = [r["players"] for r in rows]
        lat.plot(xs, [r["p99_ms"] for r in rows], style, label=f"p99, {label}")
        lat.plot(xs, [r["p50_ms"] for r in rows], style, alpha=0.45, label=f"p50, {label}")
        if plugin and all(r.get("ours_p99_ms") is not None for r in rows):
            # the target's own measure: what collecting our families took, by the plugin's account
            lat.plot(xs, [r["ours_p99_ms"] for r in rows], "^-", color="tab:purple", label="p99, our collection")
        if plugin:
            size.bar([str(x) for x in xs], [r["core_bytes"] / 1024 for r in rows], label="core")
            size.bar(
                [str(x) for x in xs],
                [r["our_bytes"] / 1024 for r in rows],
                bottom=[r["core_bytes"] / 1024 for r in rows],
                label="lavametrics",
            )
    lat.axhline(20, color="tab:red", linestyle=":", label="target p99 20 ms")
    lat.set_xlabel("players on the node")
    lat.set_ylabel("/metrics latency, ms")
    lat.legend(fontsize=7)
    size.set_xlabel("players on the node")
    size.set_ylabel("exposition, KiB")
    size.set_title("with the plugin: core's part and ours")
    size.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


# bench_scale's target: every rule group, evaluated one after another, within this share of the
# evaluation interval
SCALE_TARGET_SHARE = 0.10


def scale_chart(scale: dict, out: Path) -> Path:
    """bench_scale: series, rule evaluation, memory and the slowest dashboard query against N."""
    plt = _plt()
    rows = scale["summary"]
    n = [r["nodes"] for r in rows]
    interval = scale["results"][0]["evaluation_interval_s"] if scale["results"] else 10.0
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    panels = (
        (axes[0][0], "head series", "series", [r["head_series"] for r in rows]),
        (axes[0][1], "rule evaluation per round, s", "all groups", [r["rule_eval_sum_s"] for r in rows]),
        (axes[1][0], "Prometheus memory, MiB", "RSS", [r["rss_bytes"] / 2**20 for r in rows]),
        (axes[1][1], "dashboard query p95 over 6 h, s", "slowest query", [r["query_p95_max_s"] for r in rows]),
    )
    for ax, title, label, ys in panels:
        ax.plot(n, ys, "o-", label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("Lavalink nodes (N)")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][1].plot(n, [r["rule_eval_max_s"] for r in rows], "s--", label="slowest group")
    axes[0][1].axhline(SCALE_TARGET_SHARE * interval, color="tab:red", linestyle=":", label="10 % of the interval")
    axes[1][0].plot(n, [r["heap_inuse_bytes"] / 2**20 for r in rows], "s--", label="Go heap in use")
    axes[1][1].plot(n, [r["query_p95_median_s"] for r in rows], "s--", label="median query")
    for ax in (axes[0][1], axes[1][0], axes[1][1]):
        ax.legend(fontsize=8)
    fig.suptitle(f"bench_scale: {scale['prometheus'].split(' (')[0]}, shipped rules and dashboards", fontsize=11)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def scale_lines(scale: dict) -> list[str]:
    lines = [
        f"Prometheus at {r['nodes']} nodes + {r['bots']} bot shards: {r['head_series']} head series, rule "
        f"evaluation max group {r['rule_eval_max_s']:.3f} s, all groups {r['rule_eval_sum_s']:.3f} s "
        f"({r['rule_eval_sum_share'] * 100:.1f} % of the interval; target < 10 %), RSS "
        f"{r['rss_bytes'] / 2**20:.0f} MiB, slowest dashboard query p95 {r['query_p95_max_s']:.2f} s"
        for r in scale["summary"]
    ]
    lines.append(f"largest N within 10 % of the evaluation interval: {scale['largest_n_within_10pct']}")
    return lines


def _mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value / 2**20:+.1f} MiB"


def ab_lines(ab: dict, per_pair: bool = False) -> list[str]:
    """The A/B result as the targets ask for it: the median CPU ratio with its 95 % interval,
    where the upper end stands against 1.05 and 1.01, and the runs left out and why."""
    lines = []
    pairs = ab.get("pairs") or []
    invalid = ab.get("invalid_runs") or []
    if per_pair:
        for p in pairs:
            lines.append(
                f"pair {p.get('index', '?')} ({p['order']}): cpu ratio {p['cpu_ratio']:.3f}  heap "
                f"{_mib(p['heap_difference_bytes'])}  rss {_mib(p['rss_difference_bytes'])}"
            )
    s = ab.get("cpu_ratio")
    if s is None:  # a result from before the intervals
        lo, hi = ab["cpu_ratio_spread"]
        lines.append(f"node CPU with/without plugin: median {ab['median_cpu_ratio']:.3f}, spread {lo:.3f}..{hi:.3f}")
    elif s["median"] is None:
        lines.append(f"node CPU with/without plugin: no valid pair [{ab.get('server')}]")
    else:
        if s["ci_low"] is None:
            ci = f"no 95 % interval with {s['n']} pairs (needs 6)"
            verdict = "upper bound unknown"
        else:
            ci = (
                f"95 % CI {s['ci_low']:.3f}..{s['ci_high']:.3f} "
                f"(±{s['half_width'] * 100:.1f} %, coverage {s['coverage'] * 100:.1f} %)"
            )
            verdict = (
                f"upper bound {'<' if s['upper_below_1_05'] else '>='} 1.05, "
                f"{'<' if s['upper_below_1_01'] else '>='} 1.01"
            )
        target = ab.get("target_ci")
        met = ""
        if target is not None:
            hw = s.get("half_width")
            met = f"; target ±{target * 100:g} % {'met' if hw is not None and hw <= target else 'NOT met'}"
        lines.append(
            f"node CPU with/without plugin (target <= 1.01): median {s['median']:.3f}, {ci}; {verdict}; "
            f"{s['n']} valid pairs, {len(invalid)} invalid runs{met}, {ab['players']} players [{ab['server']}]"
        )
    for r in invalid:
        lines.append(
            f"  invalid: pair {r.get('pair')} attempt {r.get('attempt')}, "
            f"{'with' if r.get('plugin') else 'without'} plugin: " + "; ".join(r.get("invalid_reasons") or [])
        )
    threads = ab.get("cpu_by_thread") or {}
    if threads:
        lines.append("  node CPU by thread group, % of one core (median with / without; difference, 95 % CI):")
        for group, t in sorted(threads.items(), key=lambda kv: -max(kv[1]["with_percent"], kv[1]["without_percent"])):
            ci = t.get("difference_ci_percent")
            lines.append(
                f"    {group:<18} {t['with_percent']:6.1f} / {t['without_percent']:6.1f}   "
                f"{t['median_difference_percent']:+5.1f}" + (f"  [{ci[0]:+.1f}, {ci[1]:+.1f}]" if ci else "")
            )
    if pairs:
        hlo, hhi = ab["heap_difference_spread_bytes"]
        lines.append(
            f"heap after GC with - without (target <= 16 MiB): median {_mib(ab['median_heap_difference_bytes'])}, "
            f"spread {_mib(hlo)}..{_mib(hhi)}"
        )
        rss_ci = ab.get("rss_difference_ci_bytes")
        if "median_rss_difference_bytes" in ab:
            lines.append(
                f"RSS with - without (target <= +16 MiB): median {_mib(ab['median_rss_difference_bytes'])}"
                + (f", 95 % CI {_mib(rss_ci[0])}..{_mib(rss_ci[1])}" if rss_ci else ", no 95 % interval yet")
            )
        if ab.get("median_rss_outside_heap_difference_bytes") is not None:
            out_ci = ab.get("rss_outside_heap_difference_ci_bytes")
            lines.append(
                "  RSS outside the Java heap (RSS difference - committed heap difference): median "
                f"{_mib(ab['median_rss_outside_heap_difference_bytes'])}"
                + (f", 95 % CI {_mib(out_ci[0])}..{_mib(out_ci[1])}" if out_ci else ", no 95 % interval yet")
            )
        nmt = ab.get("native_memory_difference_bytes") or {}
        if nmt:
            parts = sorted(nmt.items(), key=lambda kv: -abs(kv[1]))
            lines.append(
                "  NMT committed, with - without (median): "
                + ", ".join(f"{name} {_mib(value)}" for name, value in parts if name != "Total" and abs(value) >= 2**18)
                + f"; Total {_mib(nmt.get('Total'))}"
            )
    return lines


def profile_lines(profile: dict) -> list[str]:
    """The plugin's share of the node from JFR, per player count."""
    lines = []
    for row in profile.get("results", []):
        est = row.get("plugin_cpu_share")
        lines.append(
            f"plugin share of node CPU from JFR (target <= 1 % at 100 players), {row['players']} players "
            f"({row['streaming']} streaming): "
            + (
                f"{est * 100:.2f} % of the node's CPU (estimate, 95 % CI {ci[0] * 100:.2f}..{ci[1] * 100:.2f} %); "
                if est is not None and (ci := row.get("plugin_cpu_share_ci"))
                else ""
            )
            + f"{row['total_share'] * 100:.2f} % of {row['execution_samples']} Java execution samples "
            f"(dev.lavametrics.plugin.* {row['plugin_share'] * 100:.2f} %, our part of the text writing "
            f"{row['exposition_share_ours'] * 100:.2f} %); allocation {row['plugin_alloc_bytes_per_s'] / 2**10:.0f} "
            f"KiB/s = {row['plugin_alloc_share'] * 100:.2f} % of the node's [{row['server']}]"
            + ("" if row.get("steady", True) else " (the node never delivered every stream: read with care)")
        )
    return lines


def _interval(r: dict) -> str:
    if r.get("ci_low") is None:
        return f"too few blocks ({r['blocks']}) for an interval"
    return (
        f"blocks' median {r['median']:.2f}, {100 * r['confidence']:.0f} % interval {r['ci_low']:.2f}-{r['ci_high']:.2f}"
    )


def scrape_lines(scrape: dict) -> list[str]:
    """Per player count: both nodes' /metrics p50/p99 and sizes, then the p99 ratio (target
    <= 1.2 under load) with the interval from blocks of the interleaved rounds."""
    lines = []
    for row in sorted(scrape["results"], key=lambda r: (r["players"], not r["plugin"])):
        collection = (
            f", our collection p50 {row['ours_p50_ms']:.2f} ms, p99 {row['ours_p99_ms']:.2f} ms"
            if row.get("ours_p99_ms") is not None
            else ""
        )
        lines.append(
            f"/metrics {'with' if row['plugin'] else 'without'} plugin, {row['players']} players "
            f"(target p99 < 20 ms at 1000): p50 {row['p50_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms"
            f"{collection}, {row['bytes']} bytes, ours {row['our_bytes']} ({row['our_lines']} lines) "
            f"[{row['server']}]"
        )
    for c in scrape.get("comparisons") or []:
        load = c.get("load_average") or (0.0, 0.0)
        lines.append(
            f"/metrics with / without plugin, {c['players']} players, interleaved"
            + (f" under {scrape['burn_threads']} CPU burners" if "burn_threads" in scrape else "")
            + f" (load {load[0]:.1f}-{load[1]:.1f}; target p99 ratio <= 1.2): "
            f"p99 {c['p99']['ratio']:.2f} ({_interval(c['p99'])}), p50 {c['p50']['ratio']:.2f} ({_interval(c['p50'])})"
        )
    return lines


def scrape_profile_lines(scrape: dict) -> list[str]:
    """Where the plugin node's scrapes went, from its JFR recording (``bench_node scrape --profile``)."""
    lines = scrape_lines(scrape)
    for p in scrape.get("profiles") or []:
        shares = ", ".join(f"{part} {100 * v:.1f} %" for part, v in p["shares"].items())
        alloc = ", ".join(f"{part} {v / 1024:.0f} KiB" for part, v in p["alloc_bytes_per_scrape"].items() if v)
        lines.append(
            f"profile, {p['players']} players: {p['scrape_samples']:.0f} request-thread samples "
            f"({p.get('java_cpu_ms_per_scrape', 0):.2f} ms of Java CPU per scrape): {shares}; "
            f"the plugin's part {100 * p['plugin_share']:.1f} %; allocated per scrape: {alloc}; "
            f"GC pauses {p['gc_pauses']} ({100 * p['gc_pause_share']:.2f} % of the window) [{p['recording']}]"
        )
        for side, g in (p.get("gc") or {}).items():
            lines.append(
                f"  {side} plugin: {g['in_gc']} of {g['scrapes']} scrapes ran into a collection, "
                f"{g['slow_in_gc']} of the {g['slow']} slowest (p99 and above)"
            )
    return lines


def _load(results: Path, name: str):
    path = results / name
    return json.loads(path.read_text()) if path.is_file() else None


def summary(results: Path) -> list[str]:
    """One line per target: what it asks, what was measured."""
    lines = []
    ab = _load(results, "ab.json")
    if ab:
        lines.extend(ab_lines(ab))
    profile = _load(results, "profile.json")
    if profile:
        lines.extend(profile_lines(profile))
    scrape = _load(results, "scrape.json")
    if scrape:
        lines.extend(scrape_lines(scrape))
    merge = _load(results, "merge.json")
    if merge:
        lines.append(
            f"lavametrics serve full scrape, {merge['nodes']} nodes x {merge['series_per_node']} changing "
            f"series (target < 50 ms): median {merge['lines']['full_scrape']['median_ms']:.1f} ms wall, "
            f"{merge['lines']['full_scrape_cpu']['median_ms']:.1f} ms CPU (object path: "
            f"{merge['objects']['full_scrape']['median_ms']:.1f} ms wall, "
            f"{merge['objects']['full_scrape_cpu']['median_ms']:.1f} ms CPU)"
        )
    bot = _load(results, "bot.json")
    if bot:
        over = bot["per_command"]["overhead_us"]
        lines.append(
            "BotMetrics per command (target < 2 us): "
            + ", ".join(f"{name} +{value:.2f} us" for name, value in over.items())
        )
        loop = bot["bot_loop"]
        lines.append(
            f"bot loop {loop['rate_per_s']} commands/s (target < 1 point of CPU): median "
            f"{loop['median_difference_points']:+.2f} points"
        )
        adapters = bot.get("adapters")
        if adapters:
            over, ci = adapters["overhead_us"], adapters.get("overhead_ci95_us") or {}

            def figure(name: str) -> str:
                span = ci.get(name)
                return f"{over[name]:+.2f} us" + (f" [{span[0]:+.2f}, {span[1]:+.2f}]" if span else "")

            lines.append(
                f"library adapters (targets: < 2 us per command, < 1 us per track event; median of "
                f"{adapters['rounds']} pairs, 95 % interval): "
                f"discord.py prefix command {figure('discord_prefix_command')}, "
                f"slash command {figure('discord_slash_command')}, "
                f"wavelink track event {figure('wavelink_event')}"
            )
    scale = _load(results, "scale.json")
    if scale:
        lines.extend(scale_lines(scale))
    jmh = _load(results, "jmh.json")
    if jmh:
        for row in jmh:
            name = row["benchmark"].rsplit(".", 2)
            params = "".join(f" {k}={v}" for k, v in (row.get("params") or {}).items())
            alloc = row.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
            lines.append(
                f"JMH {name[-2]}.{name[-1]}{params}: {row['primaryMetric']['score']:.3g} "
                f"{row['primaryMetric']['scoreUnit']}" + (f", {alloc:.0f} B/op" if alloc is not None else "")
            )
    return lines


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m lavametrics.devtools.bench_report RESULTS_DIR OUT_DIR", file=sys.stderr)
        return 2
    results, out = Path(args[0]), Path(args[1])
    out.mkdir(parents=True, exist_ok=True)
    for line in summary(results):
        print(line)
    made = 0
    if (results / "ab.json").is_file():
        ab_chart(json.loads((results / "ab.json").read_text()), out / "benchmarks-ab.png")
        made += 1
    if (results / "scrape.json").is_file():
        scrape_chart(json.loads((results / "scrape.json").read_text()), out / "benchmarks-scrape.png")
        made += 1
    if (results / "scale.json").is_file():
        scale_chart(json.loads((results / "scale.json").read_text()), out / "benchmarks-scale.png")
        made += 1
    if not made:
        print(f"bench_report: no ab.json, scrape.json or scale.json in {results} to chart", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
