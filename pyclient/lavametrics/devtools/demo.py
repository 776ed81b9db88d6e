"""`make demo`: a node with the plugin streaming audio to the voice simulator, the check report, then wait.

Runs on the embedded defaults (Lavalink/application.yml) and needs nothing but the built jars.
The node's players are connected to `lavametrics.devtools.voicesim`, so frames really flow and the
frame, voice and track metrics move while you watch. DEMO_SECONDS=N stops it by itself after
N seconds; otherwise it runs until Ctrl-C. It ends by pointing at the monitoring: the dashboards
rendered as PNG from the local stack's Prometheus when `make metrics-up` runs, else the two
commands that show them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lavametrics.config.catalog import load_catalog
from lavametrics.devtools.loadtest import FRAME_COUNTERS, drain, frame_counters, frames_counted
from lavametrics.devtools.node import NodeError, free_port, prepare_node, repo_root
from lavametrics.devtools.voicelink import connect_and_play
from lavametrics.devtools.voicesim import VoiceSimulator
from lavametrics.devtools.wavgen import write_tone
from lavametrics.lavalink.session import LavalinkSession, SessionError
from lavametrics.monitor.nodecheck import check_node, render_text
from lavametrics.monitor.nodesfile import node_from_flags
from lavametrics.monitor.scrape import ScrapeError

DEMO_GUILDS = (1, 2, 3)


def _port() -> int:
    """The documented port 2333 when it is free, so the printed URLs match the docs."""
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", 2333))
            return 2333
        except OSError:
            return free_port()


def main() -> int:
    seconds = float(os.environ.get("DEMO_SECONDS", "0") or 0)
    # SIGTERM must also reach the `finally` below, or the node outlives the demo.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    workdir = Path(tempfile.mkdtemp(prefix="lavametrics-demo-"))
    sim = VoiceSimulator(workdir=workdir / "voicesim")
    node = session = None
    try:
        sim.start()
        print(f"demo: voice simulator (Discord's side) on {sim.endpoint}", flush=True)
        print("demo: resolving the server jar (Lavalink/run.sh --resolve) ...", flush=True)
        node = prepare_node(workdir, port=_port(), jvm_args=sim.jvm_args())
        if not node.server.is_real_lavalink:
            print(
                "demo: Lavalink-Server is not available from Maven Central here; running the lavametrics "
                "stand-in node (Lavalink v4 protocol, real lavaplayer). See README.md.",
                flush=True,
            )
        print(f"demo: starting {node.server.kind} node on {node.url} ...", flush=True)
        started = time.monotonic()
        node.start()
        print(f"demo: node ready in {time.monotonic() - started:.1f}s", flush=True)
        wav = write_tone(workdir / "demo-tone.wav", seconds=300)
        session = LavalinkSession(node.url, node.password, client_name="lavametrics-demo")
        base_frames, base_packets = frames_counted(node.metrics_url), sim.totals()["packets"]
        connect_and_play(session, sim, DEMO_GUILDS, str(wav))
        print(
            f"demo: {len(DEMO_GUILDS)} guilds streaming a 440 Hz tone to the simulator (session {session.session_id})",
            flush=True,
        )
        _show_frames(node.metrics_url, sim, seconds=3)
        print()
        report = check_node(node_from_flags(node.url, node.password), load_catalog(prefer_jar=False))
        print(render_text([report]))
        status = report.status
        print()
        print(f"  Lavalink REST     {node.url}   (Authorization: {node.password})")
        print(f"  Prometheus scrape {node.metrics_url}")
        print(f"  Plugin catalog    {Path(sys.executable).parent / 'lavametrics'} catalog")
        print(f"  Node log          {node.log_path}   (removed when the demo stops)")
        print()
        if status != 0:
            print(f"demo: check reported exit {status}", file=sys.stderr)
        if seconds:
            print(f"demo: stopping in {seconds:.0f}s (DEMO_SECONDS)", flush=True)
        else:
            print("demo: running; press Ctrl-C to stop", flush=True)
        _show_frames(node.metrics_url, sim, seconds=seconds or float("inf"), every=5.0)
        return _totals(session, sim, node.metrics_url, base_frames, base_packets) or status
    except KeyboardInterrupt:
        return 0
    except (NodeError, SessionError, ScrapeError) as exc:
        print(f"demo: error: {exc}", file=sys.stderr)
        return 2
    finally:
        if session is not None:
            session.close()
        if node is not None:
            node.stop()
        sim.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        print("demo: stopped", flush=True)
        if node is not None and node.process is not None:  # it ran: show where its monitoring is
            _point_at_dashboards()


def _point_at_dashboards() -> None:
    """The monitoring a newcomer should see next: the rendered dashboards, or how to get them."""
    root = repo_root()
    stack = root / ".stack"
    try:
        prometheus = json.loads((stack / "urls.json").read_text())["prometheus"]
    except (OSError, ValueError, KeyError):
        prometheus = None
    print()
    if prometheus is not None:
        out = stack / "dashboards"
        print(f"demo: drawing the dashboards from the local stack's Prometheus ({prometheus}) ...", flush=True)
        proc = subprocess.run(
            [sys.executable, "-m", "lavametrics.cli", "mixin", "render", "--prometheus", prometheus, "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if proc.returncode == 0:
            pictures = sorted(out.rglob("*.png"))
            print(f"demo: the monitoring: {len(pictures)} pictures of the dashboards in {out}/", flush=True)
            for folder in sorted({p.parent for p in pictures}):
                print(f"  {folder}/")
            return
        print(f"demo: rendering failed: {proc.stderr.strip().splitlines()[-1:] or proc.returncode}", flush=True)
    print("demo: the monitoring (Prometheus, Alertmanager, dashboards, pages) of a node like this one:")
    print("  make metrics-up                 # node, simulated bot, Prometheus and Alertmanager on loopback")
    print("  .venv/bin/lavametrics mixin render --prometheus http://127.0.0.1:9090 --out .stack/dashboards")
    print("  .venv/bin/lavametrics stack fault node-down    # and watch the page arrive")
    print("  (make demo again while the stack runs draws the dashboards for you)", flush=True)


def _totals(
    session: LavalinkSession, sim: VoiceSimulator, metrics_url: str, base_frames: float, base_packets: int
) -> int:
    """Pause the guilds, let the node's send queue empty, then compare everything sent with everything
    received (see lavametrics.devtools.loadtest.drain); 1 when they differ by more than 1%."""
    drained = drain(session, sim, DEMO_GUILDS, metrics_url)
    frames = drained.frames_sent - base_frames
    audio = drained.packets - base_packets - drained.silence
    print(
        f"demo: totals: frames sent {frames:.0f}, simulator audio packets {audio} "
        f"(+{drained.silence} silence frames after the pause)",
        flush=True,
    )
    if not drained.settled or abs(audio - frames) > 0.01 * max(frames, 1):
        print("demo: frames sent and packets received differ", file=sys.stderr)
        return 1
    return 0


def _show_frames(metrics_url: str, sim: VoiceSimulator, *, seconds: float, every: float = 1.0) -> None:
    """Print the plugin's frame rates next to what the simulator received, every `every` seconds."""
    start = last_t = time.monotonic()
    last, last_packets = frame_counters(metrics_url), sim.totals()["packets"]
    while time.monotonic() - start < seconds:
        time.sleep(min(every, seconds - (time.monotonic() - start)))
        now, counters, packets = time.monotonic(), frame_counters(metrics_url), sim.totals()["packets"]
        dt = now - last_t
        sent, nulled, deficit = ((counters[n] - last[n]) / dt for n in FRAME_COUNTERS)
        print(
            f"demo: frames/s sent {sent:6.1f}  nulled {nulled:5.1f}  deficit {deficit:5.1f}   "
            f"simulator packets/s {(packets - last_packets) / dt:6.1f}",
            flush=True,
        )
        last_t, last, last_packets = now, counters, packets


if __name__ == "__main__":
    sys.exit(main())
