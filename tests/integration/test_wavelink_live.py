"""wavelink 3.x itself, instrumented by lavametrics.bot.wavelink, driving a real node.

No Discord connection: a ``discord.Client`` that never logs in joins a voice channel the way a
bot does (``channel.connect(cls=wavelink.Player)``). discord.py sends the voice-state op through
the client's gateway websocket; a stand-in for that websocket answers as Discord would, with
VOICE_STATE_UPDATE and VOICE_SERVER_UPDATE handed to discord.py's own parsers, which call
wavelink's Player handlers; the server update points at the voice simulator, so the node's
voice client really streams frames to it.

The discord.py internals this relies on are listed in tests/integration/discordfake.py.
wavelink is used only through its public API (Pool.connect, Pool.fetch_tracks, Player.play).
"""

from __future__ import annotations

import asyncio
import time

import discord  # dev dependencies: missing them is a broken install, not a reason to skip
import pytest
import wavelink
from prometheus_client import CollectorRegistry

from lavametrics.bot.metrics import BotMetrics
from lavametrics.bot.wavelink import instrument
from lavametrics.devtools.voicesim import VoiceSimulator
from lavametrics.devtools.wavgen import write_tone
from tests.integration import discordfake
from tests.samples import scrape, total

pytestmark = pytest.mark.integration

BOT_USER = 4243
GUILD = 7003
CHANNEL = 900_003


@pytest.fixture(scope="module")
def sim():
    with VoiceSimulator() as simulator:
        yield simulator


@pytest.fixture(scope="module")
def node(node_factory, sim):
    return node_factory(plugin=True, jvm_args=sim.jvm_args())


async def until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


def count(registry, name, **labels) -> float:
    return registry.get_sample_value(name, labels) or 0.0


def bot_total(registry, name, **match) -> float:
    return sum(
        s.value
        for fam in registry.collect()
        for s in fam.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in match.items())
    )


def test_wavelink_plays_through_discord_voice_and_bot_counts_equal_the_nodes(node, sim, tmp_path):
    registry = CollectorRegistry()
    metrics = BotMetrics(registry, nodes=["local"])
    short = write_tone(tmp_path / "short.wav", seconds=2)
    long = write_tone(tmp_path / "long.wav", seconds=30)
    before = scrape(node.metrics_url)
    gateway_ops: list = []

    async def bot() -> None:
        client = discord.Client(intents=discord.Intents.none())
        async with client:  # the loop and HTTP session, no login
            discordfake.log_in(client, BOT_USER)
            guild = discordfake.join_guild(client, GUILD, CHANNEL)
            gateway = discordfake.connect_gateway(client, sim)
            instrument(client, metrics)
            ready = asyncio.Event()

            @client.event
            async def on_wavelink_node_ready(payload):  # the bot's own handler, beside the metrics
                ready.set()

            wl_node = wavelink.Node(uri=node.url, password=node.password, identifier="local", client=client)
            await wavelink.Pool.connect(nodes=[wl_node], client=client)
            try:
                await asyncio.wait_for(ready.wait(), 15)
                player = await guild.get_channel(CHANNEL).connect(cls=wavelink.Player, timeout=15)
                assert player.connected
                await asyncio.get_running_loop().run_in_executor(None, sim.wait_connected, GUILD, 15)

                (track,) = await wavelink.Pool.fetch_tracks(str(short))
                await player.play(track)
                await until(
                    lambda: count(registry, "bot_lavalink_track_events_total", event="end", reason="finished") == 1,
                    20,
                    "the short track to finish",
                )
                await player.queue.put_wait(track)  # a queued track shows in the queue gauge
                assert registry.get_sample_value("bot_queue_tracks") == 1
                player.queue.clear()

                (track,) = await wavelink.Pool.fetch_tracks(str(long))
                await player.play(track)
                await asyncio.get_running_loop().run_in_executor(None, sim.wait_packets, GUILD, 300, 15)
                assert sim.close(GUILD, 4017, "E2EE/DAVE protocol required")
                await until(
                    lambda: count(registry, "bot_voice_closes_total", code="4017") == 1,
                    15,
                    "the 4017 close to reach the bot",
                )
                await player.stop()
                await until(
                    lambda: bot_total(registry, "bot_lavalink_track_events_total", event="end") == 2,
                    15,
                    "the long track's end",
                )
                gateway_ops.extend(gateway.ops)
            finally:
                for wl in list(wavelink.Pool.nodes.values()):  # out of the class-wide Pool for the next test
                    await wl.close(eject=True)

    asyncio.run(bot())
    after = scrape(node.metrics_url)

    # what happened, as the bot counted it
    assert count(registry, "bot_lavalink_node_events_total", node="local", event="connected") == 1
    assert count(registry, "bot_lavalink_node_events_total", node="local", event="ready") == 1
    assert count(registry, "bot_lavalink_track_events_total", event="start", reason="none") == 2
    assert count(registry, "bot_lavalink_track_events_total", event="end", reason="finished") == 1
    assert count(registry, "bot_lavalink_track_events_total", event="end", reason="stopped") == 1
    assert count(registry, "bot_voice_closes_total", code="4017") == 1
    assert count(registry, "bot_instrumentation_errors_total", adapter="wavelink") == 0
    assert gateway_ops[0] == (GUILD, CHANNEL)  # discord.py sent the voice-state op to join
    assert sim.stats()[str(GUILD)]["total_packets"] >= 300  # frames really flowed

    # ... and as the node's plugin counted the same events
    def node_delta(name, **match) -> float:
        return total(after, name, **match) - total(before, name, **match)

    assert node_delta("lavametrics_track_starts_total") == 2
    assert node_delta("lavametrics_track_ends_total", reason="finished") == 1
    assert node_delta("lavametrics_track_ends_total", reason="stopped") == 1
    assert node_delta("lavametrics_voice_closes_total", code="4017") == 1
