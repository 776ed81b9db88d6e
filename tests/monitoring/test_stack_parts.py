"""The local stack's parts that run without a node: the webhook receiver, the backfilled history, the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from lavametrics.buckets import LATENCY_BUCKETS
from lavametrics.cli.stack import drill_table
from lavametrics.devtools import faults, history, stack
from lavametrics.devtools.botsim import COMMAND_MIX
from lavametrics.devtools.webhook import WebhookReceiver
from lavametrics.mixin import rules
from lavametrics.mixin.config import MixinConfig
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
        "labels": {"alertname": "LavalinkNodeDown", "node": "a", "severity": "critical"},
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


def test_backfilled_frames_are_a_healthy_hour_of_each_node(tmp_path):
    """The playback burn reads an hour too: every node sends all its players' frames, loses none."""
    targets = [("127.0.0.1:1", {"node": "node-1"}), ("127.0.0.1:2", {"node": "node-2"})]
    text = history.frames_history(
        job="lavalink", targets=targets, end=1_700_003_600.0, frames_per_second=150.0, seconds=3600
    )
    last = {}
    for name, labels, value, ts in _om_samples(text):
        key = (name, labels)
        assert key not in last or (value >= last[key][0] and ts > last[key][1]), key
        last[key] = (value, ts)
    assert len(last) == 3 * len(targets)
    for (name, labels), (value, ts) in last.items():
        assert dict(labels)["job"] == "lavalink" and ts == 1_700_003_600.0
        assert value == (150.0 * 3600 if name == "lavametrics_frames_sent_total" else 0), (name, labels)
    promtool = require_tool("promtool")
    (tmp_path / "frames.om").write_text(text)
    proc = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", "frames.om", "data"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert re.search(rf"\s{3 * len(targets)}\s+\d+\s*$", proc.stdout.strip()), proc.stdout


