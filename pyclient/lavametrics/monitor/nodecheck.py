"""Health checks of one Lavalink node and its lavametrics plugin.

Status follows the usual monitoring-plugin convention: 0 healthy, 1 unhealthy (the node
answers but something is wrong), 2 when we could not judge at all (unreachable, bad
password, bad usage). A node without the plugin is *unhealthy* (1), not unreachable.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from prometheus_client.metrics_core import Metric

from lavametrics.config.catalog import Catalog
from lavametrics.exposition.names import counter_base
from lavametrics.httpfetch import Auth, FetchError, fetch, redact_url
from lavametrics.lavalink.rest import LavalinkClient, LavalinkError, plugin_version
from lavametrics.monitor.nodesfile import NodeSpec
from lavametrics.monitor.scrape import ScrapeError, scrape
from lavametrics.texttable import table

HEALTHY, UNHEALTHY, ERROR = 0, 1, 2
SLOW_SCRAPE_SECONDS = 2.5


@dataclass
class CheckResult:
    name: str
    ok: bool
    detail: str = ""
    # something to act on that leaves the node healthy (its status stays 0): shown as WARN
    warning: bool = False

    def as_dict(self) -> dict:
        return {"name": self.name, "ok": self.ok, "detail": self.detail, "warning": self.warning}


@dataclass
class NodeReport:
    node: str
    url: str
    status: int = HEALTHY
    plugin_version: str | None = None
    results: list[CheckResult] = field(default_factory=list)

    @property
    def reason(self) -> str:
        """One line: the first failure, or 'healthy'."""
        failed = [r for r in self.results if not r.ok]
        if not failed:
            return "healthy"
        return f"{failed[0].name}: {failed[0].detail}"

    def as_dict(self) -> dict:
        return {
            "node": self.node,
            "url": self.url,
            "status": self.status,
            "healthy": self.status == HEALTHY,
            "pluginVersion": self.plugin_version,
            "reason": self.reason,
            "checks": [r.as_dict() for r in self.results],
        }


def _find(families: dict[str, Metric], name: str, ftype: str) -> Metric | None:
    if ftype == "counter" and counter_base(name) != name:
        return families.get(counter_base(name)) or families.get(name)
    return families.get(name)


def _expected_groups(families: dict[str, Metric], catalog: Catalog) -> set[str]:
    # Disabled groups legitimately export nothing; the plugin reports one collector_success
    # series per enabled collector, which tells us which groups to expect.
    success = families.get(catalog.family("collector_success").parsed_name)
    groups = {"self"}
    if success is not None and success.samples:
        groups.update(s.labels.get("collector", "") for s in success.samples)
    else:
        groups.update(g.name for g in catalog.groups if g.default_enabled)
    return groups


# the catalog group whose families exist only on a node with a route planner
ROUTE_PLANNER_GROUP = "routeplanner"


def check_families(
    families: dict[str, Metric], catalog: Catalog, route_planner: bool | None = None
) -> list[CheckResult]:
    """``route_planner``: whether the node has one (its families are absent without); None when
    unknown, and then they are expected as the group's collector says."""
    expected = _expected_groups(families, catalog)
    if route_planner is False:
        expected.discard(ROUTE_PLANNER_GROUP)
    missing, wrong, pending = [], [], 0
    for fam in catalog.families:
        if fam.group not in expected:
            continue
        got = _find(families, fam.name, fam.type)
        if got is None:
            # a wrongly typed family keeps its full name in the parsed result
            other = families.get(fam.name) or families.get(fam.parsed_name)
            if other is not None and other.type != fam.type:
                wrong.append(f"{fam.name} is {other.type}, expected {fam.type}")
            elif fam.label_names and fam.type in ("counter", "histogram"):
                # The plugin creates an event counter's label combination when it first happens, and simpleclient
                # leaves a family without samples out of the exposition: not there yet, not missing.
                pending += 1
            else:
                missing.append(fam.name)
        elif got.type != fam.type:
            wrong.append(f"{fam.name} is {got.type}, expected {fam.type}")
    results = []
    count = sum(1 for f in catalog.families if f.group in expected)
    results.append(
        CheckResult(
            "families present",
            not missing,
            f"{count - len(missing) - pending}/{count} present"
            + (f" ({pending} appear with their first event)" if pending else "")
            + ("; no route planner on this node" if route_planner is False else "")
            + (f"; missing: {', '.join(missing)}" if missing else ""),
        )
    )
    results.append(CheckResult("family types", not wrong, "; ".join(wrong) if wrong else "all match the catalog"))
    return results


