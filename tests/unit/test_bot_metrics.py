import asyncio
import logging

import pytest
from prometheus_client import CollectorRegistry

from lavametrics.bot.metrics import BotMetrics
from tests.samples import registry_value


def test_declared_series_start_at_zero():
    reg = CollectorRegistry()
    BotMetrics(reg, commands=["play", "skip"])
    assert reg.get_sample_value("bot_commands_total", {"command": "play", "outcome": "success"}) == 0
    assert reg.get_sample_value("bot_commands_total", {"command": "other", "outcome": "error"}) == 0


def test_sync_decorator_and_context_manager():
    reg = CollectorRegistry()
    m = BotMetrics(reg, commands=["play"])

    @m.command("play")
    def play(x):
        return x * 2

    assert play(2) == 4
    with pytest.raises(ValueError):
        with m.time_command("play"):
            raise ValueError("boom")
    with m.time_command("unknown-command"):
        pass
    assert registry_value(reg, "bot_commands_total", command="play", outcome="success") == 1
    assert registry_value(reg, "bot_commands_total", command="play", outcome="error") == 1
    assert registry_value(reg, "bot_commands_total", command="other", outcome="success") == 1
    assert registry_value(reg, "bot_command_duration_seconds_count", command="play") == 2


def test_async_decorator_and_cancel():
    reg = CollectorRegistry()
    m = BotMetrics(reg, commands=["play"])

    @m.command("play")
    async def play():
        await asyncio.sleep(0)
        return "ok"

    @m.command("play")
    async def slow():
        await asyncio.sleep(10)

    async def main():
        assert await play() == "ok"
        task = asyncio.create_task(slow())
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with m.time_command("play"):
            pass

    asyncio.run(main())
    assert registry_value(reg, "bot_commands_total", command="play", outcome="success") == 2
    assert registry_value(reg, "bot_commands_total", command="play", outcome="cancelled") == 1


def test_double_registration_reuses_collectors():
    reg = CollectorRegistry()
    a = BotMetrics(reg, commands=["play"])
    b = BotMetrics(reg, commands=["play", "stop"])  # must not raise "Duplicated timeseries"
    a.set_queue_length(3)
    b.voice_reconnect()
    assert registry_value(reg, "bot_queue_tracks") == 3
    assert registry_value(reg, "bot_voice_reconnects_total") == 1
    other = CollectorRegistry()
    BotMetrics(other)
    assert registry_value(other, "bot_voice_reconnects_total") == 0
    BotMetrics(reg, prefix="music_")  # another prefix on the same registry is independent
    assert reg.get_sample_value("music_queue_tracks") == 0


def test_search_fallback_and_bounded_labels():
    reg = CollectorRegistry()
    m = BotMetrics(reg)
    m.observe_search("youtube", 5)
    m.observe_search("https://evil.example/track?id=123", 0)
    m.fallback("youtube", "soundcloud")
    m.fallback("spotify", "some-new-source")
    m.voice_close(4006)
    m.voice_close(4999)
    m.track_event("end", "finished")
    m.track_event("end", "weird")
    assert registry_value(reg, "bot_searches_total", source="youtube", found="true") == 1
    assert registry_value(reg, "bot_searches_total", source="other", found="false") == 1
    assert registry_value(reg, "bot_search_results_sum", source="youtube") == 5
    assert registry_value(reg, "bot_source_fallbacks_total", from_source="spotify", to_source="other") == 1
    assert registry_value(reg, "bot_voice_closes_total", code="4006") == 1
    assert registry_value(reg, "bot_voice_closes_total", code="other") == 1
    assert registry_value(reg, "bot_lavalink_track_events_total", event="end", reason="other") == 1


