"""The mixin's settings: job selectors, thresholds, windows, timings.

Defaults live here; ``mixin.yml`` overrides any of them, section by section::

    selectors:
      node: 'job=~"lavalink.*"'
    thresholds:
      command_p95_seconds: 1.5
    slo:
      commands_objective: 0.995

Every problem is one line naming the file, line and key. No setting here is a secret (the
Slack and PagerDuty examples read theirs from files), so values may appear in errors.

Values are spliced into PromQL, alert templates and the Prometheus and Alertmanager
configurations, so each is checked against the grammar of where it lands: a build that
exits 0 must give rules ``promtool check rules`` loads and an Alertmanager configuration
``amtool check-config`` accepts. Selectors are parsed as PromQL label-matcher lists,
durations with Prometheus' own grammar, numbers must be finite and in a sane range (a NaN
threshold makes an alert that never fires; a count of 1e30 would fill memory when the rule
tests are written), close codes are numbers and the webhook is an http(s) URL.
"""

from __future__ import annotations

import dataclasses
import math
import re
import urllib.parse
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from lavametrics import yamlread
from lavametrics.buckets import LATENCY_BUCKETS
from lavametrics.config import catalog
from lavametrics.errors import LavametricsError

# Prometheus' model.ParseDuration: each unit at most once, from the largest to the smallest
# ("1h30m"; "1s1h" and "1m1m" are refused by promtool, so here too)
_UNIT_SECONDS = (("y", 31536000), ("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1), ("ms", 0.001))
_DURATION = re.compile("".join(f"(?:([0-9]+){unit})?" for unit, _ in _UNIT_SECONDS))
# counts compared with increase() over a window; the rule tests write each event as a sample
MAX_COUNT = 1000
MAX_NUMBER = 1e6
VOICE_CONNECT_FAMILY = "lavametrics_voice_connect_seconds"


# Where the guide lives in a GitHub copy of this repository: the form to set, with your
# organisation in place of the placeholder (pagers need an absolute, clickable link).
RUNBOOK_BASE_PLACEHOLDER = "https://github.com/your-org/lavametrics/blob/main/docs/monitoring/operations-guide.md"


class MixinConfigError(LavametricsError, ValueError):
    """One line: where (file:line), which key, what is wrong."""


def duration_seconds(text: str) -> float:
    """A Prometheus duration ("1h30m") in seconds."""
    if text == "0":  # the one unit-less duration Prometheus takes
        return 0
    m = _DURATION.fullmatch(text) if text else None
    if m is None:
        raise ValueError(
            f"{text!r} is not a Prometheus duration such as 30s, 5m or 1h30m (units y w d h m s ms, "
            "largest first, each at most once)"
        )
    return sum(int(n) * seconds for n, (_unit, seconds) in zip(m.groups(), _UNIT_SECONDS) if n is not None)


def _checked_duration(text: str, longest: str) -> None:
    """A duration the mixin can use: more than 0 (a zero window or hold is a mistake) and at
    most ``longest``."""
    seconds = duration_seconds(text)
    if not 0 < seconds <= duration_seconds(longest):
        raise ValueError(f"must be more than 0 and at most {longest}")


# PromQL string literals as its lexer reads them: Go escapes, no raw line break
_ESCAPE = r"""\\(?:[abfnrtv\\]|x[0-9A-Fa-f]{2}|[0-7]{3}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})"""
_STRING = rf"""
    "(?:[^"\\\x00-\x1f\x7f]|{_ESCAPE}|\\")*"
  | '(?:[^'\\\x00-\x1f\x7f]|{_ESCAPE}|\\')*'
  | `[^`\x00-\x1f\x7f]*`
"""
_MATCHER = re.compile(
    rf"[ ]*([A-Za-z_][A-Za-z0-9_]*)[ ]*(=~|!~|!=|=)[ ]*({_STRING})[ ]*",
    re.VERBOSE,
)
_GO_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _unquote(literal: str) -> str:
    if literal[0] == "`":
        return literal[1:-1]

    def one(m: re.Match) -> str:
        e = m.group(1)
        if e[0] in "xuU":
            return chr(int(e[1:], 16))
        if e[0] in "01234567":
            return chr(int(e, 8))
        return _GO_ESCAPES.get(e, e)

    return re.sub(r"\\(x..|u....|U........|[0-7]{3}|.)", one, literal[1:-1])


def label_matchers(text: str) -> list[tuple[str, str, str]]:
    """Parse ``job="x", env=~"prod|eu"`` as PromQL reads the inside of ``{...}``: (label,
    operator, unquoted value) per matcher; ValueError when it is anything else, so that no
    value can close the braces and append its own PromQL."""
    found: list[tuple[str, str, str]] = []
    pos = 0
    while True:
        m = _MATCHER.match(text, pos)
        if m is None:
            rest = text[pos:]
            raise ValueError(
                f"not a label matcher at {rest[:20]!r}"
                if rest.strip()
                else "a matcher is missing (an empty selector or a trailing comma)"
            )
        label, op, literal = m.groups()
        if label == "__name__":  # every rule names its metric; PromQL refuses a second name
            raise ValueError("__name__ cannot be matched: the rules name the metric themselves")
        value = _unquote(literal)
        if op in ("=~", "!~"):
            _check_re2(value)
        found.append((label, op, value))
        pos = m.end()
        if pos == len(text):
            return found
        if text[pos] != ",":
            raise ValueError(f"expected ',' between matchers at {text[pos : pos + 20]!r}")
        pos += 1


def _check_re2(pattern: str) -> None:
    """Whether Prometheus (Go's RE2) can compile ``pattern``, as far as Python can tell: it
    must compile here and use nothing RE2 lacks (lookaround, backreferences)."""
    if re.search(r"\\[1-9]|\(\?<?[=!]", pattern):
        raise ValueError(f"regex {pattern!r}: lookarounds and backreferences are not RE2")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # FutureWarning about nested sets
            re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"regex {pattern!r}: {exc}") from None


def _check_selector(text: str) -> None:
    label_matchers(text)
    if "{{" in text:  # selectors are quoted in alert descriptions, which are Go templates
        raise ValueError("'{{' would start a template in the alert descriptions")


def _check_url(text: str) -> None:
    """An http(s) URL with a host, as Alertmanager's configuration demands of a webhook."""
    try:
        parts = urllib.parse.urlsplit(text)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError as exc:
        raise ValueError(f"not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    if re.search(r"\s|%(?![0-9A-Fa-f]{2})", text):
        raise ValueError("must be an http:// or https:// URL without spaces or stray '%'")


def _check_close_code(text: str) -> None:
    # closes are counted by code, a number; the codes are joined into a regex, so nothing but
    # digits may reach it ('.*' would silence every close, '1000"} or vector(1) #' the rule)
    if not re.fullmatch(r"[1-4][0-9]{3}", text):
        raise ValueError(f"{text!r} is not a websocket close code (a number from 1000 to 4999)")


def _check_runbook(text: str) -> None:
    if "{{" in text:  # the runbook_url annotation is a Go template
        raise ValueError("'{{' would start a template in the runbook_url annotation")
    # a pager opens the link from a phone: a path relative to the repository leads nowhere
    try:
        _check_url(text)
    except ValueError:
        raise ValueError(f"must be an absolute http(s) URL, e.g. {RUNBOOK_BASE_PLACEHOLDER}") from None
    if "#" in text:
        raise ValueError("must not carry an #anchor: each alert appends its own")


# labels the rules already group, join or match on: a cluster label must be another one
_RULE_LABELS = (
    "job",
    "instance",
    "node",
    "command",
    "code",
    "le",
    "outcome",
    "collector",
    "area",
    "state",
    "event",
    "result",
)


def _check_label(text: str) -> None:
    if not text:
        return  # off
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text) or text.startswith("__"):
        raise ValueError("must be a Prometheus label name (letters, digits, _; not starting with __), or '' for off")
    if text in _RULE_LABELS or text in ("alertname", "alertstate", "severity"):
        raise ValueError(f"{text!r} is a label the rules or alerts already use; name the cluster label otherwise")


# what to check a string of each kind with (field metadata "kind")
_STRING_CHECKS = {"selector": _check_selector, "url": _check_url, "runbook": _check_runbook, "label": _check_label}


def _duration(default: str, help: str, longest: str = "1d") -> str:
    """A duration setting. Alert holds and windows stay within a day: the rule tests hold one
    sample per 15 s of them (a 1y hold took minutes and gigabytes to write), and an alert
    that waits longer is no alert. Intervals and the SLO period may reach a year, the SLO's
    windows a week."""
    return field(default=default, metadata={"duration": longest, "help": help})


def _value(default, help: str, **checks):
    """A setting; ``checks``: ``kind`` (a key of _STRING_CHECKS, or "codes"), ``bounds``
    (low, high, whether low itself is allowed) for numbers, ``duration`` (the longest) for a
    list of durations."""
    if isinstance(default, (list, tuple)):
        return field(default_factory=lambda: tuple(default), metadata={"help": help, **checks})
    return field(default=default, metadata={"help": help, **checks})


_COUNT = (0, MAX_COUNT, True)
_RATIO = (0, 1, False)
_AMOUNT = (0, MAX_NUMBER, True)
_POSITIVE = (0, MAX_NUMBER, False)


@dataclass(frozen=True)
class Selectors:
    """Label matchers (inside the braces) that pick each kind of target."""

    node: str = _value(
        'job=~"lavalink.*"', "Lavalink nodes scraped directly (core /metrics or the plugin's port)", kind="selector"
    )
    merged: str = _value(
        'job=~"lavametrics-merge.*"', "`lavametrics serve` endpoints (nodes behind a merge)", kind="selector"
    )
    bot: str = _value('job=~"bot.*"', "bots exporting BotMetrics", kind="selector")
    node_exporter: str = _value(
        'job=~"node(-exporter)?"',
        "node_exporter on the nodes' hosts (give each target the node label of its Lavalink node)",
        kind="selector",
    )


@dataclass(frozen=True)
class Timings:
    """How often things happen; these decide how fast an alert can page."""

    # 10s scrapes and evaluations are what lets a critical alert page within a minute of the
    # fault while still holding `for:` long enough to ride out a 20s blip (operations guide,
    # "How fast alerts page")
    scrape_interval: str = _duration("10s", "Prometheus scrape interval", longest="1y")
    scrape_timeout: str = _duration(
        "5s", "Prometheus scrape timeout (a hung node counts as down after this)", longest="1y"
    )
    evaluation_interval: str = _duration("10s", "rule evaluation interval", longest="1y")
    retention: str = _duration(
        "31d",
        "Prometheus --storage.tsdb.retention.time; every rule window (slo.period) must fit inside it",
        longest="100y",
    )
    group_wait_critical: str = _duration("5s", "Alertmanager wait before the first page of a group", longest="1y")
    group_wait_warning: str = _duration("30s", "Alertmanager wait before the first warning of a group", longest="1y")
    group_interval: str = _duration("2m", "Alertmanager wait before telling a group's changes", longest="1y")
    group_interval_critical: str = _duration(
        "30s", "... for pages: a node's next incident pages this soon after its last", longest="1y"
    )
    repeat_interval_critical: str = _duration("1h", "re-page while an alert keeps firing", longest="1y")
    repeat_interval_warning: str = _duration("6h", "re-send a warning while it keeps firing", longest="1y")


@dataclass(frozen=True)
class Thresholds:
    node_down_for: str = _duration(
        "30s", "a node target unreachable this long pages (with 10s scrapes: 4 failed in a row)"
    )
    plugin_absent_for: str = _duration("10m", "node up but no lavametrics_info this long")
    no_targets_for: str = _duration("10m", "no node target discovered at all this long")
    bot_down_for: str = _duration("5m", "a bot's metrics endpoint unreachable this long")
    config_invalid_for: str = _duration("5m", "lavametrics_config_valid == 0 this long")
    collector_failing_for: str = _duration("5m", "a collector's success == 0 this long")
    disconnects_max: int = _value(3, "bot-side node disconnects tolerated per window", bounds=_COUNT)
    disconnects_window: str = _duration("10m", "window of disconnects_max")
    voice_closes_max: int = _value(3, "voice websocket closes per node and code tolerated per window", bounds=_COUNT)
    voice_closes_window: str = _duration("10m", "window of voice_closes_max")
    voice_closes_ignored_codes: tuple = _value(
        ("1000",), "close codes that are normal (1000: closed on purpose)", kind="codes"
    )
    command_p95_seconds: float = _value(
        2.0, "p95 command latency above this ... (must be a bucket of bot_command_duration_seconds)", bounds=_POSITIVE
    )
    command_latency_for: str = _duration("5m", "... this long warns")
    command_min_rate: float = _value(0.02, "commands/s below which latency and error ratios are noise", bounds=_AMOUNT)
    # The command pages read one short window: a spike of bad commands (the SLO's two kinds:
    # failed, or slower than slo.commands_latency_seconds) pages within a minute, where the
    # burn-rate pages need their 1h window to fill. 3 % failing is a 30x burn of the 99.9 %
    # command SLO (its budget gone in a day): worth a page, and low enough that a 10 % spike
    # crosses it within 20 s of a 1m window
    command_error_ratio: float = _value(
        0.03, "share of commands failing over command_page_window that pages", bounds=_RATIO
    )
    # 5 % slower than the SLO's bound is "the minute's p95 is above it"
    command_slow_ratio: float = _value(
        0.05,
        "share of commands slower than slo.commands_latency_seconds over command_page_window that pages",
        bounds=_RATIO,
    )
    command_page_window: str = _duration(
        "1m", "window of the failing and slow shares (short: a spike pages within a minute)"
    )
    command_page_min: int = _value(
        3, "... and at least this many failed (or slow) commands in the window (a quiet bot)", bounds=_COUNT
    )
    # one evaluation: with a 1m window a longer `for` filters no burst (a burst keeps the share high
    # for the whole window), it only delays the page
    command_page_for: str = _duration("10s", "how long the failing or slow share must stay high")
    track_problem_ratio: float = _value(0.1, "(exceptions + stuck) / starts that warns", bounds=_RATIO)
    track_problem_min: int = _value(5, "... and at least this many exceptions + stuck in the window", bounds=_COUNT)
    track_window: str = _duration("10m", "window of the track problem ratio")
    load_failure_ratio: float = _value(
        0.2, "share of /v4/loadtracks answering loadType=error that warns", bounds=_RATIO
    )
    load_failure_min: int = _value(5, "... and at least this many failed loads in the window", bounds=_COUNT)
    load_window: str = _duration("10m", "window of the load failure ratio")
    silent_window: str = _duration(
        "30s", "playing players but no frame sent for this long pages (longer than a voice reconnect)"
    )
    frame_loss_ratio: float = _value(0.02, "(nulled + deficit) / expected frames on a node that warns", bounds=_RATIO)
    frame_loss_min_frames: float = _value(
        50.0, "expected frames/s below which loss is not judged (one player)", bounds=_AMOUNT
    )
    frame_loss_for: str = _duration("5m", "how long frame loss must stay high")
    # the page beside that warning: loss a listener hears as broken audio, over one minute so it
    # pages within a minute (the playback burn needs its 1h window to fill)
    frame_loss_page_ratio: float = _value(
        0.05, "(nulled + deficit) / expected frames on a node over frame_loss_page_window that pages", bounds=_RATIO
    )
    frame_loss_page_window: str = _duration("1m", "window of frame_loss_page_ratio")
    frame_loss_page_for: str = _duration("10s", "how long that loss must stay high")
    # --- route planner and voice connects (issue 22) ---
    route_planner_failing_ratio: float = _value(
        0.5, "failing / all addresses of a node's route planner block above which it warns", bounds=_RATIO
    )
    route_planner_for: str = _duration("2m", "how long the failing share must stay above it")
    voice_connect_seconds: float = _value(
        2.5,
        "voice connects slower than this are slow (must be a bucket of lavametrics_voice_connect_seconds)",
        bounds=_POSITIVE,
    )
    # 5 % slower than the bound is "the window's p95 is above it"
    voice_connect_slow_ratio: float = _value(
        0.05,
        "share of voice connects slower than voice_connect_seconds over voice_connect_window that warns",
        bounds=_RATIO,
    )
    voice_connect_window: str = _duration("10m", "window of the slow voice connect share")
    voice_connect_min: int = _value(
        3, "... and at least this many slow connects in the window (a quiet node)", bounds=_COUNT
    )
    # --- end route planner and voice connects ---
    heap_used_ratio: float = _value(0.9, "JVM heap used / max that warns", bounds=_RATIO)
    heap_for: str = _duration("10m", "how long the heap must stay that full")


@dataclass(frozen=True)
class Slo:
    commands_objective: float = _value(0.999, "share of commands that succeed within the latency bound")
    commands_latency_seconds: float = _value(2.5, "the bound; must be a bucket of bot_command_duration_seconds")
    playback_objective: float = _value(0.999, "share of expected audio frames actually sent")
    period: str = _duration("30d", "the period the error budget is counted over", longest="1y")
    fast_burn: float = _value(14.4, "burn rate that pages (2% of a 30d budget in 1h)", bounds=_POSITIVE)
    fast_windows: tuple = _value(("1h", "5m"), "long and short window of the fast burn page", duration="1w")
    slow_burn: float = _value(6.0, "burn rate that warns (5% of a 30d budget in 6h)", bounds=_POSITIVE)
    slow_windows: tuple = _value(("6h", "30m"), "long and short window of the slow burn warning", duration="1w")


@dataclass(frozen=True)
class Links:
    runbook_base: str = _value(
        RUNBOOK_BASE_PLACEHOLDER,
        "absolute URL of the operations guide; an alert's runbook_url is this plus #<anchor> (set your copy's URL)",
        kind="runbook",
    )
    webhook_url: str = _value("http://127.0.0.1:9095/alerts", "the default receiver's webhook", kind="url")
    alertmanager: str = _value("127.0.0.1:9093", "where Prometheus sends alerts")
    grafana_datasource: str = _value("Prometheus", "name of the provisioned Prometheus data source")
    prometheus_url: str = _value("http://127.0.0.1:9090", "the data source's URL", kind="url")
    grafana_dashboards_path: str = _value(
        "/var/lib/grafana/dashboards/lavametrics", "where Grafana's file provider reads the dashboard JSON"
    )


@dataclass(frozen=True)
class Scrape:
    """Where prometheus.yml finds targets and credentials (relative to prometheus.yml)."""

    targets_dir: str = _value("targets", "file_sd files: core/, basic/, bearer/, merge/, bot/ *.json")
    secrets_dir: str = _value("secrets", "basic-auth password and bearer token files")
    basic_auth_username: str = _value("prometheus", "user of the plugin endpoint's basic auth")


@dataclass(frozen=True)
class Clusters:
    """One Prometheus (or remote store) holding several clusters' series, told apart by a label
    (kubernetes-mixin's clusterLabel / showMultiCluster)."""

    label: str = _value(
        "",
        "label naming the cluster (e.g. cluster, region) on every series; set, every rule aggregates and "
        "joins per cluster and every dashboard gets a cluster variable ('' = one cluster, off)",
        kind="label",
    )


SECTIONS = {
    "selectors": Selectors,
    "timings": Timings,
    "thresholds": Thresholds,
    "slo": Slo,
    "links": Links,
    "scrape": Scrape,
    "clusters": Clusters,
}


@dataclass(frozen=True)
class MixinConfig:
    selectors: Selectors = field(default_factory=Selectors)
    timings: Timings = field(default_factory=Timings)
    thresholds: Thresholds = field(default_factory=Thresholds)
    slo: Slo = field(default_factory=Slo)
    links: Links = field(default_factory=Links)
    scrape: Scrape = field(default_factory=Scrape)
    clusters: Clusters = field(default_factory=Clusters)

    def sel(self, kind: str, *extra: str) -> str:
        """``{<kind's selector>, extra...}`` for a metric selector."""
        return "{" + ", ".join([getattr(self.selectors, kind), *extra]) + "}"


def _default_of(f: dataclasses.Field):
    if f.default is not dataclasses.MISSING:
        return f.default
    factory = f.default_factory
    return factory() if callable(factory) else None


def _coerce(path, where: str, key: str, f: dataclasses.Field, value):
    default = _default_of(f)
    wrong = f"{where}: {key}: value {value!r}"
    try:
        return _checked(f, default, value)
    except ValueError as exc:
        raise MixinConfigError(f"{wrong}: {exc}") from None


def _checked_string(f: dataclasses.Field, value: str) -> str:
    # one line: a line break (or any control character) in a value would end a PromQL string
    # or a YAML scalar where it is spliced
    if re.search(r"[\x00-\x1f\x7f]", value):
        raise ValueError("must be one line, without control characters")
    if f.metadata.get("duration"):
        _checked_duration(value, f.metadata["duration"])
    check = _STRING_CHECKS.get(f.metadata.get("kind", ""))
    if check is not None:
        check(value)
    return value


def _checked(f: dataclasses.Field, default, value):
    """``value`` as the type of ``default``; ValueError saying what is wrong."""
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in value):
            raise ValueError("must be a list of strings")
        items = tuple(_checked_string(f, str(v)) for v in value)
        for v in items:
            if f.metadata.get("kind") == "codes":
                _check_close_code(v)
            elif f.metadata.get("duration"):
                _checked_duration(v, f.metadata["duration"])
        return items
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ValueError("must be a string")
        return _checked_string(f, value)
    low, high, low_allowed = f.metadata.get("bounds", (0, math.inf, True))
    if isinstance(default, int) and not isinstance(default, bool):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError("must be a whole number >= 0")
        if value > high:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return value
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise ValueError("must be a number >= 0")
    if not math.isfinite(value) or not (low <= value if low_allowed else low < value) or value > high:
        lowest = f"from {low:g}" if low_allowed else f"more than {low:g} and"
        raise ValueError(f"must be a number {lowest} at most {high:g}")
    return float(value)


