"""Instrument a discord.py bot: every slash and prefix command timed with its outcome, and the
gateway's health, from the library's own hooks (``pip install 'lavametrics[discord]'``).

    metrics = BotMetrics.from_env() ... or BotMetrics()
    instrument(bot, metrics)   # a discord.Client, commands.Bot or commands.AutoShardedBot

What it hooks, and why there (the bot's own handlers are never replaced):

- application (slash and context-menu) commands: the tree's ``interaction_check`` is wrapped
  on the instance (the original, or the bot's override, still decides). It runs first in the
  task discord.py makes per interaction, so it stamps the start in ``interaction.extras`` and
  adds a done callback to that task; when the task ends, the outcome is what the library
  recorded: ``cancelled`` if the task was cancelled, ``error`` if ``interaction.command_failed``
  (set before the tree's and the command's error handlers run, which stay the bot's) or the
  task raised, else ``success`` (when discord.py dispatches ``on_app_command_completion``).
  A done callback rather than an ``on_app_command_completion`` listener: a listener is one
  more task per command, and no listener sees a cancelled command at all.
- prefix commands (``commands.Bot``): ``bot.invoke`` is wrapped on the instance to stamp the
  start on the context just before the library runs the command; ``on_command_completion``
  and ``on_command_error`` listeners (``bot.add_listener``, beside the bot's own) give the
  outcome. A completion with ``ctx.command_failed`` set is a cancelled command (discord.py
  swallows the CancelledError and dispatches the completion). A message that names no command
  (``CommandNotFound``) is not a command and is not counted.
- gateway (``commands.Bot``): ``on_connect`` / ``on_disconnect`` / ``on_resumed`` listeners,
  or their ``on_shard_*`` forms on an AutoShardedBot (which dispatches both), counted per
  shard; latency per shard, guild count and voice clients are read at scrape time. A plain
  ``discord.Client`` has no ``add_listener``: it gets the command and scrape-time metrics, not
  the gateway event counts.

Command labels are the commands' qualified names, taken from the command objects the library
resolved (bounded by the bot's code; see ``BotMetrics.command_from_tree``); an application
command the tree does not know (``CommandNotFound``) is ``other``. An exception inside any of
these hooks is swallowed and counted in ``instrumentation_errors_total{adapter="discord"}``.

Tested with discord.py in the range ``SUPPORTED``; its forks (py-cord, nextcord, disnake) are
not supported: their hooks differ, and ``instrument`` says so.
"""

from __future__ import annotations

import asyncio
import functools
from time import perf_counter

from lavametrics.bot.metrics import OTHER, BotMetrics
from lavametrics.errors import LavametricsError

ADAPTER = "discord"
# [lowest tested, first untested major): keep equal to pyproject's [discord] extra (a unit test does)
SUPPORTED = ((2, 7, 1), (3, 0, 0))
_MARK = "_lavametrics_instrumented"  # attribute on the client: instrument() ran
_START = "lavametrics.start"  # key in Interaction.extras (discord.py leaves the dict to bots)
_CTX_START = "_lavametrics_start"  # attribute on a commands.Context


class UnsupportedLibrary(LavametricsError, RuntimeError):
    """The installed library (or its version) is not one this adapter was tested with."""


def _version_text(bounds) -> str:
    low, high = bounds
    return f">={'.'.join(map(str, low))},<{high[0]}"


def check_library(client=None):
    """The ``discord`` module, after checking it is discord.py in the tested range and that
    ``client`` (if given) is a discord.py Client; UnsupportedLibrary (one line) otherwise."""
    module = type(client).__module__.split(".")[0] if client is not None else "discord"
    if module in ("nextcord", "disnake"):
        raise UnsupportedLibrary(
            f"lavametrics.bot.discord supports discord.py {_version_text(SUPPORTED)}, not {module}"
        )
    try:
        import discord
    except ImportError:
        raise UnsupportedLibrary(
            "lavametrics.bot.discord needs discord.py: pip install 'lavametrics[discord]'"
        ) from None
    title = getattr(discord, "__title__", "")
    if title != "discord":  # py-cord installs a "discord" package too, titled "pycord"
        raise UnsupportedLibrary(
            f"lavametrics.bot.discord supports discord.py {_version_text(SUPPORTED)}, "
            f"not {title or 'an unknown discord package'} {getattr(discord, '__version__', '?')}"
        )
    version = (discord.version_info.major, discord.version_info.minor, discord.version_info.micro)
    low, high = SUPPORTED
    if not (low <= version < high):
        raise UnsupportedLibrary(
            f"lavametrics.bot.discord supports discord.py {_version_text(SUPPORTED)}; this is {discord.__version__}"
        )
    if client is not None and not isinstance(client, discord.Client):
        raise UnsupportedLibrary(
            f"instrument() takes a discord.Client, commands.Bot or AutoShardedBot, not {type(client).__name__}"
        )
    return discord


