"""Idle clients that never finish a request head, each from its own loopback address.

``python -m tests.unit.idleflood PORT N``: N clients connect to 127.0.0.1:PORT from
127.0.0.2, 127.0.0.3, ... (distinct peers, as on a network), send part of a request head
and wait; when the server drops one, it reconnects at once. Prints ``ready`` when every
client has sent its part once, and runs until its stdin closes. A child process, so that
the flood does not share the server's GIL (a real attacker would not).
"""

from __future__ import annotations

import selectors
import socket
import sys

PARTIAL_HEAD = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Idle: "


def main(port: int, n: int) -> None:
    sel = selectors.DefaultSelector()
    sel.register(sys.stdin, selectors.EVENT_READ, None)
    sent_once: set[int] = set()

    def connect(i: int) -> None:
        sock = socket.socket()
        sock.bind((f"127.0.0.{i + 2}", 0))
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        sel.register(sock, selectors.EVENT_WRITE, i)

    for i in range(n):
        connect(i)
    while True:
        for key, events in sel.select():
            if key.data is None:  # stdin: closed when the test is done
                if not sys.stdin.readline():
                    return
                continue
            sock, i = key.fileobj, key.data
            assert isinstance(sock, socket.socket)
            if events & selectors.EVENT_WRITE:
                try:
                    sock.send(PARTIAL_HEAD)
                except OSError:
                    pass  # refused or reset: read the end below
                sel.modify(sock, selectors.EVENT_READ, i)
                if i not in sent_once:
                    sent_once.add(i)
                    if len(sent_once) == n:
                        print("ready", flush=True)
                continue
            try:
                data = sock.recv(4096)
            except OSError:
                data = b""
            if not data:  # dropped: come back at once
                sel.unregister(sock)
                sock.close()
                connect(i)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
