"""Feed BotMetrics from Lavalink.py (PyPI ``lavalink``, v5) events.

Lavalink.py dispatches every event to "generic" hooks, which must be coroutine functions;
one generic hook keeps the adapter independent of which event classes a given 5.x release
has (classes missing in an older release are simply never matched).
"""

from __future__ import annotations

from lavametrics.bot.metrics import BotMetrics

_MARK = "__lavametrics_hook__"


def _value(enum_or_str) -> str:
    return str(getattr(enum_or_str, "value", enum_or_str) or "none")


def make_hook(metrics: BotMetrics):
    import lavalink.events as ev

    def cls(name):
        return getattr(ev, name, None) or type(f"_Missing{name}", (), {})

    node_connected, node_disconnected = cls("NodeConnectedEvent"), cls("NodeDisconnectedEvent")
    node_ready, node_changed = cls("NodeReadyEvent"), cls("NodeChangedEvent")
    start, end = cls("TrackStartEvent"), cls("TrackEndEvent")
    exception, stuck = cls("TrackExceptionEvent"), cls("TrackStuckEvent")
    load_failed, ws_closed = cls("TrackLoadFailedEvent"), cls("WebSocketClosedEvent")

    async def lavametrics_hook(event) -> None:
        # a bug here must not reach Lavalink.py's dispatch: swallowed and counted
        try:
            _feed(event)
        except Exception:
            metrics.hook_error("lavalink_py")

    def _feed(event) -> None:
        # only enum values and configured node names become labels -- never guild/track data
        if isinstance(event, node_connected):
            metrics.node_event(event.node.name, "connected")
        elif isinstance(event, node_disconnected):
            metrics.node_event(event.node.name, "disconnected")
        elif isinstance(event, node_ready):
            metrics.node_event(event.node.name, "ready")
        elif isinstance(event, node_changed):
            metrics.node_event(event.new_node.name, "changed")
        elif isinstance(event, start):
            metrics.track_event("start")
        elif isinstance(event, end):
            metrics.track_event("end", _value(event.reason))
        elif isinstance(event, exception):
            metrics.track_event("exception", _value(event.severity))
        elif isinstance(event, stuck):
            metrics.track_event("stuck")
        elif isinstance(event, load_failed):
            metrics.track_event("load_failed")
        elif isinstance(event, ws_closed):
            metrics.voice_close(event.code)

    metrics.declare_adapter("lavalink_py")
    setattr(lavametrics_hook, _MARK, True)
    return lavametrics_hook


def instrument(client, metrics: BotMetrics):
    """Register the hook on a ``lavalink.Client`` once; calling again is a no-op.

    The Client uses __slots__ (no weak references, no new attributes), so the hook already
    registered is recognised by a mark on the function itself.
    """
    existing = getattr(client, "_event_hooks", {}).get("Generic", [])
    for hook in existing:
        if getattr(hook, _MARK, False):
            return hook
    hook = make_hook(metrics)
    client.add_event_hook(hook)
    return hook
