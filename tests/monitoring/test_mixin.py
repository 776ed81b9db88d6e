"""The generated monitoring tree: no drift, only real metric names, complete alerts and panels."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from lavametrics.mixin import build, config, dashboards, grafana, promql, rules, ruletests, stackconfig
from lavametrics.mixin.config import MixinConfig, MixinConfigError
from tests import metricnames
from tests.unit.bounded import run_cli

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "monitoring"
GUIDE = ROOT / "docs" / "monitoring" / "operations-guide.md"
C = MixinConfig()


def test_committed_tree_is_what_the_code_generates():
    problems = build.drift(C, MONITORING)
    assert not problems, "monitoring/ is stale, run `lavametrics mixin build --out monitoring`:\n" + "\n".join(problems)


def test_drift_is_reported_per_file(tmp_path):
    build.write(C, tmp_path)
    assert build.drift(C, tmp_path) == []
    rules_file = tmp_path / "prometheus/rules/lavametrics-alerts.yml"
    rules_file.write_text(rules_file.read_text().replace("> 3.5", "> 9"))
    (tmp_path / "grafana/dashboards/hand-made.json").write_text("{}")  # not ours: no drift
    (tmp_path / "grafana/dashboards/lavametrics-nodes.json").unlink()
    manifest = tmp_path / build.MANIFEST
    manifest.write_text(manifest.read_text() + "grafana/dashboards/retired.json\n")
    (tmp_path / "grafana/dashboards/retired.json").write_text("{}")  # ours once, made no more
    assert build.drift(C, tmp_path) == [
        "prometheus/rules/lavametrics-alerts.yml: differs from the generated content",
        "grafana/dashboards/lavametrics-nodes.json: missing",
        ".lavametrics-generated: differs from the generated content",
        "grafana/dashboards/retired.json: not generated any more",
    ]
    build.write(C, tmp_path)  # a rebuild repairs all four, and leaves the hand-made file alone
    assert build.drift(C, tmp_path) == []
    assert (tmp_path / "grafana/dashboards/hand-made.json").read_text() == "{}"


def test_cli_diff_exit_codes(tmp_path):
    cli = [sys.executable, "-m", "lavametrics.cli", "mixin"]
    assert subprocess.run([*cli, "build", "--out", str(tmp_path)], capture_output=True).returncode == 0
    assert subprocess.run([*cli, "diff", "--out", str(tmp_path)], capture_output=True).returncode == 0
    (tmp_path / "alertmanager/alertmanager.yml").write_text("route: {}\n")
    proc = subprocess.run([*cli, "diff", "--out", str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stdout.strip() == "alertmanager/alertmanager.yml: differs from the generated content"


# --- config --------------------------------------------------------------------------------


def test_config_file_overrides_defaults(tmp_path):
    path = tmp_path / "mixin.yml"
    path.write_text(
        "selectors:\n  bot: 'job=\"musicbot\"'\nthresholds:\n  disconnects_max: 5\nslo:\n  commands_objective: 0.995\n"
    )
    c = config.load(path)
    assert c.selectors.bot == 'job="musicbot"' and c.thresholds.disconnects_max == 5
    assert c.slo.commands_objective == 0.995 and c.selectors.node == C.selectors.node
    alerts = {a.name: a for a in rules.alerts(c)}
    assert (
        "> 5.5" in alerts["BotLavalinkDisconnects"].expr and 'job="musicbot"' in alerts["BotLavalinkDisconnects"].expr
    )
    assert f"> {14.4 * 0.005:.6g}" in alerts["BotCommandSLOFastBurn"].expr


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "thresholds:\n  node_down_for: 1m\n  nodedown: 2m\n",
            "mixin.yml:3: thresholds.nodedown: unknown key (known: node_down_for,",
        ),
        ("colours: {}\n", "mixin.yml:1: colours: unknown section (known: selectors,"),
        (
            "thresholds:\n  node_down_for: soon\n",
            "mixin.yml:2: thresholds.node_down_for: value 'soon': 'soon' is not a Prometheus duration",
        ),
        (
            "thresholds:\n  disconnects_max: -1\n",
            "mixin.yml:2: thresholds.disconnects_max: value -1: must be a whole number",
        ),
        ("slo:\n  commands_objective: 1.5\n", "mixin.yml: slo.commands_objective: value 1.5: must be between 0 and 1"),
        (
            "slo:\n  commands_latency_seconds: 1.8\n",
            "mixin.yml: slo.commands_latency_seconds: value 1.8: must be a bucket boundary",
        ),
        (
            "thresholds:\n  command_p95_seconds: 2.2\n",
            "mixin.yml: thresholds.command_p95_seconds: value 2.2: must be a bucket boundary",
        ),
        (
            "timings:\n  retention: 15d\n",
            "mixin.yml: slo.period: value '30d': reads further back than timings.retention (15d)",
        ),
        ("slo:\n  fast_windows: [5m, 1h]\n", "mixin.yml: slo.fast_windows: value ['5m', '1h']: must be [long, short]"),
        (
            "selectors:\n  node: '{job=\"x\"}'\n",
            "mixin.yml:2: selectors.node: value '{job=\"x\"}': not a label matcher",
        ),
        ("thresholds: [1\n", "mixin.yml:2:1: malformed YAML"),
    ],
)
def test_config_errors_are_one_line_with_file_line_and_key(tmp_path, text, message):
    path = tmp_path / "mixin.yml"
    path.write_text(text)
    with pytest.raises(MixinConfigError) as err:
        config.load(path)
    assert str(err.value).replace(str(path), "mixin.yml").startswith(message), str(err.value)
    assert "\n" not in str(err.value)


def test_cli_reports_config_errors_with_exit_2(tmp_path):
    path = tmp_path / "mixin.yml"
    path.write_text("timings:\n  scrape_timeout: 30s\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lavametrics.cli",
            "mixin",
            "build",
            "--out",
            str(tmp_path / "o"),
            "--config",
            str(path),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        f"lavametrics: error: {path}: timings.scrape_timeout: value '30s': must not exceed "
        "timings.scrape_interval (10s)\n"
    )
    assert not (tmp_path / "o").exists()


def test_printed_defaults_load_back_to_the_defaults(tmp_path):
    path = tmp_path / "mixin.yml"
    path.write_text(config.defaults_yaml())
    assert config.load(path) == C


# --- metric names ----------------------------------------------------------------------------


def _rule_exprs(c: MixinConfig) -> list[tuple[str, str]]:
    out = []
    for f in (rules.recording_file(c), rules.alerts_file(c)):
        for g in f["groups"]:
            for r in g["rules"]:
                out.append((r.get("record") or r["alert"], r["expr"]))
    return out


def _dashboard_exprs(c: MixinConfig) -> list[tuple[str, list[promql.Selector]]]:
    out = []
    for d in dashboards.all_dashboards(c):
        j = grafana.to_json(d)
        for p in j["panels"]:
            for t in p.get("targets", ()):
                out.append((f"{d.uid}: {p['title']}", promql.selectors(t["expr"])))
        for v in j["templating"]["list"]:
            if v["type"] == "query":
                out.append((f"{d.uid}: variable {v['name']}", promql.grafana_variable_selectors(v["query"]["query"])))
        for a in j["annotations"]["list"]:
            out.append((f"{d.uid}: annotation {a['name']}", promql.selectors(a["expr"])))
    return out


def test_every_selected_metric_is_defined_by_the_catalog_lavalink_or_botmetrics():
    known = set().union(*metricnames.known_names().values()) | rules.recorded_names(C)
    unknown = []
    for where, expr in _rule_exprs(C):
        unknown += [f"{where}: {n}" for n in promql.metric_names(expr) if n not in known]
    for where, sels in _dashboard_exprs(C):
        unknown += [f"{where}: {s.name}" for s in sels if s.name is None or s.name not in known]
    assert not unknown, "selectors of metrics nobody exports:\n" + "\n".join(unknown)


def test_the_name_check_catches_a_typo():
    known = set().union(*metricnames.known_names().values())
    expr = 'sum(rate(lavametrics_frames_sen_total{job="x"}[5m])) / on (node) group_left lavametrics_info'
    assert promql.metric_names(expr) - known == {"lavametrics_frames_sen_total"}


def test_known_names_come_from_their_sources():
    k = metricnames.known_names()
    assert {
        "lavametrics_load_duration_seconds_bucket",
        "lavametrics_track_ends_total",
        "lavametrics_config_valid",
    } <= k["plugin catalog"]
    assert "lavametrics_load_duration_seconds" not in k["plugin catalog"]  # a histogram has no bare sample
    assert {"bot_command_duration_seconds_bucket", "bot_commands_total", "bot_lavalink_node_events_total"} <= k[
        "BotMetrics"
    ]
    assert {"lavalink_players_total", "jvm_memory_bytes_used", "lavalink_gc_pauses_seconds_bucket"} <= k[
        "Lavalink core"
    ]
    assert "lavametrics_node_up" in k["lavametrics serve"]


@pytest.mark.parametrize(
    "expr, found",
    [
        (
            'sum by (job, node) (rate(a_total{job=~"x", code!~"1000"}[5m]))',
            {"a_total": (("job", "=~", "x"), ("code", "!~", "1000"))},
        ),
        ("histogram_quantile(0.95, sum by (le) (rate(b_bucket[$__rate_interval])))", {"b_bucket": ()}),
        (
            "x offset 10m or (y unless on (job, instance) z) and ignoring (le) w > bool 1e3",
            {"x": (), "y": (), "z": (), "w": ()},
        ),
        ('{__name__="n", job="j"}', {"n": (("__name__", "=", "n"), ("job", "=", "j"))}),
        ("rate(c[5m:30s]) > Inf", {"c": ()}),
        ('d{node=~"$node", job=~"${job}"}', {"d": (("node", "=~", "$node"), ("job", "=~", "${job}"))}),
        ("sum without (instance) (e) * on (node) group_left (version) f", {"e": (), "f": ()}),
    ],
)
def test_selector_parser(expr, found):
    assert {s.name: s.matchers for s in promql.selectors(expr)} == found


def test_grafana_variable_queries():
    assert [s.name for s in promql.grafana_variable_selectors('label_values(up{job=~"$job"}, node)')] == ["up"]
    assert promql.grafana_variable_selectors("label_values(job)") == []


# --- alerts ----------------------------------------------------------------------------------


def _anchors(markdown: str) -> set[str]:
    out = set()
    for line in markdown.splitlines():
        m = re.match(r"^#{1,6}\s+(.*)$", line)
        if m:
            slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
            out.add(slug)
    return out


def test_every_alert_has_severity_summary_description_and_a_runbook_section():
    anchors = _anchors(GUIDE.read_text())
    for a in rules.alerts(C):
        rule = a.rule(C)
        assert rule["labels"]["severity"] in (rules.CRITICAL, rules.WARNING), a.name
        ann = rule["annotations"]
        assert ann["summary"] and ann["description"], a.name
        base, _, anchor = ann["runbook_url"].partition("#")
        assert base == C.links.runbook_base and base.endswith("/" + GUIDE.relative_to(ROOT).as_posix())
        assert anchor in anchors, f"{a.name}: no section #{anchor} in {GUIDE.name}"


def test_required_alerts_exist():
    got = {a.name for a in rules.alerts(C)}
    assert {
        "LavalinkNodeDown",
        "LavalinkPlaybackSilent",
        "LavametricsPluginMissing",
        "LavametricsConfigInvalid",
        "LavametricsCollectorFailing",
        "BotLavalinkDisconnects",
        "LavalinkVoiceCloses",
        "BotCommandLatencyHigh",
        "BotCommandErrorsHigh",
        "LavalinkTrackProblems",
        "LavalinkLoadFailures",
        "LavalinkFrameLoss",
        "LavalinkFrameLossHigh",
        "LavalinkHeapPressure",
        "BotCommandsSlow",
        "BotCommandSLOFastBurn",
        "BotCommandSLOSlowBurn",
        "PlaybackSLOFastBurn",
        "PlaybackSLOSlowBurn",
        "BotMetricsDown",
    } <= got


def test_every_alert_has_a_firing_and_a_quiet_rule_test():
    fires, quiet = set(), set()
    for suite in ruletests.suites(C).values():
        for group in suite["tests"]:
            for check in group["alert_rule_test"]:
                (fires if check["exp_alerts"] else quiet).add(check["alertname"])
    every = {a.name for a in rules.alerts(C)}
    assert every - fires == set(), "alerts never tested firing"
    assert every - quiet == set(), "alerts never tested quiet"


def test_rule_tests_cover_flapping_counter_resets_and_missing_nodes():
    names_ = [g["name"] for s in ruletests.suites(C).values() for g in s["tests"]]
    assert any("flapping" in n for n in names_)
    assert sum("restart" in n for n in names_) >= 4  # node and bot counters both reset
    assert any("removed from service discovery" in n or "leaving" in n for n in names_)


def test_pages_are_critical_and_warnings_are_not():
    severity = {a.name: a.severity for a in rules.alerts(C)}
    assert {n for n, s in severity.items() if s == rules.CRITICAL} == {
        "LavalinkNodeDown",
        "LavalinkPlaybackSilent",
        "LavalinkVoiceCloses",
        "BotLavalinkDisconnects",
        "BotCommandErrorsHigh",
        "BotCommandsSlow",
        "LavalinkFrameLossHigh",
        "BotCommandSLOFastBurn",
        "PlaybackSLOFastBurn",
        "LavalinkSourceRefused",
    }


def test_spike_pages_keep_their_symptoms_and_the_burns_quiet():
    """A spike page and the alerts that would repeat it: the rule keeps them quiet for their
    window after it, and Alertmanager holds them back while it fires (one table for both)."""
    by_name = {a.name: a for a in rules.alerts(C)}
    am = stackconfig.alertmanager_config(C)
    inhibited = {(r["source_matchers"][0], r["target_matchers"][0]) for r in am["inhibit_rules"]}
    for alert, (pages, _on, window) in rules.QUIETED_BY.items():
        assert f"[{window}])" in by_name[alert].expr and all(p in by_name[alert].expr for p in pages)
        assert all((f'alertname="{p}"', f'alertname="{alert}"') in inhibited for p in pages)
    for objective, pages in rules.SPIKE_PAGES.items():
        assert all(p in by_name for p in pages), objective
    assert "BotCommandsSlow" in by_name["BotCommandSLOFastBurn"].expr
    assert "LavalinkFrameLossHigh" in by_name["PlaybackSLOFastBurn"].expr


def test_template_expansion_matches_go_formatting():
    assert ruletests.humanize(4.875) == "4.875" and ruletests.humanize(1234567) == "1.235M"
    assert ruletests.humanize(0.0123) == "12.3m"
    assert (
        ruletests.expand("{{ $value | humanizePercentage }} on {{ $labels.node }}", {"node": "a"}, 0.0566037)
        == "5.66% on a"
    )


# --- dashboards ------------------------------------------------------------------------------


@pytest.mark.parametrize("uid", ["lavametrics-commands", "lavametrics-playback", "lavametrics-nodes"])
def test_dashboard_has_variables_units_descriptions_and_rate_interval(uid):
    d = json.loads((MONITORING / "grafana" / "dashboards" / f"{uid}.json").read_text())
    assert [v["name"] for v in d["templating"]["list"]][:3] == ["datasource", "job", "node"]
    panels = [p for p in d["panels"] if p["type"] != "row"]
    assert len(panels) >= 8
    for p in panels:
        assert p["description"].strip(), p["title"]
        assert p["fieldConfig"]["defaults"]["unit"], p["title"]
        assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        for t in p["targets"]:
            ranges = re.findall(r"\[([^\]]+)\]", t["expr"])
            assert all(r in ("$__rate_interval", "1h") for r in ranges), (p["title"], ranges)
            # every query is narrowed by a variable; fleet-wide SLO panels, and lavametrics serve's and
            # node_exporter's series (other jobs than the node's) by node alone
            if not re.search(r'job=~"\$(job|bot)"', t["expr"]):
                assert t["expr"].startswith("slo:playback") or 'node=~"$node"' in t["expr"], (p["title"], t["expr"])
    ids = [p["id"] for p in d["panels"]]
    assert len(ids) == len(set(ids))


def test_dashboards_cover_what_the_issue_asks_for():
    titles = {d.uid: {p.title for p in grafana.panels_of(d)} for d in dashboards.all_dashboards(C)}
    assert {
        "Commands per second",
        "Command latency p50 / p95 / p99",
        "Commands by outcome",
        "Command error budget left",
    } <= titles["lavametrics-commands"]
    assert {
        "Players by state",
        "Track ends by reason",
        "Track exceptions and stuck tracks",
        "Loads by result",
        "Load latency p50 / p95",
        "Frames sent, nulled and missing",
        "Frame loss ratio",
        "Voice closes by code",
        "Filter usage",
    } <= titles["lavametrics-playback"]
    assert {
        "Node up",
        "CPU load",
        "JVM heap",
        "Time in GC",
        "Uptime",
        "Restarts in the last hour",
        "Scrape duration",
        "Collector health",
    } <= titles["lavametrics-nodes"]


def test_scrape_job_names_match_the_default_selectors():
    def matches(selector: str, job: str) -> bool:
        ((label, op, value),) = promql.selectors("{" + selector + "}")[0].matchers
        assert label == "job" and op in ("=", "=~")
        return re.fullmatch(value, job) is not None if op == "=~" else value == job

    for job in stackconfig.JOBS:
        kinds = [k for k in ("node", "merged", "bot", "node_exporter") if matches(getattr(C.selectors, k), job.name)]
        expected = {"lavametrics-merge": ["merged"], "bot": ["bot"], "node-exporter": ["node_exporter"]}.get(
            job.name, ["node"]
        )
        assert kinds == expected, job.name


# --- values that would break the generated PromQL or configuration ---------------------------

BAD_VALUES = [
    # (mixin.yml text, the key named in the error, what the error says)
    ("selectors:\n  node: 'job=\"lavalink'\n", "selectors.node", "not a label matcher"),
    ("selectors:\n  node: 'job=\"x\") or vector(1) or (up'\n", "selectors.node", "expected ',' between matchers"),
    ('selectors:\n  bot: "job=\\"a\\nb\\""\n', "selectors.bot", "must be one line"),
    ("selectors:\n  merged: 'job=\"x\",'\n", "selectors.merged", "a matcher is missing"),
    ('selectors:\n  node: \'job="x" job="y"\'\n', "selectors.node", "expected ',' between matchers"),
    ("selectors:\n  node: 'job=~\"(a\"'\n", "selectors.node", "regex '(a'"),
    ("selectors:\n  node: 'job=~\"(?!a).*\"'\n", "selectors.node", "lookarounds and backreferences are not RE2"),
    ("selectors:\n  node: 'job=\"\\q\"'\n", "selectors.node", "not a label matcher"),
    ("selectors:\n  node: 'job=\"{{x}}\"'\n", "selectors.node", "'{{' would start a template"),
    ("selectors:\n  node: '__name__=\"up\"'\n", "selectors.node", "__name__ cannot be matched"),
    (
        "thresholds:\n  voice_closes_ignored_codes: ['1000\"} or vector(1) #']\n",
        "thresholds.voice_closes_ignored_codes",
        "is not a websocket close code",
    ),
    ("thresholds:\n  voice_closes_ignored_codes: ['.*']\n", "thresholds.voice_closes_ignored_codes", "not a websocket"),
    (
        "thresholds:\n  voice_closes_ignored_codes: [10000]\n",
        "thresholds.voice_closes_ignored_codes",
        "not a websocket",
    ),
    ("thresholds:\n  node_down_for: 1s1h\n", "thresholds.node_down_for", "largest first, each at most once"),
    ("thresholds:\n  track_window: 1m1m\n", "thresholds.track_window", "largest first, each at most once"),
    ("thresholds:\n  node_down_for: 0s\n", "thresholds.node_down_for", "must be more than 0 and at most 1d"),
    ("thresholds:\n  node_down_for: 999999999999y\n", "thresholds.node_down_for", "must be more than 0 and at most 1d"),
    ("timings:\n  repeat_interval_warning: 2y\n", "timings.repeat_interval_warning", "at most 1y"),
    ("slo:\n  fast_windows: [1y, 5m]\n", "slo.fast_windows", "at most 1w"),
    ("thresholds:\n  heap_used_ratio: .nan\n", "thresholds.heap_used_ratio", "more than 0 and at most 1"),
    ("thresholds:\n  heap_used_ratio: .inf\n", "thresholds.heap_used_ratio", "more than 0 and at most 1"),
    ("thresholds:\n  frame_loss_ratio: 1.5\n", "thresholds.frame_loss_ratio", "more than 0 and at most 1"),
    ("thresholds:\n  command_p95_seconds: 1e308\n", "thresholds.command_p95_seconds", "at most 1e+06"),
    ("thresholds:\n  frame_loss_min_frames: .nan\n", "thresholds.frame_loss_min_frames", "from 0 at most 1e+06"),
    ("slo:\n  fast_burn: .inf\n", "slo.fast_burn", "at most 1e+06"),
    (
        "thresholds:\n  disconnects_max: 1000000000000000000000000000000\n",
        "thresholds.disconnects_max",
        "from 0 to 1000",
    ),
    ("links:\n  webhook_url: not a url\n", "links.webhook_url", "must be an http:// or https:// URL"),
    ("links:\n  webhook_url: 'ftp://example.org/x'\n", "links.webhook_url", "must be an http:// or https:// URL"),
    ("links:\n  webhook_url: 'http://example.org/a b'\n", "links.webhook_url", "without spaces"),
    ("links:\n  runbook_base: 'https://x/{{ .Foo }}'\n", "links.runbook_base", "'{{' would start a template"),
]


@pytest.mark.parametrize(
    "text, key, message", BAD_VALUES, ids=[f"{k}={t.split(':', 2)[-1].strip()}" for t, k, _ in BAD_VALUES]
)
def test_a_value_that_would_break_the_output_is_one_line_naming_file_line_and_key(tmp_path, text, key, message):
    path = tmp_path / "mixin.yml"
    path.write_text(text)
    with pytest.raises(MixinConfigError) as err:
        config.load(path)
    line = text.count("\n")  # each case's bad value is on its last line
    assert str(err.value).startswith(f"{path}:{line}: {key}: value "), str(err.value)
    assert message in str(err.value) and "\n" not in str(err.value), str(err.value)


@pytest.mark.parametrize(
    "text, message",
    [
        ("thresholds:\n  disconnects_max: 1000000000000000000000000000000\n", "thresholds.disconnects_max: value"),
        ("thresholds:\n  node_down_for: 999999999999y\n", "thresholds.node_down_for: value '999999999999y'"),
        ("selectors:\n  node: 'job=\"x\") or vector(1) or (up'\n", "selectors.node: value"),
    ],
)
def test_cli_refuses_bad_values_before_writing_anything(tmp_path, text, message):
    # in a child with a memory ceiling: a count of 1e30 used to end in MemoryError
    path = tmp_path / "mixin.yml"
    path.write_text(text)
    proc = run_cli("mixin", "build", "--out", str(tmp_path / "out"), "--config", str(path), timeout=120)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.startswith(f"lavametrics: error: {path}:2: {message}") and proc.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_a_mixin_yml_that_is_not_utf8_is_one_line(tmp_path):
    path = tmp_path / "mixin.yml"
    path.write_bytes(b"selectors:\n  node: 'job=\"\xff\"'\n")
    with pytest.raises(MixinConfigError) as err:
        config.load(path)
    assert str(err.value) == f"{path}: not UTF-8 text (byte 25)"


@pytest.mark.parametrize(
    "text",
    ["1h30m", "1y2w3d4h5m6s7ms", "90s", "5ms", "0"],
)
def test_durations_read_like_prometheus(text):
    expected = {"1h30m": 5400, "1y2w3d4h5m6s7ms": 31536000 + 2 * 604800 + 3 * 86400 + 4 * 3600 + 306.007}
    expected |= {"90s": 90, "5ms": 0.005, "0": 0}
    assert config.duration_seconds(text) == pytest.approx(expected[text])


# --- the --out tree: only our files change, all or none ---------------------------------------


def _tree(root: Path) -> dict[str, tuple]:
    """Every entry below ``root``: kind, mode and content (or link target)."""
    found = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        if path.is_symlink():
            found[path.relative_to(root).as_posix()] = ("link", os.readlink(path))
        elif path.is_dir():
            found[path.relative_to(root).as_posix()] = ("dir", st.st_mode)
        else:
            found[path.relative_to(root).as_posix()] = ("file", st.st_mode, path.read_bytes())
    return found


def test_a_rebuild_keeps_files_it_did_not_generate(tmp_path):
    build.write(C, tmp_path)
    mine = {
        "prometheus/rules/my-team-rules.yml": "groups: []\n",
        "prometheus/tests/my-tests.yml": "tests: []\n",
        "grafana/dashboards/my-dashboard.json": "{}\n",
    }
    for rel, text in mine.items():
        (tmp_path / rel).write_text(text)
    build.write(C, tmp_path)
    build.write(dataclasses.replace(C, thresholds=dataclasses.replace(C.thresholds, disconnects_max=5)), tmp_path)
    assert {rel: (tmp_path / rel).read_text() for rel in mine} == mine
    assert build.drift(C, tmp_path) == [  # and the drift check does not call them stale
        "prometheus/rules/lavametrics-alerts.yml: differs from the generated content",
        "prometheus/tests/bot-alerts.yml: differs from the generated content",
    ]


def test_a_rebuild_removes_only_what_it_generated_before(tmp_path):
    build.write(C, tmp_path)
    manifest = tmp_path / build.MANIFEST
    manifest.write_text(manifest.read_text() + "prometheus/rules/lavametrics-retired.yml\n../outside.yml\n")
    (tmp_path / "prometheus/rules/lavametrics-retired.yml").write_text("groups: []\n")
    # a tree built before the list existed: our header marks the file as ours
    (tmp_path / "prometheus/tests/old-suite.yml").write_text(build.HEADER + "tests: []\n")
    outside = tmp_path.parent / "outside.yml"
    outside.write_text("not yours\n")
    try:
        build.write(C, tmp_path)
        assert not (tmp_path / "prometheus/rules/lavametrics-retired.yml").exists()
        assert not (tmp_path / "prometheus/tests/old-suite.yml").exists()
        assert outside.read_text() == "not yours\n"  # a tampered list reaches nothing outside --out
    finally:
        outside.unlink()


def test_a_read_only_file_fails_the_build_with_the_tree_as_it_was(tmp_path, capsys):
    from lavametrics.cli import main

    out = tmp_path / "out"
    build.write(C, out)
    mixin = tmp_path / "mixin.yml"
    mixin.write_text("thresholds:\n  disconnects_max: 5\n")  # changes the alert rules and the bot tests
    locked = out / "prometheus/tests/bot-alerts.yml"  # written after the rules it follows
    locked.chmod(0o444)
    before = _tree(out)
    code = main(["mixin", "build", "--out", str(out), "--config", str(mixin)])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"lavametrics: error: {locked}: read-only (mode 0444): not edited; chmod u+w it first " + (
        "if the edit is intended\n"
    )
    assert _tree(out) == before  # nothing half rewritten, no temporary file left


@pytest.mark.parametrize("link", ["prometheus/rules/lavametrics-alerts.yml", "grafana/dashboards"])
def test_a_symlink_in_out_is_refused_not_written_through(tmp_path, capsys, link):
    from lavametrics.cli import main

    out = tmp_path / "out"
    build.write(C, out)
    elsewhere = tmp_path / "elsewhere"
    (out / link).rename(elsewhere)
    (out / link).symlink_to(elsewhere)
    mixin = tmp_path / "mixin.yml"
    mixin.write_text("thresholds:\n  disconnects_max: 5\n  heap_used_ratio: 0.8\n")
    before, elsewhere_before = _tree(out), _tree(tmp_path)
    code = main(["mixin", "build", "--out", str(out), "--config", str(mixin)])
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        f"lavametrics: error: {out / link}: a symbolic link: not written through "
        "(remove it, or point --out at the real tree)\n"
    )
    assert _tree(out) == before and _tree(tmp_path) == elsewhere_before


def _within(part, whole) -> bool:
    """Every key and list item of ``part`` is in ``whole`` (a config excerpt of the whole)."""
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(k in whole and _within(v, whole[k]) for k, v in part.items())
    if isinstance(part, list):
        return isinstance(whole, list) and len(part) == len(whole) and all(map(_within, part, whole))
    return part == whole


def test_the_guides_ha_settings_are_what_the_replicas_run():
    scaling = GUIDE.read_text().split("## Scaling", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"^```yaml\n(.*?)^```", scaling, re.M | re.S)
    shown = YAML(typ="safe").load(block)
    cfg = stackconfig.replica_config(
        MixinConfig(),
        "a",
        alertmanagers=("alertmanager-a:9093", "alertmanager-b:9093"),
        remote_write_url="http://victoria-metrics:8428/api/v1/write",
    )
    assert _within(shown, cfg), shown
