"""Feed BotMetrics from wavelink 3.x (``pip install 'lavametrics[wavelink]'``).

wavelink hands every Lavalink event to the discord client as ``client.dispatch("wavelink_<event>",
payload)``, looking the method up on the client each time. ``instrument`` wraps that method on
the instance: the wrapper feeds the metrics synchronously, then calls the client's own
dispatch unchanged, so the bot's ``on_wavelink_*`` handlers run as before. A listener per event
(``add_listener``) would work on a ``commands.Bot`` only, and costs a task per event; this costs
well under a microsecond per track event and works on a plain ``discord.Client`` too.

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

from lavametrics.bot.discord import UnsupportedLibrary, _version_text
from lavametrics.bot.discord import check_library as check_discord
from lavametrics.bot.metrics import BotMetrics

ADAPTER = "wavelink"
# [lowest tested, first untested major): keep equal to pyproject's [wavelink] extra (a unit test does)
SUPPORTED = ((3, 5, 2), (4, 0, 0))
_MARK = "_lavametrics_wavelink"
_PREFIX = "wavelink_"


def check_library():
    """The ``wavelink`` module, after checking its version; UnsupportedLibrary (one line) otherwise."""
    try:
        import wavelink
    except ImportError:
        raise UnsupportedLibrary(
            "lavametrics.bot.wavelink needs wavelink: pip install 'lavametrics[wavelink]'"
        ) from None
    raw = getattr(wavelink, "__version__", "")
    try:
        version = tuple(int(part) for part in raw.split(".")[:3])
    except ValueError:
        version = ()
    low, high = SUPPORTED
    if not (low <= version < high):
        raise UnsupportedLibrary(
            f"lavametrics.bot.wavelink supports wavelink {_version_text(SUPPORTED)}; this is {raw or 'unknown'}"
        )
    return wavelink


def _node_name(node) -> str:
    return str(node.identifier)


def make_feed(metrics: BotMetrics):
    """event name (without ``wavelink_``) -> function of the dispatched arguments."""

    def node_ready(payload) -> None:
        name = _node_name(payload.node)
        metrics.node_event(name, "connected")
        metrics.node_event(name, "ready")

    def severity(payload) -> str:
        exc = payload.exception or {}
        return str(exc.get("severity", "none")).lower()  # Lavalink v4 sends "common", "suspicious", "fault"

    return {
        "node_ready": node_ready,
        "node_disconnected": lambda payload: metrics.node_event(_node_name(payload.node), "disconnected"),
        "track_start": lambda payload: metrics.track_event("start"),
        "track_end": lambda payload: metrics.track_event("end", str(payload.reason)),
        "track_exception": lambda payload: metrics.track_event("exception", severity(payload)),
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
    feed = make_feed(metrics)
    original = client.dispatch
    cut = len(_PREFIX)

    @functools.wraps(original)
    def dispatch(event, /, *args, **kwargs):
        if event.startswith(_PREFIX):
            handler = feed.get(event[cut:])
            if handler is not None:
                try:
                    handler(*args)
                except Exception:
                    metrics.hook_error(ADAPTER)
        return original(event, *args, **kwargs)

    metrics.declare_adapter(ADAPTER)
    metrics.queue_from(functools.partial(queued_tracks, wavelink.Pool), ADAPTER)
    client.dispatch = dispatch
    setattr(client, _MARK, dispatch)
    return dispatch
