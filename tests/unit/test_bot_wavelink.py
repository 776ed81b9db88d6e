"""lavametrics.bot.wavelink fed wavelink's own event payloads through the client's dispatch,
the way wavelink's websocket hands them over (``node.client.dispatch("wavelink_<event>", payload)``,
wavelink/websocket.py in 3.5.2). The live test against a node is
tests/integration/test_wavelink_live.py."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from types import SimpleNamespace

import discord
import pytest
import wavelink
from prometheus_client import CollectorRegistry

from lavametrics.bot import wavelink as botwavelink
from lavametrics.bot._dispatch import UnsupportedLibrary, version_text
from lavametrics.bot.metrics import BotMetrics
from tests.samples import registry_value
from tests.unit import botplayback
from tests.unit.botplayback import expected_samples, playback_samples

ROOT = Path(__file__).resolve().parents[2]


def client_with_handlers():
    client = discord.Client(intents=discord.Intents.none())
    seen: list[str] = []

    @client.event
    async def on_wavelink_track_end(payload):  # the bot's own handler: must still run
        seen.append(payload.reason)

    return client, seen


def test_events_become_bot_metrics_and_the_bots_handlers_still_run():
    reg = CollectorRegistry()
    metrics = BotMetrics(reg, nodes=["eu-1"])
    client, seen = client_with_handlers()
    node = SimpleNamespace(identifier="eu-1")
    other_node = SimpleNamespace(identifier="not-configured")

    async def run():
        async with client:
            botwavelink.instrument(client, metrics)
            d = client.dispatch
            d("wavelink_node_ready", wavelink.NodeReadyEventPayload(node=node, resumed=False, session_id="s"))
            d("wavelink_node_disconnected", wavelink.NodeDisconnectedEventPayload(node=node))
            d("wavelink_node_ready", wavelink.NodeReadyEventPayload(node=other_node, resumed=False, session_id="t"))
            botplayback.wavelink_playback(client, severity="suspicious", codes=(4014, 4017, 4006))
            d("wavelink_player_update", None)  # not counted, and no error
            await asyncio.sleep(0.02)

    asyncio.run(run())
    assert seen == ["finished", "loadFailed"]
    assert registry_value(reg, "bot_lavalink_node_events_total", node="eu-1", event="connected") == 1
    assert registry_value(reg, "bot_lavalink_node_events_total", node="eu-1", event="ready") == 1
    assert registry_value(reg, "bot_lavalink_node_events_total", node="eu-1", event="disconnected") == 1
    assert registry_value(reg, "bot_lavalink_node_events_total", node="other", event="ready") == 1  # not configured
    # 4017 in the plugin's vocabulary, not "other"
    assert playback_samples(reg) == expected_samples(severity="suspicious", codes=(4014, 4017, 4006))
    assert registry_value(reg, "bot_instrumentation_errors_total", adapter="wavelink") == 0


def test_queue_depth_is_summed_over_every_players_queue():
    def player(n):
        queue = wavelink.Queue()
        for _ in range(n):
            queue.put(wavelink.Playable(botplayback.TRACK))
        return SimpleNamespace(queue=queue)

    pool = SimpleNamespace(
        nodes={
            "a": SimpleNamespace(players={1: player(2), 2: player(0)}),
            "b": SimpleNamespace(players={3: player(5)}),
        }
    )
    assert botwavelink.queued_tracks(pool) == 7


def test_queue_gauge_reads_wavelinks_pool_at_scrape_time(monkeypatch):
    reg = CollectorRegistry()
    metrics = BotMetrics(reg)
    depth = [3]
    monkeypatch.setattr(botwavelink, "queued_tracks", lambda pool: depth[0])
    client = discord.Client(intents=discord.Intents.none())
    botwavelink.instrument(client, metrics)
    assert reg.get_sample_value("bot_queue_tracks") == 3
    depth[0] = 11
    assert reg.get_sample_value("bot_queue_tracks") == 11
    depth[0] = "not a number"
    scrape = {(s.name, tuple(sorted(s.labels.items()))): s.value for fam in reg.collect() for s in fam.samples}
    assert scrape[("bot_queue_tracks", ())] == 11  # the last good value, and the error counted
    assert scrape[("bot_instrumentation_errors_total", (("adapter", "wavelink"),))] == 1


def test_instrument_twice_is_a_no_op_and_a_broken_hook_never_reaches_wavelink(monkeypatch):
    reg = CollectorRegistry()
    metrics = BotMetrics(reg)
    client, seen = client_with_handlers()

    async def run():
        async with client:
            first = botwavelink.instrument(client, metrics)
            assert botwavelink.instrument(client, metrics) is first
            client.dispatch(
                "wavelink_track_end", wavelink.TrackEndEventPayload(player=None, track=None, reason="stopped")
            )

            def broken(*args):
                raise RuntimeError("a bug in the metrics")

            monkeypatch.setattr(metrics, "track_event", broken)
            client.dispatch(
                "wavelink_track_end", wavelink.TrackEndEventPayload(player=None, track=None, reason="stopped")
            )
            await asyncio.sleep(0.02)

    asyncio.run(run())
    assert registry_value(reg, "bot_lavalink_track_events_total", event="end", reason="stopped") == 1
    assert registry_value(reg, "bot_instrumentation_errors_total", adapter="wavelink") == 1
    assert seen == ["stopped", "stopped"]  # the bot's handler ran both times


def test_an_unsupported_wavelink_is_one_clear_error_at_instrument_time(monkeypatch):
    client = discord.Client(intents=discord.Intents.none())
    metrics = BotMetrics(CollectorRegistry())
    monkeypatch.setattr(wavelink, "__version__", "2.6.5")
    with pytest.raises(UnsupportedLibrary, match=r"wavelink >=3\.5\.2,<4; this is 2\.6\.5"):
        botwavelink.instrument(client, metrics)
    assert not hasattr(client, botwavelink._MARK)


def test_supported_range_is_pyprojects_wavelink_extra():
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^wavelink = \[(.*?)^\]", text, re.S | re.M).group(1)
    spec = re.search(r'"wavelink([^"]*)"', block).group(1)
    assert spec == version_text(botwavelink.SUPPORTED)
