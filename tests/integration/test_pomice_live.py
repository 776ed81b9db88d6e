"""pomice 2.x itself, instrumented by lavametrics.bot.pomice, driving a real node: a track played
through Discord voice and a voice close.

No Discord connection: a ``commands.Bot`` (pomice requires one, not a bare ``discord.Client``)
that never logs in joins a voice channel the way a bot does (``channel.connect(cls=pomice.Player)``);
tests/integration/discordfake.py answers discord.py's voice-state op with the voice events
Discord sends, pointing at the voice simulator, and lists the discord.py internals that relies on.

pomice is used through its public API (NodePool.create_node, Player.get_tracks, play, stop,
destroy) and one internal, read from pomice 2.11.1's source: ``Node._session_id``. pomice's
``create_node`` returns once the websocket is open, before the node's ``ready`` op has brought
the session id, and a ``Player`` made before that addresses ``sessions/None/players``; pomice
dispatches no node event to wait on (a bot in production joins voice long after start-up), so
the test waits for that attribute. ``Node`` needs ``bot.user`` when it is made, which
discordpayloads.log_in sets as READY would.

No node restart here: pomice dispatches no node events (lavametrics.bot.pomice says so), so a
restart has nothing bot-side to count; a bot reports its own with ``metrics.node_event``.
pomice prefixes anything that is not a URL with a search type, so the tracks are served over
HTTP (the node's ``http`` source), as a bot's would be.
"""

from __future__ import annotations

import asyncio

import discord  # dev dependencies: missing them is a broken install, not a reason to skip
import pomice
import pytest
from discord.ext import commands
from prometheus_client import CollectorRegistry

from lavametrics.bot.metrics import BotMetrics
from lavametrics.bot.pomice import instrument
from lavametrics.devtools import discordpayloads
from lavametrics.devtools.audioserve import AudioServer
from lavametrics.devtools.wavgen import write_tone
from tests.integration import discordfake
from tests.integration.botlive import (
    BOT_USER,
    NodeCounts,
    assert_counts_equal,
    count,
    off_loop,
    quiet_loop_errors,
    until,
)

pytestmark = pytest.mark.integration

GUILD = 7006
CHANNEL = 900_006


def test_pomice_plays_through_discord_voice_and_bot_counts_equal_the_nodes(voice_node, sim, tmp_path):
    registry = CollectorRegistry()
    metrics = BotMetrics(registry, nodes=["local"])
    short = AudioServer(write_tone(tmp_path / "short.wav", seconds=2)).start()
    long = AudioServer(write_tone(tmp_path / "long.wav", seconds=30)).start()
    nodes = NodeCounts(voice_node)
    loop_errors: list[str] = []

    async def bot() -> None:
        quiet_loop_errors(loop_errors)
        # pomice's Node registers a listener: it needs a commands.Bot, not a bare discord.Client
        client = commands.Bot(command_prefix="!", intents=discord.Intents.none())
        async with client:  # the loop and HTTP session, no login
            discordpayloads.log_in(client, BOT_USER)
            guild = discordfake.join_guild(client, GUILD, CHANNEL)
            gateway = discordfake.connect_gateway(client, sim)
            instrument(client, metrics)
            node = await pomice.NodePool.create_node(
                bot=client, host="127.0.0.1", port=voice_node.port, password=voice_node.password, identifier="local"
            )
            try:
                await until(lambda: node._session_id is not None, 15, "the node's ready op (its session id)")
                player = await guild.get_channel(CHANNEL).connect(cls=pomice.Player, timeout=30)
                assert gateway.ops[0] == (GUILD, CHANNEL)  # discord.py sent the voice-state op to join
                await off_loop(sim.wait_connected, GUILD, 15)

                (track,) = await player.get_tracks(short.url)
                await player.play(track)
                await until(
                    lambda: count(registry, "bot_lavalink_track_events_total", event="end", reason="finished") == 1,
                    20,
                    "the short track to finish",
                )
                (track,) = await player.get_tracks(long.url)
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
                    lambda: count(registry, "bot_lavalink_track_events_total", event="end", reason="stopped") == 1,
                    15,
                    "the long track's end",
                )
                await player.destroy()
            finally:
                await node.disconnect()

    try:
        asyncio.run(bot())
    finally:
        short.stop()
        long.stop()

    # what happened, as the bot counted it ...
    assert count(registry, "bot_lavalink_track_events_total", event="start", reason="none") == 2
    assert count(registry, "bot_instrumentation_errors_total", adapter="pomice") == 0
    assert sim.stats()[str(GUILD)]["total_packets"] >= 300  # frames really flowed
    # ... equal to what the node's plugin counted
    assert_counts_equal(registry, nodes, closes={"4017": 1})
    assert not loop_errors, loop_errors
