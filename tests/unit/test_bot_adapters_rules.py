"""The shipped bot rules read every adapter's output unchanged.

Every ``bot_*{...}`` selector in the generated recording and alerting rules (job matchers
aside: those come from the scrape config) must match a series each adapter exports after
the events those rules are about -- a failing command, a node disconnect -- and the node
disconnect series must exist at 0 before the first disconnect (the alert takes increase()).
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
from lavametrics.bot import wavelink as lm_wavelink
from lavametrics.bot.metrics import BotMetrics
from lavametrics.mixin import rules
from lavametrics.mixin.config import MixinConfig
from tests.unit.test_bot_discord import interaction_payload, log_in, message, settle

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
            await bot.process_commands(message(bot, "!play", 1))
            bot._connection.parse_interaction_create(interaction_payload("skip", 2))
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


@pytest.mark.parametrize("feed", [_wavelink, _mafic, _lavalink_py], ids=["wavelink", "mafic", "lavalink_py"])
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
