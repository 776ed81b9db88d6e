"""Who gets a thread of our metrics endpoints: a connection-slot policy that keeps a scrape
from waiting behind clients that never finish their request.

Before, every connection took one of ``max_connections`` slots from accept to close, and
authentication came only after the request head. 64 idle clients sending part of a head
held every slot for the 10 s head deadline, so a scrape waited 9.5 s; 128 that reconnected
when dropped kept every slot taken, and every scrape timed out.

What tells a scraper from such a client is that it sends its whole head at once and
then has credentials. So a connection goes through two stages, with slots of its own each:

1. **arriving** (TLS handshake, request head, the auth check): ``arriving`` slots. When they
   are all taken, a new connection pushes out the oldest one that has not finished its head
   and has had ``grace`` seconds to do so (under pressure the head deadline shrinks from
   the socket timeout to ``grace``). If none is that old yet, the accept loop waits for one
   to be (the newcomer waits in the listen backlog), so attackers recycle at most
   ``arriving / grace`` connections per second and a scraper, once in, always has ``grace``
   seconds to send its head. With plain HTTP a head that is already complete when the
   connection is accepted (a scraper's, sent with the connect) is never pushed out.
2. **serving** (rendering and writing the answer): ``serving`` slots (``max_connections``),
   taken only by requests that passed the web configuration (auth, rate limit). Refusals
   (401, 429, 500) are answered from the arriving slot, so no client without credentials
   ever holds a serving slot: they are all reserved for authorised scrapes.

One peer address may hold at most ``per_peer`` arriving slots; a peer over it pushes out its
own oldest unfinished connection first, however young, so a single address cannot churn
everyone else's out. On loopback every client is 127.0.0.1, which this cap cannot tell
apart: there the stages and ``grace`` do the work (tests model distinct peers with
127.0.0.x addresses).

Threads: at most ``arriving + serving`` connections have one, plus, for a moment, those
pushed out (closing the socket wakes their read at once).
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from contextlib import contextmanager


class Arrival:
    """One accepted connection, from accept until it holds a serving slot or closes."""

    __slots__ = ("peer", "sock", "started", "head_done", "evicted")

    def __init__(self, peer: str, sock: socket.socket, head_done: bool):
        self.peer = peer
        self.sock = sock  # the socket to shut down to push it out (the TLS one once wrapped)
        self.started = time.monotonic()
        self.head_done = head_done
        self.evicted = False


def head_already_complete(sock: socket.socket) -> bool:
    """Whether a whole request head (up to the empty line) is already in the socket's
    receive buffer: looked at, not consumed, never waited for."""
    try:
        data = sock.recv(16384, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except OSError:  # BlockingIOError: nothing yet
        return False
    return b"\r\n\r\n" in data


class ConnectionSlots:
    def __init__(self, serving: int, arriving: int | None = None, per_peer: int | None = None, grace: float = 1.0):
        if serving < 1:
            raise ValueError(f"max_connections must be at least 1: {serving}")
        self.serving_limit = serving
        self.arriving_limit = arriving or serving
        self.per_peer = per_peer or max(2, self.arriving_limit // 8)
        self.grace = grace
        self._cond = threading.Condition()
        self._arriving: dict[Arrival, None] = {}  # insertion order: oldest first
        self._by_peer: Counter[str] = Counter()
        self._serving = 0
        self.evictions = 0

    # --- the accept loop ---------------------------------------------------------------------

    def arrive(self, sock: socket.socket, peer: str, closing: threading.Event, head_done: bool = False):
        """A slot for a new connection, pushing out whom the policy says; blocks while every
        arriving slot holds a connection that may not be pushed out yet. None: closing."""
        with self._cond:
            while True:
                if closing.is_set():
                    return None
                victim, wait = self._victim(peer)
                if victim is not None:
                    self._evict(victim)
                if victim is not None or wait == 0.0:
                    arrival = Arrival(peer, sock, head_done)
                    self._arriving[arrival] = None
                    self._by_peer[peer] += 1
                    return arrival
                self._cond.wait(min(wait, 0.2))  # 0.2: look at `closing` now and then

    def _victim(self, peer: str) -> tuple[Arrival | None, float]:
        """(whom to push out, None for nobody; else how long until someone may be: 0 when
        there is room)."""
        if self._by_peer[peer] >= self.per_peer:
            mine = next((a for a in self._arriving if a.peer == peer and not a.head_done), None)
            if mine is not None:
                return mine, 0.0
        if len(self._arriving) < self.arriving_limit:
            return None, 0.0
        oldest = next((a for a in self._arriving if not a.head_done), None)
        if oldest is None:
            return None, 0.2  # every slot holds a finished head: one leaves soon
        left = oldest.started + self.grace - time.monotonic()
        return (oldest, 0.0) if left <= 0 else (None, left)

    def _evict(self, arrival: Arrival) -> None:
        arrival.evicted = True
        self._drop(arrival)
        self.evictions += 1
        try:
            # socket.socket's own shutdown, also for a TLS socket (whose override would drop
            # its SSL object under the thread using it): wakes that thread's read with EOF
            socket.socket.shutdown(arrival.sock, socket.SHUT_RDWR)
        except OSError:
            pass  # already closed, or detached while being wrapped: it ends at its deadline

    def _drop(self, arrival: Arrival) -> None:
        if self._arriving.pop(arrival, False) is None:
            self._by_peer[arrival.peer] -= 1
            if not self._by_peer[arrival.peer]:
                del self._by_peer[arrival.peer]
            self._cond.notify_all()

    # --- the connection's thread -----------------------------------------------------------

    def rebind(self, arrival: Arrival, sock: socket.socket) -> None:
        with self._cond:
            arrival.sock = sock

    def finish_head(self, arrival: Arrival) -> bool:
        """The head is in: from now on the connection is not pushed out. False if it
        already was (the thread then drops the request)."""
        with self._cond:
            if arrival.evicted:
                return False
            arrival.head_done = True
            return True

    @contextmanager
    def serving(self, arrival: Arrival, timeout: float):
        """Hold a serving slot (yields True), or yields False when none came free within
        ``timeout``; the arriving slot is given up once the serving one is held."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._serving >= self.serving_limit:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            got = self._serving < self.serving_limit
            if got:
                self._serving += 1
                self._drop(arrival)
        try:
            yield got
        finally:
            if got:
                with self._cond:
                    self._serving -= 1
                    self._cond.notify_all()

    def leave(self, arrival: Arrival) -> None:
        """The connection ends (call before its socket is closed: eviction shuts it down)."""
        with self._cond:
            self._drop(arrival)

    @property
    def active(self) -> int:
        """Connections holding a slot of either stage."""
        with self._cond:
            return len(self._arriving) + self._serving

    @property
    def arriving(self) -> int:
        with self._cond:
            return len(self._arriving)
