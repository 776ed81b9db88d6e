"""wavelink 3.x itself, instrumented by lavametrics.bot.wavelink, driving a real node: a track
played through Discord voice, a voice close and a restart of the node.

No Discord connection: a ``discord.Client`` that never logs in joins a voice channel the way a
bot does (``channel.connect(cls=wavelink.Player)``). discord.py sends the voice-state op through
the client's gateway websocket; a stand-in for that websocket answers as Discord would, with
VOICE_STATE_UPDATE and VOICE_SERVER_UPDATE handed to discord.py's own parsers, which call
wavelink's Player handlers; the server update points at the voice simulator, so the node's
voice client really streams frames to it.

The discord.py internals this relies on are listed in tests/integration/discordfake.py.
wavelink is used only through its public API (Pool.connect, Pool.fetch_tracks, Player.play,
Player.stop, Node.close); its own reconnect brings it back after the node restarts.
"""

from __future__ import annotations

import asyncio

import discord  # dev dependencies: missing them is a broken install, not a reason to skip
import pytest
import wavelink
from prometheus_client import CollectorRegistry

from lavametrics.bot.metrics import BotMetrics
from lavametrics.bot.wavelink import instrument
from lavametrics.devtools.wavgen import write_tone
from tests.integration import discordfake
from tests.integration.botlive import (
    BOT_USER,
    NodeCounts,
    assert_counts_equal,
    bot_total,
    count,
    off_loop,
    quiet_loop_errors,
    until,
)

pytestmark = pytest.mark.integration

GUILD = 7003
CHANNEL = 900_003


def test_wavelink_plays_through_discord_voice_survives_a_restart_and_counts_equal_the_nodes(voice_node, sim, tmp_path):
    registry = CollectorRegistry()
    metrics = BotMetrics(registry, nodes=["local"])
    short = write_tone(tmp_path / "short.wav", seconds=2)
    long = write_tone(tmp_path / "long.wav", seconds=30)
    nodes = NodeCounts(voice_node)
    loop_errors: list[str] = []

    def events(event: str) -> float:
        return count(registry, "bot_lavalink_node_events_total", node="local", event=event)

    async def bot() -> None:
        quiet_loop_errors(loop_errors)
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

            wl_node = wavelink.Node(uri=voice_node.url, password=voice_node.password, identifier="local", client=client)
            await wavelink.Pool.connect(nodes=[wl_node], client=client)
            try:
                await asyncio.wait_for(ready.wait(), 15)
                player = await guild.get_channel(CHANNEL).connect(cls=wavelink.Player, timeout=15)
                assert player.connected
                assert gateway.ops[0] == (GUILD, CHANNEL)  # discord.py sent the voice-state op to join
                await off_loop(sim.wait_connected, GUILD, 15)

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
                await off_loop(sim.wait_packets, GUILD, 300, 15)
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

                await off_loop(nodes.restart)
                await until(lambda: events("disconnected") == 1, 30, "wavelink to see the node go")
                await until(lambda: events("ready") == 2, 90, "wavelink to reconnect to the restarted node")
            finally:
                for wl in list(wavelink.Pool.nodes.values()):  # out of the class-wide Pool for the next test
                    await wl.close(eject=True)

    asyncio.run(bot())

    # what happened, as the bot counted it (the last disconnect is the bot's own Node.close) ...
    assert events("connected") == 2 and events("ready") == 2 and events("disconnected") == 2
    assert count(registry, "bot_lavalink_track_events_total", event="start", reason="none") == 2
    assert count(registry, "bot_lavalink_track_events_total", event="end", reason="finished") == 1
    assert count(registry, "bot_lavalink_track_events_total", event="end", reason="stopped") == 1
    assert count(registry, "bot_instrumentation_errors_total", adapter="wavelink") == 0
    assert sim.stats()[str(GUILD)]["total_packets"] >= 300  # frames really flowed
    # ... equal to what the node's plugin counted (both processes of it)
    assert_counts_equal(registry, nodes, closes={"4017": 1}, sessions=2)