# --- ID-like labels (issue 22) ------------------------------------------------------------------
# Lavalink's development branch (PR #1188) counts lavalink_tracks_played_total{source, guild_id}:
# a series per guild, and an ID in a label. A label is ID-like by its name (id, *_id, *Id, or a
# word guild, user, session, channel) or by values shaped like Discord snowflakes (17-20 digits).
ID_LABEL_WORDS = frozenset({"guild", "user", "session", "channel", "snowflake"})
_SNOWFLAKE = re.compile(r"[0-9]{17,20}")
_CAMEL_ID = re.compile(r"[a-z0-9]Id$")


def id_like_label(name: str) -> bool:
    words = name.lower().split("_")
    return (
        name.lower() == "id"
        or name.endswith("_id")
        or bool(_CAMEL_ID.search(name))
        or bool(ID_LABEL_WORDS.intersection(words))
    )


def check_id_labels(families: list[Metric]) -> CheckResult:
    """Warn about families with ID-like labels: a series per guild or user grows without bound and
    puts identifiers into Prometheus. Names only: a value (an ID) is never printed."""
    found: dict[str, set[str]] = {}
    for fam in families:
        for sample in fam.samples:
            for label, value in sample.labels.items():
                if id_like_label(label) or _SNOWFLAKE.fullmatch(value):
                    found.setdefault(sample.name, set()).add(label)
    if not found:
        return CheckResult("ID-like labels", True, "none")
    shown = "; ".join(f"{name}{{{', '.join(sorted(labels))}}}" for name, labels in sorted(found.items()))
    return CheckResult(
        "ID-like labels",
        True,
        f"{shown}: drop them at scrape time (the metric_relabel_configs of the generated prometheus.yml; "
        "docs/monitoring/operations-guide.md, Lavalink's per-guild metrics)",
        warning=True,
    )


# --- end ID-like labels ---------------------------------------------------------------------------


def _sum(fam: Metric | None, sample: str | None = None) -> float | None:
    if fam is None:
        return None
    return sum(s.value for s in fam.samples if sample is None or s.name == sample)


def check_auth(url: str, auth: Auth, timeout: float) -> CheckResult:
    """The plugin's own endpoint must refuse no and wrong credentials and accept the right ones."""
    wrong = (
        Auth(username=auth.username, password=(auth.password or "") + "-wrong")
        if auth.username is not None
        else Auth(bearer_token=(auth.bearer_token or "") + "-wrong")
    )
    outcomes: dict[str, int | str] = {}  # HTTP status, or why no answer came
    for label, creds in (("none", None), ("wrong", wrong), ("right", auth)):
        try:
            status, *_ = fetch(url, timeout=timeout, auth=creds)
            outcomes[label] = status
        except FetchError as exc:
            outcomes[label] = exc.status if exc.status else exc.reason
    ok = outcomes["none"] == 401 and outcomes["wrong"] == 401 and outcomes["right"] == 200
    return CheckResult(
        "endpoint auth",
        ok,
        f"no credentials -> {outcomes['none']}, wrong -> {outcomes['wrong']}, right -> {outcomes['right']}"
        + ("" if ok else " (expected 401, 401, 200)"),
    )


def _lavalink_version(info: dict) -> str:
    version = info.get("version")  # v4: {"semver": "4.0.8", "major": 4, ...}
    if isinstance(version, dict):
        return str(version.get("semver", "?"))
    return str(version) if version is not None else "?"


