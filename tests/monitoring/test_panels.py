"""Dashboards and runbooks that show what they claim.

- every family the project exports is on a panel or in a rule, or reference-only for a reason;
- every query reads only its own kind of job, whatever the variables say;
- thresholds are drawn (Grafana draws none from ``fieldConfig.thresholds`` alone);
- every alert's runbook has a query that Prometheus accepts and a decision;
- the guide's own promtool and amtool commands pass, verbatim, on a fresh checkout.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from lavametrics.mixin import config, dashboards, grafana, promql, rules
from lavametrics.mixin.config import MixinConfig
from tests import metricnames
from tests.conftest import PROMTOOL_VERSIONS, require_promtool, require_tool
from tests.monitoring import coverage

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "monitoring" / "operations-guide.md"
C = MixinConfig()
KINDS = ("node", "merged", "bot", "node_exporter")
# jobs a production Prometheus has beside ours: a node panel must match none of them
FOREIGN_JOBS = ("prometheus", "alertmanager", "grafana", "kubelet")
SAMPLE_JOBS = {"node": "lavalink", "merged": "lavametrics-merge", "bot": "bot", "node_exporter": "node-exporter"}


# --- every family is seen ------------------------------------------------------------------


def test_every_family_is_on_a_panel_or_in_a_rule():
    listed = coverage.reference_only()
    unseen = [f"{f.source}: {f.name}" for f in coverage.unseen(C) if f.name not in listed]
    assert not unseen, (
        "families on no panel and in no rule (chart them, or add them to coverage.REFERENCE_ONLY "
        "with the reason):\n" + "\n".join(unseen)
    )


def test_reference_only_list_is_short_reasoned_and_current():
    own = {f.name for f in metricnames.own_families()}
    unseen = {f.name for f in coverage.unseen(C)}
    assert 0 < len(coverage.REFERENCE_ONLY) <= 3
    for name, reason in coverage.reference_only().items():
        assert name in own, f"{name}: reference-only but nobody exports it"
        assert name in unseen, f"{name}: reference-only but a panel or rule reads it: drop the entry"
        assert len(reason.split()) >= 10, f"{name}: say why no panel shows it"


def test_the_coverage_check_finds_a_family_nobody_charts(monkeypatch):
    real = dashboards.all_dashboards

    def without_queue_depth(c):
        out = real(c)
        for d in out:
            d.panels = [p for p in d.panels if not (isinstance(p, grafana.Panel) and p.title == "Queue depth")]
        return out

    monkeypatch.setattr(dashboards, "all_dashboards", without_queue_depth)
    assert [f.name for f in coverage.unseen(C) if f.name not in coverage.reference_only()] == ["bot_queue_tracks"]


def test_families_come_from_the_catalog_botmetrics_and_serve():
    by_source: dict[str, set[str]] = {}
    for f in metricnames.own_families():
        by_source.setdefault(f.source, set()).add(f.name)
    assert len(by_source["plugin catalog"]) == 33
    assert {"bot_queue_tracks", "bot_voice_closes_total", "bot_search_results"} <= by_source["BotMetrics"]
    assert {"lavametrics_node_up", "lavametrics_node_scrape_failures_total"} <= by_source["lavametrics serve"]


# --- each query reads its own jobs -----------------------------------------------------------


def _kind_matchers(kind: str) -> set[tuple[str, str, str]]:
    return set(promql.selectors("{" + getattr(C.selectors, kind) + "}")[0].matchers)


def _matches(sel: promql.Selector, job: str, variables: dict[str, str]) -> bool:
    """Whether ``sel`` selects a series of ``job`` (variables substituted as Grafana does)."""
    for label, op, value in sel.matchers:
        if label != "job":
            continue
        value = re.sub(r"\$\{?(\w+)\}?", lambda m: variables.get(m.group(1), ".*"), value)
        hit = re.fullmatch(value, job) is not None if op in ("=~", "!~") else value == job
        if hit == (op in ("!=", "!~")):
            return False
    return True


def _panel_selectors():
    recorded = rules.recorded_names(C)
    for d in dashboards.all_dashboards(C):
        for p in grafana.panels_of(d):
            for t in p.targets:
                for sel in promql.selectors(t.expr):
                    if sel.name not in recorded:
                        yield d.uid, p.title, sel


def test_every_panel_query_reads_only_its_own_kind_of_job():
    """With every variable at All (.*), a node panel must not pick up the bot, Prometheus or node_exporter."""
    wrong = []
    for uid, title, sel in _panel_selectors():
        kinds = [k for k in KINDS if _kind_matchers(k) <= set(sel.matchers)]
        if len(kinds) != 1:
            wrong.append(f"{uid}: {title}: {sel.name} carries no mixin selector")
            continue
        for job in (*FOREIGN_JOBS, *SAMPLE_JOBS.values()):
            if _matches(sel, job, {}) != (job == SAMPLE_JOBS[kinds[0]]):
                wrong.append(
                    f"{uid}: {title}: {sel.name} at All {'selects' if _matches(sel, job, {}) else 'misses'} {job}"
                )
    assert not wrong, "\n".join(wrong)


def test_job_variables_list_only_their_kind():
    kind_of = {"lavametrics-commands": "bot", "lavametrics-playback": "node", "lavametrics-nodes": "node"}
    for d in dashboards.all_dashboards(C):
        for v in d.variables:
            if v["type"] != "query":
                continue
            (sel,) = promql.grafana_variable_selectors(v["query"]["query"])
            kind = "bot" if v["name"] == "bot" else kind_of[d.uid]
            assert _kind_matchers(kind) <= set(sel.matchers), (d.uid, v["name"], v["query"]["query"])


# --- thresholds are drawn --------------------------------------------------------------------


def _json_panels():
    for d in dashboards.all_dashboards(C):
        for p in grafana.to_json(d)["panels"]:
            if p["type"] != "row":
                yield d.uid, p


def test_timeseries_thresholds_are_visible():
    checked = 0
    for uid, p in _json_panels():
        defaults = p["fieldConfig"]["defaults"]
        steps = [s["value"] for s in defaults["thresholds"]["steps"] if s["value"] is not None]
        if p["type"] != "timeseries" or not steps:
            continue
        checked += 1
        custom = defaults["custom"]
        assert custom["thresholdsStyle"]["mode"] in ("line", "dashed", "area", "line+area", "dashed+area"), (
            uid,
            p["title"],
        )
        top = defaults.get("max", custom.get("axisSoftMax"))
        assert top is not None and top > max(steps), (uid, p["title"], "the axis must reach the threshold")
    assert checked >= 6


@pytest.mark.parametrize(
    "uid, title, value",
    [
        ("lavametrics-commands", "p95 latency by command", C.thresholds.command_p95_seconds),
        ("lavametrics-commands", "Error ratio by command", C.thresholds.command_error_ratio),
        ("lavametrics-commands", "Command SLO burn rate", C.slo.fast_burn),
        ("lavametrics-commands", "Share of commands over the SLO bound", C.thresholds.command_slow_ratio),
        ("lavametrics-playback", "Frame loss ratio", C.thresholds.frame_loss_ratio),
        ("lavametrics-playback", "Frame loss ratio", C.thresholds.frame_loss_page_ratio),
        ("lavametrics-playback", "Playback SLO burn rate", C.slo.fast_burn),
    ],
)
def test_alert_thresholds_are_on_their_panels(uid, title, value):
    (p,) = [p for u, p in _json_panels() if u == uid and p["title"] == title]
    assert value in [s["value"] for s in p["fieldConfig"]["defaults"]["thresholds"]["steps"]]


# --- runbooks --------------------------------------------------------------------------------


def _sections(markdown: str) -> dict[str, str]:
    out, name, lines = {}, None, []
    for line in markdown.splitlines():
        m = re.match(r"^(#{2,3})\s+(.*)$", line)
        if m:
            if name:
                out[name] = "\n".join(lines)
            name, lines = m.group(2).strip(), []
        else:
            lines.append(line)
    if name:
        out[name] = "\n".join(lines)
    return out


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"^[ \t]*```{lang}\n(.*?)^[ \t]*```", text, re.M | re.S)


def _runbook_queries() -> dict[str, list[str]]:
    sections = _sections(GUIDE.read_text())
    out = {}
    for a in rules.alerts(C):
        body = sections.get(a.name, "")
        out[a.name] = [q.strip() for b in _blocks(body, "promql") for q in b.split("\n\n") if q.strip()]
    return out


def test_every_alert_runbook_has_a_query_and_a_decision():
    sections = _sections(GUIDE.read_text())
    known = set().union(*metricnames.known_names().values()) | rules.recorded_names(C)
    problems = []
    for a in rules.alerts(C):
        body = sections.get(a.name)
        if body is None:
            problems.append(f"{a.name}: no section")
            continue
        queries = [q for b in _blocks(body, "promql") for q in b.split("\n\n") if q.strip()]
        if not queries:
            problems.append(f"{a.name}: no ```promql query")
        for q in queries:
            unknown = promql.metric_names(q) - known
            if unknown or not promql.metric_names(q):
                problems.append(f"{a.name}: query {q!r} names {sorted(unknown) or 'no metric'}")
        if not re.search(r"^\*\*Decide:?\*\*", body, re.M):
            problems.append(f"{a.name}: no **Decide** paragraph (what to do, and when)")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("major", PROMTOOL_VERSIONS, ids=lambda major: f"prometheus{major}")
def test_runbook_queries_are_valid_promql(major, tmp_path):
    """Prometheus' own parser accepts every runbook query (as recording rules for promtool), 2.42's and 3.x's."""
    promtool = require_promtool(major)
    rules_ = [
        {"record": f"runbook:{name.lower()}:{i}", "expr": q}
        for name, qs in _runbook_queries().items()
        for i, q in enumerate(qs)
    ]
    assert len(rules_) >= len(rules.alerts(C))
    path = tmp_path / "runbook-queries.yml"
    with path.open("w") as fh:
        YAML().dump({"groups": [{"name": "runbooks", "rules": rules_}]}, fh)
    proc = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_runbook_urls_are_absolute_and_configured_once(tmp_path):
    for a in rules.alerts(C):
        url = a.rule(C)["annotations"]["runbook_url"]
        assert re.match(r"^https://[^/]+/", url) and url == f"{C.links.runbook_base}#{a.anchor}", url
    path = tmp_path / "mixin.yml"
    path.write_text(
        "links:\n  runbook_base: https://git.example.com/ops/blob/main/docs/monitoring/operations-guide.md\n"
    )
    c = config.load(path)
    assert {a.rule(c)["annotations"]["runbook_url"].partition("#")[0] for a in rules.alerts(c)} == {
        "https://git.example.com/ops/blob/main/docs/monitoring/operations-guide.md"
    }
    path.write_text("links:\n  runbook_base: docs/monitoring/operations-guide.md\n")
    with pytest.raises(config.MixinConfigError, match="links.runbook_base: .* must be an absolute http"):
        config.load(path)
    assert "links.runbook_base" in GUIDE.read_text()


