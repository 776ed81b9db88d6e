"""The adapter against the real Lavalink.py event classes, dispatched by the real client."""

import asyncio

import pytest
from prometheus_client import CollectorRegistry

lavalink = pytest.importorskip("lavalink")
from lavalink import events as ev  # noqa: E402
from lavalink.server import AudioTrack, EndReason, Severity  # noqa: E402

from lavametrics.bot import BotMetrics  # noqa: E402
from lavametrics.lavalinkpy import instrument  # noqa: E402

TRACK = {"encoded": "QAAA", "info": {"identifier": "x", "isSeekable": True, "author": "a", "length": 1000,
                                      "isStream": False, "position": 0, "title": "t", "uri": "file:///t.wav",
                                      "sourceName": "local", "artworkUrl": None, "isrc": None},
         "pluginInfo": {}, "userData": {}}


def val(reg, name, **labels):
    return reg.get_sample_value(name, labels) or 0.0


def test_events_are_counted():
    reg = CollectorRegistry()
    metrics = BotMetrics(reg, nodes=["main"])

    async def main():
        client = lavalink.Client(user_id=1234)
        try:
            hook = instrument(client, metrics)
            assert instrument(client, metrics) is hook  # idempotent
            node = client.add_node("127.0.0.1", 1, "pw", "eu", name="main", connect=False) \
                if "connect" in client.add_node.__code__.co_varnames else None
            if node is None:
                pytest.skip("this Lavalink.py cannot create a node without connecting")
            track = AudioTrack(TRACK, requester=0)
            player = object()
            for event in (
                ev.NodeConnectedEvent(node),
                ev.NodeDisconnectedEvent(node, 1006, "gone"),
                ev.NodeReadyEvent(node, "sess", False),
                ev.TrackStartEvent(player, track),
                ev.TrackEndEvent(player, track, EndReason.FINISHED),
                ev.TrackEndEvent(player, track, EndReason.LOAD_FAILED),
                ev.TrackExceptionEvent(player, track, "boom", Severity.FAULT, "cause", None),
                ev.TrackStuckEvent(player, track, 10000),
                ev.WebSocketClosedEvent(player, 4006, "session invalid", True),
            ):
                client._dispatch_event(event)
            for _ in range(5):
                await asyncio.sleep(0)
        finally:
            await client.close()

    asyncio.run(main())
    assert val(reg, "bot_lavalink_node_events_total", node="main", event="connected") == 1
    assert val(reg, "bot_lavalink_node_events_total", node="main", event="disconnected") == 1
    assert val(reg, "bot_lavalink_node_events_total", node="main", event="ready") == 1
    assert val(reg, "bot_lavalink_track_events_total", event="start", reason="none") == 1
    assert val(reg, "bot_lavalink_track_events_total", event="end", reason="finished") == 1
    assert val(reg, "bot_lavalink_track_events_total", event="end", reason="loadFailed") == 1
    assert val(reg, "bot_lavalink_track_events_total", event="exception", reason="fault") == 1
    assert val(reg, "bot_lavalink_track_events_total", event="stuck", reason="none") == 1
    assert val(reg, "bot_voice_closes_total", code="4006") == 1
