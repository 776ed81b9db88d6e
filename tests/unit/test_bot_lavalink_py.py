"""The adapter against the real Lavalink.py event classes (the playback of tests/unit/botplayback.py),
dispatched by the real client."""

import asyncio

import lavalink  # a dev dependency: missing it is a broken install, not a reason to skip
from lavalink import events as ev
from prometheus_client import CollectorRegistry

from lavametrics.bot.lavalink_py import instrument
from lavametrics.bot.metrics import BotMetrics
from tests.samples import registry_value
from tests.unit.botplayback import expected_samples, lavalink_py_playback, playback_samples


def test_events_are_counted():
    reg = CollectorRegistry()
    metrics = BotMetrics(reg, nodes=["main"])

    async def main():
        client = lavalink.Client(user_id=1234)
        try:
            hook = instrument(client, metrics)
            assert instrument(client, metrics) is hook  # idempotent
            node = client.add_node("127.0.0.1", 1, "pw", "eu", name="main", connect=False)
            for event in (
                ev.NodeConnectedEvent(node),
                ev.NodeDisconnectedEvent(node, 1006, "gone"),
                ev.NodeReadyEvent(node, "sess", False),
                *lavalink_py_playback(severity="fault", codes=(4006,)),
            ):
                client._dispatch_event(event)
            for _ in range(5):
                await asyncio.sleep(0)
        finally:
            await client.close()

    asyncio.run(main())
    assert registry_value(reg, "bot_lavalink_node_events_total", node="main", event="connected") == 1
    assert registry_value(reg, "bot_lavalink_node_events_total", node="main", event="disconnected") == 1
    assert registry_value(reg, "bot_lavalink_node_events_total", node="main", event="ready") == 1
    assert playback_samples(reg) == expected_samples(severity="fault", codes=(4006,))


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
