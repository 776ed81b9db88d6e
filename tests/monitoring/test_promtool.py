"""promtool and amtool accept what the mixin generates, and every alert's unit tests pass."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML

from lavametrics.mixin import build
from lavametrics.mixin.stackconfig import BASIC_PASSWORD_FILE, BEARER_TOKEN_FILE
from tests.conftest import require_tool

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "monitoring"


def _run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)


def _deployment(tmp_path: Path) -> Path:
    """monitoring/prometheus as an operator deploys it: targets from `lavametrics targets`, secret files."""
    prom = tmp_path / "prometheus"
    shutil.copytree(MONITORING / "prometheus", prom)
    nodes = {
        "core": "nodes:\n  - {name: eu-1, url: 'http://127.0.0.1:2333', password: pw}\n",
        "basic": "nodes:\n  - {name: eu-2, url: 'http://127.0.0.1:2334', password: pw, "
        "metrics_url: 'http://127.0.0.1:9477/metrics', own_endpoint: true}\n",
        "bearer": "nodes:\n  - {name: eu-3, url: 'http://127.0.0.1:2335', password: pw, "
        "metrics_url: 'https://127.0.0.1:9478/metrics', own_endpoint: true}\n",
        "merge": "nodes:\n  - {name: behind-bot, url: 'http://127.0.0.1:2336', password: pw, "
        "metrics_url: 'http://127.0.0.1:9479/metrics'}\n",
        "bot": "nodes:\n  - {name: musicbot, url: 'http://127.0.0.1:8000', password: unused, "
        "metrics_url: 'http://127.0.0.1:8000/metrics'}\n",
        "node-exporter": "nodes:\n  - {name: eu-1, url: 'http://127.0.0.1:9100', password: unused, "
        "metrics_url: 'http://127.0.0.1:9100/metrics'}\n",
    }
    for kind, text in nodes.items():
        spec = tmp_path / f"{kind}.yml"
        spec.write_text(text)
        (prom / "targets" / kind).mkdir(parents=True)
        proc = _run(
            [
                sys.executable,
                "-m",
                "lavametrics.cli",
                "targets",
                "--nodes",
                str(spec),
                "--out",
                str(prom / "targets" / kind / "nodes.json"),
            ]
        )
        assert proc.returncode == 0, proc.stderr
    (prom / "secrets").mkdir(exist_ok=True)  # the committed placeholders are replaced
    (prom / "secrets" / BASIC_PASSWORD_FILE).write_text("s3cret\n")
    (prom / "secrets" / BEARER_TOKEN_FILE).write_text("t0ken\n")
    return prom


def test_promtool_check_config_is_clean(tmp_path):
    promtool = require_tool("promtool")
    prom = _deployment(tmp_path)
    proc = _run([promtool, "check", "config", "prometheus.yml"], cwd=prom)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    output = proc.stdout + proc.stderr
    assert "WARNING" not in output and "SUCCESS: 2 rule files found" in output, output


def test_promtool_check_config_fails_without_the_credential_files(tmp_path):
    promtool = require_tool("promtool")
    prom = _deployment(tmp_path)
    (prom / "secrets" / BEARER_TOKEN_FILE).unlink()
    proc = _run([promtool, "check", "config", "prometheus.yml"], cwd=prom)
    assert proc.returncode != 0 and BEARER_TOKEN_FILE in proc.stdout + proc.stderr


def test_promtool_check_rules_is_clean():
    promtool = require_tool("promtool")
    files = sorted(str(p) for p in (MONITORING / "prometheus" / "rules").glob("*.yml"))
    assert len(files) == 2
    proc = _run([promtool, "check", "rules", *files])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "WARNING" not in proc.stdout + proc.stderr


def test_promtool_rule_unit_tests_pass():
    promtool = require_tool("promtool")
    files = sorted(str(p) for p in (MONITORING / "prometheus" / "tests").glob("*.yml"))
    assert len(files) == 4
    proc = _run([promtool, "test", "rules", *files])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("SUCCESS") == len(files), proc.stdout


def test_rule_unit_tests_catch_a_wrong_threshold(tmp_path):
    """The quiet cases are not vacuous: a rule paging at 3 disconnects instead of 4 fails one."""
    promtool = require_tool("promtool")
    prom = tmp_path / "prometheus"
    shutil.copytree(MONITORING / "prometheus", prom)
    alerts = prom / "rules" / "lavametrics-alerts.yml"
    text = alerts.read_text()
    assert text.count("> 3.5") == 2
    alerts.write_text(text.replace("> 3.5", "> 2.5"))
    proc = _run([promtool, "test", "rules", str(prom / "tests" / "bot-alerts.yml")])
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "name: exactly 3 disconnects stay quiet" in output, output
    assert "name: 4 disconnects, the first one creating the series" not in output  # still fires as it should


def test_amtool_check_config_is_clean():
    amtool = require_tool("amtool")
    proc = _run([amtool, "check-config", str(MONITORING / "alertmanager" / "alertmanager.yml")])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Found:" in proc.stdout and " - 2 receivers" in proc.stdout and " - 5 inhibit rules" in proc.stdout


def test_commented_slack_and_pagerduty_receivers_are_valid(tmp_path):
    """The examples an operator swaps in pass amtool too, and hold no secret themselves."""
    amtool = require_tool("amtool")
    text = (MONITORING / "alertmanager" / "alertmanager.yml").read_text()
    head, marker, tail = text.partition(build.EXAMPLES_MARKER)
    assert marker
    example_lines = [line[2:] if line.startswith("# ") else line[1:] for line in tail.splitlines()[2:]]
    yaml = YAML(typ="safe")
    config = yaml.load(head)
    examples = yaml.load("\n".join(example_lines))
    receivers = {r["name"]: r for r in examples["receivers"]}
    assert set(receivers) == {r["name"] for r in config["receivers"]}
    assert receivers["pager"]["pagerduty_configs"][0]["routing_key_file"]
    assert receivers["team"]["slack_configs"][0]["api_url_file"]
    config["receivers"] = examples["receivers"]
    swapped = tmp_path / "alertmanager.yml"
    with swapped.open("w") as fh:
        YAML().dump(config, fh)
    proc = _run([amtool, "check-config", str(swapped)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
