"""What Discord sends a discord.py bot that never connects, as the JSON discord.py parses: a
user, a message (MESSAGE_CREATE, or a REST call's echo), a slash-command interaction
(INTERACTION_CREATE), and the log-in READY does.

One definition for the adapter benchmark (``bench_bot``), the bot adapters' unit tests and the
integration tests' stand-in for Discord (tests/integration/discordfake.py). The payloads are
the smallest discord.py 2.7 accepts; what each caller changes (ids, channel, guild) is a
parameter. ``log_in`` and ``dm_message`` rely on discord.py internals: ``client._connection``
(the ConnectionState) and ``client._handle_ready()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

TIMESTAMP = "2026-01-01T00:00:00+00:00"  # any ISO time: nothing reads it
LISTENER_ID = 5  # the user who sends the commands
BOT_ID = 4242  # the bot's own user, when a caller needs none in particular
DM_CHANNEL = 9  # the channel of a DM-like message or interaction (no guild needed)


def user(user_id: int, username: str) -> dict[str, Any]:
    return {"id": str(user_id), "username": username, "discriminator": "0", "avatar": None}


LISTENER = user(LISTENER_ID, "listener")


def message(
    message_id: int,
    content: str,
    *,
    author: dict[str, Any] = LISTENER,
    channel_id: int = DM_CHANNEL,
    guild_id: int | None = None,
    member: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A message as MESSAGE_CREATE brings it (with ``guild_id`` and the author's ``member``
    in a guild) and as Discord's REST API answers a message sent."""
    data: dict[str, Any] = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": TIMESTAMP,
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    if member is not None:
        data["member"] = member
    return data


def interaction(interaction_id: int, name: str, options: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """INTERACTION_CREATE of the slash command ``name`` (``options`` name a subcommand) from
    the listener, in a DM."""
    return {
        "id": str(interaction_id),
        "application_id": "42",
        "type": 2,
        "token": "token",
        "version": 1,
        "data": {"id": "77", "name": name, "type": 1, "options": list(options)},
        "user": LISTENER,
        "channel": {"id": str(DM_CHANNEL), "type": 1},
        "locale": "en-US",
        "attachment_size_limit": 8 << 20,
    }


def dm_message(client: Any, message_id: int, content: str) -> Any:
    """``content`` from the listener as a ``discord.Message`` the client can process, in a
    DM-like channel (a ``discord.Object``: a real channel object needs a guild or a DM payload)."""
    import discord  # the discord extra: only its callers have it

    data: Any = message(message_id, content)
    channel: Any = discord.Object(DM_CHANNEL)
    return discord.Message(state=client._connection, channel=channel, data=data)


def log_in(client: Any, user_id: int = BOT_ID) -> None:
    """What READY does: sets the bot's own user (``get_context`` needs it) and the client's
    ready flag (``wait_until_ready`` returns, which mafic awaits). Call inside ``async with
    client``, which makes the flag."""
    import discord  # the discord extra: only its callers have it

    state = client._connection
    data: Any = user(user_id, "bot")
    state.user = discord.ClientUser(state=state, data=data)
    client._handle_ready()
