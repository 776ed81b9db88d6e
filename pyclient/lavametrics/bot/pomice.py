"""Feed BotMetrics from pomice 2.x (``pip install 'lavametrics[pomice]'``).

pomice dispatches Lavalink's player events on the discord client as
``client.dispatch("pomice_<event>", *args)``; ``instrument`` wraps that method on the instance
(``lavametrics.bot._dispatch`` says why there), so the bot's ``on_pomice_*`` handlers run as
before.

- ``track_start``, ``track_end`` (reason), ``track_exception`` (severity), ``track_stuck``;
- ``websocket_closed`` -> ``voice_close(code)``.

pomice dispatches no node events (its nodes reconnect silently) and its players hold no queue
(``pomice.Queue`` is the bot's own object): report those with ``metrics.node_event`` and
``metrics.set_queue_length``. An exception inside the wrapper is counted in
``instrumentation_errors_total{adapter="pomice"}``.
"""

from __future__ import annotations

from lavametrics.bot._dispatch import UnsupportedLibrary, check_version, severity, wrap_dispatch
from lavametrics.bot.discord import check_library as check_discord
from lavametrics.bot.metrics import BotMetrics

ADAPTER = "pomice"
# [lowest tested, first untested major): keep equal to pyproject's [pomice] extra (a unit test does)
SUPPORTED = ((2, 11, 1), (3, 0, 0))


def check_library():
    try:
        import pomice
    except ImportError:
        raise UnsupportedLibrary("lavametrics.bot.pomice needs pomice: pip install 'lavametrics[pomice]'") from None
    check_version(ADAPTER, "pomice", getattr(pomice, "__version__", ""), SUPPORTED)
    return pomice


def make_feed(metrics: BotMetrics):
    # pomice passes each event's handler_args: (player, track[, reason | threshold | exception])
    # or (payload,) for websocket_closed
    return {
        "track_start": lambda player, track: metrics.track_event("start"),
        "track_end": lambda player, track, reason: metrics.track_event("end", reason),
        "track_exception": lambda player, track, exc: metrics.track_event("exception", severity(exc)),
        "track_stuck": lambda player, track, threshold: metrics.track_event("stuck"),
        "websocket_closed": lambda payload: metrics.voice_close(payload.code),
    }


def instrument(client, metrics: BotMetrics):
    """Count pomice's events on ``client`` (the bot its NodePool was given); again on the same
    client is a no-op. UnsupportedLibrary outside the tested range."""
    check_discord(client)
    check_library()
    return wrap_dispatch(client, metrics, ADAPTER, "pomice_", make_feed(metrics))
