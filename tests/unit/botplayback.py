"""One playback as each Lavalink library hands it to a bot, for the adapters' unit tests: a
track start, a finished end, a load failure (v3's LOAD_FAILED spelling where the library
still passes it), an exception of ``severity``, a stuck track and a voice close per code of
``codes``; and the samples the adapters must export for it.

Each feed builds the library's own event objects and hands them over as the library does
(wavelink 3.5: ``client.dispatch("wavelink_<event>", payload)``; mafic 2.11:
``client.dispatch("<event>", event)``; pomice 2.11: ``event.dispatch(bot)``; Lavalink.py: the
events its client dispatches to the hook, returned for the caller to dispatch).
"""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace

import lavalink
import mafic
import pomice
import wavelink

# a track's info as Lavalink sends it (what wavelink's Playable and Lavalink.py's AudioTrack parse)
TRACK_INFO = {
    "identifier": "id",
    "isSeekable": True,
    "author": "a",
    "length": 1000,
    "isStream": False,
    "position": 0,
    "title": "t",
    "uri": "file:///t.wav",
    "artworkUrl": None,
    "isrc": None,
    "sourceName": "local",
}
TRACK = {"encoded": "QAAA", "info": TRACK_INFO, "pluginInfo": {}, "userData": {}}
FAMILIES = ("bot_lavalink_track_events_total", "bot_voice_closes_total")


def _exception(severity: str) -> dict:
    return {"message": "m", "severity": severity, "cause": "c"}


def wavelink_playback(client, severity: str = "fault", codes: Iterable[int] = (4017,)) -> None:
    d = client.dispatch
    d("wavelink_track_start", wavelink.TrackStartEventPayload(player=None, track=None))
    for reason in ("finished", "loadFailed"):
        d("wavelink_track_end", wavelink.TrackEndEventPayload(player=None, track=None, reason=reason))
    exc = _exception(severity)
    d("wavelink_track_exception", wavelink.TrackExceptionEventPayload(player=None, track=None, exception=exc))
    d("wavelink_track_stuck", wavelink.TrackStuckEventPayload(player=None, track=None, threshold=10_000))
    for code in codes:
        closed = wavelink.WebsocketClosedEventPayload(player=None, code=code, reason="", by_remote=True)
        d("wavelink_websocket_closed", closed)


def mafic_playback(client, severity: str = "fault", codes: Iterable[int] = (4017,)) -> None:
    d = client.dispatch
    d("track_start", mafic.TrackStartEvent(track=None, player=None))
    for reason in ("finished", "loadFailed"):
        d("track_end", mafic.TrackEndEvent(track=None, player=None, payload={"reason": reason}))
    exc = _exception(severity)
    d("track_exception", mafic.TrackExceptionEvent(track=None, player=None, payload={"exception": exc}))
    d("track_stuck", mafic.TrackStuckEvent(track=None, player=None, payload={"thresholdMs": 10_000}))
    for code in codes:
        closed = {"code": code, "reason": "", "byRemote": True}
        d("websocket_closed", mafic.WebSocketClosedEvent(payload=closed, player=None))


def pomice_playback(client, severity: str = "fault", codes: Iterable[int] = (4017,)) -> None:
    player = SimpleNamespace(_current=None, _ending_track=None)
    pomice.events.TrackStartEvent({}, player).dispatch(client)
    pomice.events.TrackEndEvent({"reason": "finished"}, player).dispatch(client)
    pomice.events.TrackEndEvent({"reason": "LOAD_FAILED"}, player).dispatch(client)  # Lavalink 3 spelling
    pomice.events.TrackExceptionEvent({"exception": _exception(severity)}, player).dispatch(client)
    pomice.events.TrackStuckEvent({"thresholdMs": 10_000}, player).dispatch(client)
    for code in codes:
        # WebSocketClosedPayload looks its guild up in a connected NodePool: its fields only
        client.dispatch("pomice_websocket_closed", SimpleNamespace(code=code, reason="", by_remote=True))


def lavalink_py_playback(severity: str = "fault", codes: Iterable[int] = (4017,)) -> list:
    ev, server = lavalink.events, lavalink.server
    track, player = server.AudioTrack(TRACK, requester=0), object()
    return [
        ev.TrackStartEvent(player, track),
        ev.TrackEndEvent(player, track, server.EndReason.FINISHED),
        ev.TrackEndEvent(player, track, server.EndReason.LOAD_FAILED),
        ev.TrackExceptionEvent(player, track, "m", server.Severity(severity), "c", None),
        ev.TrackStuckEvent(player, track, 10_000),
        *(ev.WebSocketClosedEvent(player, code, "", True) for code in codes),
    ]


def playback_samples(registry) -> dict:
    """The exported samples of the families a playback feeds: (name, labels) -> value."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for fam in registry.collect()
        for s in fam.samples
        if s.name in FAMILIES
    }


def expected_samples(severity: str = "fault", codes: Iterable[int] = (4017,)) -> dict:
    """What a playback of ``severity`` and ``codes`` must export, in the plugin's vocabulary."""
    track = "bot_lavalink_track_events_total"
    out = {
        (track, (("event", event), ("reason", reason))): 1.0
        for event, reason in (
            ("start", "none"),
            ("end", "finished"),
            ("end", "loadFailed"),
            ("exception", severity),
            ("stuck", "none"),
        )
    }
    for code in codes:
        key = ("bot_voice_closes_total", (("code", str(code)),))
        out[key] = out.get(key, 0.0) + 1
    return out
