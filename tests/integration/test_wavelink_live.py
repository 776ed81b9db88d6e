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
from lavametrics.devtools import discordpayloads
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


def test_wavelink_counts_equal_the_nodes_through_voice_a_crash_and_a_clean_stop(voice_node, sim, tmp_path):
    registry = CollectorRegistry()
    metrics = BotMetrics(registry, nodes=["local"])
    short = write_tone(tmp_path / "short.wav", seconds=2)
    long = write_tone(tmp_path / "long.wav", seconds=30)
    nodes = NodeCounts(voice_node)
    loop_errors: list[str] = []
    outcome: dict[str, str] = {}

    def events(event: str) -> float:
        return count(registry, "bot_lavalink_node_events_total", node="local", event=event)

    async def bot() -> None:
        quiet_loop_errors(loop_errors)
        client = discord.Client(intents=discord.Intents.none())
        async with client:  # the loop and HTTP session, no login
            discordpayloads.log_in(client, BOT_USER)
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

                # a crash: the node's sockets drop without a close frame
                await off_loop(functools.partial(nodes.restart, crash=True))
                await until(lambda: events("disconnected") == 1, 30, "wavelink to see the node go", loop_errors)
                await until(
                    lambda: events("ready") == 2, 90, "wavelink to reconnect to the restarted node", loop_errors
                )

                # a stop as Lavalink stops: a close frame (1001) or, when Spring's shutdown wins
                # the race with Lavalink's own shutdown hook, a drop. On the close frame wavelink's
                # reader calls message.json() on the close code and dies, unnoticed.
                reader = wl_node._websocket.keep_alive_task
                await off_loop(nodes.stop)

                def died() -> bool:
                    return reader.done() and not reader.cancelled() and reader.exception() is not None

                await until(lambda: died() or events("disconnected") == 2, 30, "wavelink's reader to end", loop_errors)
                if died():
                    outcome["stop"] = "close frame"
                    assert isinstance(reader.exception(), TypeError)
                    assert wl_node.status is wavelink.NodeStatus.CONNECTED  # what wavelink still believes
                    assert events("disconnected") == 1  # nothing dispatched: nothing for the bot to count
                else:
                    outcome["stop"] = "dropped"  # noticed: counted like the crash
            finally:
                for wl in list(wavelink.Pool.nodes.values()):  # out of the class-wide Pool for the next test
                    await wl.close(eject=True)

    asyncio.run(bot())

    # what happened, as the bot counted it (the last disconnect is the bot's own Node.close) ...
    noticed_stop = outcome["stop"] == "dropped"
    assert events("connected") == 2 and events("ready") == 2 and events("disconnected") == 2 + noticed_stop
    assert count(registry, "bot_lavalink_track_events_total", event="start", reason="none") == 2
    assert count(registry, "bot_lavalink_track_events_total", event="end", reason="finished") == 1
    assert count(registry, "bot_lavalink_track_events_total", event="end", reason="stopped") == 1
    assert count(registry, "bot_instrumentation_errors_total", adapter="wavelink") == 0
    assert sim.stats()[str(GUILD)]["total_packets"] >= 300  # frames really flowed
    # ... equal to what the node's plugin counted (both processes of it)
    assert_counts_equal(registry, nodes, closes={"4017": 1}, sessions=2)