def test_stack_down_when_nothing_runs(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "lavametrics.devtools.stack", "down", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and proc.stdout == "metrics stack: not running\n"


def _notify(hook: WebhookReceiver, status: str, *alerts: dict) -> None:
    body = {"receiver": "pager", "status": status, "alerts": [{"status": status, **a} for a in alerts]}
    assert _post(hook.url, json.dumps(body).encode()) == 200


def test_drill_times_page_and_resolution_from_the_receivers_log(tmp_path):
    """The drill `lavametrics stack fault` runs, against a real receiver writing alerts.log."""
    down = {"labels": {"alertname": "LavalinkNodeDown", "node": "n1", "severity": "critical"}}
    other_node = {"labels": {"alertname": "LavalinkNodeDown", "node": "n2", "severity": "critical"}}
    extra = {"labels": {"alertname": "BotLavalinkDisconnects", "node": "n1", "severity": "critical"}}
    with WebhookReceiver(log_path=tmp_path / "alerts.log") as hook:
        _notify(hook, "firing", other_node)  # before the fault: not part of the incident
        lines = []

        def inject():
            # the alert arrives once the fault is in (here: from a thread, as Alertmanager's POST would)
            threading.Timer(0.6, _notify, (hook, "firing", other_node)).start()
            threading.Timer(1.2, _notify, (hook, "firing", down, extra)).start()
            return faults.Fault("node-down", {"node": "n1"}, time.time(), [faults.Expect(*_exp("n1"))])

        def clear():
            threading.Timer(0.8, _notify, (hook, "resolved", down, extra)).start()

        result = faults.drill(
            inject,
            clear,
            tmp_path / "alerts.log",
            fire_timeout=20,
            resolve_timeout=20,
            progress=lines.append,
            every=0.5,
        )
    (timing,) = result.timings
    assert timing.alert == "LavalinkNodeDown"
    assert 1.0 <= timing.fired < 10 and 0.6 <= timing.resolved < 10, timing
    # everything the receiver got from the fault on: the other node's page, ours, its resolution
    assert result.notifications == 3 and result.firing == 2, result
    assert result.alertnames == ["BotLavalinkDisconnects", "LavalinkNodeDown"]
    assert any("firing at the webhook" in line for line in lines), lines
    (row,) = faults.summarize([result, result])
    assert row["runs"] == 2 and row["fired"]["median"] == timing.fired and row["notifications"] == [3, 3]
    # the guide's table, as `lavametrics stack drill` prints it
    line = drill_table([row]).splitlines()[2]
    assert line.startswith("| `node-down` (node n1) | `LavalinkNodeDown` | 2 | ") and "| 2 (3), 2 (3) |" in line, line


def test_a_run_whose_alert_already_fires_is_invalid_not_timed(tmp_path):
    """A page still firing from the incident before sends no new notification: a drill that timed
    it would report the next unrelated notification (or a miss) as this fault's page."""
    with WebhookReceiver(log_path=tmp_path / "alerts.log") as hook:

        def inject():
            return faults.Fault("node-down", {"node": "n1"}, time.time(), [faults.Expect(*_exp("n1"))])

        def clear():
            down = {"labels": {"alertname": "LavalinkNodeDown", "node": "n1", "severity": "critical"}}
            threading.Timer(0.3, _notify, (hook, "resolved", down)).start()

        result = faults.drill(
            inject,
            clear,
            tmp_path / "alerts.log",
            fire_timeout=20,
            resolve_timeout=20,
            state_of=lambda alert: "firing",
            every=0.5,
        )
    (timing,) = result.timings
    assert timing.fired is None and result.note.startswith("invalid: LavalinkNodeDown already firing"), result
    fresh = faults.DrillResult("node-down", {"node": "n1"}, [faults.Timing("LavalinkNodeDown", 40.0, 20.0)], 2, 1, [])
    (row,) = faults.summarize([result, fresh])
    assert (
        row["runs"] == 1
        and row["invalid_runs"] == 1
        and row["fired"]
        == {
            "min": 40.0,
            "median": 40.0,
            "max": 40.0,
            "missed": 0,
        }
    )
    assert "| 1 (+1 invalid) |" in drill_table([row]), drill_table([row])


def _exp(node: str) -> tuple:
    return ("LavalinkNodeDown", "critical", {"node": node})


def test_every_fault_expects_alerts_the_rules_have():
    c = MixinConfig()
    names = {a.name: a.severity for a in rules.alerts(c)}
    params = {"node": "node-1", "code": 4006}
    for kind in faults.KINDS:
        expects, note = faults.expectations(kind, params, c)
        for e in expects:
            assert names[e.alert] == e.severity, (kind, e)
        if kind in faults.NO_PAGE_KINDS:  # the price of a fast node-down page: these must not page it
            assert not expects and note == "must not page LavalinkNodeDown", (kind, expects, note)
        else:  # every other fault pages
            assert expects and not note, (kind, note)


def test_the_audio_source_refuses_with_the_status_then_serves_again(tmp_path):
    """source-blocked's source: every request answered with the refusal, audio again once cleared."""
    from lavametrics.devtools.audioserve import AudioServer
    from lavametrics.devtools.wavgen import write_tone

    server = AudioServer(write_tone(tmp_path / "tone.wav", seconds=1)).start()
    try:
        server.set_refusal(429)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(server.url, timeout=10)
        assert refused.value.code == 429
        with pytest.raises(ValueError):
            server.set_refusal(200)
        server.set_refusal(None)
        with urllib.request.urlopen(server.url, timeout=10) as resp:
            assert resp.status == 200 and resp.read(4) == b"RIFF"
    finally:
        server.stop()


def test_the_stack_runs_the_prometheus_it_is_pointed_at(tmp_path, monkeypatch):
    """LAVAMETRICS_PROMETHEUS (e.g. the 3.x server .ci/prometheus3 builds) instead of PATH's;
    anything but an executable file is one error naming the variable."""
    server = tmp_path / "prometheus"
    server.write_text("#!/bin/sh\n")
    monkeypatch.setenv(stack.PROMETHEUS_ENV, str(server))
    with pytest.raises(stack.StackError, match=f"^{stack.PROMETHEUS_ENV}={re.escape(str(server))}: not an executable"):
        stack.prometheus_binary()
    server.chmod(0o755)
    assert stack.prometheus_binary() == str(server)
    monkeypatch.setenv(stack.PROMETHEUS_ENV, str(tmp_path))
    with pytest.raises(stack.StackError, match="not an executable file"):
        stack.prometheus_binary()


def test_waiting_on_a_daemon_that_exits_fails_with_its_log_not_the_timeout(tmp_path):
    log = tmp_path / "quits.log"
    command = [sys.executable, "-c", "print('bad flag: --nope', flush=True); raise SystemExit(3)"]
    daemon = stack.Daemon("quits", command, tmp_path, log).start()
    started = time.monotonic()
    with pytest.raises(stack.StackError, match=r"quits exited \(3\)(.|\n)*bad flag: --nope"):
        stack.wait_until(lambda: False, time.monotonic() + 60, "quits", "/-/ready", daemon, poll=0.05)
    assert time.monotonic() - started < 30  # it did not wait out the deadline


def test_waiting_past_the_deadline_names_what_was_awaited():
    with pytest.raises(stack.StackError, match="prometheus: 3 targets up not reached in time"):
        stack.wait_until(lambda: False, time.monotonic() + 0.2, "prometheus", "3 targets up", poll=0.05)
    calls = iter([False, False, True])
    stack.wait_until(lambda: next(calls), time.monotonic() + 10, "prometheus", "/-/ready", poll=0.01)
