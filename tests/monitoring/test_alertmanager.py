"""The generated Alertmanager config routes by severity, groups by job and node, and inhibits symptoms."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lavametrics.devtools.node import free_port
from lavametrics.devtools.stack import Daemon, http_ok
from lavametrics.devtools.webhook import WebhookReceiver
from lavametrics.mixin.build import alertmanager_text
from lavametrics.mixin.config import MixinConfig
from tests.conftest import require, require_tool

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "monitoring" / "alertmanager" / "alertmanager.yml"


@pytest.mark.parametrize(
    "labels, receiver",
    [
        (["severity=critical", "alertname=LavalinkNodeDown"], "pager"),
        (["severity=warning", "alertname=LavalinkFrameLoss"], "team"),
        (["alertname=SomethingElse"], "team"),
    ],
)
def test_routes_by_severity(labels, receiver):
    amtool = require_tool("amtool")
    proc = subprocess.run(
        [amtool, "config", "routes", "test", f"--config.file={CONFIG}", *labels],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and proc.stdout.strip() == receiver, proc.stdout + proc.stderr


def _post(url: str, alerts: list[dict]) -> None:
    req = urllib.request.Request(
        url, data=json.dumps(alerts).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200


def _get(url: str):
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


@contextmanager
def _alertmanager(tmp_path: Path) -> Iterator[tuple[str, WebhookReceiver]]:
    """A real Alertmanager with the generated config, sending to a webhook receiver: (base URL, hook)."""
    binary = shutil.which("alertmanager") or shutil.which("prometheus-alertmanager")
    require(binary is not None, "the `alertmanager` (Debian: prometheus-alertmanager) command")
    port = free_port()
    with WebhookReceiver() as hook:
        (tmp_path / "alertmanager.yml").write_text(alertmanager_text(MixinConfig(), webhook_url=hook.url))
        am = Daemon(
            "alertmanager",
            [
                binary,
                "--config.file=alertmanager.yml",
                "--storage.path=data",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
            ],
            tmp_path,
            tmp_path / "alertmanager.log",
        ).start()
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while not http_ok(f"{base}/-/ready"):
                assert am.running() and time.monotonic() < deadline, am.tail()
                time.sleep(0.2)
            yield base, hook
        finally:
            am.stop()


def test_a_down_node_silences_its_symptoms_but_not_other_nodes(tmp_path):
    with _alertmanager(tmp_path) as (base, hook):
        now = datetime.now(UTC)
        starts = (now - timedelta(seconds=5)).isoformat()

        def alert(name, severity, **labels):
            return {
                "labels": {"alertname": name, "severity": severity, "job": "lavalink", **labels},
                "annotations": {"summary": name},
                "startsAt": starts,
            }

        sent = time.monotonic()
        _post(
            f"{base}/api/v2/alerts",
            [
                alert("LavalinkNodeDown", "critical", node="a"),
                alert("LavalinkVoiceCloses", "critical", node="a", code="4006"),
                alert("LavalinkVoiceCloses", "critical", node="b", code="4006"),
            ],
        )
        for name, node in (("LavalinkNodeDown", "a"), ("LavalinkVoiceCloses", "b")):
            n = hook.wait_firing(name, timeout=30, where=lambda a, node=node: a["labels"]["node"] == node)
            assert n is not None, f"{name} for node {node} never reached the webhook"
            assert n.receiver == "pager"
            assert n.received_monotonic - sent < 10 + 5  # the critical route's group_wait, plus slack
        state = {(a["labels"]["alertname"], a["labels"]["node"]): a["status"] for a in _get(f"{base}/api/v2/alerts")}
        assert state[("LavalinkVoiceCloses", "a")]["state"] == "suppressed"
        assert state[("LavalinkVoiceCloses", "a")]["inhibitedBy"]
        assert state[("LavalinkVoiceCloses", "b")]["state"] == "active"
        assert state[("LavalinkNodeDown", "a")]["state"] == "active"  # never inhibits itself
        groups = {
            tuple(sorted(g["labels"].items())): g["receiver"]["name"] for g in _get(f"{base}/api/v2/alerts/groups")
        }
        assert groups[(("job", "lavalink"), ("node", "b"))] == "pager"
        assert hook.first_firing("LavalinkVoiceCloses", where=lambda a: a["labels"]["node"] == "a") is None


def test_one_incident_is_one_notification_per_channel(tmp_path):
    """A bot incident raising five alerts (failures, the fast burn, slow commands on three
    commands; the rules keep the slow burn quiet themselves) and a voice incident raising closes
    on two codes plus silence: one page each, nothing to the team channel, the slow commands held
    back by the fast burn. Silence is never held back: lavaplayer stops unpolled tracks after a
    minute, and a held-back silence would then resolve having told nobody."""
    with _alertmanager(tmp_path) as (base, hook):
        starts = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()

        def alert(name, severity, **labels):
            return {"labels": {"alertname": name, "severity": severity, **labels}, "startsAt": starts}

        _post(
            f"{base}/api/v2/alerts",
            [
                alert("BotCommandErrorsHigh", "critical", job="bot"),
                alert("BotCommandSLOFastBurn", "critical", job="bot"),
                *(alert("BotCommandLatencyHigh", "warning", job="bot", command=c) for c in ("play", "skip", "queue")),
                alert("LavalinkVoiceCloses", "critical", job="lavalink", node="a", code="4006"),
                alert("LavalinkVoiceCloses", "critical", job="lavalink", node="a", code="4009"),
                alert("LavalinkPlaybackSilent", "critical", job="lavalink", node="a"),
            ],
        )
        assert hook.wait_firing("BotCommandErrorsHigh", timeout=30) is not None
        assert hook.wait_firing("LavalinkVoiceCloses", timeout=30) is not None
        # the warning route waits 30 s before its first notification: give it that, and more
        settle = time.monotonic() + 40
        while time.monotonic() < settle:
            time.sleep(1)
        by_receiver: dict[str, list] = {}
        for n in hook.notifications:
            by_receiver.setdefault(n.receiver, []).append(sorted(a["labels"]["alertname"] for a in n.alerts))
        assert by_receiver.get("team") is None, by_receiver
        assert sorted(by_receiver["pager"]) == [
            ["BotCommandErrorsHigh", "BotCommandSLOFastBurn"],
            ["LavalinkPlaybackSilent", "LavalinkVoiceCloses", "LavalinkVoiceCloses"],
        ], by_receiver
        suppressed = {
            a["labels"]["alertname"] for a in _get(f"{base}/api/v2/alerts") if a["status"]["state"] == "suppressed"
        }
        assert suppressed == {"BotCommandLatencyHigh"}