def from_mapping(data, path: str = "<mixin config>") -> MixinConfig:
    if data is None:
        return MixinConfig()
    if not isinstance(data, dict):
        raise MixinConfigError(f"{path}: expected a mapping of sections ({', '.join(SECTIONS)})")
    sections = {}
    for name, section in data.items():
        cls = SECTIONS.get(name)
        if cls is None:
            raise MixinConfigError(
                f"{yamlread.where(path, data, name)}: {name}: unknown section (known: {', '.join(SECTIONS)})"
            )
        if section is None:
            continue
        if not isinstance(section, dict):
            raise MixinConfigError(f"{yamlread.where(path, data, name)}: {name}: must be a mapping of keys")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values = {}
        for key, value in section.items():
            where = yamlread.where(path, section, key)
            if key not in fields:
                raise MixinConfigError(f"{where}: {name}.{key}: unknown key (known: {', '.join(fields)})")
            values[key] = _coerce(path, where, f"{name}.{key}", fields[key], value)
        sections[name] = cls(**values)
    config = MixinConfig(**sections)
    _check(config, path)
    return config


def bucket_thresholds(config: MixinConfig) -> dict[str, float]:
    """Every threshold an alert compares with a bucket of bot_command_duration_seconds.

    ``histogram_quantile(q) > t`` says exactly "more than (1-q) of the observations took longer
    than t" only when t is a bucket boundary; between two boundaries it compares a linear
    interpolation (1.1 s everywhere reads as a p95 of 2.4 s with a 1-2.5 s bucket).
    """
    return {
        "thresholds.command_p95_seconds": config.thresholds.command_p95_seconds,
        "slo.commands_latency_seconds": config.slo.commands_latency_seconds,
    }


