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
from tests.integration.botlive import (
    NODE,
    NodeCounts,
    assert_counts_equal,
    assert_played,
    connect_voice,
    join_discord,
    play_close_and_stop,
    quiet_loop_errors,
    served_tones,
    until,
)

pytestmark = pytest.mark.integration

GUILD = 7006
CHANNEL = 900_006


def test_pomice_plays_through_discord_voice_and_bot_counts_equal_the_nodes(voice_node, sim, tmp_path):
    registry = CollectorRegistry()
    metrics = BotMetrics(registry, nodes=[NODE])
    nodes = NodeCounts(voice_node)
    loop_errors: list[str] = []

    async def bot(sources: tuple[str, str]) -> None:
        quiet_loop_errors(loop_errors)
        # pomice's Node registers a listener: it needs a commands.Bot, not a bare discord.Client
        client = commands.Bot(command_prefix="!", intents=discord.Intents.none())
        async with client:  # the loop and HTTP session, no login
            guild, gateway = join_discord(client, sim, GUILD, CHANNEL)
            instrument(client, metrics)
            node = await pomice.NodePool.create_node(
                bot=client, host="127.0.0.1", port=voice_node.port, password=voice_node.password, identifier=NODE
            )
            try:
                await until(lambda: node._session_id is not None, 15, "the node's ready op (its session id)")
                player = await connect_voice(guild, CHANNEL, gateway, sim, pomice.Player, 30)

                async def play(url) -> None:
                    (track,) = await player.get_tracks(url)
                    await player.play(track)

                await play_close_and_stop(registry, sim, GUILD, sources, play, player.stop)
                await player.destroy()
            finally:
                await node.disconnect()

    with served_tones(tmp_path) as sources:
        asyncio.run(bot(sources))

    # what happened, as the bot counted it ...
    assert_played(registry, sim, GUILD, "pomice")
    # ... equal to what the node's plugin counted
    assert_counts_equal(registry, nodes, closes={"4017": 1})
    assert not loop_errors, loop_errors
