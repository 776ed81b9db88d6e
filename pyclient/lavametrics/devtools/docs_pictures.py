"""Draw the dashboards for the docs from a real stack with real faults, and count its series.

``python -m lavametrics.devtools.docs_pictures --out docs/monitoring`` starts the local stack
(two nodes streaming to the voice simulator, the simulated bot, Prometheus and Alertmanager
with the generated configuration), loads tracks on both nodes the whole time (one load in ten
of a file that does not exist), and after a warm-up:

1. stops node ``node-a`` for ``--outage`` seconds and starts it again (gaps, DOWN, a restart);
   for as long, the players' HTTP source refuses every request with 403 (the ``source-blocked``
   fault: the source failures panels' refused loads and starts);
2. closes four voice connections of ``node-b`` with code 4006 (voice closes, a page);
3. makes every bot command take 3 s for ``--slow`` seconds (p95 above its threshold, burn rate)
   and, for as long, marks 3/4 of node-b's route planner block failing (the ``ip-banned`` fault:
   the route planner panels' failing share and bans).

The voice connects panels draw the bot's joins and rejoins (after the outage and the closes).

It then renders every dashboard with ``lavametrics mixin render`` (one PNG each, the last
``--minutes``) and prints the series counts the operations guide's *Sizing* quotes, measured
with the PromQL it prints. Takes about 15 minutes; not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from lavametrics.devtools import faults
from lavametrics.devtools.stack import Stack
from lavametrics.mixin.config import MixinConfig, duration_seconds
from lavametrics.mixin.render import render_all

NODES = ("node-a", "node-b")
# PromQL the Sizing section quotes: (what, query)
SERIES_QUERIES = (
    ("series per node, all families (core, JVM, plugin)", 'count by (node) ({job="lavalink"})'),
    ("plugin series per node", 'count by (node) ({job="lavalink", __name__=~"lavametrics_.*"})'),
    ("series of the bot (BotMetrics, 10 commands)", 'count({job="bot"})'),
    ("recording-rule series", 'count({__name__=~"(node|job_command|slo):.*"})'),
)


def _load(url: str, password: str, identifier: str) -> None:
    query = urllib.parse.urlencode({"identifier": identifier})
    req = urllib.request.Request(f"{url}/v4/loadtracks?{query}", headers={"Authorization": password})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()
    except (urllib.error.URLError, OSError):
        pass  # a node that is down answers nothing: that is the outage


def _loader(stack: Stack, audio: str, stop: threading.Event) -> None:
    n = 0
    while not stop.wait(3.0):
        for node in stack.nodes.values():
            n += 1
            _load(node.url, node.password, audio if n % 10 else audio + ".missing")


def series_counts(stack: Stack) -> dict[str, object]:
    out: dict[str, object] = {}
    for what, query in SERIES_QUERIES:
        result = stack.api("/api/v1/query", query=query)["result"]
        out[what] = {
            "query": query,
            "values": {r["metric"].get("node", "all"): int(float(r["value"][1])) for r in result},
        }
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="directory for the PNGs, e.g. docs/monitoring")
    p.add_argument("--warmup", type=float, default=300.0, help="seconds of healthy traffic first (default 300)")
    p.add_argument("--outage", type=float, default=120.0, help="seconds node-a stays stopped (default 120)")
    p.add_argument("--slow", type=float, default=240.0, help="seconds every command takes 3 s (default 240)")
    p.add_argument("--minutes", type=float, default=15.0, help="time range of the pictures (default 15)")
    args = p.parse_args(argv)
    c = MixinConfig()
    with tempfile.TemporaryDirectory(prefix="lavametrics-pictures-") as tmp:
        stack = Stack(
            Path(tmp),
            node_names=NODES,
            guilds_per_node=5,
            fixed_ports=False,
            command_rate=4.0,
            backfill_seconds=duration_seconds(c.slo.fast_windows[0]),
        )
        stop = threading.Event()
        try:
            stack.start(progress=lambda msg: print(f"stack: {msg}", file=sys.stderr))
            audio = str(Path(tmp) / "stack-tone.wav")
            threading.Thread(target=_loader, args=(stack, audio, stop), daemon=True).start()
            counts = {"at start": series_counts(stack)}
            print(f"healthy traffic for {args.warmup:.0f}s", file=sys.stderr)
            time.sleep(args.warmup)
            counts["busy"] = series_counts(stack)
            print(f"stopping node-a for {args.outage:.0f}s", file=sys.stderr)
            stack.nodes["node-a"].stop()
            faults.inject(stack, "source-blocked")
            time.sleep(args.outage)
            faults.clear(stack)
            stack.nodes["node-a"].start()
            b_guilds = [g for n in stack.bot.nodes if n.name == "node-b" for g in n.guilds] if stack.bot else []
            closed = sum(stack.sim.close(g, 4006, "session no longer valid") for g in b_guilds[:4]) if stack.sim else 0
            print(f"closed {closed} voice connections on node-b; commands slow for {args.slow:.0f}s", file=sys.stderr)
            if stack.bot:
                stack.bot.set_slow(3.0)
            banned = faults.inject(stack, "ip-banned", node="node-b").params["count"]
            print(f"marked {banned} route planner addresses of node-b failing", file=sys.stderr)
            time.sleep(args.slow)
            if stack.bot:
                stack.bot.set_slow(None)
            faults.clear(stack)
            time.sleep(60)
            report = render_all(c, stack.prometheus_url, args.out, minutes=args.minutes)
            alerts = sorted({a["labels"]["alertname"] for a in stack.api("/api/v1/alerts")["alerts"]})
            summary = {
                "pictures": [d["file"] for d in report["dashboards"]],
                "empty panels": {
                    d["uid"]: [p["title"] for p in d["panels"] if not p["series"]] for d in report["dashboards"]
                },
                "series": counts,
                "alerts at the end": alerts,
            }
            print(json.dumps(summary, indent=2))
        finally:
            stop.set()
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
