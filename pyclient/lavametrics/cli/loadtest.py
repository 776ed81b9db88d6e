"""``lavametrics loadtest``: N simulated guilds streaming from one node (devtools; needs the ``sim`` extra)."""

from __future__ import annotations

import os
import sys

from lavametrics.argtypes import integer, path, seconds
from lavametrics.cli.devtools_gate import add_unavailable, devtools_present
from lavametrics.cli.output import CliError, dump


def add_loadtest(sub) -> None:
    help_text = "stream audio to N simulated Discord guilds and measure the node"
    if not devtools_present():
        add_unavailable(sub, "loadtest", help_text)
        return
    p = sub.add_parser("loadtest", help=help_text)
    p.add_argument("--url", help="Lavalink base URL (the node must trust the simulator: see --jvm-args)")
    p.add_argument(
        "--password",
        default=os.environ.get("LAVALINK_PASSWORD"),
        help="Lavalink password (default: $LAVALINK_PASSWORD)",
    )
    p.add_argument("--metrics-url", help="the plugin's metrics (default: URL/metrics)")
    p.add_argument("--players", type=integer(1, 10000), default=10, help="simulated guilds (default 10)")
    # at most an hour: the generated tone is built in memory (about 0.7 GB for an hour)
    p.add_argument(
        "--seconds", type=seconds(), default=30.0, help="measurement time after connecting (default 30, at most 3600)"
    )
    p.add_argument("--audio", help="identifier the node can load (default: a generated WAV; local nodes only)")
    p.add_argument(
        "--sim-dir",
        type=path,
        default=os.path.expanduser("~/.cache/lavametrics/voicesim"),
        help="keeps the simulator's certificate and JVM truststore between runs",
    )
    p.add_argument(
        "--jvm-args", action="store_true", help="print the JVM flags a node needs to trust the simulator, then exit"
    )
    p.add_argument(
        "--start-node",
        action="store_true",
        help="start a local node with the plugin (from this checkout) instead of --url",
    )
    p.add_argument(
        "--node-pid",
        type=integer(1, 2**22),
        help="the node's process id when it runs on this machine: its CPU is read from /proc "
        "(without it, from /v4/stats, which Lavalink refreshes only every 30 s)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_loadtest)


def run_loadtest(args) -> int:
    import tempfile
    from pathlib import Path

    from lavametrics.devtools import loadtest, procs
    from lavametrics.devtools.node import start_node
    from lavametrics.devtools.voicesim import VoiceSimulator
    from lavametrics.httpfetch import redact_url

    if not (args.jvm_args or args.start_node or (args.url and args.password)):
        raise CliError("give --url and --password, or --start-node")
    sim_dir = Path(args.sim_dir)
    with VoiceSimulator(workdir=sim_dir) as sim, tempfile.TemporaryDirectory(prefix="lavametrics-loadtest-") as scratch:
        if args.jvm_args:
            print(" ".join(sim.jvm_args()))
            return 0
        node = None
        try:
            if args.start_node:
                print("loadtest: starting a local node ...", file=sys.stderr, flush=True)
                node = start_node(workdir=Path(scratch), jvm_args=sim.jvm_args())
                url, password, metrics_url = node.url, node.password, node.metrics_url
                node_pid = node.process.pid if node.process is not None else None
            else:
                url, password, metrics_url = args.url, args.password, args.metrics_url
                node_pid = args.node_pid
            if node_pid is not None and procs.start_ticks(node_pid) is None:
                raise CliError(f"--node-pid {node_pid}: no such process on this machine")
            audio = args.audio or str(loadtest.make_audio(sim_dir, args.seconds))
            print(
                f"loadtest: {args.players} players for {args.seconds:.0f}s on {redact_url(url)}",
                file=sys.stderr,
                flush=True,
            )
            report = loadtest.run(
                url,
                password,
                sim,
                players=args.players,
                seconds=args.seconds,
                audio=audio,
                metrics_url=metrics_url,
                progress=lambda sample, connected: print(
                    loadtest.format_sample(sample, connected, args.players), file=sys.stderr, flush=True
                ),
                node_pid=node_pid,
            )
        finally:
            if node is not None:
                node.stop()
    if args.json:
        dump(report.as_dict())
    else:
        print(loadtest.format_report(report))
    return 0 if report.connected_players == args.players else 1
