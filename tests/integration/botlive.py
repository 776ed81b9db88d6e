"""What the live tests of the bot adapters share: waiting for the bot's counters, reading them,
and the node's own counters across a restart of the node.

Each adapter's live test (test_*_live.py) drives the real library against the node its module
starts (fixtures ``sim`` and ``voice_node`` in conftest.py) and ends by comparing the bot's
counters with the plugin's for the same events; the comparison lives here once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

from tests.samples import Key, scrape, total

BOT_USER = 4243  # the bot's user id (the node's User-Id header): any id works


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
