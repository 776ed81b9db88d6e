"""Monitoring as code: Prometheus rules, their unit tests, Alertmanager and Grafana, generated.

``lavametrics mixin build --out DIR [--config mixin.yml]`` writes the tree that is committed
under ``monitoring/``; every file there comes from the data in this package, so thresholds,
job selectors and windows change in one place (``mixin.yml`` or the defaults in ``config``).

Modules, one concern each:

- ``config``      the settings (defaults, ``mixin.yml`` loading and validation)
- ``promql``      finding the metric names and matchers a PromQL expression selects
- ``rules``       recording and alert rules; ``slo`` the burn-rate part of them
- ``ruletests``   ``promtool test rules`` cases for every alert
- ``dashboards``  the Grafana dashboards; ``grafana`` the panel and variable builders
- ``stackconfig`` prometheus.yml, alertmanager.yml and Grafana provisioning
- ``build``       writing the tree (and telling what differs from a committed one)
- ``render``      dashboard panels drawn from a Prometheus ``query_range`` into PNGs
- ``command``     the ``lavametrics mixin`` actions

The tests check every metric name a rule or panel selects against the code that defines it
(``tests/metricnames.py``); the local stack of ``make metrics-up`` is in ``lavametrics.devtools``.
"""
