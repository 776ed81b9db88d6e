"""Benchmark of ``BotMetrics``: ``python -m lavametrics.devtools.bench_bot [--calls 200000] [--seconds 10]``.

1. Per command: a small command handler (~2 µs) called back to back, bare, decorated with
   ``@metrics.command`` and inside ``with``/``async with metrics.time_command``, sync and
   async, best of several interleaved rounds; the difference to bare is what the
   instrumentation adds per command.
2. The library adapters (``adapters``): a wavelink track event through the instrumented client's
   dispatch, and a discord.py prefix and slash command end to end (parsed, run, hooks, the
   command's task), each against the same without ``instrument``, in CPU time with the garbage
   collector off while commands are timed; the median of 21 interleaved pairs with its 95 %
   interval. Needs the ``discord`` and ``wavelink`` extras.
3. A simulated bot loop: an asyncio loop handling 2,000 commands/s, each doing a little
   work (a dict update and a small sort, ~20 µs, standing in for the bot's own code), in
   interleaved pairs with and without the instrumentation; reported is this process's CPU
   use (CPU seconds per wall second, in % of one core) of each run and the difference.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any, cast

from prometheus_client import CollectorRegistry

from lavametrics.bot.metrics import BotMetrics
from lavametrics.devtools.bench_stats import median_ci


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


def _discord_bot(instrumented: bool):
    """A commands.Bot with one prefix and one slash command, logged in without a gateway
    (``discordpayloads.log_in``; slash commands through discord.py's ``parse_interaction_create``),
    and what feeds it one of each command."""
    import discord
    from discord.ext import commands

    from lavametrics.bot import discord as lm_discord
    from lavametrics.devtools import discordpayloads

    bot = commands.Bot(command_prefix="!", intents=discord.Intents.none())
    state: dict = {}

    @bot.command()
    async def play(ctx):
        _work(state, 1)

    @bot.tree.command(name="play")
    async def play_slash(interaction: discord.Interaction):
        _work(state, 1)

    def message(n: int):
        return discordpayloads.dm_message(bot, n, "!play")

    def interaction(n: int) -> dict:
        return discordpayloads.interaction(n, "play")

    def setup():
        discordpayloads.log_in(bot)
        if instrumented:
            lm_discord.instrument(bot, BotMetrics(CollectorRegistry()))

    return bot, setup, message, interaction


def adapters(calls: int = 20_000, rounds: int = 21) -> dict:
    """µs a wavelink track event and a discord.py prefix and slash command cost more with the
    adapters than without: ``rounds`` pairs (without and with, the order alternating), each
    timed in this process's CPU time (``time.process_time``: on a shared machine, the time
    other processes hold the CPU is not counted); the median of the pairs' differences with its
    95 % distribution-free interval (``bench_stats.median_ci``)."""
    import discord
    import wavelink

    from lavametrics.bot import wavelink as lm_wavelink

    def wavelink_events(instrumented: bool) -> float:
        client = discord.Client(intents=discord.Intents.none())
        if instrumented:
            lm_wavelink.instrument(client, BotMetrics(CollectorRegistry()))
        payload = wavelink.TrackEndEventPayload(player=None, track=cast(Any, None), reason="finished")
        dispatch = client.dispatch
        for _ in range(calls // 20):  # warm-up: the first event of a kind makes its series
            dispatch("wavelink_track_end", payload)
        t0 = time.process_time()
        for _ in range(calls):
            dispatch("wavelink_track_end", payload)
        return (time.process_time() - t0) / calls

    def discord_commands(instrumented: bool, kind: str) -> float:
        n = max(1, calls // 2)  # a command is ~20x an event: fewer of them
        warm = max(1, n // 20)

        async def run() -> float:
            bot, setup, message, interaction = _discord_bot(instrumented)
            async with bot:
                setup()
                msgs = [message(i) for i in range(n + warm)] if kind == "prefix" else []
                payloads: list[Any] = [interaction(i) for i in range(n + warm)] if kind == "slash" else []

                async def feed(i: int) -> None:
                    if msgs:
                        await bot.process_commands(msgs[i])
                    else:
                        bot._connection.parse_interaction_create(payloads[i])
                    await asyncio.sleep(0)  # let the command's task run

                for i in range(warm):
                    await feed(i)
                # the collector off while timed, in both variants: when a full collection of the
                # pre-built messages lands is luck, and it swamped the difference measured
                gc.collect()
                gc.disable()
                try:
                    t0 = time.process_time()
                    for i in range(warm, warm + n):
                        await feed(i)
                    await asyncio.sleep(0)
                    return (time.process_time() - t0) / n
                finally:
                    gc.enable()

        return asyncio.run(run())

    variants: dict[str, Callable[[bool], float]] = {
        "wavelink_event": wavelink_events,
        "discord_prefix_command": functools.partial(discord_commands, kind="prefix"),
        "discord_slash_command": functools.partial(discord_commands, kind="slash"),
    }
    bare: dict[str, list[float]] = {name: [] for name in variants}
    diffs: dict[str, list[float]] = {name: [] for name in variants}
    for r in range(rounds):
        for name, fn in variants.items():
            if r % 2:
                with_it, without = fn(True), fn(False)
            else:
                without, with_it = fn(False), fn(True)
            bare[name].append(without * 1e6)
            diffs[name].append((with_it - without) * 1e6)
    overhead, interval = {}, {}
    for name, values in diffs.items():
        overhead[name] = statistics.median(values)
        ci = median_ci(values)
        interval[name] = None if ci is None else (ci[0], ci[1])
    return {
        "calls": calls,
        "rounds": rounds,
        "clock": "process_time",
        "load_average": os.getloadavg(),
        "bare_us": {name: statistics.median(values) for name, values in bare.items()},
        "overhead_us": overhead,
        "overhead_ci95_us": interval,
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
    ap.add_argument("--no-adapters", action="store_true", help="skip the discord.py/wavelink adapters")
    a = ap.parse_args(argv)
    result = {"per_command": per_command(a.calls), "bot_loop": bot_loop(a.seconds, a.pairs)}
    if not a.no_adapters:
        result["adapters"] = adapters(max(1, a.calls // 10))
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
    if "adapters" in result:
        ad = result["adapters"]
        print(f"library adapters (median of {ad['rounds']} interleaved pairs, CPU time, 95 % interval):")
        for name, overhead in ad["overhead_us"].items():
            ci = ad["overhead_ci95_us"][name]
            span = f"  [{ci[0]:+.2f}, {ci[1]:+.2f}]" if ci else ""
            print(f"  {name:<24} bare {ad['bare_us'][name]:7.2f} us  instrumented adds {overhead:+6.2f} us{span}")
        print("  load average " + " ".join(f"{x:.2f}" for x in ad["load_average"]))
    lo, hi = bl["spread_points"]
    print(f"  median difference {bl['median_difference_points']:+.2f} points of one core (spread {lo:+.2f}..{hi:+.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
