"""The local stack's parts that run without a node: the webhook receiver, the backfilled history, the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from lavametrics.bot.metrics import LATENCY_BUCKETS
from lavametrics.devtools import bothistory as history
from lavametrics.devtools.botsim import COMMAND_MIX
from lavametrics.devtools.webhook import WebhookReceiver
from tests.conftest import require_tool


def _post(url: str, body: bytes) -> int:
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_webhook_receiver_keeps_and_logs_firing_alerts(tmp_path):
    log = tmp_path / "alerts.log"
    with WebhookReceiver(log_path=log) as hook:
        payload = {
            "receiver": "pager",
            "status": "firing",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": "LavalinkNodeDown", "node": "a", "severity": "critical"},
                    "annotations": {"summary": "Lavalink node a is down"},
                },
                {"status": "resolved", "labels": {"alertname": "LavalinkVoiceCloses", "node": "b"}, "annotations": {}},
            ],
        }
        assert hook.wait_firing("LavalinkNodeDown", timeout=0.2) is None
        assert _post(hook.url, json.dumps(payload).encode()) == 200
        n = hook.wait_firing("LavalinkNodeDown", timeout=5, where=lambda a: a["labels"]["node"] == "a")
        assert n is not None and n.receiver == "pager"
        assert hook.first_firing("LavalinkVoiceCloses") is None  # resolved, not firing
        assert hook.first_firing("LavalinkNodeDown", since=n.received_monotonic + 1) is None
        assert _post(hook.url, b"not json") == 400
        assert _post(hook.url.replace("/alerts", "/other"), b"{}") == 404
    entry = json.loads(log.read_text().splitlines()[0])
    assert entry["receiver"] == "pager" and entry["alerts"][0] == {
        "alertname": "LavalinkNodeDown",
        "status": "firing",
        "severity": "critical",
        "node": "a",
        "summary": "Lavalink node a is down",
    }


def _om_samples(text: str):
    """(name, labels, value, timestamp) of each sample line (prometheus_client's parser compares
    timestamps by identity and so rejects any timestamped histogram)."""
    assert text.endswith("# EOF\n")
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.fullmatch(r"(\w+)\{(.*)\} (\S+) (\S+)", line)
        assert m, line
        labels = tuple(sorted(re.findall(r'(\w+)="([^"]*)"', m.group(2))))
        yield m.group(1), labels, float(m.group(3)), float(m.group(4))


def test_backfilled_history_is_a_healthy_bot_hour(tmp_path):
    text = history.bot_history(
        job="bot", instance="127.0.0.1:9", end=1_700_003_600.0, seconds=3600, rate=2.0, error_ratio=0.001
    )
    last = {}
    for name, labels, value, ts in _om_samples(text):
        assert dict(labels)["job"] == "bot" and dict(labels)["instance"] == "127.0.0.1:9"
        key = (name, labels)
        assert key not in last or (value >= last[key][0] and ts > last[key][1]), key
        last[key] = (value, ts)
    assert max(t for _, t in last.values()) == 1_700_003_600.0
    total = sum(v for (name, labels), (v, _) in last.items() if name == "bot_commands_total")
    errors = sum(
        v for (name, labels), (v, _) in last.items() if name == "bot_commands_total" and ("outcome", "error") in labels
    )
    # whole counts, rounded down per series
    assert total == pytest.approx(2.0 * 3600, abs=2 * len(COMMAND_MIX)) and errors == pytest.approx(
        7.2, abs=len(COMMAND_MIX)
    )
    for name, _, _ in COMMAND_MIX:

        def lbl(command=name, **kv):
            return tuple(sorted({"job": "bot", "instance": "127.0.0.1:9", "command": command, **kv}.items()))

        count = last[("bot_command_duration_seconds_count", lbl())][0]
        assert last[("bot_command_duration_seconds_bucket", lbl(le="+Inf"))][0] == count
        # healthy: (almost) every command is within the SLO bound
        assert last[("bot_command_duration_seconds_bucket", lbl(le="2.5"))][0] >= 0.99 * count - 1
    promtool = require_tool("promtool")
    (tmp_path / "history.om").write_text(text)
    proc = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", "history.om", "data"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    series = len(COMMAND_MIX) * (2 + len(LATENCY_BUCKETS) + 1 + 2)  # outcomes, buckets and +Inf, count and sum
    assert re.search(rf"\s{series}\s+\d+\s*$", proc.stdout.strip()), proc.stdout


def test_stack_down_when_nothing_runs(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "lavametrics.devtools.stack", "down", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and proc.stdout == "metrics stack: not running\n"
