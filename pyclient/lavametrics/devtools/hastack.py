"""The high-availability stack: a Prometheus pair, an Alertmanager cluster, VictoriaMetrics, vmalert.

``lavametrics stack up --topology ha`` runs it; the HA test injects faults into it. Everything
on loopback, on free ports (the single stack's documented ports are not taken)::

    node(s), bot ──scrape──▶ prometheus-a (replica="a") ─┬─alerts─▶ alertmanager-a ◀─gossip─▶ alertmanager-b
                  └─scrape──▶ prometheus-b (replica="b") ─┘              └──── one page ────▶ webhook
                                 │ remote_write (replica dropped)
                                 ▼
                          victoria-metrics (-dedup.minScrapeInterval = scrape interval)
                                 ▲ queries
                          vmalert (the same rule files) ─alerts─▶ alertmanager-vmalert ─▶ vmalert webhook
                                 └─recordings─▶ vmalert-store (a second victoria-metrics)

Both replicas send every alert to both cluster members without their ``replica`` label, so the
members see one alert; the gossiped notification log lets one member notify and the other stand
by (it waits ``--cluster.peer-timeout`` per position before sending what the first has not).
vmalert evaluates the same rule files against VictoriaMetrics as a shadow ruler: it notifies
its own Alertmanager and records into its own store, so its alerts prove the rules port without
doubling the real pages or the pair's recorded series.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import urllib.error
from dataclasses import dataclass
from pathlib import Path

from lavametrics.devtools.node import free_port
from lavametrics.devtools.stack import (
    USED_JOBS,
    Daemon,
    Stack,
    StackError,
    alertmanager_binary,
    http_ok,
    main,
    prometheus_binary,
)
from lavametrics.devtools.webhook import WebhookReceiver
from lavametrics.mixin.build import alertmanager_text
from lavametrics.mixin.config import duration_seconds
from lavametrics.mixin.stackconfig import replica_config

REPLICAS = ("a", "b")
MEMBERS = ("a", "b")  # the Alertmanager cluster's


def _binary(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise StackError(f"no `{name}` command: apt-get install victoria-metrics (it ships vmalert too)")
    return found


@dataclass
class HAStack(Stack):
    # how long the second cluster member waits for the first's notification before sending
    # itself: Alertmanager's default; the test shortens it with the other timings
    peer_timeout: str = "15s"

    def __post_init__(self):
        super().__post_init__()
        self.fixed_ports = False  # the single stack's ports stay free for it
        self.vmalert_webhook: WebhookReceiver | None = None

    # --- layout ------------------------------------------------------------------------------
    def url_of(self, daemon: str) -> str:
        return f"http://127.0.0.1:{self.ports[daemon]}"

    @property
    def prometheus_url(self) -> str:
        """The first replica that runs (what the single stack's clients and faults query)."""
        for r in REPLICAS:
            d = self.daemons.get(f"prometheus-{r}")
            if d is not None and d.running():
                return self.url_of(f"prometheus-{r}")
        return self.url_of(f"prometheus-{REPLICAS[0]}")

    @property
    def alertmanager_url(self) -> str:
        for m in MEMBERS:
            d = self.daemons.get(f"alertmanager-{m}")
            if d is not None and d.running():
                return self.url_of(f"alertmanager-{m}")
        return self.url_of(f"alertmanager-{MEMBERS[0]}")

    @property
    def victoria_url(self) -> str:
        return self.url_of("victoria-metrics")

    @property
    def vmalert_url(self) -> str:
        return self.url_of("vmalert")

    def _prometheus_configs(self) -> dict[str, dict]:
        members = tuple(f"127.0.0.1:{self.ports[f'alertmanager-{m}']}" for m in MEMBERS)
        return {
            f"prometheus-{r}.yml": replica_config(
                self.config,
                r,
                alertmanagers=members,
                remote_write_url=f"{self.victoria_url}/api/v1/write",
                jobs=USED_JOBS,
            )
            for r in REPLICAS
        }

    # --- lifecycle ---------------------------------------------------------------------------
    def _check_binaries(self) -> None:
        super()._check_binaries()
        _binary("victoria-metrics")
        _binary("vmalert")

    def _start_alerting(self) -> None:
        """The two-member cluster, gossiping on loopback, and the shadow ruler's own Alertmanager."""
        assert self.webhook is not None
        # every port now: the replicas' configuration names the cluster and the store
        names = ["victoria-metrics", "vmalert", "alertmanager-vmalert", "vmalert-store"]
        names += [f"prometheus-{r}" for r in REPLICAS]
        names += [f"{kind}-{m}" for m in MEMBERS for kind in ("alertmanager", "gossip")]
        for name in names:
            self.ports[name] = free_port()
        for m in MEMBERS:
            peers = [f"--cluster.peer=127.0.0.1:{self.ports[f'gossip-{o}']}" for o in MEMBERS if o != m]
            self._alertmanager(
                f"alertmanager-{m}",
                self.webhook.url,
                [
                    f"--cluster.listen-address=127.0.0.1:{self.ports[f'gossip-{m}']}",
                    f"--cluster.advertise-address=127.0.0.1:{self.ports[f'gossip-{m}']}",
                    *peers,
                    f"--cluster.peer-timeout={self.peer_timeout}",
                ],
            )
        self.vmalert_webhook = WebhookReceiver(port=free_port(), log_path=self.root / "alerts-vmalert.log").start()
        self._alertmanager("alertmanager-vmalert", self.vmalert_webhook.url, ["--cluster.listen-address="])
        self._record_children()

    def _alertmanager(self, name: str, webhook_url: str, cluster_args: list[str]) -> None:
        am = self.root / name
        shutil.rmtree(am / "data", ignore_errors=True)  # no notification log of an earlier run
        (am / "data").mkdir(parents=True)
        (am / "alertmanager.yml").write_text(alertmanager_text(self.config, webhook_url=webhook_url))
        self.daemons[name] = Daemon(
            name,
            [
                alertmanager_binary(),
                "--config.file=alertmanager.yml",
                "--storage.path=data",
                f"--web.listen-address=127.0.0.1:{self.ports[name]}",
                *cluster_args,
            ],
            am,
            am / f"{name}.log",
        ).start()

    def _start_prometheus(self, prom: Path, deadline: float, progress) -> None:
        self._start_victoria(deadline)
        progress("starting the Prometheus pair, remote-writing into VictoriaMetrics")
        for r in REPLICAS:
            name = f"prometheus-{r}"
            data = prom / f"data-{r}"
            shutil.rmtree(data, ignore_errors=True)  # a fresh TSDB, as the single stack's
            data.mkdir()
            self.daemons[name] = Daemon(
                name,
                [
                    prometheus_binary(),
                    f"--config.file=prometheus-{r}.yml",
                    f"--storage.tsdb.path=data-{r}",
                    f"--web.listen-address=127.0.0.1:{self.ports[name]}",
                    f"--storage.tsdb.retention.time={self.config.timings.retention}",
                ],
                prom,
                prom / f"{name}.log",
            ).start()
        self._start_vmalert(prom)
        self._record_children()
        for name in (*(f"prometheus-{r}" for r in REPLICAS), *(f"alertmanager-{m}" for m in MEMBERS)):
            self._wait(lambda n=name: http_ok(f"{self.url_of(n)}/-/ready"), deadline, name, "/-/ready")
        self._wait(
            lambda: http_ok(f"{self.url_of('alertmanager-vmalert')}/-/ready"),
            deadline,
            "alertmanager-vmalert",
            "/-/ready",
        )
        self._wait(lambda: http_ok(f"{self.url_of('vmalert-store')}/health"), deadline, "vmalert-store", "/health")
        self._wait(lambda: http_ok(f"{self.vmalert_url}/health"), deadline, "vmalert", "/health")
        progress("the pair, the cluster and vmalert are ready; waiting for every target on both replicas")
        self._wait(self.targets_up, deadline, "prometheus-b", "every target up on both replicas")

    def _victoria_daemon(self) -> Daemon:
        vm = self.root / "victoria-metrics"
        interval = self.config.timings.scrape_interval
        return Daemon(
            "victoria-metrics",
            [
                _binary("victoria-metrics"),
                "-storageDataPath=data",
                f"-httpListenAddr=127.0.0.1:{self.ports['victoria-metrics']}",
                # the pair writes each sample twice: keep one per scrape interval
                f"-dedup.minScrapeInterval={interval}",
                # a sample is queryable (by vmalert too) one scrape interval after it arrived,
                # not after the default 30 s, so the shadow ruler is as fast as Prometheus' own
                f"-search.latencyOffset={interval}",
                f"-retentionPeriod={int(duration_seconds(self.config.timings.retention) // 86400) or 1}d",
            ],
            vm,
            vm / "victoria-metrics.log",
        )

    def _start_victoria(self, deadline: float) -> None:
        vm = self.root / "victoria-metrics"
        shutil.rmtree(vm / "data", ignore_errors=True)
        (vm / "data").mkdir(parents=True)
        self.daemons["victoria-metrics"] = self._victoria_daemon().start()
        self._record_children()
        self._wait(lambda: http_ok(f"{self.victoria_url}/health"), deadline, "victoria-metrics", "/health")

    def _start_vmalert(self, prom: Path) -> None:
        # vmalert will not run recording rules without a store to write them to; not the pair's
        # store, where Prometheus' own recordings are (the same series twice)
        store = self.root / "vmalert-store"
        shutil.rmtree(store, ignore_errors=True)
        store.mkdir()
        self.daemons["vmalert-store"] = Daemon(
            "vmalert-store",
            [
                _binary("victoria-metrics"),
                "-storageDataPath=data",
                f"-httpListenAddr=127.0.0.1:{self.ports['vmalert-store']}",
                "-retentionPeriod=1d",
            ],
            store,
            store / "victoria-metrics.log",
        ).start()
        self.daemons["vmalert"] = Daemon(
            "vmalert",
            [
                _binary("vmalert"),
                "-rule=rules/*.yml",
                f"-datasource.url={self.victoria_url}",
                f"-notifier.url={self.url_of('alertmanager-vmalert')}",
                f"-remoteWrite.url={self.url_of('vmalert-store')}",
                f"-evaluationInterval={self.config.timings.evaluation_interval}",
                f"-httpListenAddr=127.0.0.1:{self.ports['vmalert']}",
                # the same labels as Prometheus' alerts (vmalert adds alertgroup by default)
                "-disableAlertgroupLabel",
            ],
            prom,
            self.root / "vmalert.log",
        ).start()

    def targets_up(self) -> bool:
        try:
            for r in REPLICAS:
                active = self.api_of(f"prometheus-{r}", "/api/v1/targets", state="active")["activeTargets"]
                if not (len(active) == len(self.nodes) + 1 and all(t["health"] == "up" for t in active)):
                    return False
        except (urllib.error.URLError, OSError, StackError):
            return False
        return True

    def api_of(self, daemon: str, path: str, **params) -> dict:
        """A Prometheus-API call to one daemon (a replica, VictoriaMetrics, vmalert, an Alertmanager)."""
        return self.api(path, base=self.url_of(daemon), **params)

    # --- faults ------------------------------------------------------------------------------
    def kill(self, daemon: str) -> None:
        """SIGKILL: the daemon dies as a crashed host's would, with no shutdown of its own."""
        p = self.daemons[daemon].process
        if p is None or p.poll() is not None:
            raise StackError(f"{daemon} is not running")
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(30)
        self._record_children()

    def restart_victoria(self, deadline: float) -> None:
        """Stop VictoriaMetrics as an upgrade does (SIGTERM: it flushes) and start it on its data."""
        self.daemons["victoria-metrics"].stop(timeout=60)
        self.daemons["victoria-metrics"] = self._victoria_daemon().start()
        self._record_children()
        self._wait(lambda: http_ok(f"{self.victoria_url}/health"), deadline, "victoria-metrics", "/health")

    def stop(self) -> None:
        super().stop()
        if self.vmalert_webhook is not None:
            self.vmalert_webhook.stop()

    def urls(self) -> dict[str, str]:
        out = super().urls()
        for r in REPLICAS:
            out[f"prometheus {r}"] = self.url_of(f"prometheus-{r}")
        for m in MEMBERS:
            out[f"alertmanager {m}"] = self.url_of(f"alertmanager-{m}")
        out["victoria-metrics"] = self.victoria_url
        out["vmalert"] = self.vmalert_url
        out["vmalert's alertmanager"] = self.url_of("alertmanager-vmalert")
        out["vmalert's store"] = self.url_of("vmalert-store")
        out["vmalert webhook log"] = str(self.root / "alerts-vmalert.log")
        return out


if __name__ == "__main__":
    sys.exit(main(topology="ha", make_stack=HAStack))
