"""`make demo`: a node with the plugin, a track playing, the check report, then wait.

Runs on the embedded defaults (Lavalink/application.yml) and needs nothing but the built jars.
DEMO_SECONDS=N stops it by itself after N seconds; otherwise it runs until Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lavametrics import node as nodes
from lavametrics.session import LavalinkSession
from lavametrics.wavgen import write_tone


def _port() -> int:
    """The documented port 2333 when it is free, so the printed URLs match the docs."""
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", 2333))
            return 2333
        except OSError:
            return nodes.free_port()


def main() -> int:
    seconds = float(os.environ.get("DEMO_SECONDS", "0") or 0)
    # SIGTERM must also reach the `finally` below, or the node outlives the demo.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    workdir = Path(tempfile.mkdtemp(prefix="lavametrics-demo-"))
    print("demo: resolving the server jar (Lavalink/run.sh --resolve) ...", flush=True)
    node = nodes.prepare_node(workdir, port=_port())
    if not node.server.is_real_lavalink:
        print("demo: Lavalink-Server is not available from Maven Central here; running the lavametrics "
              "stand-in node (Lavalink v4 protocol, real lavaplayer). See README.md.", flush=True)
    print(f"demo: starting {node.server.kind} node on {node.url} (log {node.log_path}) ...", flush=True)
    started = time.monotonic()
    node.start()
    print(f"demo: node ready in {time.monotonic() - started:.1f}s", flush=True)
    session = None
    try:
        wav = write_tone(workdir / "demo-tone.wav", seconds=300)
        session = LavalinkSession(node.url, node.password, client_name="lavametrics-demo")
        track = session.play(guild_id=1, identifier=str(wav))
        session.wait_event("TrackStartEvent")
        print(f"demo: playing {track['info']['title']!r} on guild 1 (session {session.session_id})", flush=True)
        time.sleep(1.5)  # let a playerUpdate go out so the voice/player metrics have data
        print()
        report = subprocess.run(
            [sys.executable, "-m", "lavametrics.cli", "check", node.url, "--password", node.password],
            text=True,
        )
        print()
        print(f"  Lavalink REST     {node.url}   (Authorization: {node.password})")
        print(f"  Prometheus scrape {node.metrics_url}")
        print(f"  Plugin catalog    {sys.executable} -m lavametrics.cli catalog")
        print(f"  Node log          {node.log_path}")
        print()
        if report.returncode != 0:
            print(f"demo: check reported exit {report.returncode}", file=sys.stderr)
        if seconds:
            print(f"demo: stopping in {seconds:.0f}s (DEMO_SECONDS)", flush=True)
            time.sleep(seconds)
        else:
            print("demo: running; press Ctrl-C to stop", flush=True)
            while True:
                time.sleep(3600)
        return report.returncode
    except KeyboardInterrupt:
        return 0
    finally:
        if session is not None:
            session.close()
        node.stop()
        print("demo: node stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
