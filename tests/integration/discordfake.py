"""Discord's side of a discord.py bot that never logs in: what integration tests of the bot
adapters and the example bot give discord.py instead of a gateway connection.

The payloads and the log-in (READY) are lavametrics.devtools.discordpayloads, shared with the
adapter benchmark and the unit tests. Internals of discord.py 2.7 relied on here (each is what
login or the gateway would drive): ``client._connection`` (the ConnectionState),
``_add_guild_from_data`` (GUILD_CREATE), ``parse_voice_state_update`` /
``parse_voice_server_update`` (VOICE_STATE_UPDATE / VOICE_SERVER_UPDATE), ``client.ws`` (the
websocket ``Guild.change_voice_state`` sends the voice-state op through) and ``client.http.request``
(every REST call, for a bot that replies to a command).
"""

from __future__ import annotations

import discord

from lavametrics.devtools import discordpayloads
from lavametrics.devtools.discordpayloads import LISTENER
from lavametrics.devtools.voicelink import voice_state
from lavametrics.devtools.voicesim import VoiceSimulator

TEXT_CHANNEL_OFFSET = 1  # the guild's text channel is its voice channel's id + 1


class GatewayStandIn:
    """What ``Guild.change_voice_state`` talks to: answers the voice-state op as Discord does,
    with VOICE_STATE_UPDATE then VOICE_SERVER_UPDATE pointing at the voice simulator."""

    open = False  # Client.close() closes an open gateway; this one has nothing to close
    latency = 0.042  # what discord.py reads as the heartbeat latency

    def __init__(self, state, sim: VoiceSimulator):
        self.state, self.sim = state, sim
        self.ops: list[tuple[int, int | None]] = []

    async def voice_state(self, guild_id, channel_id, self_mute=False, self_deaf=False) -> None:
        self.ops.append((guild_id, channel_id))
        voice = voice_state(self.sim, guild_id)  # the simulator's endpoint, token and session
        self.state.parse_voice_state_update(
            {
                "guild_id": str(guild_id),
                "channel_id": None if channel_id is None else str(channel_id),
                "user_id": str(self.state.user.id),
                "session_id": voice["sessionId"],
                "deaf": False,
                "mute": False,
                "self_deaf": self_deaf,
                "self_mute": self_mute,
                "self_video": False,
                "suppress": False,
                "request_to_speak_timestamp": None,
            }
        )
        if channel_id is not None:
            self.state.parse_voice_server_update(
                {"guild_id": str(guild_id), "token": voice["token"], "endpoint": voice["endpoint"]}
            )


def connect_gateway(client, sim: VoiceSimulator) -> GatewayStandIn:
    gateway = GatewayStandIn(client._connection, sim)
    client.ws = gateway
    return gateway


def _voice_state_of_listener(channel_id: int) -> dict:
    return {
        "user_id": LISTENER["id"],
        "channel_id": str(channel_id),
        "session_id": "listener-session",
        "deaf": False,
        "mute": False,
        "self_deaf": False,
        "self_mute": False,
        "self_video": False,
        "suppress": False,
        "request_to_speak_timestamp": None,
    }


def member_payload() -> dict:
    return {
        "user": LISTENER,
        "roles": [],
        "joined_at": "2026-01-01T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
    }


def join_guild(client, guild_id: int, voice_channel: int, *, listener_in_voice: bool = False) -> discord.Guild:
    """What GUILD_CREATE would bring: a guild with a voice channel and a text channel (and, if
    asked, a listener sitting in the voice channel)."""
    channel = {"position": 0, "permission_overwrites": []}
    return client._connection._add_guild_from_data(
        {
            "id": str(guild_id),
            "name": "test guild",
            "channels": [
                {**channel, "id": str(voice_channel), "type": 2, "name": "music", "bitrate": 64000, "user_limit": 0},
                {**channel, "id": str(voice_channel + TEXT_CHANNEL_OFFSET), "type": 0, "name": "requests"},
            ],
            "roles": [
                {
                    "id": str(guild_id),
                    "name": "@everyone",
                    "permissions": "0",
                    "position": 0,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": False,
                }
            ],
            "emojis": [],
            "stickers": [],
            "features": [],
            "member_count": 2,
            "members": [member_payload()] if listener_in_voice else [],
            "voice_states": [_voice_state_of_listener(voice_channel)] if listener_in_voice else [],
        }
    )


def guild_message(client, guild: discord.Guild, text_channel: int, content: str, n: int) -> discord.Message:
    """MESSAGE_CREATE from the listener in ``text_channel``."""
    member = {k: v for k, v in member_payload().items() if k != "user"}
    data = discordpayloads.message(10_000 + n, content, channel_id=text_channel, guild_id=guild.id, member=member)
    return discord.Message(state=client._connection, channel=guild.get_channel(text_channel), data=data)


def answer_rest_calls(client, replies: list) -> None:
    """Discord's REST API for a bot replying to commands: every call is recorded in ``replies``
    and a message sent is echoed back as created."""

    async def request(route, **kwargs):
        replies.append((route.method, route.path, kwargs.get("json")))
        payload = kwargs.get("json") or {}
        bot = discordpayloads.user(client.user.id, "bot")
        return discordpayloads.message(
            90_000 + len(replies), payload.get("content", ""), author=bot, channel_id=route.channel_id or 0
        )

    client.http.request = request
