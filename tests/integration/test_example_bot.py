"""examples/wavelink_bot.py, run against the node the tests start and scraped on the endpoint
``BotMetrics.from_env()`` opens (with basic auth, as the example's docstring shows).

Its commands arrive as messages from a listener sitting in a voice channel; its replies go to
a stand-in for Discord's REST API, its voice join through discord.py's voice handlers to the
voice simulator (tests/integration/discordfake.py lists the discord.py internals used).
"""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import urllib.request
from pathlib import Path

import pytest
import wavelink

from lavametrics.devtools import discordpayloads
from lavametrics.devtools.wavgen import write_tone
from tests.integration import discordfake
from tests.integration.botlive import until
from tests.samples import parse

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "wavelink_bot.py"
BOT_USER = 4244
GUILD = 7004
VOICE = 900_004
TEXT = VOICE + discordfake.TEXT_CHANNEL_OFFSET
AUTH = "prometheus:example-secret"


def load_example():
    spec = importlib.util.spec_from_file_location("wavelink_bot_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lavametrics_lines() -> int:
    return sum("# lavametrics" in line for line in EXAMPLE.read_text().splitlines())


def scrape_bot(port: int) -> dict:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/metrics",
        headers={"Authorization": "Basic " + base64.b64encode(AUTH.encode()).decode()},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return parse(resp.read().decode())


def sample(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_example_bot_is_instrumented_in_a_few_lines_and_its_endpoint_shows_what_it_did(
    voice_node, sim, tmp_path, monkeypatch
):
    assert 0 < lavametrics_lines() < 15
    example = load_example()
    track = write_tone(tmp_path / "song.wav", seconds=30)
    monkeypatch.setenv("METRICS_ENABLED", "true")
    monkeypatch.setenv("METRICS_PORT", "0")
    monkeypatch.setenv("METRICS_BASIC_AUTH", AUTH)
    bot = example.MusicBot(voice_node.url, voice_node.password, search_source="")
    server = bot.metrics.server
    port = server.server_address[1]
    before = scrape_bot(port)
    replies: list = []
    scraped: dict = {}

    async def run() -> None:
        async with bot:
            discordpayloads.log_in(bot, BOT_USER)
            discordfake.answer_rest_calls(bot, replies)
            discordfake.connect_gateway(bot, sim)
            guild = discordfake.join_guild(bot, GUILD, VOICE, listener_in_voice=True)
            await bot.setup_hook()  # what login() runs
            try:
                await until(
                    lambda: any(n.status is wavelink.NodeStatus.CONNECTED for n in wavelink.Pool.nodes.values()),
                    15,
                    "the node",
                )
                for n, content in enumerate((f"!play {track}", f"!play {track}", "!queue", "!skip")):
                    await bot.process_commands(discordfake.guild_message(bot, guild, TEXT, content, n))
                    await asyncio.sleep(0.3)
                await asyncio.get_running_loop().run_in_executor(None, sim.wait_packets, GUILD, 100, 15)
                # scraped while the bot is up: its guilds and latency are read from it at scrape time
                scraped.update(await asyncio.get_running_loop().run_in_executor(None, scrape_bot, port))
            finally:
                for wl in list(wavelink.Pool.nodes.values()):
                    await wl.close(eject=True)

    try:
        asyncio.run(run())
    finally:
        server.shutdown()
        server.server_close()

    after = scraped

    def grew(name, **labels) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    contents = [body.get("content") for _, _, body in replies if body]
    # a WAV without tags has no title to say: the node calls it "Unknown title"
    assert [c.split(" ")[0] for c in contents[:2]] == ["Playing", "Queued"], contents
    assert contents[2:4] == ["1 track(s) waiting.", "Skipped."], contents
    for command in ("play", "queue", "skip"):
        assert grew("bot_commands_total", command=command, outcome="error") == 0
    assert grew("bot_commands_total", command="play", outcome="success") == 2
    assert grew("bot_commands_total", command="queue", outcome="success") == 1
    assert grew("bot_commands_total", command="skip", outcome="success") == 1
    assert grew("bot_lavalink_node_events_total", node="main", event="ready") == 1
    assert grew("bot_lavalink_track_events_total", event="start", reason="none") == 2
    assert sample(after, "bot_guilds") == 1
    assert sample(after, "bot_gateway_latency_seconds", shard="0") == discordfake.GatewayStandIn.latency
