"""lavametrics.bot.discord against discord.py itself, without a Discord connection.

The bot objects are real (commands.Bot, AutoShardedBot, CommandTree, Interaction, Message,
Context); what Discord would send is handed to them where the gateway would. Internals this
relies on, all of discord.py 2.7:
- ``bot._connection.parse_interaction_create(payload)``: what the gateway's INTERACTION_CREATE
  calls; it builds the Interaction and runs the tree in a task, as for a real interaction;
- ``bot._connection.user`` and the ready flag, set as READY would (get_context needs the user),
  and a DM-like ``discord.Message``: lavametrics.devtools.discordpayloads (``log_in``,
  ``dm_message``), with the payloads;
- ``async with bot`` (public) sets the loop up without logging in.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import discord
import pytest
from discord import app_commands
from discord.ext import commands
from prometheus_client import CollectorRegistry

from lavametrics.bot import discord as botdiscord
from lavametrics.bot.metrics import BotMetrics
from lavametrics.devtools import discordpayloads
from lavametrics.devtools.discordpayloads import log_in
from tests.samples import registry_value

ROOT = Path(__file__).resolve().parents[2]


async def settle() -> None:
    # the tree's task and the listeners' tasks run on the loop: let them finish
    for _ in range(20):
        await asyncio.sleep(0)
    await asyncio.sleep(0.02)


def music_bot(cls=commands.Bot, **kwargs):
    bot = cls(command_prefix="!", intents=discord.Intents.none(), **kwargs)
    seen = {"tree_errors": [], "command_errors": []}

    @bot.tree.command()
    async def play(interaction: discord.Interaction):
        await asyncio.sleep(0)

    @bot.tree.command()
    async def broken(interaction: discord.Interaction):
        raise ValueError("the command's own bug")

    @bot.tree.command()
    async def leave(interaction: discord.Interaction):
        asyncio.current_task().cancel()
        await asyncio.sleep(1)

    queue = app_commands.Group(name="queue", description="the queue")

    @queue.command()
    async def show(interaction: discord.Interaction):
        pass

    bot.tree.add_command(queue)

    @bot.tree.error
    async def on_tree_error(interaction, error):  # the bot's own handler: must still run
        seen["tree_errors"].append(type(error).__name__)

    @bot.command()
    async def skip(ctx):
        await asyncio.sleep(0)

    @bot.command()
    async def crash(ctx):
        raise RuntimeError("boom")

    @bot.command()
    async def stop(ctx):
        asyncio.current_task().cancel()
        await asyncio.sleep(1)

    @bot.event
    async def on_command_error(ctx, error):  # the bot's own handler: must still run
        seen["command_errors"].append(type(error).__name__)

    return bot, seen


def test_slash_commands_are_timed_with_their_outcome_and_the_bots_error_handler_still_runs():
    reg = CollectorRegistry()
    metrics = BotMetrics(reg)
    bot, seen = music_bot()

    async def run():
        async with bot:
            log_in(bot)
            botdiscord.instrument(bot, metrics)
            for n, name in enumerate(("play", "play", "broken", "leave", "not-in-the-tree")):
                bot._connection.parse_interaction_create(discordpayloads.interaction(n, name))
            sub = {"type": 1, "name": "show", "options": []}
            bot._connection.parse_interaction_create(discordpayloads.interaction(9, "queue", [sub]))
            await settle()

    asyncio.run(run())
    assert registry_value(reg, "bot_commands_total", command="play", outcome="success") == 2
    assert registry_value(reg, "bot_commands_total", command="broken", outcome="error") == 1
    assert registry_value(reg, "bot_commands_total", command="leave", outcome="cancelled") == 1
    assert registry_value(reg, "bot_commands_total", command="queue show", outcome="success") == 1
    # a command Discord knows and the tree does not (a stale sync) failed for the user
    assert registry_value(reg, "bot_commands_total", command="other", outcome="error") == 1
    assert registry_value(reg, "bot_command_duration_seconds_count", command="play") == 2
    assert seen["tree_errors"] == ["CommandInvokeError", "CommandNotFound"]
    # names from the tree are declared at instrument time: their series exist at 0
    assert reg.get_sample_value("bot_commands_total", {"command": "broken", "outcome": "cancelled"}) == 0
    assert registry_value(reg, "bot_instrumentation_errors_total", adapter="discord") == 0


def test_prefix_commands_are_timed_with_their_outcome_and_a_non_command_is_not_counted():
    reg = CollectorRegistry()
    metrics = BotMetrics(reg)
    bot, seen = music_bot()

    async def run():
        async with bot:
            log_in(bot)
            botdiscord.instrument(bot, metrics)
            for n, content in enumerate(("!skip", "!skip", "!crash", "!stop", "!nonsense", "hello")):
                await bot.process_commands(discordpayloads.dm_message(bot, n, content))
            await settle()

    asyncio.run(run())
    assert registry_value(reg, "bot_commands_total", command="skip", outcome="success") == 2
    assert registry_value(reg, "bot_commands_total", command="crash", outcome="error") == 1
    assert registry_value(reg, "bot_commands_total", command="stop", outcome="cancelled") == 1
    total = sum(
        s.value for fam in reg.collect() if fam.name == "bot_commands" for s in fam.samples if s.name.endswith("_total")
    )
    assert total == 4  # "!nonsense" and "hello" are not commands
    assert seen["command_errors"] == ["CommandInvokeError", "CommandNotFound"]


def test_the_duration_is_the_commands_own_time():
    reg = CollectorRegistry()
    metrics = BotMetrics(reg)
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.none())

    @bot.command()
    async def slow(ctx):
        await asyncio.sleep(0.3)

    @bot.tree.command()
    async def slowslash(interaction: discord.Interaction):
        await asyncio.sleep(0.3)

    async def run():
        async with bot:
            log_in(bot)
            botdiscord.instrument(bot, metrics)
            await bot.process_commands(discordpayloads.dm_message(bot, 1, "!slow"))
            bot._connection.parse_interaction_create(discordpayloads.interaction(2, "slowslash"))
            await asyncio.sleep(0.4)
            await settle()

    asyncio.run(run())
    for name in ("slow", "slowslash"):
        seconds = registry_value(reg, "bot_command_duration_seconds_sum", command=name)
        assert 0.3 <= seconds < 0.45, (name, seconds)
        assert registry_value(reg, "bot_command_duration_seconds_bucket", command=name, le="0.25") == 0
        assert registry_value(reg, "bot_command_duration_seconds_bucket", command=name, le="0.5") == 1


def test_instrument_twice_is_a_no_op():
    reg = CollectorRegistry()
    metrics = BotMetrics(reg)
    bot, _ = music_bot()

    async def run():
        async with bot:
            log_in(bot)
            first = botdiscord.instrument(bot, metrics)
            assert botdiscord.instrument(bot, metrics) is first
            bot._connection.parse_interaction_create(discordpayloads.interaction(1, "play"))
            await bot.process_commands(discordpayloads.dm_message(bot, 2, "!skip"))
            bot.dispatch("disconnect")
            await settle()

    asyncio.run(run())
    assert registry_value(reg, "bot_commands_total", command="play", outcome="success") == 1
    assert registry_value(reg, "bot_commands_total", command="skip", outcome="success") == 1
    assert registry_value(reg, "bot_gateway_events_total", shard="0", event="disconnect") == 1


def test_gateway_events_per_shard_and_scrape_time_gauges():
    class Sharded(commands.AutoShardedBot):
        # the scrape reads these public properties; a bot that never logged in has no shards
        @property
        def latencies(self):
            return [(0, 0.041), (1, 0.125), (2, float("nan"))]

        @property
        def guilds(self):
            return [object()] * 3

        @property
        def voice_clients(self):
            return [object()] * 2

    reg = CollectorRegistry()
    metrics = BotMetrics(reg)
    bot = Sharded(command_prefix="!", intents=discord.Intents.none(), shard_count=3)

    async def run():
        async with bot:
            botdiscord.instrument(bot, metrics)
            # what discord.py's shards dispatch (both the plain and the shard_ form)
            for shard in (0, 1):
                bot.dispatch("connect")
                bot.dispatch("shard_connect", shard)
            bot.dispatch("disconnect")
            bot.dispatch("shard_disconnect", 1)
            bot.dispatch("resumed")
            bot.dispatch("shard_resumed", 1)
            await settle()

    asyncio.run(run())
    assert registry_value(reg, "bot_gateway_events_total", shard="0", event="connect") == 1
    assert registry_value(reg, "bot_gateway_events_total", shard="1", event="connect") == 1
    assert registry_value(reg, "bot_gateway_events_total", shard="1", event="disconnect") == 1
    assert registry_value(reg, "bot_gateway_events_total", shard="1", event="resume") == 1
    assert reg.get_sample_value("bot_gateway_events_total", {"shard": "0", "event": "disconnect"}) == 0
    assert reg.get_sample_value("bot_gateway_latency_seconds", {"shard": "0"}) == 0.041
    assert reg.get_sample_value("bot_gateway_latency_seconds", {"shard": "1"}) == 0.125
    assert reg.get_sample_value("bot_gateway_latency_seconds", {"shard": "2"}) is None  # nan: no heartbeat yet
    assert reg.get_sample_value("bot_guilds") == 3
    assert reg.get_sample_value("bot_voice_clients") == 2


def test_unsharded_bot_counts_shard_0_and_a_plain_client_gets_its_tree_commands_and_gateway_events():
    reg = CollectorRegistry()
    metrics = BotMetrics(reg)

    class Plain(discord.Client):
        def __init__(self):
            super().__init__(intents=discord.Intents.none())
            self.tree = app_commands.CommandTree(self)  # discord.py's examples' convention

    client = Plain()

    @client.tree.command()
    async def ping(interaction: discord.Interaction):
        pass

    async def run():
        async with client:
            botdiscord.instrument(client, metrics)
            client._connection.parse_interaction_create(discordpayloads.interaction(1, "ping"))
            client.dispatch("connect")  # what discord.py's gateway dispatches
            client.dispatch("resumed")
            await settle()

    asyncio.run(run())
    assert registry_value(reg, "bot_commands_total", command="ping", outcome="success") == 1
    assert registry_value(reg, "bot_gateway_events_total", shard="0", event="connect") == 1
    assert registry_value(reg, "bot_gateway_events_total", shard="0", event="resume") == 1
    assert reg.get_sample_value("bot_gateway_events_total", {"shard": "0", "event": "disconnect"}) == 0
    assert reg.get_sample_value("bot_guilds") == 0
    assert reg.get_sample_value("bot_gateway_latency_seconds", {"shard": "0"}) is None  # never connected


def test_an_exception_inside_a_hook_is_swallowed_and_counted(monkeypatch, caplog):
    reg = CollectorRegistry()
    metrics = BotMetrics(reg)
    bot, seen = music_bot()

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug in the metrics, not in the bot")

    ran = []

    @bot.command()
    async def ok(ctx):
        ran.append("prefix")

    @bot.tree.command()
    async def okslash(interaction: discord.Interaction):
        ran.append("slash")

    async def run():
        async with bot:
            log_in(bot)
            botdiscord.instrument(bot, metrics)
            # the hooks look a command's label up here on its first run
            monkeypatch.setattr(metrics, "command_from_tree", broken)
            await bot.process_commands(discordpayloads.dm_message(bot, 1, "!ok"))
            bot._connection.parse_interaction_create(discordpayloads.interaction(2, "okslash"))
            await settle()

    asyncio.run(run())
    assert ran == ["prefix", "slash"]
    assert seen == {"tree_errors": [], "command_errors": []}
    assert registry_value(reg, "bot_instrumentation_errors_total", adapter="discord") == 2


def test_an_unsupported_library_is_one_clear_error_at_instrument_time(monkeypatch):
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.none())
    metrics = BotMetrics(CollectorRegistry())
    monkeypatch.setattr(discord, "version_info", discord.version_info._replace(major=2, minor=3))
    monkeypatch.setattr(discord, "__version__", "2.3.2")
    with pytest.raises(botdiscord.UnsupportedLibrary, match=r"discord\.py >=2\.7\.1,<3; this is 2\.3\.2"):
        botdiscord.instrument(bot, metrics)
    monkeypatch.undo()
    monkeypatch.setattr(discord, "__title__", "pycord")
    with pytest.raises(botdiscord.UnsupportedLibrary, match="not pycord"):
        botdiscord.instrument(bot, metrics)
    monkeypatch.undo()
    with pytest.raises(botdiscord.UnsupportedLibrary, match="not object"):
        botdiscord.instrument(object(), metrics)
    # a discord.py whose tree lost the private method the slash-command timing wraps
    monkeypatch.setattr(discord.app_commands.CommandTree, "_call", None)
    with pytest.raises(botdiscord.UnsupportedLibrary, match=r"needs CommandTree\._call .* has none"):
        botdiscord.instrument(bot, metrics)
    monkeypatch.undo()
    for fork in ("nextcord", "disnake"):  # their own packages: a bot of theirs is refused by name
        fork_bot = type("Bot", (), {"__module__": f"{fork}.ext.commands.bot"})()
        with pytest.raises(botdiscord.UnsupportedLibrary, match=rf"discord\.py >=2\.7\.1,<3, not {fork}$"):
            botdiscord.instrument(fork_bot, metrics)
    assert not hasattr(bot, botdiscord._MARK)  # nothing was installed by the failed calls


def test_supported_range_is_pyprojects_discord_extra():
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^discord = \[(.*?)^\]", text, re.S | re.M).group(1)
    spec = re.search(r'"discord\.py([^"]*)"', block).group(1)
    assert spec == botdiscord.version_text(botdiscord.SUPPORTED)


def test_an_exception_escaping_the_tree_is_an_error_and_still_reaches_the_loops_handler():
    class Tree(app_commands.CommandTree):
        async def interaction_check(self, interaction, /) -> bool:
            raise KeyError("the bot's own global check fails")  # not an AppCommandError: escapes the tree

    reg = CollectorRegistry()
    metrics = BotMetrics(reg)
    bot = commands.Bot(command_prefix="!", intents=discord.Intents.none(), tree_cls=Tree)

    @bot.tree.command()
    async def ping(interaction: discord.Interaction):
        pass

    reported: list = []

    async def run():
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: reported.append(context))
        async with bot:
            log_in(bot)
            botdiscord.instrument(bot, metrics)
            bot._connection.parse_interaction_create(discordpayloads.interaction(1, "ping"))
            await settle()

    asyncio.run(run())
    import gc

    gc.collect()  # asyncio would report an unretrieved exception when the task is collected
    assert registry_value(reg, "bot_commands_total", command="ping", outcome="error") == 1
    # reported once: by the adapter, which read it (so asyncio's own report does not come too)
    assert [type(c.get("exception")).__name__ for c in reported] == ["KeyError"]
