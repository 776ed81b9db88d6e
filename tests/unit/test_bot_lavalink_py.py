"""The adapter against the real Lavalink.py event classes, dispatched by the real client."""

import asyncio

import lavalink  # a dev dependency: missing it is a broken install, not a reason to skip
from lavalink import events as ev
from lavalink.server import AudioTrack, EndReason, Severity
from prometheus_client import CollectorRegistry

from lavametrics.bot.lavalink_py import instrument
from lavametrics.bot.metrics import BotMetrics

TRACK = {
    "encoded": "QAAA",
    "info": {
        "identifier": "x",
        "isSeekable": True,
        "author": "a",
        "length": 1000,
        "isStream": False,
        "position": 0,
        "title": "t",
        "uri": "file:///t.wav",
        "sourceName": "local",
        "artworkUrl": None,
        "isrc": None,
    },
    "pluginInfo": {},
    "userData": {},
}


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
            node = client.add_node("127.0.0.1", 1, "pw", "eu", name="main", connect=False)
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


def test_an_exception_inside_the_hook_is_swallowed_and_counted(monkeypatch):
    import asyncio

    import lavalink
    from prometheus_client import CollectorRegistry

    from lavametrics.bot.lavalink_py import make_hook
    from lavametrics.bot.metrics import BotMetrics

    reg = CollectorRegistry()
    metrics = BotMetrics(reg)

    def broken(code):
        raise KeyError("a bug in the metrics")

    monkeypatch.setattr(metrics, "voice_close", broken)
    hook = make_hook(metrics)
    assert reg.get_sample_value("bot_instrumentation_errors_total", {"adapter": "lavalink_py"}) == 0
    asyncio.run(hook(lavalink.events.WebSocketClosedEvent(None, 4006, "gone", True)))  # must not raise
    assert reg.get_sample_value("bot_instrumentation_errors_total", {"adapter": "lavalink_py"}) == 1
