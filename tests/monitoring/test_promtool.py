"""promtool and amtool accept what the mixin generates, and every alert's unit tests pass.

The promtool checks run under Prometheus 2.42 (Debian's) and 3.x (built by .ci/prometheus3):
operators run either, and 3.x reads some things differently (left-open range selectors, ``le``
normalisation; docs/compat.md).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.utils import floatToGoString
from ruamel.yaml import YAML

from lavametrics.buckets import LATENCY_BUCKETS
from lavametrics.mixin import build, rules, ruletests
from lavametrics.mixin.config import MixinConfig, MixinConfigError, from_mapping
from lavametrics.mixin.stackconfig import BASIC_PASSWORD_FILE, BEARER_TOKEN_FILE
from tests.conftest import PROMTOOL_VERSIONS, require_promtool, require_tool

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "monitoring"


@pytest.fixture(params=PROMTOOL_VERSIONS, ids=lambda major: f"prometheus{major}")
def promtool(request) -> str:
    return require_promtool(request.param)


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


def test_promtool_check_config_is_clean(promtool, tmp_path):
    prom = _deployment(tmp_path)
    proc = _run([promtool, "check", "config", "prometheus.yml"], cwd=prom)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    output = proc.stdout + proc.stderr
    assert "WARNING" not in output and "SUCCESS: 2 rule files found" in output, output


def test_promtool_check_config_fails_without_the_credential_files(promtool, tmp_path):
    prom = _deployment(tmp_path)
    (prom / "secrets" / BEARER_TOKEN_FILE).unlink()
    proc = _run([promtool, "check", "config", "prometheus.yml"], cwd=prom)
    assert proc.returncode != 0 and BEARER_TOKEN_FILE in proc.stdout + proc.stderr


def test_promtool_check_rules_is_clean(promtool):
    files = sorted(str(p) for p in (MONITORING / "prometheus" / "rules").glob("*.yml"))
    assert len(files) == 2
    proc = _run([promtool, "check", "rules", *files])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "WARNING" not in proc.stdout + proc.stderr


def test_promtool_rule_unit_tests_pass(promtool):
    files = sorted(str(p) for p in (MONITORING / "prometheus" / "tests").glob("*.yml"))
    # one file per suite the mixin writes
    assert len(files) == len(ruletests.suites(MixinConfig()))
    proc = _run([promtool, "test", "rules", *files])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("SUCCESS") == len(files), proc.stdout


def test_rule_unit_tests_catch_a_wrong_threshold(promtool, tmp_path):
    """The quiet cases are not vacuous: a rule paging at 3 disconnects instead of 4 fails one."""
    prom = tmp_path / "prometheus"
    shutil.copytree(MONITORING / "prometheus", prom)
    alerts = prom / "rules" / "lavametrics-alerts.yml"
    text = alerts.read_text()
    # both alerts that count closes or disconnects, each in its two comparisons
    assert text.count("> 3.5") == 2 and text.count(") > 3)") == 2
    alerts.write_text(text.replace("> 3.5", "> 2.5").replace(") > 3)", ") > 2)"))
    proc = _run([promtool, "test", "rules", str(prom / "tests" / "bot-alerts.yml")])
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "name: exactly 3 disconnects stay quiet" in output, output
    assert "name: 4 disconnects, the first one creating the series" not in output  # still fires as it should


def test_amtool_check_config_is_clean():
    amtool = require_tool("amtool")
    path = MONITORING / "alertmanager" / "alertmanager.yml"
    proc = _run([amtool, "check-config", str(path)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    inhibitions = len(YAML(typ="safe").load(path)["inhibit_rules"])  # every one amtool read
    assert (
        "Found:" in proc.stdout and " - 2 receivers" in proc.stdout and f" - {inhibitions} inhibit rules" in proc.stdout
    )


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


# --- what the mixin.yml validator accepts, promtool and amtool accept -----------------------
# Values are drawn well-formed and broken alike (unescaped quotes, trailing commas, PromQL
# appended, raw line breaks, NaN, durations out of order); each one the validator lets through
# must give rules promtool loads and an Alertmanager config amtool loads.


def _quoted(style: str, text: str) -> str:
    if style == '"':
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if style == "'":
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"
    if style == "`":
        return "`" + text + "`"
    return '"' + text + '"'  # "raw": as a careless hand would write it


_VALUE_TEXT = st.text(alphabet=list("ab.*|()[]{}+?^$\\\"'`, \n\t#") + ["é", "1", "x"], max_size=8)
_MATCHER = st.builds(
    lambda label, space, op, style, text: f"{label}{space}{op}{space}{_quoted(style, text)}",
    st.sampled_from(["job", "env", "_x1", "instance", "job", "__name__", "1bad", "job-x"]),
    st.sampled_from(["", " "]),
    st.sampled_from(["=", "!=", "=~", "!~", "=", "=~", "==", "~"]),
    st.sampled_from(['"', "'", "`", "raw"]),
    _VALUE_TEXT,
)
_SELECTOR = st.builds(
    lambda matchers, tail: ", ".join(matchers) + tail,
    st.lists(_MATCHER, max_size=3),
    st.sampled_from(["", "", "", "", ",", ") or vector(1) or (up", " # x", "}"]),
)
_DURATION = st.one_of(
    st.from_regex(r"(?:[0-9]{1,4}(?:ms|s|m|h|d|w|y)){1,3}", fullmatch=True), st.sampled_from(["0", "", "1h30m"])
)
_NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 10**31), st.sampled_from([0.5, 1, 1e6])
)
_CODES = st.lists(st.one_of(st.integers(0, 99999), st.text(alphabet='0149.*"}| ', max_size=6)), max_size=3)
_URL = st.one_of(
    st.builds(
        lambda scheme, host, rest: f"{scheme}{host}{rest}",
        st.sampled_from(["http://", "https://", "ftp://", "", "http:/"]),
        st.sampled_from(["example.org", "127.0.0.1:9095", "[::1]:80", "h:xx", "", "a b", "[::1"]),
        st.text(alphabet="/ab%2F?=&# \n", max_size=8),
    ),
)
_RUNBOOK = st.text(alphabet="ab/.:#{} $", max_size=12)

CANDIDATES = {
    ("selectors", "node"): _SELECTOR,
    ("selectors", "merged"): _SELECTOR,
    ("selectors", "bot"): _SELECTOR,
    ("thresholds", "voice_closes_ignored_codes"): _CODES,
    ("thresholds", "node_down_for"): _DURATION,
    ("thresholds", "track_window"): _DURATION,
    ("thresholds", "disconnects_window"): _DURATION,
    ("slo", "period"): _DURATION,
    ("thresholds", "heap_used_ratio"): _NUMBER,
    ("thresholds", "command_p95_seconds"): _NUMBER,
    ("thresholds", "frame_loss_min_frames"): _NUMBER,
    ("thresholds", "disconnects_max"): _NUMBER,
    ("slo", "fast_burn"): _NUMBER,
    ("links", "webhook_url"): _URL,
    ("links", "runbook_base"): _RUNBOOK,
    ("clusters", "label"): st.one_of(
        st.sampled_from(["", "cluster", "region", "job", "le", "__x", "1dc"]), st.text(alphabet="ab_1.-é ", max_size=6)
    ),
}


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({k: v for k, v in CANDIDATES.items()}))
def test_values_the_validator_accepts_pass_promtool_and_amtool(candidates):
    # Debian's promtool only: 50 drawn configurations under two promtools is minutes on a busy
    # machine, and the generated files are checked under Prometheus 3 above
    promtool, amtool = require_tool("promtool"), require_tool("amtool")
    # each value alone: those refused fall back to the default, the rest go in together
    accepted: dict = {}
    for (section, key), value in candidates.items():
        try:
            from_mapping({section: {key: value}})
        except MixinConfigError:
            continue
        accepted.setdefault(section, {})[key] = value
    try:
        c = from_mapping(accepted)
    except MixinConfigError:  # rules between keys (e.g. SLO windows), not this test's subject
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        (out / "recording.yml").write_text(build.yaml_text(rules.recording_file(c)))
        (out / "alerts.yml").write_text(build.yaml_text(rules.alerts_file(c)))
        (out / "alertmanager.yml").write_text(build.alertmanager_text(c))
        proc = _run([promtool, "check", "rules", str(out / "recording.yml"), str(out / "alerts.yml")])
        assert proc.returncode == 0, f"{accepted!r}\n{proc.stdout}{proc.stderr}"
        proc = _run([amtool, "check-config", str(out / "alertmanager.yml")])
        assert proc.returncode == 0, f"{accepted!r}\n{proc.stdout}{proc.stderr}"


# --- Prometheus 3 reads `le` differently -----------------------------------------------------


@pytest.mark.parametrize("major", PROMTOOL_VERSIONS, ids=lambda major: f"prometheus{major}")
def test_le_normalisation_and_the_bucket_the_rules_select(major, tmp_path):
    """Prometheus 3 stores a classic histogram's `le` in OpenMetrics' float form (`le="1"` is
    ingested as `le="1.0"`), 2.42 as the target wrote it: the same parser backs scrapes and
    `promtool tsdb create-blocks-from openmetrics`. The rules select a bucket in that float form
    (floatToGoString), so under 3.x they match whatever a client writes; under 2.42 they match
    the Python and Java clients (which write `1.0`) but not a client writing `1`."""
    promtool = require_promtool(major)
    (tmp_path / "in.om").write_text(
        "# TYPE x histogram\n"
        + "".join(f'x_bucket{{le="{le}"}} 1 1700000000\n' for le in ("1", "2.5", "5", "+Inf"))
        + "x_count 1 1700000000\nx_sum 1 1700000000\n# EOF\n"
    )
    proc = _run([promtool, "tsdb", "create-blocks-from", "openmetrics", "in.om", "data"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (tmp_path / "data" / "wal").mkdir()  # tsdb dump reads the (here empty) WAL too
    proc = _run([promtool, "tsdb", "dump", "data"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    stored = set(re.findall(r'le="([^"]+)"', proc.stdout))
    assert stored == ({"1.0", "2.5", "5.0", "+Inf"} if major == "3" else {"1", "2.5", "5", "+Inf"}), proc.stdout
    # what the rules select: BotMetrics' own form, which is also Prometheus 3's
    assert [floatToGoString(b) for b in (1.0, 2.5, 5.0)] == ["1.0", "2.5", "5.0"]
    alerts = (MONITORING / "prometheus" / "rules" / "lavametrics-alerts.yml").read_text()
    selected = set(re.findall(r'bot_command_duration_seconds_bucket\{[^}]*le="([^"]+)"', alerts))
    assert selected and selected <= {floatToGoString(b) for b in LATENCY_BUCKETS}, selected