def _check_voice_connect_bucket(config: MixinConfig, path: str) -> None:
    """The slow-connect alert counts connects above the threshold from the bucket at it: the
    plugin's default buckets must have that bound (an operator who changes
    ``buckets.voiceConnectSeconds`` on the node keeps the threshold among them)."""
    value = config.thresholds.voice_connect_seconds
    buckets = catalog.packaged().family(VOICE_CONNECT_FAMILY).buckets or ()
    if value not in buckets:
        raise MixinConfigError(
            f"{path}: thresholds.voice_connect_seconds: value {value!r}: must be a bucket boundary of "
            f"{VOICE_CONNECT_FAMILY} (allowed: {', '.join(f'{b:g}' for b in buckets)})"
        )


def _check(config: MixinConfig, path: str) -> None:
    """Rules between keys: what one key alone cannot tell."""
    slo = config.slo
    for key in ("commands_objective", "playback_objective"):
        value = getattr(slo, key)
        if not 0 < value < 1:
            raise MixinConfigError(f"{path}: slo.{key}: value {value!r}: must be between 0 and 1 (e.g. 0.999)")
    for key, value in bucket_thresholds(config).items():
        if value not in LATENCY_BUCKETS:
            raise MixinConfigError(
                f"{path}: {key}: value {value!r}: must be a bucket boundary of bot_command_duration_seconds, "
                f"or the alert would compare an interpolation, not the quantity "
                f"(allowed: {', '.join(f'{b:g}' for b in LATENCY_BUCKETS)})"
            )
    _check_voice_connect_bucket(config, path)
    for key in ("fast_windows", "slow_windows"):
        windows = getattr(slo, key)
        if len(windows) != 2 or duration_seconds(windows[0]) <= duration_seconds(windows[1]):
            raise MixinConfigError(f"{path}: slo.{key}: value {list(windows)!r}: must be [long, short], long > short")
    t = config.timings
    keep = duration_seconds(t.retention)
    for key, window in (
        ("slo.period", slo.period),
        *((f"slo.{k}", getattr(slo, k)[0]) for k in ("fast_windows", "slow_windows")),
    ):
        # a recording rule reads a 5m rate over the window: the data must reach that far back
        if duration_seconds(window) + 300 > keep:
            raise MixinConfigError(
                f"{path}: {key}: value {window!r}: reads further back than timings.retention ({t.retention}) "
                f"keeps; raise timings.retention (and Prometheus' --storage.tsdb.retention.time) or shorten {key}"
            )
    if duration_seconds(t.scrape_timeout) > duration_seconds(t.scrape_interval):
        raise MixinConfigError(
            f"{path}: timings.scrape_timeout: value {t.scrape_timeout!r}: "
            f"must not exceed timings.scrape_interval ({t.scrape_interval})"
        )


