"""A real Lavalink.py client, instrumented by lavametrics.bot.lavalink_py, driving a real node:
a track played to the voice simulator, a voice close and a restart of the node.

Discord's part is played twice over: the voice events a bot would forward from its gateway are
fed to Lavalink.py's `voice_update_handler`, pointing at the voice simulator, which then
receives the node's audio. So the bot-side counters come from events Lavalink.py itself parsed.
"""

from __future__ import annotations

import asyncio

import lavalink  # a dev dependency: missing it is a broken install, not a reason to skip
import pytest
from prometheus_client import CollectorRegistry

from lavametrics.bot.lavalink_py import instrument
from lavametrics.bot.metrics import BotMetrics
from lavametrics.devtools.voicelink import voice_state
from lavametrics.devtools.wavgen import write_tone
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

GUILD = 7001


def test_lavalinkpy_events_reach_bot_metrics_and_equal_the_nodes(voice_node, sim, tmp_path):
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
        client = lavalink.Client(BOT_USER)
        instrument(client, metrics)
        ready = asyncio.Event()

        async def on_ready(_event) -> None:
            ready.set()

        # Players need the session id the node's `ready` op brings, and that comes after the
        # socket opens (~0.1 s on real Lavalink): `available` alone is too early.
        client.add_event_hook(on_ready, event=lavalink.NodeReadyEvent)
        try:
            client.add_node("127.0.0.1", voice_node.port, voice_node.password, "local", name="local")
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

            result = await client.get_tracks(str(short))
            player.add(result.tracks[0])
            await player.play()
            await until(
                lambda: count(registry, "bot_lavalink_track_events_total", event="end", reason="finished") == 1,
                20,
                "the short track to finish",
            )

            result = await client.get_tracks(str(long))
            await player.play(result.tracks[0])
            await off_loop(sim.wait_packets, GUILD, 300, 15)
            assert sim.close(GUILD, 4014, "disconnected")
            await until(
                lambda: count(registry, "bot_voice_closes_total", code="4014") == 1,
                15,
                "the 4014 close to reach the bot",
            )
            await player.stop()
            await until(
                lambda: count(registry, "bot_lavalink_track_events_total", event="end", reason="stopped") == 1,
                15,
                "the long track's end",
            )

            await off_loop(nodes.restart)
            await until(lambda: events("disconnected") == 1, 30, "Lavalink.py to see the node go", loop_errors)
            await until(lambda: events("ready") == 2, 90, "Lavalink.py to reconnect to the restarted node", loop_errors)
        finally:
            await client.close()

    asyncio.run(bot())
    # what happened, as the bot counted it ...
    # (the restart's disconnect was exactly 1 above; Lavalink.py's own close may add one)
    assert events("connected") == 2 and events("ready") == 2 and events("disconnected") >= 1
    assert count(registry, "bot_lavalink_track_events_total", event="start", reason="none") == 2
    assert count(registry, "bot_lavalink_track_events_total", event="end", reason="finished") == 1
    assert count(registry, "bot_instrumentation_errors_total", adapter="lavalink_py") == 0
    assert sim.stats()[str(GUILD)]["total_packets"] >= 300  # frames really flowed
    # ... equal to what the node's plugin counted (both processes of it)
    assert_counts_equal(registry, nodes, closes={"4014": 1}, sessions=2)