# --- the guide's commands, verbatim ----------------------------------------------------------

GUIDE_COMMANDS = ("promtool check config", "promtool check rules", "promtool test rules", "amtool check-config")


def _fresh_checkout(dest: Path) -> Path:
    """The files a fresh clone has (tracked, or new and not ignored): no local secret or target."""
    git = shutil.which("git")
    assert git, "git is needed to list the tracked files"
    listed = subprocess.run(
        [git, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "monitoring", "docs"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


def test_guide_commands_pass_verbatim_on_a_fresh_checkout(tmp_path):
    require_tool("promtool")
    require_tool("amtool")
    commands = [
        line.strip()
        for block in _blocks(GUIDE.read_text(), "sh")
        for line in block.splitlines()
        if line.strip().startswith(GUIDE_COMMANDS)
    ]
    assert {c for c in GUIDE_COMMANDS if any(line.startswith(c) for line in commands)} == set(GUIDE_COMMANDS), commands
    root = _fresh_checkout(tmp_path)
    for command in commands:
        # `promtool test rules` evaluates days of SLO windows: minutes of CPU on a busy machine
        proc = subprocess.run(["bash", "-c", command], cwd=root, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"`{command}` failed:\n{proc.stdout}{proc.stderr}"


def test_committed_credential_files_are_placeholders():
    """What makes `promtool check config` pass on a fresh clone holds no secret and authenticates nowhere."""
    from lavametrics.mixin import stackconfig

    for rel, text in stackconfig.secret_placeholders(C).items():
        path = ROOT / "monitoring" / rel
        assert path.read_text() == text and "REPLACE-ME" in text, rel
    dashboards_dir = ROOT / "monitoring" / "grafana" / "dashboards"
    assert all(json.loads(p.read_text())["uid"] for p in dashboards_dir.glob("*.json"))


@pytest.mark.parametrize(
    "uid, metric, matcher",
    [
        ("lavametrics-playback", "bot_queue_tracks", None),
        ("lavametrics-nodes", "jvm_memory_bytes_used", ("area", "=", "nonheap")),
        ("lavametrics-nodes", "jvm_buffer_pool_used_bytes", ("pool", "=", "direct")),
        ("lavametrics-nodes", "process_open_fds", None),
        ("lavametrics-nodes", "logback_appender_total", ("level", "=~", "error|warn")),
        ("lavametrics-nodes", "node_cpu_seconds_total", ("mode", "=", "steal")),
        ("lavametrics-nodes", "node_netstat_Udp_InErrors", None),
        ("lavametrics-nodes", "node_netstat_Udp_SndbufErrors", None),
        ("lavametrics-nodes", "lavametrics_registration_conflicts", None),
    ],
)
def test_what_on_call_needs_is_on_its_dashboard(uid, metric, matcher):
    found = [sel for u, _, sel in _panel_selectors() if u == uid and sel.name == metric]
    assert found and (matcher is None or any(matcher in sel.matchers for sel in found)), (uid, metric)


def test_node_up_has_a_history_not_only_the_current_value():
    (d,) = [d for d in dashboards.all_dashboards(C) if d.uid == "lavametrics-nodes"]
    timelines = [p for p in grafana.panels_of(d) if p.kind == "state-timeline"]
    assert any(promql.metric_names(t.expr) == {"up"} for p in timelines for t in p.targets)
    (p,) = [p for p in grafana.to_json(d)["panels"] if p["type"] == "state-timeline"]
    assert {o["text"]: o["color"] for o in p["fieldConfig"]["defaults"]["mappings"][0]["options"].values()} == {
        "UP": "green",
        "DOWN": "red",
    }
