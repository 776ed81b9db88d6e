"""A webhook receiver for Alertmanager that logs every notification, with when it arrived.

The local stack's default receiver, and the end of the alert-latency test: each POSTed
notification is kept (and appended as one JSON line to the log file) with its arrival time,
so a test can wait for an alert and tell how long the way from fault to receiver took; the
log line carries the arrival time and every alert's labels, for the fault drill
(:mod:`lavametrics.devtools.faults`) in another process.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PATH = "/alerts"


@dataclass(frozen=True)
class Notification:
    received: float  # time.time() at arrival
    received_monotonic: float
    receiver: str
    status: str
    alerts: tuple[dict, ...]

    def firing(self, alertname: str) -> list[dict]:
        return [
            a for a in self.alerts if a.get("status") == "firing" and a.get("labels", {}).get("alertname") == alertname
        ]


class WebhookReceiver:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, log_path: str | Path | None = None):
        self.notifications: list[Notification] = []
        self._cond = threading.Condition()
        self.log_path = Path(log_path) if log_path else None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server API)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if self.path.split("?", 1)[0] != PATH:
                    self.send_error(404)
                    return
                try:
                    payload = json.loads(body)
                except ValueError:
                    self.send_error(400, "body is not JSON")
                    return
                receiver._record(payload)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self):  # noqa: N802
                body = json.dumps({"notifications": len(receiver.notifications)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, fmt, *args):
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = str(self.server.server_address[0]), self.server.server_address[1]
        return f"http://{host}:{port}{PATH}"

    def _record(self, payload: dict) -> None:
        n = Notification(
            time.time(),
            time.monotonic(),
            payload.get("receiver", ""),
            payload.get("status", ""),
            tuple(payload.get("alerts") or ()),
        )
        with self._cond:
            self.notifications.append(n)
            if self.log_path is not None:
                summary = [
                    {
                        "alertname": a.get("labels", {}).get("alertname"),
                        "status": a.get("status"),
                        "severity": a.get("labels", {}).get("severity"),
                        "node": a.get("labels", {}).get("node"),
                        "summary": a.get("annotations", {}).get("summary"),
                        "labels": a.get("labels", {}),
                    }
                    for a in n.alerts
                ]
                with self.log_path.open("a", encoding="utf-8") as fh:
                    fh.write(
                        json.dumps(
                            {
                                "received": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(n.received)),
                                "received_unix": round(n.received, 3),
                                "receiver": n.receiver,
                                "status": n.status,
                                "alerts": summary,
                            }
                        )
                        + "\n"
                    )
            self._cond.notify_all()

    def start(self) -> WebhookReceiver:
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, name="webhook-receiver", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join(5)
        self.server.server_close()

    def first_firing(
        self, alertname: str, since: float = 0.0, where: Callable[[dict], bool] = lambda a: True
    ) -> Notification | None:
        """The first notification after ``since`` (monotonic) carrying ``alertname`` firing."""
        with self._cond:
            for n in self.notifications:
                if n.received_monotonic >= since and any(where(a) for a in n.firing(alertname)):
                    return n
        return None

    def wait_firing(
        self, alertname: str, timeout: float, since: float = 0.0, where: Callable[[dict], bool] = lambda a: True
    ) -> Notification | None:
        deadline = time.monotonic() + timeout
        with self._cond:  # a re-entrant lock: first_firing takes it again
            while True:
                found = self.first_firing(alertname, since, where)
                remaining = deadline - time.monotonic()
                if found is not None or remaining <= 0:
                    return found
                self._cond.wait(min(remaining, 1.0))

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
