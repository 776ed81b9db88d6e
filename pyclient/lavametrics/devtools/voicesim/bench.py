"""Load generator and throughput benchmark for the simulator's UDP counter.

A sender process plays N streams (one SSRC each, 50 packets/s, a 132-byte RTP packet every 20 ms
per stream, all streams in one burst per tick, the way a node's frame loop sends them) against a
simulator running in this process.  Steps double N until packets are lost or the sender itself
can no longer hold the 20 ms cadence.  ``loss`` = sent - counted after the reader drained;
``kernel_drops`` is the socket's drop counter from /proc/net/udp.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import resource
import socket
import struct
import time
from dataclasses import asdict, dataclass

from lavametrics.devtools.voicesim.udp import rtp_packet

log = logging.getLogger(__name__)
PAYLOAD = bytes([0xF8, 0xFF, 0xFE]) + bytes(117)  # 120-byte "encrypted opus" payload
_SEQ_TS = struct.Struct("!HI")


def send_streams(
    port: int, streams: int, seconds: float, base_ssrc: int = 0x10000, host: str = "127.0.0.1", gap_every: int = 0
) -> tuple[int, float, int]:
    """Send ``streams`` paced RTP streams for ``seconds``; returns (sent, elapsed, ticks_behind).

    ``gap_every`` > 0 skips every gap_every-th packet of stream 0 (to produce sequence gaps).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
    sock.connect((host, port))
    send = sock.send
    pack = _SEQ_TS.pack_into
    packets = [bytearray(rtp_packet(0, 0, base_ssrc + i, PAYLOAD)) for i in range(streams)]
    ticks = max(1, int(round(seconds * 50)))
    start = time.perf_counter() + 0.02
    sent = behind = 0
    sleep, clock = time.sleep, time.perf_counter
    for k in range(ticks):
        delay = start + k * 0.020 - clock()
        if delay > 0:
            sleep(delay)
        elif delay < -0.020:
            behind += 1
        seq, ts = k & 0xFFFF, (k * 960) & 0xFFFFFFFF
        for i, p in enumerate(packets):
            if gap_every and i == 0 and k % gap_every == gap_every - 1:
                continue
            pack(p, 2, seq, ts)
            send(p)
            sent += 1
    elapsed = clock() - start
    sock.close()
    return sent, elapsed, behind