def load(path: str | Path | None) -> MixinConfig:
    """The defaults, or the defaults overridden by the YAML file at ``path``."""
    if path is None:
        return MixinConfig()
    # yamlread's bounds: a regular file only (a FIFO must not hang the build), at most 1 MiB
    # read (``--config /dev/zero``), UTF-8, no alias bombs; every error one line
    try:
        text = yamlread.decode(yamlread.read_bytes(path, "mixin.yml"), path)
        data = yamlread.load(yamlread.new_yaml(), text, path)
    except yamlread.YamlReadError as exc:
        raise MixinConfigError(str(exc)) from None
    return from_mapping(data, str(path))


def defaults_yaml() -> str:
    """Every key with its default and help, as a commented mixin.yml to start from."""
    lines = ["# lavametrics mixin settings: every key with its default. Delete what you keep as is."]
    for name, cls in SECTIONS.items():
        lines.append(f"{name}:")
        for f in dataclasses.fields(cls):
            default = _default_of(f)
            if isinstance(default, tuple):
                shown = "[" + ", ".join(f'"{v}"' for v in default) + "]"
            elif isinstance(default, str):
                shown = "'" + default.replace("'", "''") + "'"
            else:
                shown = repr(default)
            lines.append(f"  {f.name}: {shown}  # {f.metadata.get('help', '')}")
    return "\n".join(lines) + "\n"
