"""The expositions ``bench_scale`` replays, captured once from real processes:
``python -m lavametrics.devtools.bench_scale_capture [--players N] [--seconds S] [--out DIR]``.

A stand-in node (real lavaplayer) with the built plugin streams ``--players`` guilds to the voice
simulator while the simulated bot (``botsim``: BotMetrics fed by a busy bot's command mix, its
loads and searches on the node) drives it; after ``--seconds`` of that, the node's whole
``/metrics`` (core's and the plugin's families) and the bot's are written to ``node.prom`` and
``bot.prom``. Those are the series a busy node and a bot shard really expose; ``bench_scale``
gives every synthetic node and shard a copy of them, counters advancing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from lavametrics.devtools.audioserve import AudioServer
from lavametrics.devtools.botsim import BotSimulator, SimNode
from lavametrics.devtools.node import repo_root, start_node
from lavametrics.devtools.voicesim import VoiceSimulator
from lavametrics.devtools.wavgen import write_tone

FIXTURES = Path("tests") / "fixtures" / "scale"
FIRST_GUILD = 930_000


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return resp.read().decode()


def capture(out: Path, *, players: int, seconds: float, rate: float) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lavametrics-capture-") as work, VoiceSimulator() as sim:
        audio = AudioServer(write_tone(Path(work) / "tone.wav", seconds=seconds + 120)).start()
        node = start_node(workdir=Path(work) / "node", jvm_args=sim.jvm_args(), timeout=180)
        bot = None
        try:
            guilds = tuple(range(FIRST_GUILD, FIRST_GUILD + players))
            bot = BotSimulator(
                nodes=[SimNode("node-1", node.url, node.password, guilds)], sim=sim, audio=audio.url, rate=rate
            ).start()
            bot.wait_connected(timeout=120)
            # a sharded bot's gateway: every shard declares its events (the replay renumbers it)
            bot.metrics.gateway_event(0, "connect")
            time.sleep(seconds)
            node_body, bot_body = _get(node.metrics_url), _get(bot.metrics_url)
        finally:
            if bot is not None:
                bot.stop()
            node.stop()
            audio.stop()
    (out / "node.prom").write_text(node_body)
    (out / "bot.prom").write_text(bot_body)
    return out / "node.prom", out / "bot.prom"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench_scale_capture", description=__doc__.splitlines()[0])
    p.add_argument("--players", type=int, default=50)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--rate", type=float, default=10.0, help="bot commands per second")
    p.add_argument("--out", type=Path, default=None, help=f"default: <repo>/{FIXTURES}")
    a = p.parse_args(argv)
    paths = capture(a.out or repo_root() / FIXTURES, players=a.players, seconds=a.seconds, rate=a.rate)
    for path in paths:
        print(f"{path}: {sum(1 for line in path.read_text().splitlines() if not line.startswith('#'))} samples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
