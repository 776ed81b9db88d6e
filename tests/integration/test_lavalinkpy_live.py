"""A real Lavalink.py client, instrumented by lavametrics.bot.lavalink_py, driving a real node:
a track played to the voice simulator, a voice close and a restart of the node.

Discord's part is played twice over: the voice events a bot would forward from its gateway are
fed to Lavalink.py's `voice_update_handler`, pointing at the voice simulator, which then
receives the node's audio. So the bot-side counters come from events Lavalink.py itself parsed.
"""

from __future__ import annotations

import asyncio
import functools

import lavalink  # a dev dependency: missing it is a broken install, not a reason to skip
import pytest
from prometheus_client import CollectorRegistry

from lavametrics.bot.lavalink_py import instrument
from lavametrics.bot.metrics import BotMetrics
from lavametrics.devtools.voicelink import voice_state
from tests.integration.botlive import (
    BOT_USER,
    NODE,
    NodeCounts,
    assert_counts_equal,
    assert_played,
    node_events,
    play_close_and_stop,
    quiet_loop_errors,
    restart_node,
    tones,
)

pytestmark = pytest.mark.integration

GUILD = 7001


def test_lavalinkpy_events_reach_bot_metrics_and_equal_the_nodes(voice_node, sim, tmp_path):
    registry = CollectorRegistry()
    metrics = BotMetrics(registry, nodes=[NODE])
    nodes = NodeCounts(voice_node)
    loop_errors: list[str] = []

    async def bot() -> None:
        quiet_loop_errors(loop_errors)
        client = lavalink.Client(BOT_USER)
        instrument(client, metrics)
        ready = asyncio.Event()

        async def on_ready(_event) -> None:
            ready.set()

        # Players need the session id the node's `ready` op brings, and that comes after the
        # socket opens (~0.1 s on real Lavalink): `available` alone is too early.
        client.add_event_hook(on_ready, event=lavalink.NodeReadyEvent)
        try:
            client.add_node("127.0.0.1", voice_node.port, voice_node.password, "local", name=NODE)
            try:
                await asyncio.wait_for(ready.wait(), 15)
            except TimeoutError:
                raise AssertionError("timed out after 15s waiting for the node's ready op") from None
            player = client.player_manager.create(GUILD)
            state = voice_state(sim, GUILD)
            # what a bot forwards from Discord's gateway once it joins a voice channel
            await client.voice_update_handler(
                {
                    "t": "VOICE_SERVER_UPDATE",
                    "d": {"guild_id": str(GUILD), "token": state["token"], "endpoint": state["endpoint"]},
                }
            )
            await client.voice_update_handler(
                {
                    "t": "VOICE_STATE_UPDATE",
                    "d": {
                        "guild_id": str(GUILD),
                        "user_id": str(BOT_USER),
                        "session_id": state["sessionId"],
                        "channel_id": "1",
                    },
                }
            )

            async def play(source) -> None:
                result = await client.get_tracks(str(source))
                await player.play(result.tracks[0])

            close = (4014, "disconnected")
            await play_close_and_stop(registry, sim, GUILD, tones(tmp_path), play, player.stop, close=close)
            await restart_node(nodes, registry, "Lavalink.py", loop_errors)
        finally:
            await client.close()

    asyncio.run(bot())
    # what happened, as the bot counted it ...
    # (the restart's disconnect was exactly 1 above; Lavalink.py's own close may add one)
    events = functools.partial(node_events, registry)
    assert events("connected") == 2 and events("ready") == 2 and events("disconnected") >= 1
    assert_played(registry, sim, GUILD, "lavalink_py")
    # ... equal to what the node's plugin counted (both processes of it)
    assert_counts_equal(registry, nodes, closes={"4014": 1}, sessions=2)
