"""wavelink 3.x itself, instrumented by lavametrics.bot.wavelink, driving a real node: a track
played through Discord voice, a voice close and a restart of the node.

No Discord connection: a ``discord.Client`` that never logs in joins a voice channel the way a
bot does (``channel.connect(cls=wavelink.Player)``). discord.py sends the voice-state op through
the client's gateway websocket; a stand-in for that websocket answers as Discord would, with
VOICE_STATE_UPDATE and VOICE_SERVER_UPDATE handed to discord.py's own parsers, which call
wavelink's Player handlers; the server update points at the voice simulator, so the node's
voice client really streams frames to it.

The discord.py internals this relies on are listed in tests/integration/discordfake.py.
wavelink is used through its public API (Pool.connect, Pool.fetch_tracks, Player.play,
Player.stop, Node.close). Its own reconnect brings it back after the node crashes (killed: the
socket drops). When the node stops as Lavalink stops, with a close frame (1001, going away;
tests/conformance/test_sessions.py; Lavalink's shutdown hook races Spring's, so a real node
sometimes drops the socket instead, and the test accepts either), wavelink 3.5.2 does not: its socket reader
(``Websocket.keep_alive``) handles CLOSED and CLOSING but not CLOSE, calls ``message.json()`` on
the close code and ends with a TypeError; no ``node_disconnected`` is dispatched, no reconnect
follows, and the node still reads CONNECTED. The test holds that down through two wavelink
internals (``Node._websocket`` and its ``keep_alive_task``): a bot-side metric cannot count a
close the library never reports (docs/compat.md).
"""

from __future__ import annotations

import asyncio
import functools

import discord  # dev dependencies: missing them is a broken install, not a reason to skip
import pytest
import wavelink
from prometheus_client import CollectorRegistry

from lavametrics.bot.metrics import BotMetrics
from lavametrics.bot.wavelink import instrument
from tests.integration.botlive import (
    NODE,
    NodeCounts,
    assert_counts_equal,
    assert_played,
    connect_voice,
    join_discord,
    node_events,
    play_close_and_stop,
    quiet_loop_errors,
    restart_node,
    stop_node,
    tones,
)

pytestmark = pytest.mark.integration

GUILD = 7003
CHANNEL = 900_003


def test_wavelink_counts_equal_the_nodes_through_voice_a_crash_and_a_clean_stop(voice_node, sim, tmp_path):
    registry = CollectorRegistry()
    metrics = BotMetrics(registry, nodes=[NODE])
    short, long = tones(tmp_path)
    nodes = NodeCounts(voice_node)
    loop_errors: list[str] = []
    outcome: dict[str, str] = {}

    async def bot() -> None:
        quiet_loop_errors(loop_errors)
        client = discord.Client(intents=discord.Intents.none())
        async with client:  # the loop and HTTP session, no login
            guild, gateway = join_discord(client, sim, GUILD, CHANNEL)
            instrument(client, metrics)
            ready = asyncio.Event()

            @client.event
            async def on_wavelink_node_ready(payload):  # the bot's own handler, beside the metrics
                ready.set()

            wl_node = wavelink.Node(uri=voice_node.url, password=voice_node.password, identifier=NODE, client=client)
            await wavelink.Pool.connect(nodes=[wl_node], client=client)
            try:
                await asyncio.wait_for(ready.wait(), 15)
                player = await connect_voice(guild, CHANNEL, gateway, sim, wavelink.Player, 15)
                assert player.connected

                async def play(source) -> None:
                    (track,) = await wavelink.Pool.fetch_tracks(str(source))
                    if source == long:  # the short one has finished: a queued track shows in the queue gauge
                        await player.queue.put_wait(track)
                        assert registry.get_sample_value("bot_queue_tracks") == 1
                        player.queue.clear()
                    await player.play(track)

                await play_close_and_stop(registry, sim, GUILD, (short, long), play, player.stop)
                await restart_node(nodes, registry, "wavelink", loop_errors, crash=True)
                # on the stop's close frame wavelink's reader dies, unnoticed
                reader = wl_node._websocket.keep_alive_task
                outcome["stop"] = await stop_node(nodes, registry, "wavelink", reader, loop_errors)
                if outcome["stop"] == "close frame":
                    assert isinstance(reader.exception(), TypeError)
                    assert wl_node.status is wavelink.NodeStatus.CONNECTED  # what wavelink still believes
            finally:
                for wl in list(wavelink.Pool.nodes.values()):  # out of the class-wide Pool for the next test
                    await wl.close(eject=True)

    asyncio.run(bot())

    # what happened, as the bot counted it (the last disconnect is the bot's own Node.close) ...
    noticed_stop = outcome["stop"] == "dropped"
    events = functools.partial(node_events, registry)
    assert events("connected") == 2 and events("ready") == 2 and events("disconnected") == 2 + noticed_stop
    assert_played(registry, sim, GUILD, "wavelink")
    # ... equal to what the node's plugin counted (both processes of it)
    assert_counts_equal(registry, nodes, closes={"4017": 1}, sessions=2)