def send_blast(
    port: int, streams: int, seconds: float, base_ssrc: int = 0x10000, host: str = "127.0.0.1"
) -> tuple[int, float, int]:
    """Send round-robin over ``streams`` SSRCs, unpaced, for ``seconds``: (sent, elapsed, 0)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
    sock.connect((host, port))
    send, pack, clock = sock.send, _SEQ_TS.pack_into, time.perf_counter
    packets = [bytearray(rtp_packet(0, 0, base_ssrc + i, PAYLOAD)) for i in range(streams)]
    start = clock()
    end = start + seconds
    sent = k = 0
    while clock() < end:
        seq, ts = k & 0xFFFF, (k * 960) & 0xFFFFFFFF
        for p in packets:
            pack(p, 2, seq, ts)
            try:
                send(p)
            except OSError:  # ENOBUFS under overload: not sent, not counted as sent
                continue
            sent += 1
        k += 1
    elapsed = clock() - start
    sock.close()
    return sent, elapsed, 0


def _sender_main(q, port, streams, seconds, base_ssrc, blast=False):
    q.put((send_blast if blast else send_streams)(port, streams, seconds, base_ssrc))


@dataclass
class StepResult:
    backend: str
    streams: int
    offered_pps: int
    seconds: float
    sent: int
    counted: int
    loss: int
    kernel_drops: int | None
    late: int
    gaps: int
    sender_elapsed: float
    sender_behind_ticks: int
    receiver_cpu_pct: float
    blast: bool = False

    @property
    def sender_limited(self) -> bool:
        if self.blast:
            return False
        ticks = max(1, int(round(self.seconds * 50)))
        return self.sender_elapsed > self.seconds * 1.05 or self.sender_behind_ticks > ticks // 20

    def line(self) -> str:
        return (
            f"{self.backend:7} streams={self.streams:5} offered={self.offered_pps:7}/s "
            f"sent={self.sent:8} counted={self.counted:8} loss={self.loss:6} "
            f"kdrops={self.kernel_drops!s:>6} late={self.late:6} gaps={self.gaps:6} "
            f"sender={self.sender_elapsed:5.2f}s behind={self.sender_behind_ticks:3} "
            f"rx_cpu={self.receiver_cpu_pct:5.1f}% ({self.rx_us_per_packet:5.2f} us/pkt)"
            + ("  BLAST (unpaced)" if self.blast else "  SENDER-LIMITED" if self.sender_limited else "")
        )

    @property
    def rx_us_per_packet(self) -> float:
        return self.receiver_cpu_pct / 100.0 * self.sender_elapsed / max(1, self.counted) * 1e6


def run_step(sim, streams: int, seconds: float, base_ssrc: int, blast: bool = False) -> StepResult:
    before = sim.totals()
    drops0 = sim.kernel_drops() or 0
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    proc = ctx.Process(target=_sender_main, args=(q, sim.udp_port, streams, seconds, base_ssrc, blast), daemon=True)
    proc.start()
    sent, elapsed, behind = q.get(timeout=seconds * 20 + 30)
    proc.join(10)
    # let the reader drain its socket buffer: wait until the count stops moving
    last, stable_since = -1, time.monotonic()
    while time.monotonic() - stable_since < 0.3:
        now = sim.totals()["packets"]
        if now != last:
            last, stable_since = now, time.monotonic()
        time.sleep(0.05)
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    after = sim.totals()
    cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    counted = after["packets"] - before["packets"]
    drops1 = sim.kernel_drops()
    return StepResult(
        backend=sim.udp_backend,
        streams=streams,
        offered_pps=int(sent / max(elapsed, 1e-9)) if blast else streams * 50,
        seconds=seconds,
        sent=sent,
        counted=counted,
        loss=sent - counted,
        kernel_drops=None if drops1 is None else drops1 - drops0,
        late=after["late"] - before["late"],
        gaps=after["gaps"] - before["gaps"],
        sender_elapsed=elapsed,
        sender_behind_ticks=behind,
        receiver_cpu_pct=100.0 * cpu / max(1e-9, elapsed),
        blast=blast,
    )


def bench(
    backends=("thread", "asyncio"),
    start_streams: int = 200,
    max_streams: int = 12800,
    seconds: float = 3.0,
    out=print,
    blast_seconds: float = 3.0,
) -> dict[str, list[StepResult]]:
    """Ramp streams ×2 from ``start_streams`` per backend; stops a backend at its first loss."""
    from lavametrics.devtools.voicesim.sim import VoiceSimulator

    results: dict[str, list[StepResult]] = {}
    for backend in backends:
        results[backend] = []
        with VoiceSimulator(udp_backend=backend, heartbeat_timeout_factor=None) as sim:
            streams, base = start_streams, 0x10000
            while streams <= max_streams:
                r = run_step(sim, streams, seconds, base)
                base += streams
                results[backend].append(r)
                out(r.line())
                if r.loss > 0 or r.sender_limited:
                    break
                streams *= 2
            if blast_seconds > 0:
                r = run_step(sim, 1000, blast_seconds, base, blast=True)
                results[backend].append(r)
                out(r.line())
    return results


def summarize(results: dict[str, list[StepResult]]) -> list[str]:
    lines = []
    for backend, all_steps in results.items():
        steps = [r for r in all_steps if not r.blast]
        ok = [r for r in steps if r.loss == 0 and not r.sender_limited]
        best = max(ok, key=lambda r: r.offered_pps, default=None)
        first_bad = next((r for r in steps if r.loss > 0), None)
        sender_cap = next((r for r in steps if r.sender_limited and r.loss == 0), None)
        pps, streams = (best.offered_pps, best.streams) if best else (0, 0)
        msg = f"{backend}: lossless up to {pps} packets/s ({streams} streams)"
        if first_bad:
            msg += f"; lost {first_bad.loss} of {first_bad.sent} at {first_bad.offered_pps}/s"
        elif sender_cap:
            msg += f"; the sender could not offer {sender_cap.offered_pps}/s (no loss at what it sent)"
        for b in (r for r in all_steps if r.blast):
            msg += (
                f"; unpaced blast: sender {b.offered_pps}/s, received {int(b.counted / b.sender_elapsed)}/s, "
                f"lost {b.loss} ({100.0 * b.loss / max(1, b.sent):.1f}%), receiver {b.rx_us_per_packet:.2f} "
                f"CPU-us/packet => one core ~{int(1e6 / max(b.rx_us_per_packet, 1e-3))}/s"
            )
        lines.append(msg)
    return lines


def as_dicts(results: dict[str, list[StepResult]]) -> dict[str, list[dict]]:
    return {b: [asdict(r) for r in steps] for b, steps in results.items()}
