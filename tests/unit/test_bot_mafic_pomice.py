"""lavametrics.bot.mafic and lavametrics.bot.pomice fed the libraries' own event objects
through the client's dispatch, the way each library hands them over (mafic 2.11's
player.py: ``client.dispatch("track_end", TrackEndEvent(...))``; pomice 2.11's events.py:
``event.dispatch(bot)`` -> ``bot.dispatch("pomice_track_end", *event.handler_args)``).
The playback fed is tests/unit/botplayback.py's; the live tests against a node are
tests/integration/test_mafic_live.py and test_pomice_live.py. These check the mapping, the
bot's own handlers, the no-op second call, the error counting and the version gate."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from types import SimpleNamespace

import discord
import mafic
import pomice
import pytest
from prometheus_client import CollectorRegistry

from lavametrics.bot import mafic as botmafic
from lavametrics.bot import pomice as botpomice
from lavametrics.bot._dispatch import UnsupportedLibrary, version_text
from lavametrics.bot.metrics import BotMetrics, end_reason
from tests.samples import registry_value
from tests.unit import botplayback
from tests.unit.botplayback import expected_samples, playback_samples

ROOT = Path(__file__).resolve().parents[2]


def test_mafic_events_become_bot_metrics():
    reg = CollectorRegistry()
    metrics = BotMetrics(reg, nodes=["eu-1"])
    client = discord.Client(intents=discord.Intents.none())
    ends: list = []

    @client.event
    async def on_track_end(event):  # the bot's own handler
        ends.append(event.reason)

    node = SimpleNamespace(label="eu-1")

    async def run():
        async with client:
            first = botmafic.instrument(client, metrics)
            assert botmafic.instrument(client, metrics) is first
            d = client.dispatch
            d("node_ready", node)
            d("node_unavailable", node)
            botplayback.mafic_playback(client, severity="fault", codes=(4017,))
            await asyncio.sleep(0.02)

    asyncio.run(run())
    assert [str(getattr(r, "value", r)) for r in ends] == ["finished", "loadFailed"]
    assert registry_value(reg, "bot_lavalink_node_events_total", node="eu-1", event="ready") == 1
    assert registry_value(reg, "bot_lavalink_node_events_total", node="eu-1", event="connected") == 1
    assert registry_value(reg, "bot_lavalink_node_events_total", node="eu-1", event="disconnected") == 1
    assert playback_samples(reg) == expected_samples(severity="fault", codes=(4017,))
    assert registry_value(reg, "bot_instrumentation_errors_total", adapter="mafic") == 0


def test_pomice_events_become_bot_metrics_and_errors_are_counted(monkeypatch):
    reg = CollectorRegistry()
    metrics = BotMetrics(reg)
    client = discord.Client(intents=discord.Intents.none())
    ends: list = []

    @client.event
    async def on_pomice_track_end(player, track, reason):  # the bot's own handler
        ends.append(reason)

    player = SimpleNamespace(_current=None, _ending_track=None)

    async def run():
        async with client:
            first = botpomice.instrument(client, metrics)
            assert botpomice.instrument(client, metrics) is first
            botplayback.pomice_playback(client, severity="common", codes=(1001,))

            def broken(*args):
                raise RuntimeError("a bug in the metrics")

            monkeypatch.setattr(metrics, "track_event", broken)
            pomice.events.TrackEndEvent({"reason": "stopped"}, player).dispatch(client)
            await asyncio.sleep(0.02)

    asyncio.run(run())
    assert ends == ["finished", "LOAD_FAILED", "stopped"]  # the bot's handler ran every time
    # LOAD_FAILED (Lavalink 3's spelling) as the plugin spells it; the broken hook's end not counted
    assert playback_samples(reg) == expected_samples(severity="common", codes=(1001,))
    assert registry_value(reg, "bot_instrumentation_errors_total", adapter="pomice") == 1


@pytest.mark.parametrize(
    ("raw", "plugin"),
    [("finished", "finished"), ("loadFailed", "loadFailed"), ("LOAD_FAILED", "loadFailed"), ("CLEANUP", "cleanup")],
)
def test_end_reasons_are_spelled_as_the_plugin_does(raw, plugin):
    assert end_reason(raw) == plugin
    assert end_reason(mafic.EndReason.LOAD_FAILED) == "loadFailed"


@pytest.mark.parametrize(("adapter", "module"), [(botmafic, mafic), (botpomice, pomice)])
def test_an_unsupported_version_is_one_clear_error(adapter, module, monkeypatch):
    client = discord.Client(intents=discord.Intents.none())
    monkeypatch.setattr(module, "__version__", "1.0.0")
    with pytest.raises(UnsupportedLibrary, match=rf"{adapter.ADAPTER} >=[0-9.]+,<3; this is 1\.0\.0"):
        adapter.instrument(client, BotMetrics(CollectorRegistry()))
    assert not hasattr(client, f"_lavametrics_{adapter.ADAPTER}")


@pytest.mark.parametrize("adapter", [botmafic, botpomice])
def test_supported_range_is_pyprojects_extra(adapter):
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(rf"^{adapter.ADAPTER} = \[(.*?)^\]", text, re.S | re.M).group(1)
    spec = re.search(rf'"{adapter.ADAPTER}([^"]*)"', block).group(1)
    assert spec == version_text(adapter.SUPPORTED)
