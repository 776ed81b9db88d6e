"""A dashboard panel's query as Grafana sends it (defined in the package, where ``bench_scale``
uses it too)."""

from __future__ import annotations

from lavametrics.mixin.panelqueries import substitute

__all__ = ["substitute"]
