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
import functools

import discord  # dev dependencies: missing them is a broken install, not a reason to skip
import mafic
import pytest
from prometheus_client import CollectorRegistry

from lavametrics.bot.mafic import instrument
from lavametrics.bot.metrics import BotMetrics
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
    served_tones,
    stop_node,
)

pytestmark = pytest.mark.integration

GUILD = 7005
CHANNEL = 900_005


def test_mafic_counts_equal_the_nodes_through_voice_and_a_clean_stop(voice_node, sim, tmp_path):
    registry = CollectorRegistry()
    metrics = BotMetrics(registry, nodes=[NODE])
    nodes = NodeCounts(voice_node)
    loop_errors: list[str] = []
    outcome: dict[str, str] = {}

    async def bot(sources: tuple[str, str]) -> None:
        quiet_loop_errors(loop_errors)
        client = discord.Client(intents=discord.Intents.none())
        async with client:  # the loop and HTTP session, no login
            guild, gateway = join_discord(client, sim, GUILD, CHANNEL)
            instrument(client, metrics)
            pool = mafic.NodePool(client)
            try:
                node = await pool.create_node(
                    host="127.0.0.1", port=voice_node.port, label=NODE, password=voice_node.password, timeout=30
                )
                player = await connect_voice(guild, CHANNEL, gateway, sim, mafic.Player, 30)

                async def play(url) -> None:
                    (track,) = await player.fetch_tracks(url)
                    await player.play(track)

                # mafic's stop needs a connected player: the voice close comes after it
                await play_close_and_stop(registry, sim, GUILD, sources, play, player.stop, close_after_stop=True)
                # on the stop's close frame mafic's reader dies, unnoticed
                outcome["stop"] = await stop_node(nodes, registry, "mafic", node._ws_task, loop_errors)
                if outcome["stop"] == "close frame":
                    assert node.available  # what mafic still believes
            finally:
                await pool.close()

    with served_tones(tmp_path) as sources:
        asyncio.run(bot(sources))

    # what happened, as the bot counted it ...
    noticed_stop = outcome["stop"] == "dropped"
    events = functools.partial(node_events, registry)
    assert events("connected") == 1 and events("ready") == 1 and events("disconnected") == noticed_stop
    assert_played(registry, sim, GUILD, "mafic")
    # ... equal to what the node's plugin counted
    assert_counts_equal(registry, nodes, closes={"4017": 1}, sessions=1)
