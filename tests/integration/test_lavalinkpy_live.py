"""A real Lavalink.py client, instrumented by lavametrics.bot.lavalink_py, driving a real node.

Discord's part is played twice over: the voice events a bot would forward from its gateway are
fed to Lavalink.py's `voice_update_handler`, pointing at the voice simulator, which then
receives the node's audio. So the bot-side counters come from events Lavalink.py itself parsed.
"""

from __future__ import annotations

import asyncio
import time

import lavalink  # a dev dependency: missing it is a broken install, not a reason to skip
import pytest
from prometheus_client import CollectorRegistry

from lavametrics.bot.lavalink_py import instrument
from lavametrics.bot.metrics import BotMetrics
from lavametrics.devtools.voicelink import voice_state
from lavametrics.devtools.voicesim import VoiceSimulator
from lavametrics.devtools.wavgen import write_tone

pytestmark = pytest.mark.integration

BOT_USER = 4242
GUILD = 7001


@pytest.fixture(scope="module")
def sim():
    with VoiceSimulator() as simulator:
        yield simulator


@pytest.fixture(scope="module")
def node(node_factory, sim):
    return node_factory(plugin=True, jvm_args=sim.jvm_args())


async def _until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


def count(registry, name, **labels) -> float:
    return registry.get_sample_value(name, labels) or 0.0


def test_lavalinkpy_events_reach_bot_metrics(node, sim, tmp_path):
    registry = CollectorRegistry()
    metrics = BotMetrics(registry, nodes=["local"])
    short = write_tone(tmp_path / "short.wav", seconds=2)
    long = write_tone(tmp_path / "long.wav", seconds=30)

    async def bot() -> None:
        client = lavalink.Client(BOT_USER)
        instrument(client, metrics)
        ready = asyncio.Event()

        async def on_ready(_event) -> None:
            ready.set()

        # Players need the session id the node's `ready` op brings, and that comes after the
        # socket opens (~0.1 s on real Lavalink): `available` alone is too early.
        client.add_event_hook(on_ready, event=lavalink.NodeReadyEvent)
        try:
            client.add_node("127.0.0.1", node.port, node.password, "local", name="local")
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
            await _until(
                lambda: count(registry, "bot_lavalink_track_events_total", event="end", reason="finished") == 1,
                20,
                "the short track to finish",
            )

            result = await client.get_tracks(str(long))
            await player.play(result.tracks[0])
            await asyncio.get_running_loop().run_in_executor(None, sim.wait_packets, GUILD, 300, 15)
            assert sim.close(GUILD, 4014, "disconnected")
            await _until(
                lambda: count(registry, "bot_voice_closes_total", code="4014") == 1,
                15,
                "the 4014 close to reach the bot",
            )
        finally:
            await client.close()

    asyncio.run(bot())
    assert count(registry, "bot_lavalink_node_events_total", node="local", event="connected") == 1
    assert count(registry, "bot_lavalink_node_events_total", node="local", event="ready") == 1
    assert count(registry, "bot_lavalink_track_events_total", event="start", reason="none") == 2
    assert count(registry, "bot_lavalink_track_events_total", event="end", reason="finished") == 1
    assert count(registry, "bot_voice_closes_total", code="4014") == 1
    assert sim.stats()[str(GUILD)]["total_packets"] >= 100  # the short track really streamed
