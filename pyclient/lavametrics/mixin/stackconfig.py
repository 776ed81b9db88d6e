"""prometheus.yml, alertmanager.yml and Grafana's provisioning files, as plain data.

Scrape jobs, one per way of reaching a node (file_sd cannot carry credentials, so each
credential kind is its own job with its own target directory, filled by
``lavametrics targets --nodes FILE --out DIR/<kind>/NAME.json``):

==================  ==================  ==============================================
job                 targets             endpoint
==================  ==================  ==============================================
lavalink            targets/core/       Lavalink's /metrics (anonymous: endpoint set)
lavalink-basic      targets/basic/      the plugin's own port, basic auth
lavalink-bearer     targets/bearer/     the plugin's own port, bearer token
lavametrics-merge   targets/merge/      ``lavametrics serve`` (nodes behind a merge)
bot                 targets/bot/        the bot's own BotMetrics registry
node-exporter       targets/node-       node_exporter on the nodes' hosts, each target
                    exporter/           labelled with its Lavalink node's ``node``
==================  ==================  ==============================================

Paths are relative to prometheus.yml (Prometheus resolves them so), secrets are read from
files, never written into the config.
"""

from __future__ import annotations

from dataclasses import dataclass

from lavametrics.mixin.config import MixinConfig
from lavametrics.mixin.rules import CRITICAL, QUIETED_BY, WARNING


@dataclass(frozen=True)
class NodeJob:
    name: str
    targets: str  # sub-directory of the targets directory
    auth: str | None  # None | basic | bearer
    what: str


JOBS = (
    NodeJob("lavalink", "core", None, "Lavalink's own /metrics (metrics.prometheus.endpoint set: anonymous)"),
    NodeJob("lavalink-basic", "basic", "basic", "the plugin's own endpoint with basic auth"),
    NodeJob("lavalink-bearer", "bearer", "bearer", "the plugin's own endpoint with a bearer token"),
    NodeJob("lavametrics-merge", "merge", None, "lavametrics serve: nodes Prometheus cannot reach"),
    NodeJob("bot", "bot", None, "the bot's BotMetrics registry (or its prometheus_client HTTP server)"),
    NodeJob(
        "node-exporter",
        "node-exporter",
        None,
        "node_exporter on each node's host; each target labelled node=<its Lavalink node's name>",
    ),
)
BASIC_PASSWORD_FILE = "lavametrics-basic.password"
BEARER_TOKEN_FILE = "lavametrics-bearer.token"
# What `mixin build` writes into a credential file that does not exist yet, so that
# `promtool check config` passes on a fresh clone. It is no credential: a node's endpoint
# answers it 401, the target is down and LavalinkNodeDown says so until the operator writes
# the real secret in its place. Never overwritten by a rebuild.
SECRET_PLACEHOLDER = "REPLACE-ME-lavametrics-placeholder-not-a-credential\n"


def secret_placeholders(c: MixinConfig) -> dict[str, str]:
    """Path (relative to the build's --out) -> placeholder content, for each credential file."""
    secrets = c.scrape.secrets_dir
    if secrets.startswith("/"):
        return {}  # an absolute directory is the operator's, not the build's
    return {f"prometheus/{secrets}/{name}": SECRET_PLACEHOLDER for name in (BASIC_PASSWORD_FILE, BEARER_TOKEN_FILE)}


# --- Lavalink's per-guild metrics (issue 22) -----------------------------------------------------
# Lavalink's development branch (PR #1188) adds lavalink_tracks_played_total{source, guild_id}: a
# series per guild that ever played, and a Discord ID in a label. The jobs that can carry core's
# metrics drop every lavalink_* series with a guild_id at scrape time. The whole series, not just
# the label: `labeldrop` would leave one series per source several times in the same scrape,
# which Prometheus rejects as duplicates (keeping one guild's count, not the sum). Nothing is
# lost: lavametrics_track_starts_total{source} counts the same starts. A setup that keeps the
# series on purpose has node_source:lavalink_tracks_played:rate5m (rules.py) to sum it away.
GUILD_SERIES_DROP = {"source_labels": ["__name__", "guild_id"], "regex": "lavalink_.+;.+", "action": "drop"}
CORE_METRIC_JOBS = frozenset({"lavalink", "lavalink-basic", "lavalink-bearer", "lavametrics-merge"})
# --- end Lavalink's per-guild metrics -------------------------------------------------------------


