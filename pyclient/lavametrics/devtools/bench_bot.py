"""Benchmark of ``BotMetrics``: ``python -m lavametrics.devtools.bench_bot [--calls 200000] [--seconds 10]``.

1. Per command: a small command handler (~2 µs) called back to back, bare, decorated with
   ``@metrics.command`` and inside ``with``/``async with metrics.time_command``, sync and
   async, best of several interleaved rounds; the difference to bare is what the
   instrumentation adds per command.
2. A simulated bot loop: an asyncio loop handling 2,000 commands/s, each doing a little
   work (a dict update and a small sort, ~20 µs, standing in for the bot's own code), in
   interleaved pairs with and without the instrumentation; reported is this process's CPU
   use (CPU seconds per wall second, in % of one core) of each run and the difference.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

from prometheus_client import CollectorRegistry

from lavametrics.bot.metrics import BotMetrics


def _work(state: dict, i: int) -> int:
    state[i % 97] = i
    return len(sorted(state.values())[:3])


def per_command(calls: int = 200_000, rounds: int = 7) -> dict:
    """Best per-call time of each variant; the variants take turns round by round, so a
    burst of load from elsewhere hits them alike."""
    metrics = BotMetrics(CollectorRegistry(), commands=("play", "skip"))
    state: dict = {}

    def bare(i):
        return _work(state, i)

    async def bare_async(i):
        return _work(state, i)

    async def timed_async(i):
        async with metrics.time_command("play"):
            return _work(state, i)

    def timed_sync(i):
        with metrics.time_command("play"):
            return _work(state, i)

    def sync_loop(fn):
        for i in range(calls):
            fn(i)

    def async_loop(fn):
        async def loop():
            for i in range(calls):
                await fn(i)

        asyncio.run(loop())

    variants = {
        "sync": (sync_loop, bare),
        "sync_command": (sync_loop, metrics.command("play")(bare)),
        "sync_time_command": (sync_loop, timed_sync),
        "async": (async_loop, bare_async),
        "async_command": (async_loop, metrics.command("play")(bare_async)),
        "async_time_command": (async_loop, timed_async),
    }
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(rounds):
        for name, (loop, fn) in variants.items():
            t0 = time.perf_counter()
            loop(fn)
            best[name] = min(best[name], (time.perf_counter() - t0) / calls)
    us = {name: value * 1e6 for name, value in best.items()}
    return {
        "calls": calls,
        "rounds": rounds,
        "us_per_call": us,
        "overhead_us": {name: us[name] - us[name.split("_")[0]] for name in us if "_" in name},
    }


def _bot_loop(seconds: float, rate: int, instrumented: bool) -> float:
    """Runs the loop; returns CPU use in % of one core."""
    metrics = BotMetrics(CollectorRegistry(), commands=("play", "skip", "queue")) if instrumented else None
    state: dict = {}
    names = ("play", "skip", "queue", "lyrics")

    async def command(i: int) -> None:
        if metrics is None:
            _work(state, i)
            return
        async with metrics.time_command(names[i % 4]):
            _work(state, i)

    async def main() -> None:
        batch = rate // 100  # every 10 ms, as events from the gateway arrive in bursts
        start = time.monotonic()
        i = 0
        while time.monotonic() - start < seconds:
            tick = time.monotonic()
            for _ in range(batch):
                await command(i)
                i += 1
            await asyncio.sleep(max(0.0, 0.01 - (time.monotonic() - tick)))

    w0, c0 = time.monotonic(), time.process_time()
    asyncio.run(main())
    return 100 * (time.process_time() - c0) / (time.monotonic() - w0)


def bot_loop(seconds: float = 10.0, pairs: int = 5, rate: int = 2000) -> dict:
    _bot_loop(min(2.0, seconds), rate, True)  # warm-up, discarded
    runs = []
    for _ in range(pairs):
        with_metrics = _bot_loop(seconds, rate, True)
        without = _bot_loop(seconds, rate, False)
        runs.append(
            {
                "with_cpu_percent": with_metrics,
                "without_cpu_percent": without,
                "difference_points": with_metrics - without,
            }
        )
    diffs = [r["difference_points"] for r in runs]
    return {
        "seconds": seconds,
        "rate_per_s": rate,
        "pairs": runs,
        "median_difference_points": statistics.median(diffs),
        "spread_points": (min(diffs), max(diffs)),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lavametrics.devtools.bench_bot")
    ap.add_argument("--calls", type=int, default=200_000)
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each bot-loop run")
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    result = {"per_command": per_command(a.calls), "bot_loop": bot_loop(a.seconds, a.pairs)}
    if a.json:
        print(json.dumps(result, indent=2))
        return 0
    pc, bl = result["per_command"], result["bot_loop"]
    print(f"per command (best of {pc['rounds']} x {pc['calls']} calls, interleaved):")
    for name, overhead in pc["overhead_us"].items():
        base = name.split("_")[0]
        print(
            f"  {name:<20} {pc['us_per_call'][name]:6.2f} us  (bare {base} {pc['us_per_call'][base]:5.2f} us)"
            f"  adds {overhead:5.2f} us"
        )
    print(f"bot loop, {bl['rate_per_s']} commands/s, {len(bl['pairs'])} pairs of {bl['seconds']:g} s:")
    for r in bl["pairs"]:
        print(
            f"  with {r['with_cpu_percent']:5.1f}%  without {r['without_cpu_percent']:5.1f}%  "
            f"difference {r['difference_points']:+5.2f} points"
        )
    lo, hi = bl["spread_points"]
    print(f"  median difference {bl['median_difference_points']:+.2f} points of one core (spread {lo:+.2f}..{hi:+.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
