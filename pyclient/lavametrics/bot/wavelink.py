"""Feed BotMetrics from wavelink 3.x (``pip install 'lavametrics[wavelink]'``).

wavelink hands every Lavalink event to the discord client as ``client.dispatch("wavelink_<event>",
payload)``; ``instrument`` wraps that method on the instance (``lavametrics.bot._dispatch``
says why there), so the bot's ``on_wavelink_*`` handlers run as before.

What is counted (only event names, end reasons, severities, close codes and the node
identifiers the bot configured become labels):

- ``node_ready`` -> node events ``connected`` and ``ready`` (wavelink has no separate
  connected event: its ready op follows the socket's opening), ``node_disconnected`` ->
  ``disconnected`` (an explicit ``Node.close`` dispatches it too, before ``node_closed``,
  which is therefore not counted again);
- ``track_start``, ``track_end`` (reason), ``track_exception`` (severity), ``track_stuck``;
- ``websocket_closed`` -> ``voice_close(code)``;
- ``bot_queue_tracks``: the tracks waiting in every player's queue, summed over the players
  of every node in wavelink's Pool when Prometheus scrapes (never per guild).

An exception inside the wrapper is swallowed and counted in
``instrumentation_errors_total{adapter="wavelink"}``; the client's dispatch still runs.
"""

from __future__ import annotations

import functools

from lavametrics.bot._dispatch import UnsupportedLibrary, check_version, severity, wrap_dispatch
from lavametrics.bot.discord import check_library as check_discord
from lavametrics.bot.metrics import BotMetrics

ADAPTER = "wavelink"
# [lowest tested, first untested major): keep equal to pyproject's [wavelink] extra (a unit test does)
SUPPORTED = ((3, 5, 2), (4, 0, 0))
_MARK = "_lavametrics_wavelink"


def check_library():
    """The ``wavelink`` module, after checking its version; UnsupportedLibrary (one line) otherwise."""
    try:
        import wavelink
    except ImportError:
        raise UnsupportedLibrary(
            "lavametrics.bot.wavelink needs wavelink: pip install 'lavametrics[wavelink]'"
        ) from None
    check_version(ADAPTER, "wavelink", getattr(wavelink, "__version__", ""), SUPPORTED)
    return wavelink


def _node_name(node) -> str:
    return str(node.identifier)


def make_feed(metrics: BotMetrics):
    """event name (without ``wavelink_``) -> function of the dispatched arguments."""

    def node_ready(payload) -> None:
        name = _node_name(payload.node)
        metrics.node_event(name, "connected")
        metrics.node_event(name, "ready")

    return {
        "node_ready": node_ready,
        "node_disconnected": lambda payload: metrics.node_event(_node_name(payload.node), "disconnected"),
        "track_start": lambda payload: metrics.track_event("start"),
        "track_end": lambda payload: metrics.track_event("end", payload.reason),
        "track_exception": lambda payload: metrics.track_event("exception", severity(payload.exception)),
        "track_stuck": lambda payload: metrics.track_event("stuck"),
        # wavelink turns the code into its DiscordVoiceCloseType enum
        "websocket_closed": lambda payload: metrics.voice_close(getattr(payload.code, "value", payload.code)),
    }


def queued_tracks(pool) -> int:
    """Tracks waiting in the queues of all players of all of ``pool``'s nodes."""
    return sum(len(player.queue) for node in pool.nodes.values() for player in node.players.values())


def instrument(client, metrics: BotMetrics):
    """Count wavelink's events on ``client`` (the discord client wavelink's Pool connects with)
    and report the queue depth; again on the same client is a no-op. UnsupportedLibrary for a
    wavelink (or discord.py) outside the tested range."""
    done = getattr(client, _MARK, None)
    if done is not None:
        return done
    check_discord(client)
    wavelink = check_library()
    dispatch = wrap_dispatch(client, metrics, ADAPTER, "wavelink_", make_feed(metrics))
    metrics.queue_from(functools.partial(queued_tracks, wavelink.Pool), ADAPTER)
    return dispatch
