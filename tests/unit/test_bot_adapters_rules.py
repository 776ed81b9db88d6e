"""The shipped bot rules and dashboards read every adapter's output unchanged.

Every ``bot_*{...}`` selector in the generated recording and alerting rules (job matchers
aside: those come from the scrape config) must match a series each adapter exports after
the events those rules are about -- a failing command, a node disconnect -- and the node
disconnect series must exist at 0 before the first disconnect (the alert takes increase()).
pomice dispatches no node events: its bots report them with ``metrics.node_event`` (as
lavametrics.bot.pomice says), and that path is fed to the same rule here.

The dashboards' bot panels for track events and voice closes group by the labels the
adapters fill; the four Lavalink adapters (wavelink, mafic, pomice, Lavalink.py), given the
same events, export the same samples, so a panel or rule reads alike whichever one a bot uses.
"""

from __future__ import annotations

import asyncio
import re
from types import SimpleNamespace

import discord
import lavalink
import pytest
import wavelink
from discord.ext import commands
from prometheus_client import CollectorRegistry

from lavametrics.bot import discord as lm_discord
from lavametrics.bot import lavalink_py as lm_lavalink_py
from lavametrics.bot import mafic as lm_mafic
from lavametrics.bot import pomice as lm_pomice
from lavametrics.bot import wavelink as lm_wavelink
from lavametrics.bot.metrics import BotMetrics
from lavametrics.devtools import discordpayloads
from lavametrics.devtools.discordpayloads import log_in
from lavametrics.mixin import dashboards, grafana, rules
from lavametrics.mixin.config import MixinConfig
from tests.unit import botplayback
from tests.unit.test_bot_discord import settle

SELECTOR = re.compile(r"\b(bot_[a-z_]+)\{([^}]*)\}")
MATCHER = re.compile(r'(\w+)\s*(=~|!=|!~|=)\s*"([^"]*)"')


def rule_selectors() -> list[tuple[str, dict[str, str]]]:
    c = MixinConfig()
    out = set()
    for f in (rules.recording_file(c), rules.alerts_file(c)):
        for g in f["groups"]:
            for r in g["rules"]:
                for name, body in SELECTOR.findall(r["expr"]):
                    labels = tuple(
                        (k, v) for k, op, v in MATCHER.findall(body) if k != "job" and op == "="
                    )  # only equality matchers other than job appear on bot series today
                    out.add((name, labels))
    return [(name, dict(labels)) for name, labels in sorted(out)]


def matches(registry, name: str, labels: dict[str, str]) -> bool:
    return any(
        s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        for fam in registry.collect()
        for s in fam.samples
    )


def test_the_rules_select_what_this_test_expects():
    names = {name for name, _ in rule_selectors()}
    # if a rule starts reading another bot family, this test must feed it too
    assert names == {
        "bot_command_duration_seconds_bucket",
        "bot_command_duration_seconds_count",
        "bot_commands_total",
        "bot_lavalink_node_events_total",
    }


def test_discord_adapters_output_feeds_the_command_rules():
    reg = CollectorRegistry()
    metrics = BotMetrics(reg)
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.none())

    @bot.command()
    async def play(ctx):
        raise RuntimeError("fails")

    @bot.tree.command()
    async def skip(interaction: discord.Interaction):
        pass

    async def run():
        async with bot:
            log_in(bot)
            lm_discord.instrument(bot, metrics)
            await bot.process_commands(discordpayloads.dm_message(bot, 1, "!play"))
            bot._connection.parse_interaction_create(discordpayloads.interaction(2, "skip"))
            await settle()

    asyncio.run(run())
    for name, labels in rule_selectors():
        if name.startswith("bot_command"):
            assert matches(reg, name, labels), (name, labels)


def _wavelink(client, metrics, node):
    lm_wavelink.instrument(client, metrics)
    client.dispatch("wavelink_node_ready", wavelink.NodeReadyEventPayload(node=node, resumed=False, session_id="s"))
    yield
    client.dispatch("wavelink_node_disconnected", wavelink.NodeDisconnectedEventPayload(node=node))