def scrape_job(c: MixinConfig, job: NodeJob, targets_dir: str, secrets_dir: str) -> dict:
    out: dict = {"job_name": job.name}
    if job.auth == "basic":
        out["basic_auth"] = {
            "username": c.scrape.basic_auth_username,
            "password_file": f"{secrets_dir}/{BASIC_PASSWORD_FILE}",
        }
    elif job.auth == "bearer":
        out["authorization"] = {"type": "Bearer", "credentials_file": f"{secrets_dir}/{BEARER_TOKEN_FILE}"}
    out["file_sd_configs"] = [{"files": [f"{targets_dir}/{job.targets}/*.json"], "refresh_interval": "1m"}]
    if job.name in CORE_METRIC_JOBS:
        # a fresh copy per job: a shared list would be written as a YAML anchor and alias
        out["metric_relabel_configs"] = [
            {**GUILD_SERIES_DROP, "source_labels": list(GUILD_SERIES_DROP["source_labels"])}
        ]
    return out


def prometheus_config(
    c: MixinConfig,
    *,
    rule_files: tuple[str, ...] = ("rules/*.yml",),
    targets_dir: str | None = None,
    secrets_dir: str | None = None,
    alertmanagers: tuple[str, ...] | None = None,
    jobs: tuple[NodeJob, ...] = JOBS,
) -> dict:
    t = c.timings
    return {
        "global": {
            "scrape_interval": t.scrape_interval,
            "scrape_timeout": t.scrape_timeout,
            "evaluation_interval": t.evaluation_interval,
        },
        "rule_files": list(rule_files),
        "alerting": {
            "alertmanagers": [{"static_configs": [{"targets": list(alertmanagers or (c.links.alertmanager,))}]}]
        },
        "scrape_configs": [
            scrape_job(c, j, targets_dir or c.scrape.targets_dir, secrets_dir or c.scrape.secrets_dir) for j in jobs
        ],
    }


REPLICA_LABEL = "replica"
# remote_write's queue for a store on the same network: a sample reaches it within a second
# (Prometheus' default batch deadline is 5 s), and once the store is back after a restart the
# queue, which retries from the WAL and drops nothing, resumes within two seconds (default 5 s)
REMOTE_WRITE_QUEUE = {"batch_send_deadline": "1s", "min_backoff": "100ms", "max_backoff": "2s"}


def replica_config(
    c: MixinConfig, replica: str, *, alertmanagers: tuple[str, ...], remote_write_url: str, **kwargs
) -> dict:
    """One Prometheus of an HA pair: both scrape the same targets and differ only in their
    ``replica`` external label. That label is dropped from what leaves for Alertmanager and for
    the long-term store: the pair's copies of an alert must be one alert there (one
    fingerprint, so one page), and their samples one series, which the store deduplicates."""
    cfg = prometheus_config(c, alertmanagers=alertmanagers, **kwargs)
    cfg["global"]["external_labels"] = {REPLICA_LABEL: replica}
    cfg["alerting"]["alert_relabel_configs"] = [{"action": "labeldrop", "regex": REPLICA_LABEL}]
    cfg["remote_write"] = [
        {
            "url": remote_write_url,
            "write_relabel_configs": [{"action": "labeldrop", "regex": REPLICA_LABEL}],
            "queue_config": dict(REMOTE_WRITE_QUEUE),
        }
    ]
    return cfg


def _inhibit(source: str, targets: str, equal: list[str]) -> dict:
    return {"source_matchers": [f'alertname="{source}"'], "target_matchers": [targets], "equal": equal}