def check_node(node: NodeSpec, catalog: Catalog, timeout: float = 5.0, uptime_wait: float = 0.05) -> NodeReport:
    report = NodeReport(node.name, redact_url(node.url))
    add = report.results.append
    api = LavalinkClient(node.url, node.password, timeout=timeout)

    try:
        info = api.info()
        add(CheckResult("reachable", True, f"Lavalink {_lavalink_version(info)}"))
    except LavalinkError as exc:
        add(CheckResult("reachable", False, f"{exc.reason}" + (f" ({exc.detail})" if exc.detail else "")))
        report.status = ERROR
        return report

    version = plugin_version(info)
    report.plugin_version = version
    if version is None:
        names = [p.get("name") for p in info.get("plugins") or () if isinstance(p, dict)]
        add(
            CheckResult(
                "plugin",
                False,
                "lavametrics not in /v4/info plugins"
                + (f" (found: {', '.join(map(str, names))})" if names else " (no plugins loaded)"),
            )
        )
        report.status = UNHEALTHY
        return report
    add(CheckResult("plugin", True, f"lavametrics {version}"))

    try:
        stats_before = api.stats()
        sc = scrape(node.metrics_url, timeout=timeout, auth=node.metrics_auth)
        stats_after = api.stats()
    except ScrapeError as exc:
        add(
            CheckResult(
                "metrics parse",
                False,
                f"{redact_url(node.metrics_url)}: {exc.reason}" + (f" ({exc.detail})" if exc.detail else ""),
            )
        )
        report.status = UNHEALTHY
        return report
    except LavalinkError as exc:
        add(CheckResult("metrics parse", False, f"/v4/stats: {exc.reason}"))
        report.status = UNHEALTHY
        return report
    families = {f.name: f for f in sc.families}
    add(
        CheckResult(
            "metrics parse",
            True,
            f"{len(sc.families)} families, {sum(len(f.samples) for f in sc.families)} samples, {sc.body_bytes} bytes",
        )
    )
    try:
        route_planner: bool | None = api.has_route_planner()
    except LavalinkError:
        route_planner = None
    report.results.extend(check_families(families, catalog, route_planner))
    add(check_id_labels(sc.families))

    config_valid = catalog.family("config_valid").parsed_name
    valid = _sum(families.get(config_valid))
    if valid is not None:
        add(CheckResult("config valid", valid == 1, f"{config_valid} = {valid:g}"))
    success = families.get(catalog.family("collector_success").parsed_name)
    if success is not None:
        failing = sorted(s.labels.get("collector", "?") for s in success.samples if s.value != 1)
        add(
            CheckResult("collectors", not failing, "all succeeded" if not failing else "failing: " + ", ".join(failing))
        )

    players_name = catalog.family("players").parsed_name
    players = _sum(families.get(players_name))
    if players is not None:
        # players may change between the two calls; agreeing with either side is consistent
        rest = {stats_before.get("players"), stats_after.get("players")}
        shown = f"/v4/stats players = {'/'.join(str(p) for p in sorted(rest, key=str))}"
        sessions = families.get(catalog.family("sessions").parsed_name)
        paused = sum(s.value for s in sessions.samples if s.labels.get("state") == "paused") if sessions else 0
        if paused:
            # Lavalink's /v4/stats counts the players of connected sessions only: a paused
            # (resumable) session's players are left out until it resumes, the plugin keeps them
            numbers = [p for p in rest if isinstance(p, (int, float))]
            ok = bool(numbers) and all(players >= p for p in numbers)
            detail = (
                f"sum({players_name}) = {players:g} >= {shown} "
                f"({paused:g} paused session(s): /v4/stats leaves their players out)"
            )
        else:
            ok = players in rest
            detail = f"sum({players_name}) = {players:g}, {shown}"
        add(CheckResult("players consistent", ok, detail))

    core_uptime = _sum(families.get("lavalink_uptime_milliseconds"))
    u1 = stats_before.get("uptime")
    time.sleep(uptime_wait)
    try:
        u2 = api.stats().get("uptime")
    except LavalinkError:
        u2 = None
    if isinstance(u1, (int, float)) and isinstance(u2, (int, float)):
        detail = f"/v4/stats uptime {u1} -> {u2} ms"
        if core_uptime is not None:
            detail += f"; lavalink_uptime_milliseconds = {core_uptime:g}"
        add(CheckResult("uptime advancing", u2 > u1, detail))
    else:
        add(CheckResult("uptime advancing", False, "/v4/stats has no numeric uptime"))

    add(
        CheckResult(
            "scrape duration",
            sc.duration_seconds < SLOW_SCRAPE_SECONDS,
            f"{sc.duration_seconds * 1000:.1f} ms"
            + ("" if sc.duration_seconds < SLOW_SCRAPE_SECONDS else f" (limit {SLOW_SCRAPE_SECONDS:g} s)"),
        )
    )

    if node.metrics_auth is not None:
        add(check_auth(node.metrics_url, node.metrics_auth, timeout))

    report.status = HEALTHY if all(r.ok for r in report.results) else UNHEALTHY
    return report


def overall_status(reports: list[NodeReport]) -> int:
    return max((r.status for r in reports), default=HEALTHY)


STATUS_WORDS = {0: "HEALTHY", 1: "UNHEALTHY", 2: "ERROR"}


def render_text(reports: list[NodeReport]) -> str:
    """The report for people: one table row per check, then one verdict line per node."""
    rows = [
        [r.node, c.name, ("WARN" if c.warning else "OK") if c.ok else "FAIL", c.detail]
        for r in reports
        for c in r.results
    ]
    lines = [table(rows, ["NODE", "CHECK", "STATUS", "DETAIL"])]
    for r in reports:
        lines.append(f"{r.node}: {STATUS_WORDS[r.status]}" + ("" if r.status == 0 else f" ({r.reason})"))
    return "\n".join(lines)
