"""What the live tests of the bot adapters share: Discord's side, the tracks, the playback
they drive, a restart and a stop of the node, waiting for the bot's counters, reading them,
and the node's own counters across a restart of the node.

Each adapter's live test (test_*_live.py) drives the real library against the node its module
starts (fixtures ``sim`` and ``voice_node`` in conftest.py): the same playback
(``play_close_and_stop``), and for the libraries that report node events a restart
(``restart_node``) or a stop (``stop_node``) of the node; it ends by checking what the bot
counted (``assert_played``) and comparing it with the plugin's counters for the same events
(``assert_counts_equal``). Each test keeps what its library does differently: how it connects,
loads and plays, and what it believes after a stop it did not notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

from lavametrics.devtools import discordpayloads
from lavametrics.devtools.audioserve import AudioServer
from lavametrics.devtools.wavgen import write_tone
from tests.integration import discordfake
from tests.samples import Key, scrape, total

BOT_USER = 4243  # the bot's user id (the node's User-Id header): any id works
NODE = "local"  # the node's name in BotMetrics (each library's identifier or label for it)
FRAMES = 300  # frames the voice simulator must receive of the long track: audio really flowed
DAVE_REQUIRED = (4017, "E2EE/DAVE protocol required")  # the voice close the tests make by default


def tones(tmp_path: Path) -> tuple[Path, Path]:
    """The short track (2 s, played to its end) and the long one (30 s, stopped)."""
    return write_tone(tmp_path / "short.wav", seconds=2), write_tone(tmp_path / "long.wav", seconds=30)


@contextlib.contextmanager
def served_tones(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """``tones`` over HTTP (the node's ``http`` source), for libraries that prefix anything but a
    URL with a search type: their URLs, served until the block ends."""
    short, long = (AudioServer(path).start() for path in tones(tmp_path))
    try:
        yield short.url, long.url
    finally:
        short.stop()
        long.stop()


def join_discord(client, sim, guild_id: int, channel_id: int):
    """Discord's side for a discord.py client that never logs in (inside ``async with client``):
    READY, the guild with its voice channel, and a gateway whose voice-state op answers point at
    the voice simulator. Returns the guild and the gateway stand-in."""
    discordpayloads.log_in(client, BOT_USER)
    guild = discordfake.join_guild(client, guild_id, channel_id)
    return guild, discordfake.connect_gateway(client, sim)


async def connect_voice(guild, channel_id: int, gateway, sim, cls, timeout: float):
    """Join the voice channel as a bot does (``channel.connect(cls=<the library's Player>)``) and
    wait for the voice simulator to see the node's voice connection. Returns the player."""
    player = await guild.get_channel(channel_id).connect(cls=cls, timeout=timeout)
    assert gateway.ops[0] == (guild.id, channel_id)  # discord.py sent the voice-state op to join
    await off_loop(sim.wait_connected, guild.id, 15)
    return player


async def until(condition, timeout: float, what: str, loop_errors: list[str] | None = None) -> None:
    """Wait (without blocking the bot's loop) until ``condition()``; AssertionError naming
    ``what`` and, if given, what asyncio reported meanwhile (see ``quiet_loop_errors``)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            seen = f"; asyncio reported: {loop_errors}" if loop_errors else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}{seen}")
        await asyncio.sleep(0.05)


async def off_loop(fn, *args):
    """A blocking call (the voice simulator's waits) off the bot's event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


def quiet_loop_errors(into: list[str]) -> None:
    """Keep what asyncio reports on the running loop (say, a library's task whose exception
    nobody retrieved) as one line each in ``into``, without formatting a traceback: asyncio
    reports such a task when it is garbage collected, and a traceback formatted there can land
    inside CPython 3.11's ``ast.parse`` and break it (gh-106905)."""

    def keep(loop, context) -> None:
        exc = context.get("exception")
        into.append(f"{context.get('message')}: {exc!r}" if exc is not None else str(context.get("message")))

    asyncio.get_running_loop().set_exception_handler(keep)


def count(registry, name: str, **labels: str) -> float:
    """One bot-side sample; 0 when absent."""
    return registry.get_sample_value(name, labels) or 0.0


def node_events(registry, event: str) -> float:
    """The bot's count of ``event`` (connected, ready, disconnected) of the node."""
    return count(registry, "bot_lavalink_node_events_total", node=NODE, event=event)


def track_ends(registry, reason: str) -> float:
    return count(registry, "bot_lavalink_track_events_total", event="end", reason=reason)


async def play_close_and_stop(
    registry,
    sim,
    guild_id: int,
    sources: tuple[object, object],
    play: Callable[[object], Awaitable[None]],
    stop: Callable[[], Awaitable[None]],
    *,
    close: tuple[int, str] = DAVE_REQUIRED,
    close_after_stop: bool = False,
) -> None:
    """The playback every live test drives through its library (``play(source)``, ``stop()``)
    from ``sources`` (short, long): the short one played to its end, the long one until the
    voice simulator received ``FRAMES`` of it, the voice server closing the connection with
    ``close`` (code, reason), and the long track stopped; each step waited for in the bot's
    counters. With ``close_after_stop`` the close comes after the stop (for a library whose
    stop needs a connected player)."""
    short, long = sources
    await play(short)
    await until(lambda: track_ends(registry, "finished") == 1, 20, "the short track to finish")
    await play(long)
    await off_loop(sim.wait_packets, guild_id, FRAMES, 15)
    if not close_after_stop:
        await _close_voice(registry, sim, guild_id, close)
    await stop()
    await until(lambda: track_ends(registry, "stopped") == 1, 15, "the long track's end")
    if close_after_stop:
        await _close_voice(registry, sim, guild_id, close)


async def _close_voice(registry, sim, guild_id: int, close: tuple[int, str]) -> None:
    code, reason = close
    assert sim.close(guild_id, code, reason)
    await until(
        lambda: count(registry, "bot_voice_closes_total", code=str(code)) == 1, 15, f"the {code} close to reach the bot"
    )


async def restart_node(nodes: NodeCounts, registry, library: str, loop_errors: list[str], *, crash: bool = False):
    """Restart the node (``crash``: killed, its sockets dropped without a close frame) and wait
    for the library to report it gone and ready again."""
    gone = node_events(registry, "disconnected") + 1
    ready = node_events(registry, "ready") + 1
    await off_loop(functools.partial(nodes.restart, crash=crash))
    await until(lambda: node_events(registry, "disconnected") == gone, 30, f"{library} to see the node go", loop_errors)
    await until(
        lambda: node_events(registry, "ready") == ready,
        90,
        f"{library} to reconnect to the restarted node",
        loop_errors,
    )


async def stop_node(nodes: NodeCounts, registry, library: str, reader: asyncio.Task, loop_errors: list[str]) -> str:
    """Stop the node as Lavalink stops: a close frame (1001) or, when Spring's shutdown wins the
    race with Lavalink's own shutdown hook, a drop. Returns which the library saw: "dropped" (it
    noticed: a disconnect counted) or "close frame", when ``reader``, the library's socket
    reader, died on it instead (wavelink 3.5 and mafic 2.11 call ``json()`` on the close code)
    and nothing was dispatched: nothing for the bot to count."""
    before = node_events(registry, "disconnected")
    await off_loop(nodes.stop)

    def died() -> bool:
        return reader.done() and not reader.cancelled() and reader.exception() is not None

    noticed = before + 1
    await until(
        lambda: died() or node_events(registry, "disconnected") == noticed,
        30,
        f"{library}'s reader to end",
        loop_errors,
    )
    if not died():
        return "dropped"
    assert node_events(registry, "disconnected") == before  # nothing dispatched
    return "close frame"


def assert_played(registry, sim, guild_id: int, adapter: str) -> None:
    """What the bot counted of ``play_close_and_stop``: two starts, one finished and one stopped
    end, no error of the adapter's own, and frames really reached the voice simulator."""
    assert count(registry, "bot_lavalink_track_events_total", event="start", reason="none") == 2
    assert track_ends(registry, "finished") == 1
    assert track_ends(registry, "stopped") == 1
    assert count(registry, "bot_instrumentation_errors_total", adapter=adapter) == 0
    assert sim.stats()[str(guild_id)]["total_packets"] >= FRAMES


def bot_total(registry, name: str, **match: str) -> float:
    """The sum of the bot-side samples of ``name`` whose labels include ``match``."""
    return sum(
        s.value
        for fam in registry.collect()
        for s in fam.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in match.items())
    )


class NodeCounts:
    """The plugin's counters over a test, across restarts of the node: a restarted node starts
    every counter at 0 again, so what the first process counted is kept from its last scrape."""

    def __init__(self, node):
        self.node = node
        self._base: dict[Key, float] = scrape(node.metrics_url)
        self._done: list[tuple[dict[Key, float], dict[Key, float]]] = []  # (base, last) per process

    def restart(self, *, crash: bool = False) -> None:
        """Stop the node (after a last scrape of its counters) and start it on the same port.
        Stopped as Lavalink stops (SIGTERM: it closes every client socket with 1001), or with
        ``crash`` killed (SIGKILL: the sockets drop without a close frame, as in a crash or an
        OOM kill)."""
        self._done.append((self._base, scrape(self.node.metrics_url)))
        if crash:
            os.killpg(self.node.process.pid, signal.SIGKILL)
            self.node.process.wait(timeout=30)
        self.node.stop()
        self.node.start()
        self._base = {}  # a new process: every counter from 0

    def stop(self) -> None:
        """Stop the node as Lavalink stops (SIGTERM), after a last scrape of its counters."""
        self._done.append((self._base, scrape(self.node.metrics_url)))
        self._base = {}
        self.node.stop()

    def delta(self, name: str, **match: str) -> float:
        """What the node counted of ``name`` (labels including ``match``) since this object was made."""
        spans = [*self._done, (self._base, scrape(self.node.metrics_url) if self.node.running() else {})]
        return sum(total(last, name, **match) - total(base, name, **match) for base, last in spans)


def assert_counts_equal(registry, nodes: NodeCounts, *, closes: dict[str, int], sessions: int | None = None) -> None:
    """The bot's track and voice-close counters equal the plugin's for the same events; with
    ``sessions``, the bot's node connects equal the sessions the node (all its processes) opened."""
    bot_starts = count(registry, "bot_lavalink_track_events_total", event="start", reason="none")
    assert bot_starts == nodes.delta("lavametrics_track_starts_total")
    for reason in ("finished", "stopped", "replaced", "loadFailed", "cleanup"):
        bot = count(registry, "bot_lavalink_track_events_total", event="end", reason=reason)
        assert bot == nodes.delta("lavametrics_track_ends_total", reason=reason), reason
    for code, expected in closes.items():
        assert count(registry, "bot_voice_closes_total", code=code) == expected
        assert nodes.delta("lavametrics_voice_closes_total", code=code) == expected
    if sessions is not None:
        assert bot_total(registry, "bot_lavalink_node_events_total", event="connected") == sessions
        assert nodes.delta("lavametrics_session_opens_total", resumed="false") == sessions
