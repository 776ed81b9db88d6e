"""Connect a node's players to the voice simulator, the way a bot forwards Discord's voice events.

A bot receives VOICE_SERVER_UPDATE (token, endpoint) and VOICE_STATE_UPDATE (session id, channel
id) from Discord and hands them to Lavalink in a player PATCH; here the simulator plays Discord's part.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lavametrics.devtools.voicesim import VoiceSimulator
from lavametrics.lavalink.session import LavalinkSession, SessionError

# The simulated voice channel of guild N is CHANNEL_BASE + N: any numeric id works, since the
# simulator, like Discord's voice server, never sees it.
CHANNEL_BASE = 500_000_000


def voice_state(sim: VoiceSimulator, guild_id: int) -> dict[str, str]:
    """The player PATCH's `voice` object for `guild_id`, as a bot builds it from Discord's events.

    `channelId` (the voice channel the bot joined, from VOICE_STATE_UPDATE) is required since
    Lavalink 4.2.0: without it the PATCH is a 400 (`VoiceState.channelId` has no default in
    protocol/.../v4/player.kt at 4.2.2, and PlayerRestHandler.kt rejects a blank one). 4.1.x
    ignores the unknown key, so every version gets it.
    """
    return {
        "token": f"sim-token-{guild_id}",
        "endpoint": sim.endpoint,
        "sessionId": f"sim-voice-{guild_id}",
        "channelId": str(CHANNEL_BASE + guild_id),
    }


def connect_and_play(
    session: LavalinkSession, sim: VoiceSimulator, guild_ids: Iterable[int], identifier: str, *, timeout: float = 20.0
) -> dict[str, Any]:
    """Load `identifier` once, then give every guild's player that track and a voice connection.

    Returns the loaded track. Raises SessionError when the load fails or a guild's voice
    handshake does not complete in time (`timeout` per guild: real Lavalink answers the
    PATCH only after the handshake, the stand-in too, so the PATCH gets that time as well).
    """
    result = session.load(identifier)
    if result.get("loadType") != "track":
        raise SessionError(f"loading {identifier!r} gave {result.get('loadType')}: {result.get('data')}")
    track = result["data"]
    guilds = list(guild_ids)
    for guild in guilds:
        session.update_player(
            guild, {"track": {"encoded": track["encoded"]}, "voice": voice_state(sim, guild)}, timeout=timeout
        )
    for guild in guilds:
        try:
            sim.wait_connected(guild, timeout=timeout)
        except TimeoutError as exc:
            # usually a node that does not trust the simulator's certificate (see its jvm_args)
            raise SessionError(str(exc)) from None
    return track


def rewind(session: LavalinkSession, guild_ids: Iterable[int], *, timeout: float = 20.0) -> None:
    """Seek every guild's track back to its start.

    Players are connected one after another, and each starts playing as soon as its own voice
    handshake completes: by the time the last one is connected, the first has played for as long
    as connecting took (seconds to minutes: one slow handshake on real Lavalink 4.2.2 held the
    rest up for over 120 s). A tone sized for "warm-up + window" from the end of connecting then
    runs out for the early players inside the window, and they stop streaming. Rewinding all of
    them once connecting is done gives every player the whole track ahead of it.

    lavaplayer applies the seek on the track's decoding thread, which decodes up to 5 s ahead of
    playback and exits at the end of the file: a player that has played to within 5 s of the end
    can no longer be rewound. Size the track for connecting as well (callers do).
    """
    for guild in guild_ids:
        session.update_player(guild, {"position": 0}, timeout=timeout)
