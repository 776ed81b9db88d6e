"""Feed BotMetrics from mafic 2.x (``pip install 'lavametrics[mafic]'``).

mafic dispatches Lavalink's events on the discord client without a prefix
(``client.dispatch("track_end", event)``); ``instrument`` wraps that method on the instance
(``lavametrics.bot._dispatch`` says why there), so the bot's ``on_track_end`` and other
handlers run as before.

- ``node_ready`` -> node events ``connected`` and ``ready`` (mafic has no separate connected
  event), ``node_unavailable`` -> ``disconnected``; the label is the node's ``label``;
- ``track_start``, ``track_end`` (reason), ``track_exception`` (severity), ``track_stuck``;
- ``websocket_closed`` -> ``voice_close(code)``.

mafic holds no queue (bots keep their own): report it with ``metrics.set_queue_length``.
An exception inside the wrapper is counted in ``instrumentation_errors_total{adapter="mafic"}``.
"""

from __future__ import annotations

from lavametrics.bot._dispatch import UnsupportedLibrary, check_version, severity, wrap_dispatch
from lavametrics.bot.discord import check_library as check_discord
from lavametrics.bot.metrics import BotMetrics

ADAPTER = "mafic"
# [lowest tested, first untested major): keep equal to pyproject's [mafic] extra (a unit test does)
SUPPORTED = ((2, 11, 0), (3, 0, 0))


def check_library():
    try:
        import mafic
    except ImportError:
        raise UnsupportedLibrary("lavametrics.bot.mafic needs mafic: pip install 'lavametrics[mafic]'") from None
    check_version(ADAPTER, "mafic", getattr(mafic, "__version__", ""), SUPPORTED)
    return mafic


def make_feed(metrics: BotMetrics):
    def node_ready(node) -> None:
        metrics.node_event(str(node.label), "connected")
        metrics.node_event(str(node.label), "ready")

    return {
        "node_ready": node_ready,
        "node_unavailable": lambda node: metrics.node_event(str(node.label), "disconnected"),
        "track_start": lambda event: metrics.track_event("start"),
        "track_end": lambda event: metrics.track_event("end", event.reason),
        "track_exception": lambda event: metrics.track_event("exception", severity(event.exception)),
        "track_stuck": lambda event: metrics.track_event("stuck"),
        "websocket_closed": lambda event: metrics.voice_close(event.code),
    }


def instrument(client, metrics: BotMetrics):
    """Count mafic's events on ``client`` (the discord client its NodePool was made with);
    again on the same client is a no-op. UnsupportedLibrary outside the tested range."""
    check_discord(client)
    check_library()
    return wrap_dispatch(client, metrics, ADAPTER, "", make_feed(metrics))
