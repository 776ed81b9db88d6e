"""Instrument a discord.py bot: every slash and prefix command timed with its outcome, and the
gateway's health, from the library's own hooks (``pip install 'lavametrics[discord]'``).

    metrics = BotMetrics.from_env() ... or BotMetrics()
    instrument(bot, metrics)   # a discord.Client, commands.Bot or commands.AutoShardedBot

What it hooks, and why there (the bot's own handlers are never replaced):

- application (slash and context-menu) commands: the tree's ``_call`` (the coroutine the task
  discord.py makes per interaction awaits, which runs ``interaction_check``, the command and
  its error handlers) is wrapped on the instance; the outcome is what the library recorded:
  ``cancelled`` if the task was cancelled, ``error`` if ``interaction.command_failed`` (set
  before the command's and the tree's error handlers run, which stay the bot's) or an
  exception left it, else ``success`` (when discord.py dispatches
  ``on_app_command_completion``); every exception goes on unchanged. ``_call`` is discord.py's
  private method (2.0 to 2.7 alike); ``instrument`` refuses a tree without it. Not an
  ``on_app_command_completion`` listener: a listener costs a task per command, and no listener
  sees a cancelled command; not a done callback on the task: one more loop callback per command
  (~0.8 µs).
- prefix commands (``commands.Bot``) and gateway events: the client's ``dispatch`` is wrapped
  on the instance (``lavametrics.bot._dispatch``), which feeds the metrics synchronously and
  then dispatches as before, so the bot's own ``on_*`` handlers and listeners run unchanged.
  ``command`` (dispatched by ``Bot.invoke`` once the command is resolved, before its checks)
  stamps the start on the context; ``command_completion`` and ``command_error`` give the
  outcome. A completion with ``ctx.command_failed`` set is a cancelled command (discord.py
  swallows the CancelledError and dispatches the completion). A message that names no command
  (``CommandNotFound``) is not a command and is not counted. Not listeners: a listener costs
  a task per event (~2 µs a command).
- gateway: ``connect`` / ``disconnect`` / ``resumed``, or their ``shard_*`` forms on an
  AutoShardedBot (which dispatches both; the shard's form is counted), per shard; latency per
  shard, guild count and voice clients are read at scrape time.

Command labels are the commands' qualified names, taken from the command objects the library
resolved (bounded by the bot's code; see ``BotMetrics.command_from_tree``); an application
command the tree does not know (``CommandNotFound``) is ``other``. An exception inside any of
these hooks is swallowed and counted in ``instrumentation_errors_total{adapter="discord"}``.

Tested with discord.py in the range ``SUPPORTED``; its forks (py-cord, nextcord, disnake) are
not supported: their hooks differ, and ``instrument`` says so.
"""

from __future__ import annotations

import functools
from asyncio import CancelledError
from time import perf_counter

from lavametrics.bot._dispatch import UnsupportedLibrary, version_text, wrap_dispatch
from lavametrics.bot.metrics import MAX_COMMANDS, OTHER, BotMetrics

ADAPTER = "discord"
# [lowest tested, first untested major): keep equal to pyproject's [discord] extra (a unit test does)
SUPPORTED = ((2, 7, 1), (3, 0, 0))
_MARK = "_lavametrics_instrumented"  # attribute on the client: instrument() ran
_CTX_START = "_lavametrics_start"  # attribute on a commands.Context