class _Instrumentation:
    """What ``instrument`` installed on one client."""

    def __init__(self, client, metrics: BotMetrics, discord_module):
        self.client = client
        self.metrics = metrics
        self.sharded = isinstance(client, discord_module.AutoShardedClient)
        self._autocomplete = discord_module.InteractionType.autocomplete

    def _error(self) -> None:
        self.metrics.hook_error(ADAPTER)

    # --- application commands ------------------------------------------------------------

    def wrap_tree(self, tree) -> None:
        original = tree.interaction_check
        on_done = self._app_command_done

        @functools.wraps(original)
        async def interaction_check(interaction, /):
            try:
                if interaction.type is not self._autocomplete:
                    interaction.extras[_START] = perf_counter()
                    task = asyncio.current_task()
                    if task is not None:
                        task.add_done_callback(functools.partial(on_done, interaction))
            except Exception:
                self._error()
            return await original(interaction)

        tree.interaction_check = interaction_check

    def _app_command_done(self, interaction, task: asyncio.Task) -> None:
        try:
            seconds = perf_counter() - interaction.extras[_START]
            if task.cancelled():
                outcome = "cancelled"
            elif interaction.command_failed:
                outcome = "error"
            else:
                exc = task.exception()
                outcome = "success" if exc is None else "error"
                if exc is not None:
                    # reading it marked it retrieved: report it as asyncio would have, so the
                    # bot's log still shows an exception that escaped the tree's handlers
                    task.get_loop().call_exception_handler(
                        {"message": "Task exception was never retrieved", "exception": exc, "future": task}
                    )
            # the command the tree resolved (cached on the interaction); None when unknown
            command = interaction.command
            name = OTHER if command is None else self.metrics.command_from_tree(command.qualified_name)
            self.metrics.observe_command(name, seconds, outcome)
        except Exception:
            self._error()

    # --- prefix commands -----------------------------------------------------------------

    def wrap_invoke(self, bot) -> None:
        original = bot.invoke

        @functools.wraps(original)
        async def invoke(ctx, /):
            try:
                setattr(ctx, _CTX_START, perf_counter())
            except Exception:
                self._error()
            return await original(ctx)

        bot.invoke = invoke

    def _prefix_done(self, ctx, outcome: str) -> None:
        try:
            start = getattr(ctx, _CTX_START, None)
            command = ctx.command
            if start is None or command is None:  # not through bot.invoke, or no such command
                return
            name = self.metrics.command_from_tree(command.qualified_name)
            self.metrics.observe_command(name, perf_counter() - start, outcome)
        except Exception:
            self._error()

    async def on_command_completion(self, ctx) -> None:
        self._prefix_done(ctx, "cancelled" if ctx.command_failed else "success")

    async def on_command_error(self, ctx, error) -> None:
        self._prefix_done(ctx, "error")

    # --- gateway -------------------------------------------------------------------------

    def _gateway(self, shard, event: str) -> None:
        try:
            self.metrics.gateway_event(shard if shard is not None else (self.client.shard_id or 0), event)
        except Exception:
            self._error()

    async def on_connect(self) -> None:
        self._gateway(None, "connect")

    async def on_disconnect(self) -> None:
        self._gateway(None, "disconnect")

    async def on_resumed(self) -> None:
        self._gateway(None, "resume")

    async def on_shard_connect(self, shard_id: int) -> None:
        self._gateway(shard_id, "connect")

    async def on_shard_disconnect(self, shard_id: int) -> None:
        self._gateway(shard_id, "disconnect")

    async def on_shard_resumed(self, shard_id: int) -> None:
        self._gateway(shard_id, "resume")

    def add_listeners(self, bot) -> None:
        bot.add_listener(self.on_command_completion, "on_command_completion")
        bot.add_listener(self.on_command_error, "on_command_error")
        # an AutoShardedBot dispatches both forms: count one
        gateway = (
            ("shard_connect", "shard_disconnect", "shard_resumed")
            if self.sharded
            else (
                "connect",
                "disconnect",
                "resumed",
            )
        )
        for event in gateway:
            bot.add_listener(getattr(self, f"on_{event}"), f"on_{event}")


def instrument(client, metrics: BotMetrics):
    """Instrument a discord.py ``Client``, ``commands.Bot`` or ``AutoShardedBot`` (see the
    module's docstring); returns the installed instrumentation. Calling it again on the same
    client is a no-op returning the first one. Application commands are found on ``client.tree``:
    ``commands.Bot`` has it; a plain ``Client`` gets it the way discord.py's examples do
    (``self.tree = app_commands.CommandTree(self)``) before ``instrument``.
    Raises UnsupportedLibrary for anything but discord.py in the tested range."""
    done = getattr(client, _MARK, None)
    if done is not None:
        return done
    discord = check_library(client)
    inst = _Instrumentation(client, metrics, discord)
    metrics.declare_adapter(ADAPTER)
    tree = getattr(client, "tree", None)  # commands.Bot's, or the convention for a plain Client
    if tree is not None:
        inst.wrap_tree(tree)
        for command in tree.walk_commands():
            if not isinstance(command, discord.app_commands.Group):
                metrics.command_from_tree(command.qualified_name)
    if hasattr(client, "add_listener") and hasattr(client, "invoke"):  # commands.Bot and AutoShardedBot
        inst.wrap_invoke(client)
        inst.add_listeners(client)
        for command in client.walk_commands():
            metrics.command_from_tree(command.qualified_name)
        if not inst.sharded:
            metrics.declare_shard(client.shard_id or 0)
    metrics.watch_client(client)
    setattr(client, _MARK, inst)
    return inst