def _inhibitions() -> list[dict]:
    """Symptoms of an incident that already paged, so that one incident reads as one page."""
    return [
        # a node that is down explains everything else about it
        _inhibit("LavalinkNodeDown", 'alertname!="LavalinkNodeDown"', ["node"]),
        # symptoms another page already tells of (the rules keep them quiet for their own window
        # after it too: rules.QUIETED_BY)
        *(
            _inhibit(page, f'alertname="{alert}"', list(on))
            for alert, (pages, on, _window) in QUIETED_BY.items()
            for page in pages
        ),
    ]


def alertmanager_config(c: MixinConfig, *, webhook_url: str | None = None) -> dict:
    t = c.timings
    url = webhook_url or c.links.webhook_url
    return {
        "route": {
            "receiver": "team",
            # one notification per incident and channel: every alert about one node (or one bot)
            # shares a group, whatever its name or its code/command label
            "group_by": ["job", "node"],
            "group_wait": t.group_wait_warning,
            "group_interval": t.group_interval,
            "repeat_interval": t.repeat_interval_warning,
            "routes": [
                {
                    "matchers": [f'severity="{CRITICAL}"'],
                    "receiver": "pager",
                    "group_wait": t.group_wait_critical,
                    # a new page in a group that already notified (the node's next incident) waits
                    # this long, not the warnings' group_interval
                    "group_interval": t.group_interval_critical,
                    "repeat_interval": t.repeat_interval_critical,
                },
                {"matchers": [f'severity="{WARNING}"'], "receiver": "team"},
            ],
        },
        "inhibit_rules": _inhibitions(),
        "receivers": [
            {"name": "pager", "webhook_configs": [{"url": url, "send_resolved": True}]},
            {"name": "team", "webhook_configs": [{"url": url, "send_resolved": True}]},
        ],
    }


def receiver_examples() -> dict:
    """Slack and PagerDuty receivers to swap in; every secret comes from a file."""
    return {
        "receivers": [
            {
                "name": "pager",
                "pagerduty_configs": [
                    {
                        "routing_key_file": "/etc/alertmanager/secrets/pagerduty-routing.key",
                        "severity": "critical",
                        "description": "{{ .CommonAnnotations.summary }}",
                        "links": [{"href": "{{ .CommonAnnotations.runbook_url }}", "text": "runbook"}],
                        "send_resolved": True,
                    }
                ],
            },
            {
                "name": "team",
                "slack_configs": [
                    {
                        "api_url_file": "/etc/alertmanager/secrets/slack-webhook.url",
                        "channel": "#lavalink-alerts",
                        "title": "[{{ .Status | toUpper }}] {{ .CommonAnnotations.summary }}",
                        "text": (
                            "{{ range .Alerts }}{{ .Annotations.description }} "
                            "{{ .Annotations.runbook_url }}\n{{ end }}"
                        ),
                        "send_resolved": True,
                    }
                ],
            },
        ]
    }


def grafana_datasource(c: MixinConfig, url: str | None = None) -> dict:
    return {
        "apiVersion": 1,
        "datasources": [
            {
                "name": c.links.grafana_datasource,
                "type": "prometheus",
                "uid": "lavametrics-prometheus",
                "access": "proxy",
                "url": url or c.links.prometheus_url,
                "isDefault": True,
                "editable": False,
                # the scrape interval: $__rate_interval is at least four of these
                "jsonData": {"timeInterval": c.timings.scrape_interval, "httpMethod": "POST"},
            }
        ],
    }


def grafana_dashboard_provider(c: MixinConfig) -> dict:
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": "lavametrics",
                "folder": "Lavalink",
                "type": "file",
                "disableDeletion": True,
                "allowUiUpdates": False,
                "updateIntervalSeconds": 60,
                "options": {"path": c.links.grafana_dashboards_path, "foldersFromFilesStructure": False},
            }
        ],
    }
