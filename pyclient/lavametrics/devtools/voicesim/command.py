"""The simulator's command line: its options and what they run.

Shared by ``python -m lavametrics.devtools.voicesim`` and ``lavametrics voicesim``, so the two
cannot drift; the CLI imports this module, never the other way round.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time

from lavametrics.argtypes import Parser, integer, path, port, seconds
from lavametrics.devtools.voicesim.sim import VoiceSimulator

DAY = 86400.0
BACKENDS = ("thread", "asyncio")


def _backends(raw: str) -> str:
    names = [b.strip() for b in raw.split(",") if b.strip()]
    if not names or any(b not in BACKENDS for b in names):
        raise argparse.ArgumentTypeError(f"{raw!r}: must be a comma-separated list of {', '.join(BACKENDS)}")
    return raw


def _table(sim: VoiceSimulator) -> str:
    rows = sim.stats()
    t = sim.totals()
    head = (
        f"{time.strftime('%H:%M:%S')} udp packets={t['packets']} streams={t['streams']} "
        f"discoveries={t['discoveries']} kernel_drops={t['kernel_drops']} "
        f"gateway_connections={t['gateway_connections']}"
    )
    lines = [head]
    if rows:
        lines.append(
            f"  {'guild':>20} {'ssrc':>10} {'conn':>5} {'mode':32} {'packets':>8} {'bytes':>10} "
            f"{'gaps':>6} {'late':>6} {'hb':>4} {'close':>5}"
        )
        for guild, r in sorted(rows.items()):
            lines.append(
                f"  {guild:>20} {r['ssrc']:>10} {str(r['connected']):>5} {str(r['mode']):32} "
                f"{r['packets']:>8} {r['bytes']:>10} {r['gaps']:>6} {r['late']:>6} "
                f"{r['heartbeats']:>4} {str(r['close_code'] or ''):>5}"
            )
    return "\n".join(lines)


DESCRIPTION = "Simulated Discord voice server (TLS gateway + UDP) on loopback."


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options, shared by `python -m lavametrics.devtools.voicesim` and `lavametrics voicesim`."""
    p.add_argument(
        "--seconds", type=seconds(DAY, zero="until Ctrl-C"), default=0, help="stop after N seconds (0: until Ctrl-C)"
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=port, default=0, help="gateway port (0: a free one)")
    p.add_argument("--udp-port", type=port, default=0, help="UDP port (0: a free one)")
    p.add_argument("--udp-backend", choices=BACKENDS, default="thread")
    p.add_argument(
        "--heartbeat-interval", type=integer(100, 600_000, "milliseconds"), default=13750, help="ms, sent in HELLO"
    )
    p.add_argument("--workdir", type=path, help="where to keep the certificate and truststore (default: a temp dir)")
    p.add_argument("--merge-jdk-cacerts", action="store_true", help="copy the JDK's public CAs into the truststore too")
    p.add_argument("--bench", action="store_true", help="measure the UDP counter's lossless ceiling")
    p.add_argument("--bench-seconds", type=seconds(), default=3.0)
    p.add_argument(
        "--bench-start",
        type=integer(1, 1_000_000, "a number of streams"),
        default=200,
        help="streams in the first step",
    )
    p.add_argument(
        "--bench-max",
        type=integer(1, 1_000_000, "a number of streams"),
        default=12800,
        help="stop doubling beyond this many streams",
    )
    p.add_argument("--bench-backends", type=_backends, default="thread,asyncio")
    p.add_argument(
        "--bench-blast",
        type=seconds(zero="skip"),
        default=3.0,
        help="seconds of unpaced sending after the ramp (0: skip)",
    )
    p.add_argument("--json", action="store_true", help="with --bench: also print the steps as JSON")
    p.add_argument("--log-level", type=str.upper, choices=("DEBUG", "INFO", "WARNING", "ERROR"), default="WARNING")


def main(argv: list[str] | None = None) -> int:
    p = Parser(prog="python -m lavametrics.devtools.voicesim", description=DESCRIPTION)
    add_arguments(p)
    return run(p.parse_args(argv))


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    out = sys.stdout

    def say(line: str) -> None:
        out.write(line + "\n")
        out.flush()

    if args.bench:
        from lavametrics.devtools.voicesim.bench import as_dicts, bench, summarize

        backends = [b.strip() for b in args.bench_backends.split(",") if b.strip()]
        say(
            f"voicesim bench: {args.bench_seconds:g}s per step, 50 packets/s per stream, 132-byte packets, "
            f"streams doubling from {args.bench_start}"
        )
        results = bench(
            backends, args.bench_start, args.bench_max, args.bench_seconds, out=say, blast_seconds=args.bench_blast
        )
        for line in summarize(results):
            say(line)
        if args.json:
            say(json.dumps(as_dicts(results), indent=1))
        return 0

    sim = VoiceSimulator(
        host=args.host,
        gateway_port=args.port,
        udp_port=args.udp_port,
        workdir=args.workdir,
        heartbeat_interval_ms=args.heartbeat_interval,
        udp_backend=args.udp_backend,
        merge_jdk_cacerts=args.merge_jdk_cacerts,
    )
    with sim:
        say(f"endpoint: {sim.endpoint}")
        say(f"gateway:  {sim.url(4)}  (v4..v8 accepted)")
        say(f"udp:      {sim.host}:{sim.udp_port}")
        say(f"cert:     {sim.cert_path}")
        say("jvm args: " + " ".join(sim.jvm_args()))
        deadline = time.monotonic() + args.seconds if args.seconds > 0 else None
        try:
            while deadline is None or time.monotonic() < deadline:
                time.sleep(1.0 if deadline is None else max(0.0, min(1.0, deadline - time.monotonic())))
                say(_table(sim))
        except KeyboardInterrupt:
            pass
    return 0
