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
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from lavametrics.bot.metrics import LATENCY_BUCKETS

_DURATION = re.compile(r"^(?:[0-9]+(?:ms|s|m|h|d|w|y))+$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


# Where the guide lives in a GitHub copy of this repository: the form to set, with your
# organisation in place of the placeholder (pagers need an absolute, clickable link).
RUNBOOK_BASE_PLACEHOLDER = "https://github.com/your-org/lavametrics/blob/main/docs/monitoring/operations-guide.md"


class MixinConfigError(ValueError):
    """One line: where (file:line), which key, what is wrong."""


def duration_seconds(text: str) -> float:
    """A Prometheus duration ("1h30m") in seconds."""
    if not _DURATION.match(text):
        raise ValueError(f"{text!r} is not a Prometheus duration such as 30s, 5m or 1h30m")
    return sum(int(n) * _UNIT_SECONDS[u] for n, u in re.findall(r"([0-9]+)(ms|s|m|h|d|w|y)", text))


def _duration(default: str, help: str) -> str:
    return field(default=default, metadata={"duration": True, "help": help})


def _value(default, help: str):
    if isinstance(default, (list, tuple)):
        return field(default_factory=lambda: tuple(default), metadata={"help": help})
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Selectors:
    """Label matchers (inside the braces) that pick each kind of target."""

    node: str = _value('job=~"lavalink.*"', "Lavalink nodes scraped directly (core /metrics or the plugin's port)")
    merged: str = _value('job=~"lavametrics-merge.*"', "`lavametrics serve` endpoints (nodes behind a merge)")
    bot: str = _value('job=~"bot.*"', "bots exporting BotMetrics")
    node_exporter: str = _value(
        'job=~"node(-exporter)?"',
        "node_exporter on the nodes' hosts (give each target the node label of its Lavalink node)",
    )


@dataclass(frozen=True)
class Timings:
    """How often things happen; these decide how fast an alert can page."""

    # 10s scrapes and evaluations are what lets a critical alert page within a minute of the
    # fault while still holding `for:` long enough to ride out a 20s blip (operations guide,
    # "How fast a page arrives")
    scrape_interval: str = _duration("10s", "Prometheus scrape interval")
    scrape_timeout: str = _duration("5s", "Prometheus scrape timeout (a hung node counts as down after this)")
    evaluation_interval: str = _duration("10s", "rule evaluation interval")
    retention: str = _duration(
        "31d", "Prometheus --storage.tsdb.retention.time; every rule window (slo.period) must fit inside it"
    )
    group_wait_critical: str = _duration("5s", "Alertmanager wait before the first page of a group")
    group_wait_warning: str = _duration("30s", "Alertmanager wait before the first warning of a group")
    group_interval: str = _duration("2m", "Alertmanager wait before telling a group's changes")
    repeat_interval_critical: str = _duration("1h", "re-page while an alert keeps firing")
    repeat_interval_warning: str = _duration("6h", "re-send a warning while it keeps firing")


@dataclass(frozen=True)
class Thresholds:
    node_down_for: str = _duration("30s", "a node target unreachable this long pages (3 failed scrapes)")
    plugin_absent_for: str = _duration("10m", "node up but no lavametrics_info this long")
    no_targets_for: str = _duration("10m", "no node target discovered at all this long")
    bot_down_for: str = _duration("5m", "a bot's metrics endpoint unreachable this long")
    config_invalid_for: str = _duration("5m", "lavametrics_config_valid == 0 this long")
    collector_failing_for: str = _duration("5m", "a collector's success == 0 this long")
    disconnects_max: int = _value(3, "bot-side node disconnects tolerated per window")
    disconnects_window: str = _duration("10m", "window of disconnects_max")
    voice_closes_max: int = _value(3, "voice websocket closes per node and code tolerated per window")
    voice_closes_window: str = _duration("10m", "window of voice_closes_max")
    voice_closes_ignored_codes: tuple = _value(("1000",), "close codes that are normal (1000: closed on purpose)")
    command_p95_seconds: float = _value(
        2.0, "p95 command latency above this ... (must be a bucket of bot_command_duration_seconds)"
    )
    command_latency_for: str = _duration("5m", "... this long warns")
    command_min_rate: float = _value(0.02, "commands/s below which latency and error ratios are noise")
    command_error_ratio: float = _value(0.05, "share of commands failing over command_errors_window that pages")
    command_errors_window: str = _duration("1m", "window of the error share (short: a spike pages within 2 minutes)")
    command_errors_min: int = _value(3, "... and at least this many failed commands in the window (a quiet bot)")
    command_errors_for: str = _duration("30s", "how long the error share must stay high")
    track_problem_ratio: float = _value(0.1, "(exceptions + stuck) / starts that warns")
    track_problem_min: int = _value(5, "... and at least this many exceptions + stuck in the window")
    track_window: str = _duration("10m", "window of the track problem ratio")
    load_failure_ratio: float = _value(0.2, "share of /v4/loadtracks answering loadType=error that warns")
    load_failure_min: int = _value(5, "... and at least this many failed loads in the window")
    load_window: str = _duration("10m", "window of the load failure ratio")
    silent_window: str = _duration(
        "30s", "playing players but no frame sent for this long pages (longer than a voice reconnect)"
    )
    frame_loss_ratio: float = _value(0.02, "(nulled + deficit) / expected frames on a node that warns")
    frame_loss_min_frames: float = _value(50.0, "expected frames/s below which loss is not judged (one player)")
    frame_loss_for: str = _duration("5m", "how long frame loss must stay high")
    heap_used_ratio: float = _value(0.9, "JVM heap used / max that warns")
    heap_for: str = _duration("10m", "how long the heap must stay that full")


@dataclass(frozen=True)
class Slo:
    commands_objective: float = _value(0.999, "share of commands that succeed within the latency bound")
    commands_latency_seconds: float = _value(2.5, "the bound; must be a bucket of bot_command_duration_seconds")
    playback_objective: float = _value(0.999, "share of expected audio frames actually sent")
    period: str = _duration("30d", "the period the error budget is counted over")
    fast_burn: float = _value(14.4, "burn rate that pages (2% of a 30d budget in 1h)")
    fast_windows: tuple = _value(("1h", "5m"), "long and short window of the fast burn page")
    slow_burn: float = _value(6.0, "burn rate that warns (5% of a 30d budget in 6h)")
    slow_windows: tuple = _value(("6h", "30m"), "long and short window of the slow burn warning")


@dataclass(frozen=True)
class Links:
    runbook_base: str = _value(
        RUNBOOK_BASE_PLACEHOLDER,
        "absolute URL of the operations guide; an alert's runbook_url is this plus #<anchor> (set your copy's URL)",
    )
    webhook_url: str = _value("http://127.0.0.1:9095/alerts", "the default receiver's webhook")
    alertmanager: str = _value("127.0.0.1:9093", "where Prometheus sends alerts")
    grafana_datasource: str = _value("Prometheus", "name of the provisioned Prometheus data source")
    prometheus_url: str = _value("http://127.0.0.1:9090", "the data source's URL")
    grafana_dashboards_path: str = _value(
        "/var/lib/grafana/dashboards/lavametrics", "where Grafana's file provider reads the dashboard JSON"
    )


@dataclass(frozen=True)
class Scrape:
    """Where prometheus.yml finds targets and credentials (relative to prometheus.yml)."""

    targets_dir: str = _value("targets", "file_sd files: core/, basic/, bearer/, merge/, bot/ *.json")
    secrets_dir: str = _value("secrets", "basic-auth password and bearer token files")
    basic_auth_username: str = _value("prometheus", "user of the plugin endpoint's basic auth")


SECTIONS = {
    "selectors": Selectors,
    "timings": Timings,
    "thresholds": Thresholds,
    "slo": Slo,
    "links": Links,
    "scrape": Scrape,
}


@dataclass(frozen=True)
class MixinConfig:
    selectors: Selectors = field(default_factory=Selectors)
    timings: Timings = field(default_factory=Timings)
    thresholds: Thresholds = field(default_factory=Thresholds)
    slo: Slo = field(default_factory=Slo)
    links: Links = field(default_factory=Links)
    scrape: Scrape = field(default_factory=Scrape)

    def sel(self, kind: str, *extra: str) -> str:
        """``{<kind's selector>, extra...}`` for a metric selector."""
        return "{" + ", ".join([getattr(self.selectors, kind), *extra]) + "}"


def _default_of(f: dataclasses.Field):
    if f.default is not dataclasses.MISSING:
        return f.default
    factory = f.default_factory
    return factory() if callable(factory) else None


def _where(path, mapping, key) -> str:
    try:
        return f"{path}:{mapping.lc.key(key)[0] + 1}"
    except Exception:  # noqa: BLE001 (plain dicts have no line info)
        return str(path)


def _coerce(path, where: str, key: str, f: dataclasses.Field, value):
    default = _default_of(f)
    wrong = f"{where}: {key}: value {value!r}"
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            raise MixinConfigError(f"{wrong}: must be a list of strings")
        value = tuple(str(v) for v in value)
        if f.metadata.get("duration") or key.endswith("_windows"):
            for v in value:
                try:
                    duration_seconds(v)
                except ValueError as exc:
                    raise MixinConfigError(f"{wrong}: {exc}") from None
        return value
    if isinstance(default, bool) or isinstance(default, str):
        if not isinstance(value, str):
            raise MixinConfigError(f"{wrong}: must be a string")
        if f.metadata.get("duration"):
            try:
                duration_seconds(value)
            except ValueError as exc:
                raise MixinConfigError(f"{wrong}: {exc}") from None
        return value
    if isinstance(default, int) and not isinstance(default, bool):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise MixinConfigError(f"{wrong}: must be a whole number >= 0")
        return value
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise MixinConfigError(f"{wrong}: must be a number >= 0")
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
                f"{_where(path, data, name)}: {name}: unknown section (known: {', '.join(SECTIONS)})"
            )
        if section is None:
            continue
        if not isinstance(section, dict):
            raise MixinConfigError(f"{_where(path, data, name)}: {name}: must be a mapping of keys")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values = {}
        for key, value in section.items():
            where = _where(path, section, key)
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
    base = config.links.runbook_base
    if not re.match(r"^https?://[^/\s]+/\S*$", base) or "#" in base:
        raise MixinConfigError(
            f"{path}: links.runbook_base: value {base!r}: must be an absolute http(s) URL without #anchor, "
            f"e.g. {RUNBOOK_BASE_PLACEHOLDER}"
        )
    for kind in ("node", "merged", "bot", "node_exporter"):
        sel = getattr(config.selectors, kind)
        if not sel or "{" in sel or "}" in sel:
            raise MixinConfigError(
                f"{path}: selectors.{kind}: value {sel!r}: must be label matchers without braces, "
                f'e.g. job=~"lavalink.*"'
            )


def load(path: str | Path | None) -> MixinConfig:
    """The defaults, or the defaults overridden by the YAML file at ``path``."""
    if path is None:
        return MixinConfig()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise MixinConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise MixinConfigError(f"{where}: malformed YAML: {getattr(exc, 'problem', None) or exc}") from None
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
