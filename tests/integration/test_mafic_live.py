"""mafic 2.x itself, instrumented by lavametrics.bot.mafic, driving a real node: a track played
through Discord voice, a voice close, and a stop of the node.

No restart: in one of two runs on the stand-in, after the node was killed and started again,
mafic 2.11 reopened its websocket 4 s later but dispatched no ``node_ready`` in 300 s (its
``Node.connect`` goes on after a failed attempt and starts listeners on no socket, which end in
"Websocket is not connected but attempted to listen"); in the other it was back at once. A count
that depends on that race is not a test (docs/compat.md).

When the node stops as Lavalink stops, with a close frame (1001, going away;
tests/conformance/test_sessions.py; Lavalink's shutdown hook races Spring's, so a real node
sometimes drops the socket instead, and the test accepts either), mafic 2.11 does not notice: its socket reader
(``Node._ws_listener``) handles CLOSED but not CLOSE, calls ``msg.json()`` on the close code and
ends with an exception; no ``node_unavailable`` is dispatched, no reconnect follows, and the
node still reads available. The test holds that down through one mafic internal
(``Node._ws_task``): a bot-side metric cannot count a close the library never reports.

No Discord connection: a ``discord.Client`` that never logs in joins a voice channel the way a
bot does (``channel.connect(cls=mafic.Player)``); tests/integration/discordfake.py answers
discord.py's voice-state op with the voice events Discord sends, pointing at the voice
simulator, and lists the discord.py internals that relies on.

Otherwise mafic is used through its public API (NodePool.create_node, Player.fetch_tracks,
play, stop). What its ``Player.connect`` waits for, read from mafic 2.11's source: the
VOICE_STATE_UPDATE and VOICE_SERVER_UPDATE handlers (discord.py calls them from the events
above) and a ``playerUpdate`` op from the node (``Player.update_state``), which Lavalink sends
when the node's voice gateway is READY (SocketContext.kt's ``gatewayReady``; the stand-in does
the same, and tests/conformance/test_voice.py holds both to it). ``Node.connect`` waits for
``client.wait_until_ready()``, which discordpayloads.log_in satisfies as READY would.
mafic prefixes anything that is not an http(s) URL with a search type, so the tracks are
served over HTTP (the node's ``http`` source), as a bot's would be.

mafic's reconnect, while the node is down, leaves tasks whose exceptions nobody retrieves (the
listeners above). asyncio reports those when the task is garbage collected, formatting a traceback
inside whatever runs then; on CPython 3.11 that can be an ``ast.parse`` (traceback carets),
which then fails with "AST constructor recursion depth mismatch" (CPython gh-106905). The test
therefore takes asyncio's reports itself (``quiet_loop_errors``): the messages, no traceback.
"""

from __future__ import annotations

import asyncio

import discord  # dev dependencies: missing them is a broken install, not a reason to skip
import mafic
import pytest
from prometheus_client import CollectorRegistry

from lavametrics.bot.mafic import instrument
from lavametrics.bot.metrics import BotMetrics
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

GUILD = 7005
CHANNEL = 900_005


def test_mafic_counts_equal_the_nodes_through_voice_and_a_clean_stop(voice_node, sim, tmp_path):
    registry = CollectorRegistry()
    metrics = BotMetrics(registry, nodes=["local"])
    short = AudioServer(write_tone(tmp_path / "short.wav", seconds=2)).start()
    long = AudioServer(write_tone(tmp_path / "long.wav", seconds=30)).start()
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
            pool = mafic.NodePool(client)
            try:
                node = await pool.create_node(
                    host="127.0.0.1", port=voice_node.port, label="local", password=voice_node.password, timeout=30
                )
                player = await guild.get_channel(CHANNEL).connect(cls=mafic.Player, timeout=30)
                assert gateway.ops[0] == (GUILD, CHANNEL)  # discord.py sent the voice-state op to join
                await off_loop(sim.wait_connected, GUILD, 15)

                (track,) = await player.fetch_tracks(short.url)
                await player.play(track)
                await until(
                    lambda: count(registry, "bot_lavalink_track_events_total", event="end", reason="finished") == 1,
                    20,
                    "the short track to finish",
                )
                (track,) = await player.fetch_tracks(long.url)
                await player.play(track)
                await off_loop(sim.wait_packets, GUILD, 300, 15)
                await player.stop()
                await until(
                    lambda: count(registry, "bot_lavalink_track_events_total", event="end", reason="stopped") == 1,
                    15,
                    "the long track's end",
                )
                # mafic's stop needs a connected player, so the voice close comes after it
                assert sim.close(GUILD, 4017, "E2EE/DAVE protocol required")
                await until(
                    lambda: count(registry, "bot_voice_closes_total", code="4017") == 1,
                    15,
                    "the 4017 close to reach the bot",
                )

                # a stop as Lavalink stops: a close frame (1001) or, when Spring's shutdown wins
                # the race with Lavalink's own shutdown hook, a drop. On the close frame mafic's
                # reader calls msg.json() on the close code and dies, unnoticed.
                reader = node._ws_task
                await off_loop(nodes.stop)

                def died() -> bool:
                    return reader.done() and not reader.cancelled() and reader.exception() is not None

                await until(lambda: died() or events("disconnected") == 1, 30, "mafic's reader to end", loop_errors)
                if died():
                    outcome["stop"] = "close frame"
                    assert node.available  # what mafic still believes
                    assert events("disconnected") == 0  # nothing dispatched: nothing for the bot to count
                else:
                    outcome["stop"] = "dropped"  # noticed and counted
            finally:
                await pool.close()

    try:
        asyncio.run(bot())
    finally:
        short.stop()
        long.stop()

    # what happened, as the bot counted it ...
    noticed_stop = outcome["stop"] == "dropped"
    assert events("connected") == 1 and events("ready") == 1 and events("disconnected") == noticed_stop
    assert count(registry, "bot_lavalink_track_events_total", event="start", reason="none") == 2
    assert count(registry, "bot_instrumentation_errors_total", adapter="mafic") == 0
    assert sim.stats()[str(GUILD)]["total_packets"] >= 300  # frames really flowed
    # ... equal to what the node's plugin counted (both processes of it)
    assert_counts_equal(registry, nodes, closes={"4017": 1}, sessions=1)