def _mafic(client, metrics, node):
    lm_mafic.instrument(client, metrics)
    client.dispatch("node_ready", SimpleNamespace(label=node.identifier))
    yield
    client.dispatch("node_unavailable", SimpleNamespace(label=node.identifier))


def _lavalink_py(client, metrics, node):
    hook = lm_lavalink_py.make_hook(metrics)
    lavalink_node = SimpleNamespace(name=node.identifier)
    asyncio.run(hook(lavalink.events.NodeConnectedEvent(lavalink_node)))
    yield
    asyncio.run(hook(lavalink.events.NodeDisconnectedEvent(lavalink_node, 1006, "gone")))


def _pomice(client, metrics, node):
    # pomice reconnects silently: a pomice bot reports its nodes itself (lavametrics.bot.pomice)
    lm_pomice.instrument(client, metrics)
    metrics.node_event(node.identifier, "connected")
    yield
    metrics.node_event(node.identifier, "disconnected")


@pytest.mark.parametrize(
    "feed", [_wavelink, _mafic, _pomice, _lavalink_py], ids=["wavelink", "mafic", "pomice", "lavalink_py"]
)
def test_node_adapters_output_feeds_the_disconnect_rule(feed):
    reg = CollectorRegistry()
    metrics = BotMetrics(reg)
    client = discord.Client(intents=discord.Intents.none())
    node = SimpleNamespace(identifier="eu-1")
    steps = feed(client, metrics, node)
    next(steps)
    selectors = [(n, labels) for n, labels in rule_selectors() if n == "bot_lavalink_node_events_total"]
    for name, labels in selectors:
        # there, at 0, before the first disconnect: increase() sees the first one
        assert reg.get_sample_value(name, {"node": "eu-1", **labels}) == 0, labels
    next(steps, None)
    for name, labels in selectors:
        assert reg.get_sample_value(name, {"node": "eu-1", **labels}) == 1, labels


# One playback (tests/unit/botplayback.py), as each library hands it to the bot.
def _wavelink_playback(client, metrics) -> None:
    lm_wavelink.instrument(client, metrics)
    botplayback.wavelink_playback(client)


def _mafic_playback(client, metrics) -> None:
    lm_mafic.instrument(client, metrics)
    botplayback.mafic_playback(client)


def _pomice_playback(client, metrics) -> None:
    lm_pomice.instrument(client, metrics)
    botplayback.pomice_playback(client)


def _lavalink_py_playback(client, metrics) -> None:
    hook = lm_lavalink_py.make_hook(metrics)

    async def feed():
        for event in botplayback.lavalink_py_playback():
            await hook(event)

    asyncio.run(feed())


def _playback_samples(playback) -> dict:
    reg = CollectorRegistry()
    playback(discord.Client(intents=discord.Intents.none()), BotMetrics(reg))
    return botplayback.playback_samples(reg)


def panel_groupings() -> dict[str, set[str]]:
    """bot family -> the labels the dashboards' panels group it by (``sum by (...)``)."""
    out: dict[str, set[str]] = {}
    for board in dashboards.all_dashboards(MixinConfig()):
        for panel in grafana.to_json(board)["panels"]:
            for target in panel.get("targets", []):
                for by, name in re.findall(r"by \(([^)]*)\) \(\w+\((bot_[a-z_]+)\{", target["expr"]):
                    out.setdefault(name, set()).update(label.strip() for label in by.split(","))
    return out


def test_every_lavalink_adapter_exports_the_same_samples_for_the_same_playback():
    wavelink_samples = _playback_samples(_wavelink_playback)
    assert wavelink_samples == botplayback.expected_samples()
    for playback in (_mafic_playback, _pomice_playback, _lavalink_py_playback):
        assert _playback_samples(playback) == wavelink_samples, playback.__name__


def test_the_panels_group_the_adapters_series_by_labels_they_have():
    groupings = panel_groupings()
    assert groupings["bot_lavalink_track_events_total"] == {"event", "reason"}
    assert groupings["bot_voice_closes_total"] == {"code"}
    for name, labels in _playback_samples(_wavelink_playback):
        assert groupings[name] <= {k for k, _ in labels}, name
