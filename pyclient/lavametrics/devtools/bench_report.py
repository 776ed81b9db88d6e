"""``make bench``'s summary: ``python -m lavametrics.devtools.bench_report RESULTS_DIR OUT_DIR``.

Reads what the benchmarks wrote to RESULTS_DIR (``jmh.json``, ``merge.json``, ``bot.json``,
``scrape.json``, ``ab.json``; any may be missing), prints one line per target with the
measured figure, and draws ``benchmarks-ab.png`` and ``benchmarks-scrape.png`` into OUT_DIR
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
    ratio.bar(list(xs), [p["cpu_ratio"] for p in pairs], color="tab:blue")
    ratio.axhline(1.0, color="black", linewidth=0.8)
    ratio.axhline(1.01, color="tab:red", linestyle=":", label="target 1.01")
    ratio.axhline(
        ab["median_cpu_ratio"], color="tab:green", linestyle="--", label=f"median {ab['median_cpu_ratio']:.3f}"
    )
    low = min(p["cpu_ratio"] for p in pairs)
    high = max(p["cpu_ratio"] for p in pairs)
    ratio.set_ylim(min(0.9, low - 0.02), max(1.1, high + 0.02))
    ratio.set_xlabel("pair")
    ratio.set_ylabel("CPU with / without")
    ratio.set_title(ab.get("server") or "")
    ratio.legend(loc="upper right")
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


def _load(results: Path, name: str):
    path = results / name
    return json.loads(path.read_text()) if path.is_file() else None


def summary(results: Path) -> list[str]:
    """One line per target: what it asks, what was measured."""
    lines = []
    ab = _load(results, "ab.json")
    if ab:
        lo, hi = ab["cpu_ratio_spread"]
        hlo, hhi = (v / 2**20 for v in ab["heap_difference_spread_bytes"])
        lines.append(
            f"node CPU with/without plugin (target <= 1.01): median {ab['median_cpu_ratio']:.3f}, "
            f"spread {lo:.3f}..{hi:.3f}, {len(ab['pairs'])} pairs, {ab['players']} players [{ab['server']}]"
        )
        lines.append(
            f"heap after GC with - without (target <= 16 MiB): median "
            f"{ab['median_heap_difference_bytes'] / 2**20:+.1f} MiB, spread {hlo:+.1f}..{hhi:+.1f} MiB"
        )
    scrape = _load(results, "scrape.json")
    if scrape:
        for row in sorted(scrape["results"], key=lambda r: (not r["plugin"], r["players"])):
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
    for line in summary(results):
        print(line)
    made = 0
    if (results / "ab.json").is_file():
        ab_chart(json.loads((results / "ab.json").read_text()), out / "benchmarks-ab.png")
        made += 1
    if (results / "scrape.json").is_file():
        scrape_chart(json.loads((results / "scrape.json").read_text()), out / "benchmarks-scrape.png")
        made += 1
    if not made:
        print(f"bench_report: no ab.json or scrape.json in {results} to chart", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