def check_library(client=None):
    """The ``discord`` module, after checking it is discord.py in the tested range and that
    ``client`` (if given) is a discord.py Client; UnsupportedLibrary (one line) otherwise."""
    module = type(client).__module__.split(".")[0] if client is not None else "discord"
    if module in ("nextcord", "disnake"):
        raise UnsupportedLibrary(f"lavametrics.bot.discord supports discord.py {version_text(SUPPORTED)}, not {module}")
    try:
        import discord
    except ImportError:
        raise UnsupportedLibrary(
            "lavametrics.bot.discord needs discord.py: pip install 'lavametrics[discord]'"
        ) from None
    title = getattr(discord, "__title__", "")
    if title != "discord":  # py-cord installs a "discord" package too, titled "pycord"
        raise UnsupportedLibrary(
            f"lavametrics.bot.discord supports discord.py {version_text(SUPPORTED)}, "
            f"not {title or 'an unknown discord package'} {getattr(discord, '__version__', '?')}"
        )
    version = (discord.version_info.major, discord.version_info.minor, discord.version_info.micro)
    low, high = SUPPORTED
    if not (low <= version < high):
        raise UnsupportedLibrary(
            f"lavametrics.bot.discord supports discord.py {version_text(SUPPORTED)}; this is {discord.__version__}"
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
        # every command passes here: its label is worked out once per command object (the
        # qualified name is a property that walks the parents), and the duration, which this
        # module measured itself, goes straight to the command metrics without observe_command's
        # checks of a caller's value
        self._labels: dict = {}
        self._observe = metrics._observe

    def _label(self, command) -> str:
        """The label of a command object the library resolved (None: ``other``)."""
        label = self._labels.get(command)
        if label is None:
            label = OTHER if command is None else self.metrics.command_from_tree(command.qualified_name)
            if len(self._labels) < MAX_COMMANDS:
                self._labels[command] = label
        return label

    def _error(self) -> None:
        self.metrics.hook_error(ADAPTER)

    # --- application commands ------------------------------------------------------------

    def wrap_tree(self, tree) -> None:
        original = tree._call
        observe, labels, label, autocomplete = self._observe, self._labels, self._label, self._autocomplete
        on_error = self._error

        def done(interaction, start: float, outcome: str) -> None:
            try:
                # the command the tree resolved (cached on the interaction); None when unknown
                command = interaction.command
                observe(labels.get(command) or label(command), outcome, perf_counter() - start)
            except Exception:
                on_error()

        @functools.wraps(original)
        async def call(interaction, /):
            if interaction.type is autocomplete:
                return await original(interaction)
            start = perf_counter()
            try:
                await original(interaction)
            except BaseException as exc:
                # an AppCommandError (the tree's invoker hands it to the tree's on_error), a
                # cancelled task, or anything escaping the tree: the exception goes on as it was
                done(interaction, start, "cancelled" if isinstance(exc, CancelledError) else "error")
                raise
            # command_failed: set by the library before the command's and the tree's error
            # handlers run (they stay the bot's), or by a failed interaction_check
            done(interaction, start, "error" if interaction.command_failed else "success")

        tree._call = call

    # --- prefix commands and the gateway, from the client's dispatch ------------------------

    def feed(self) -> dict:
        """discord.py event name -> function of its dispatched arguments (see wrap_dispatch)."""
        gateway = self.metrics.gateway_event
        feed = self.prefix_feed()
        if self.sharded:  # an AutoShardedBot dispatches both forms: count the one with the shard
            feed |= {
                "shard_connect": lambda shard_id: gateway(shard_id, "connect"),
                "shard_disconnect": lambda shard_id: gateway(shard_id, "disconnect"),
                "shard_resumed": lambda shard_id: gateway(shard_id, "resume"),
            }
        else:
            shard = self.client.shard_id or 0
            feed |= {
                "connect": lambda: gateway(shard, "connect"),
                "disconnect": lambda: gateway(shard, "disconnect"),
                "resumed": lambda: gateway(shard, "resume"),
            }
        return feed

    def prefix_feed(self) -> dict:
        """The prefix-command hooks: closures over what they read, as every command runs them."""
        observe, labels, label = self._observe, self._labels, self._label

        def started(ctx) -> None:
            # Bot.invoke dispatches "command" once it has resolved the command, just before
            # its checks and callback run
            setattr(ctx, _CTX_START, perf_counter())

        def done(ctx, outcome: str) -> None:
            start = getattr(ctx, _CTX_START, None)
            command = ctx.command
            if start is not None and command is not None:  # else no such command (CommandNotFound)
                observe(labels.get(command) or label(command), outcome, perf_counter() - start)

        def completed(ctx) -> None:
            # done() inlined: every command that succeeds passes here. discord.py swallows a
            # cancelled command's CancelledError and completes it failed.
            start = getattr(ctx, _CTX_START, None)
            command = ctx.command
            if start is not None and command is not None:
                outcome = "cancelled" if ctx.command_failed else "success"
                observe(labels.get(command) or label(command), outcome, perf_counter() - start)

        return {
            "command": started,
            "command_completion": completed,
            "command_error": lambda ctx, error: done(ctx, "error"),
        }


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
        if not callable(getattr(tree, "_call", None)):
            raise UnsupportedLibrary(
                f"lavametrics.bot.discord needs CommandTree._call (discord.py {version_text(SUPPORTED)}); "
                f"this discord.py {discord.__version__} has none"
            )
        inst.wrap_tree(tree)
        for command in tree.walk_commands():
            if not isinstance(command, discord.app_commands.Group):
                metrics.command_from_tree(command.qualified_name)
    if hasattr(client, "walk_commands"):  # commands.Bot and AutoShardedBot: prefix commands
        for command in client.walk_commands():
            metrics.command_from_tree(command.qualified_name)
    if not inst.sharded:
        metrics.declare_shard(client.shard_id or 0)
    wrap_dispatch(client, metrics, ADAPTER, "", inst.feed())
    metrics.watch_client(client)
    setattr(client, _MARK, inst)
    return inst
