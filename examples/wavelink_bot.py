"""A discord.py + wavelink music bot with three commands, monitored by lavametrics.

    pip install 'lavametrics[wavelink]'
    DISCORD_TOKEN=... LAVALINK_URI=http://127.0.0.1:2333 LAVALINK_PASSWORD=youshallnotpass \\
    METRICS_ENABLED=true METRICS_BASIC_AUTH=prometheus:s3cret python examples/wavelink_bot.py

Commands (prefix ``!``): ``play <query>`` joins your voice channel and plays or queues the
first result, ``skip`` skips the current track, ``queue`` says how many tracks are waiting.
``SEARCH_SOURCE`` is wavelink's search prefix for queries that are not URLs (default
``ytsearch``; empty: the query is passed to Lavalink as it is, e.g. a file path).

Prometheus scrapes the bot at ``METRICS_ADDR:METRICS_PORT`` (127.0.0.1:9479 by default). The
lines marked ``# lavametrics`` are all the monitoring there is: command latency and outcomes,
gateway health, node and track events, voice closes and queue depth.
"""

from __future__ import annotations

import os

import discord
import wavelink
from discord.ext import commands

from lavametrics.bot import BotMetrics  # lavametrics
from lavametrics.bot import discord as lm_discord  # lavametrics
from lavametrics.bot import wavelink as lm_wavelink  # lavametrics

NODE = "main"


class MusicBot(commands.Bot):
    def __init__(self, lavalink_uri: str, lavalink_password: str, search_source: str | None = "ytsearch"):
        intents = discord.Intents.default()
        intents.message_content = True
        super().__init__(command_prefix="!", intents=intents)
        self.lavalink_uri, self.lavalink_password = lavalink_uri, lavalink_password
        self.search_source = search_source or None
        self.metrics = BotMetrics.from_env(nodes=[NODE])  # lavametrics: /metrics per METRICS_ENABLED, ...
        self.add_command(play)
        self.add_command(skip)
        self.add_command(queue)

    async def setup_hook(self) -> None:
        lm_discord.instrument(self, self.metrics)  # lavametrics
        lm_wavelink.instrument(self, self.metrics)  # lavametrics
        node = wavelink.Node(uri=self.lavalink_uri, password=self.lavalink_password, identifier=NODE)
        await wavelink.Pool.connect(nodes=[node], client=self)


@commands.command()
async def play(ctx: commands.Context, *, query: str) -> None:
    if ctx.author.voice is None:
        await ctx.send("Join a voice channel first.")
        return
    player: wavelink.Player = ctx.voice_client or await ctx.author.voice.channel.connect(cls=wavelink.Player)
    tracks = await wavelink.Playable.search(query, source=ctx.bot.search_source)
    if not tracks:
        await ctx.send("Nothing found.")
        return
    track = tracks[0]
    if player.playing:
        player.queue.put(track)
        await ctx.send(f"Queued {track.title}.")
    else:
        await player.play(track)
        await ctx.send(f"Playing {track.title}.")


@commands.command()
async def skip(ctx: commands.Context) -> None:
    player: wavelink.Player | None = ctx.voice_client
    if player is None or not player.playing:
        await ctx.send("Nothing is playing.")
        return
    await player.skip(force=True)
    if not player.queue.is_empty:
        await player.play(player.queue.get())
    await ctx.send("Skipped.")


@commands.command()
async def queue(ctx: commands.Context) -> None:
    player: wavelink.Player | None = ctx.voice_client
    await ctx.send(f"{len(player.queue) if player else 0} track(s) waiting.")


def main() -> None:
    bot = MusicBot(
        os.environ["LAVALINK_URI"], os.environ["LAVALINK_PASSWORD"], os.environ.get("SEARCH_SOURCE", "ytsearch")
    )
    bot.run(os.environ["DISCORD_TOKEN"])


if __name__ == "__main__":
    main()
