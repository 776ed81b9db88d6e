"""``lavametrics mixin render``: each dashboard panel drawn from Prometheus' ``query_range`` as a PNG.

For reviews and reports where no Grafana runs: the same queries with the variables Grafana
would send (every ``$var`` at "All" unless given, ``$__rate_interval`` as Grafana computes
it), one PNG per panel under ``OUT/<dashboard uid>/``. Needs matplotlib (the ``mixin``
extra); the Agg backend draws without a display.
"""

from __future__ import annotations

import json
import math
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from lavametrics.mixin.config import MixinConfig, duration_seconds
from lavametrics.mixin.dashboards import all_dashboards
from lavametrics.mixin.grafana import Panel, panels_of

MAX_POINTS = 300


class RenderError(RuntimeError):
    """One line: which Prometheus, query or file failed."""


def _matplotlib():
    try:
        import matplotlib
    except ImportError:
        raise RenderError("matplotlib is not installed: pip install 'lavametrics[mixin]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    return plt, ticker


def query_range(base: str, expr: str, start: float, end: float, step: float) -> list[dict]:
    params = urllib.parse.urlencode({"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}s"})
    url = f"{base.rstrip('/')}/api/v1/query_range?{params}"
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            body = json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        try:
            detail = json.loads(exc.read()).get("error", "")
        except ValueError:
            detail = ""
        raise RenderError(f"{base}: query {expr!r} failed: HTTP {exc.code} {detail}".rstrip()) from None
    except (urllib.error.URLError, OSError) as exc:
        raise RenderError(f"{base}: cannot reach Prometheus: {getattr(exc, 'reason', exc)}") from None
    if body.get("status") != "success":
        raise RenderError(f"{base}: query {expr!r} failed: {body.get('error')}")
    return body["data"]["result"]


def substitute(expr: str, variables: dict[str, str], *, step: float, scrape: float, range_s: float) -> str:
    rate_interval = max(step + scrape, 4 * scrape)  # Grafana's definition of $__rate_interval
    out = expr.replace("$__rate_interval", f"{rate_interval:g}s").replace("$__range", f"{range_s:g}s")
    return re.sub(r"\$\{?(\w+)\}?", lambda m: variables.get(m.group(1), ".*"), out)


def legend(fmt: str, labels: dict[str, str]) -> str:
    if not fmt or fmt == "__auto":
        return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k != "__name__") or "value"
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), fmt)


def value_text(unit: str, v: float) -> str:
    """A value as the panel's Grafana unit shows it (the units the dashboards use)."""
    if unit == "percentunit":
        return f"{v * 100:.3g}%"
    if unit == "bytes":
        return f"{v / 2**20:.0f} MiB"
    if unit == "s":
        return f"{v * 1000:.0f} ms" if 0 < abs(v) < 1 else f"{v:g} s"
    if unit == "bool":
        return "yes" if v else "no"
    suffix = {"ops": "/s", "suffix:frames/s": " frames/s"}.get(unit, "")
    return f"{v:.4g}{suffix}"


def _formatter(unit: str, ticker):
    return ticker.FuncFormatter(lambda v, _: value_text(unit, v))


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def render_panel(
    plt, ticker, panel: Panel, series: list[tuple[str, list[tuple[float, float]]]], path: Path, start: float, end: float
) -> None:
    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=100)
    ax.set_title(panel.title, fontsize=11, loc="left")
    if panel.kind == "stat":
        ax.axis("off")
        shown = [(name, points[-1][1]) for name, points in series if points] or [("no data", math.nan)]
        for i, (name, value) in enumerate(shown[:6]):
            text = "no data" if math.isnan(value) else value_text(panel.unit, value)
            if panel.mappings:
                text = (
                    next((t for v, t, _ in panel.mappings if str(int(value)) == v), text)
                    if not math.isnan(value)
                    else text
                )
            ax.text(
                (i + 0.5) / min(len(shown), 6),
                0.5,
                f"{text}\n{name}",
                ha="center",
                va="center",
                fontsize=14,
                transform=ax.transAxes,
            )
    else:
        for name, points in series:
            xs = [(t - end) / 60 for t, _ in points]
            ax.plot(xs, [v for _, v in points], label=name, linewidth=1.2)
        ax.set_xlim((start - end) / 60, 0)
        ax.set_xlabel("minutes before now", fontsize=8)
        ax.yaxis.set_major_formatter(_formatter(panel.unit, ticker))
        ax.grid(alpha=0.3)
        if panel.min is not None:
            ax.set_ylim(bottom=panel.min)
        if series:
            ax.legend(fontsize=7, loc="upper left", ncol=3, framealpha=0.6)
        else:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, color="grey")
        ax.tick_params(labelsize=8)
    fig.text(0.01, 0.01, panel.description[:150], fontsize=6, color="grey")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path)
    plt.close(fig)


def render_all(
    c: MixinConfig,
    prometheus: str,
    out: str | Path,
    *,
    minutes: float = 30.0,
    variables: dict[str, str] | None = None,
    now: float | None = None,
) -> dict:
    plt, ticker = _matplotlib()
    end = now if now is not None else time.time()
    range_s = minutes * 60
    start = end - range_s
    scrape = duration_seconds(c.timings.scrape_interval)
    step = max(scrape, math.ceil(range_s / MAX_POINTS))
    report: dict[str, Any] = {"prometheus": prometheus, "start": start, "end": end, "step": step, "dashboards": []}
    for d in all_dashboards(c):
        folder = Path(out) / d.uid
        folder.mkdir(parents=True, exist_ok=True)
        entry: dict[str, Any] = {"uid": d.uid, "dir": str(folder), "panels": []}
        for i, panel in enumerate(panels_of(d), 1):
            drawn = []
            for target in panel.targets:
                expr = substitute(target.expr, variables or {}, step=step, scrape=scrape, range_s=range_s)
                for r in query_range(prometheus, expr, start, end, step):
                    points = [(float(t), float(v)) for t, v in r["values"]]
                    drawn.append((legend(target.legend, r["metric"]), points))
            path = folder / f"{i:02d}-{_slug(panel.title)}.png"
            render_panel(plt, ticker, panel, drawn, path, start, end)
            entry["panels"].append({"title": panel.title, "file": str(path), "series": len(drawn)})
        report["dashboards"].append(entry)
    return report
