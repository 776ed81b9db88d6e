"""The simulated Discord voice UDP endpoint: IP discovery replies and per-SSRC RTP counters.

Nothing is decrypted: only the 12-byte RTP header (which stays in clear text in every Discord
encryption mode) is read.  Two readers share one counter (:class:`UdpCounter`):

* :class:`ThreadedUdpReader` — a blocking socket read in a dedicated thread (the default; it was
  the faster of the two in ``python -m lavametrics.devtools.voicesim --bench``),
* :class:`AsyncioUdpReader` — an ``asyncio.DatagramProtocol`` on the simulator's event loop.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

RTP_HEADER = struct.Struct("!BBHII")  # flags, marker|pt, seq, timestamp, ssrc
DISCOVERY = struct.Struct("!HHI64sH")  # type, length, ssrc, address (NUL padded), port
DISCOVERY_SIZE = DISCOVERY.size  # 74
DISCOVERY_REQUEST = 0x1
DISCOVERY_RESPONSE = 0x2
DISCOVERY_LENGTH = 70
OPUS_PAYLOAD_TYPE = 0x78
FRAME_SECONDS = 0.020  # one Opus frame every 20 ms
LATE_SECONDS = 0.060  # "late": > 60 ms after its cadence slot
WAKE_MARKER = b"\xffvoicesim-wake"  # first byte 0xff: never RTP v2 nor discovery
DEFAULT_RCVBUF = 32 * 1024 * 1024


def discovery_request(ssrc: int) -> bytes:
    """The 74-byte IP discovery request a client sends (type 0x1, length 70, ssrc, zeros)."""
    return DISCOVERY.pack(DISCOVERY_REQUEST, DISCOVERY_LENGTH, ssrc, b"", 0)


def discovery_response(ssrc: int, address: str, port: int) -> bytes:
    """The 74-byte reply (type 0x2, length 70, ssrc, NUL-terminated address, big-endian port)."""
    return DISCOVERY.pack(DISCOVERY_RESPONSE, DISCOVERY_LENGTH, ssrc, address.encode("ascii"), port)


def parse_discovery(data: bytes) -> tuple[int, int, str, int]:
    """(type, ssrc, address, port) of a 74-byte discovery packet."""
    if len(data) != DISCOVERY_SIZE:
        raise ValueError(f"discovery packets are {DISCOVERY_SIZE} bytes, got {len(data)}")
    typ, length, ssrc, addr, port = DISCOVERY.unpack(data)
    if length != DISCOVERY_LENGTH:
        raise ValueError(f"discovery length field is {length}, expected {DISCOVERY_LENGTH}")
    return typ, ssrc, addr.split(b"\0", 1)[0].decode("ascii"), port


def rtp_packet(
    seq: int, timestamp: int, ssrc: int, payload: bytes = b"\xf8\xff\xfe", payload_type: int = OPUS_PAYLOAD_TYPE
) -> bytes:
    """An RTP v2 packet as Discord clients send it (0x80, PT 0x78, 12-byte header, payload)."""
    return RTP_HEADER.pack(0x80, payload_type & 0x7F, seq & 0xFFFF, timestamp & 0xFFFFFFFF, ssrc & 0xFFFFFFFF) + payload


class StreamStats:
    """Counters for one SSRC.  Updated only by the reader; read anywhere (ints are atomic)."""

    __slots__ = (
        "ssrc",
        "packets",
        "bytes",
        "gaps",
        "gap_events",
        "late",
        "out_of_order",
        "first_arrival",
        "last_arrival",
        "last_seq",
        "ext_seq",
        "anchor_time",
        "anchor_seq",
        "last_timestamp",
        "addr",
    )

    def __init__(self, ssrc: int):
        self.ssrc = ssrc
        self.packets = 0
        self.bytes = 0
        self.gaps = 0  # missing sequence numbers (sum of the holes)
        self.gap_events = 0  # number of holes
        self.late = 0
        self.out_of_order = 0  # duplicates / older than the highest seen
        self.first_arrival = 0.0
        self.last_arrival = 0.0
        self.last_seq = -1  # highest 16-bit seq seen
        self.ext_seq = 0  # highest extended (wrap-counted) seq
        self.anchor_time = 0.0
        self.anchor_seq = 0
        self.last_timestamp = 0
        self.addr: tuple[str, int] | None = None

    def on_packet(self, seq: int, timestamp: int, size: int, now: float) -> None:
        self.packets += 1
        self.bytes += size
        self.last_arrival = now
        if self.last_seq < 0:
            self.first_arrival = now
            self.last_seq = seq
            self.ext_seq = seq
            self.anchor_time = now
            self.anchor_seq = seq
            self.last_timestamp = timestamp
            return
        delta = (seq - self.last_seq) & 0xFFFF
        if delta == 0 or delta >= 0x8000:  # duplicate or older than the newest
            self.out_of_order += 1
            return
        if delta > 1:
            self.gaps += delta - 1
            self.gap_events += 1
        self.last_seq = seq
        ext = self.ext_seq + delta
        self.ext_seq = ext
        self.last_timestamp = timestamp
        # cadence: slot n is anchor_time + (n - anchor_seq) * 20 ms; re-anchor on early or late.
        lag = now - (self.anchor_time + (ext - self.anchor_seq) * FRAME_SECONDS)
        if lag > LATE_SECONDS:
            self.late += 1
            self.anchor_time = now
            self.anchor_seq = ext
        elif lag < 0.0:
            self.anchor_time = now
            self.anchor_seq = ext

    def snapshot(self) -> dict:
        return {
            "ssrc": self.ssrc,
            "packets": self.packets,
            "bytes": self.bytes,
            "gaps": self.gaps,
            "gap_events": self.gap_events,
            "late": self.late,
            "out_of_order": self.out_of_order,
            "first_arrival": self.first_arrival or None,
            "last_arrival": self.last_arrival or None,
        }


class UdpCounter:
    """Classifies datagrams: RTP → per-SSRC counters; discovery → reply; RTCP/other → counted."""

    def __init__(self, on_discovery: Callable[[int, tuple[str, int]], None] | None = None):
        self.streams: dict[int, StreamStats] = {}
        self.datagrams = 0
        self.rtcp = 0
        self.discoveries = 0
        self.malformed = 0
        self.on_discovery = on_discovery

    def feed(self, buf, n: int, addr: tuple[str, int], now: float) -> bytes | None:
        """Count one datagram of ``n`` bytes in ``buf``; returns a reply to send, if any."""
        self.datagrams += 1
        b0 = buf[0] if n else 0
        if n >= 12 and (b0 & 0xC0) == 0x80:
            if 200 <= buf[1] <= 204:  # RTCP SR/RR/SDES/BYE/APP
                self.rtcp += 1
                return None
            _, _, seq, ts, ssrc = RTP_HEADER.unpack_from(buf)
            st = self.streams.get(ssrc)
            if st is None:
                st = self.streams[ssrc] = StreamStats(ssrc)
                st.addr = addr
            st.on_packet(seq, ts, n, now)
            return None
        if n == DISCOVERY_SIZE and b0 == 0 and buf[1] == DISCOVERY_REQUEST:
            self.discoveries += 1
            ssrc = struct.unpack_from("!I", buf, 4)[0]
            if self.on_discovery is not None:
                try:
                    self.on_discovery(ssrc, addr)
                except Exception:  # noqa: BLE001 - a callback must not kill the reader
                    log.exception("discovery callback failed")
            return discovery_response(ssrc, addr[0], addr[1])
        if n == len(WAKE_MARKER) and bytes(buf[:n]) == WAKE_MARKER:
            self.datagrams -= 1  # the reader's own wake-up, not traffic
            return None
        self.malformed += 1
        return None

    def totals(self) -> dict:
        streams = list(self.streams.values())
        return {
            "datagrams": self.datagrams,
            "rtcp": self.rtcp,
            "discoveries": self.discoveries,
            "malformed": self.malformed,
            "streams": len(streams),
            "packets": sum(s.packets for s in streams),
            "bytes": sum(s.bytes for s in streams),
            "gaps": sum(s.gaps for s in streams),
            "late": sum(s.late for s in streams),
        }


def open_udp_socket(host: str = "127.0.0.1", port: int = 0, rcvbuf: int = DEFAULT_RCVBUF) -> socket.socket:
    """A bound UDP socket with a receive buffer as large as the kernel allows.

    SO_RCVBUFFORCE (root / CAP_NET_ADMIN) may exceed net.core.rmem_max; otherwise SO_RCVBUF is
    capped at rmem_max.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    force = getattr(socket, "SO_RCVBUFFORCE", None)
    try:
        if force is None:
            raise PermissionError
        sock.setsockopt(socket.SOL_SOCKET, force, rcvbuf)
    except (PermissionError, OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.bind((host, port))
    log.debug("UDP socket %s rcvbuf=%d", sock.getsockname(), sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
    return sock


def kernel_drops(sock: socket.socket) -> int | None:
    """The kernel's drop counter for this socket (last column of /proc/net/udp), if readable."""
    try:
        inode = os.fstat(sock.fileno()).st_ino
        port = sock.getsockname()[1]
        with open("/proc/net/udp", encoding="ascii") as f:
            next(f)
            for line in f:
                parts = line.split()
                if len(parts) >= 13 and int(parts[9]) == inode and int(parts[1].split(":")[1], 16) == port:
                    return int(parts[12])
    except (OSError, ValueError, StopIteration):
        return None
    return None


class ThreadedUdpReader:
    """Reads the socket with blocking ``recvfrom_into`` in a daemon thread."""

    name = "thread"

    def __init__(self, sock: socket.socket, counter: UdpCounter):
        self.sock = sock
        self.counter = counter
        self._stop = False
        self._paused = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self._thread = threading.Thread(target=self._run, name="voicesim-udp", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _wake(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(WAKE_MARKER, self.sock.getsockname())

    def _run(self) -> None:
        sock = self.sock
        buf = bytearray(65536)
        recv = sock.recvfrom_into
        feed = self.counter.feed
        clock = time.monotonic
        resume = self._resume
        while not self._stop:
            if not resume.is_set():
                self._paused.set()
                resume.wait()
                self._paused.clear()
                continue
            try:
                n, addr = recv(buf)
            except OSError:
                if self._stop:
                    break
                log.exception("UDP receive failed")
                continue
            reply = feed(buf, n, addr, clock())
            if reply is not None:
                try:
                    sock.sendto(reply, addr)
                except OSError:
                    log.warning("could not answer IP discovery from %s", addr)

    def pause(self) -> None:
        """Stop reading: returns once the reader is parked (datagrams then queue in the kernel)."""
        self._resume.clear()
        self._wake()
        self._paused.wait(2.0)

    def resume(self) -> None:
        self._resume.set()

    def stop(self) -> None:
        self._stop = True
        self._resume.set()
        try:
            self._wake()
        except OSError:
            pass
        self._thread.join(2.0)


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, counter: UdpCounter):
        self.counter = counter
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data: bytes, addr):
        reply = self.counter.feed(data, len(data), addr, time.monotonic())
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)


class AsyncioUdpReader:
    """Reads the socket with an ``asyncio.DatagramProtocol`` on the given loop."""

    name = "asyncio"

    def __init__(self, sock: socket.socket, counter: UdpCounter, loop: asyncio.AbstractEventLoop):
        self.sock = sock
        self.counter = counter
        self.loop = loop
        # set by start(); Any because the selector loop's datagram transport also has
        # pause_reading/resume_reading, which typeshed's DatagramTransport does not declare
        self.transport: Any = None

    def start(self) -> None:
        async def _open():
            t, _ = await self.loop.create_datagram_endpoint(lambda: _Protocol(self.counter), sock=self.sock)
            return t

        self.transport = asyncio.run_coroutine_threadsafe(_open(), self.loop).result(5)

    def pause(self) -> None:
        assert self.transport is not None, "start() first"
        self.loop.call_soon_threadsafe(self.transport.pause_reading)
        asyncio.run_coroutine_threadsafe(asyncio.sleep(0), self.loop).result(2)

    def resume(self) -> None:
        assert self.transport is not None, "start() first"
        self.loop.call_soon_threadsafe(self.transport.resume_reading)

    def stop(self) -> None:
        if self.transport is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.transport.close)