def test_node_names_are_capped():
    reg = CollectorRegistry()
    m = BotMetrics(reg, prefix="capped_")
    for i in range(40):
        m.node_event(f"node-{i}", "connected")
    assert registry_value(reg, "capped_lavalink_node_events_total", node="node-0", event="connected") == 1
    assert registry_value(reg, "capped_lavalink_node_events_total", node="other", event="connected") == 8


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf"), -0.5])
def test_a_duration_that_is_not_a_time_is_dropped_once_logged(bad, caplog, monkeypatch):
    from prometheus_client.openmetrics.exposition import generate_latest
    from prometheus_client.openmetrics.parser import text_string_to_metric_families

    from lavametrics.bot import metrics

    reg = CollectorRegistry()
    m = BotMetrics(registry=reg, commands=["play"])
    monkeypatch.setattr(metrics, "_rejected", [0], raising=False)  # a fresh process: the first drop warns
    with caplog.at_level(logging.DEBUG, logger="lavametrics.bot.metrics"):
        m.observe_command("play", 1.5, "success")
        for _ in range(3):
            m.observe_command("play", bad, "success")
    assert reg.get_sample_value("bot_command_duration_seconds_sum", {"command": "play"}) == 1.5
    assert reg.get_sample_value("bot_command_duration_seconds_count", {"command": "play"}) == 1
    assert reg.get_sample_value("bot_commands_total", {"command": "play", "outcome": "success"}) == 1
    assert m.rejected_durations == 3
    # the OpenMetrics exposition stays parseable (a NaN _sum made the parser reject it all)
    families = {f.name: f for f in text_string_to_metric_families(generate_latest(reg).decode())}
    assert families["bot_command_duration_seconds"].samples
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "dropped" in warnings[0].getMessage()
    assert sum(r.levelno == logging.DEBUG for r in caplog.records) == 2


def _catalog_label_values(family: str, label: str) -> set[str]:
    # read the packaged JSON itself, not through the code under test
    import json
    from pathlib import Path

    import lavametrics

    data = json.loads((Path(lavametrics.__file__).parent / "data" / "catalog.json").read_text())
    fam = next(f for f in data["families"] if f["name"] == family)
    return set(next(lb["values"] for lb in fam["labels"] if lb["name"] == label)) - {"other"}


def test_bot_vocabulary_is_the_plugins():
    from lavametrics.bot import metrics as botmetrics

    assert set(botmetrics.VOICE_CLOSE_CODES) == _catalog_label_values("lavametrics_voice_closes_total", "code")
    assert set(botmetrics.DEFAULT_SOURCES) == _catalog_label_values("lavametrics_track_starts_total", "source")
    assert set(botmetrics.TRACK_REASONS) == {"none"} | _catalog_label_values(
        "lavametrics_track_ends_total", "reason"
    ) | _catalog_label_values("lavametrics_track_exceptions_total", "severity")
    # the values the issue found missing on the bot side
    assert {"1001", "4017"} <= set(botmetrics.VOICE_CLOSE_CODES)
    assert len(botmetrics.DEFAULT_SOURCES) == 14


def test_codes_and_sources_only_the_plugin_knew_keep_their_names():
    reg = CollectorRegistry()
    m = BotMetrics(reg, prefix="vocab_")
    m.voice_close(4017)
    m.voice_close("1001")
    m.observe_search("tidal", 3)
    m.track_event("exception", "fault")
    assert registry_value(reg, "vocab_voice_closes_total", code="4017") == 1
    assert registry_value(reg, "vocab_voice_closes_total", code="1001") == 1
    assert registry_value(reg, "vocab_searches_total", source="tidal", found="true") == 1
    assert registry_value(reg, "vocab_lavalink_track_events_total", event="exception", reason="fault") == 1
    # nothing was folded into "other": that series was never made
    assert reg.get_sample_value("vocab_voice_closes_total", {"code": "other"}) is None


def test_cached_children_count_like_labels_and_the_cache_is_bounded():
    from lavametrics.bot import metrics as botmetrics

    reg = CollectorRegistry()
    m = BotMetrics(reg, prefix="cache_")
    for _ in range(3):
        m.track_event("end", "finished")
        m.voice_close(4017)
    for i in range(botmetrics.MAX_CACHED_CHILDREN + 50):  # free text from a buggy caller
        m.track_event("end", f"reason {i}")
    assert registry_value(reg, "cache_lavalink_track_events_total", event="end", reason="finished") == 3
    assert (
        registry_value(reg, "cache_lavalink_track_events_total", event="end", reason="other")
        == botmetrics.MAX_CACHED_CHILDREN + 50
    )
    assert registry_value(reg, "cache_voice_closes_total", code="4017") == 3
    assert len(m._m["track_events"]._by_key) == botmetrics.MAX_CACHED_CHILDREN
