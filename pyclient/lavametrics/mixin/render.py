"""``lavametrics mixin render``: each dashboard drawn from Prometheus' ``query_range`` as one PNG.

For reviews, reports and the docs where no Grafana runs. It reads the dashboard JSON the
mixin generates (what Grafana reads) and draws what Grafana would show:

- one picture per dashboard, every panel at its ``gridPos`` (24 columns; rows as titles);
- the same queries with the variables Grafana would send (every ``$var`` at *All* unless
  given, ``$__rate_interval`` as Grafana computes it);
- timeseries lines break where samples are missing (``spanNulls: false``): a point more than
  ``GAP_STEPS`` query steps after the previous one, or a NaN, starts a new segment;
- thresholds drawn as ``custom.thresholdsStyle`` says (lines, dashed lines, areas), and the
  axis reaching ``custom.axisSoftMax``;
- stat panels show the last non-null value with the colour of its value mapping, else of its
  threshold step, as background (``colorMode: background``);
- state timelines colour each stretch of equal values the same way, and leave gaps empty.

Needs matplotlib (the ``mixin`` extra); the Agg backend draws without a display.
"""

from __future__ import annotations

import json
import math
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lavametrics.errors import LavametricsError
from lavametrics.mixin.config import MixinConfig, duration_seconds
from lavametrics.mixin.dashboards import all_dashboards
from lavametrics.mixin.grafana import GRID_COLUMNS, to_json

MAX_POINTS = 300
# Grafana draws no line across missing samples; with a query step of one scrape interval,
# a sample missing for more than this many steps is a gap (one late scrape is not)
GAP_STEPS = 2.0

# Grafana's dark theme and its named colours
BACKGROUND, PANEL, TEXT, MUTED, GRID = "#111217", "#181b1f", "#ccccdc", "#8e8e9a", "#2c3235"
NAMED_COLORS = {
    "green": "#73BF69",
    "red": "#F2495C",
    "orange": "#FF9830",
    "yellow": "#FADE2A",
    "blue": "#5794F2",
    "purple": "#B877D9",
    "text": TEXT,
}
# Grafana's classic palette, in order, for series
PALETTE = (
    "#7EB26D",
    "#EAB839",
    "#6ED0E0",
    "#EF843C",
    "#E24D42",
    "#1F78C1",
    "#BA43A9",
    "#705DA0",
    "#508642",
    "#CCA300",
    "#447EBC",
    "#C15C17",
)
UNIT_PX, ROW_GAP_PX, WIDTH_PX, DPI = 30, 8, 1800, 100


class RenderError(LavametricsError, RuntimeError):
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
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), fmt).strip()


def value_text(unit: str, v: float) -> str:
    """A value as the panel's Grafana unit shows it (the units the dashboards use)."""
    if math.isnan(v):
        return "NaN"
    if unit == "percentunit":
        return f"{v * 100:,.0f}%" if abs(v) >= 10 else f"{v * 100:.3g}%"
    if unit == "bytes":
        for size, suffix in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
            if abs(v) >= size:
                return f"{v / size:.3g} {suffix}"
        return f"{v:.0f} B"
    if unit == "s":
        if v == 0:
            return "0 s"
        if abs(v) < 1:
            return f"{v * 1000:.3g} ms"
        if abs(v) >= 86400:
            return f"{v / 86400:.3g} day"
        if abs(v) >= 3600:
            return f"{v / 3600:.3g} hour"
        if abs(v) >= 60:
            return f"{v / 60:.3g} min"
        return f"{v:.3g} s"
    if unit == "bool":
        return "true" if v else "false"
    suffix = {"ops": " ops/s", "suffix:frames/s": " frames/s"}.get(unit, "")
    return f"{v:.4g}{suffix}"


def color_of(name: str) -> str:
    return NAMED_COLORS.get(name, name)


def segments(points: list[tuple[float, float]], gap: float) -> list[list[tuple[float, float]]]:
    """Runs of points with no sample missing for more than ``gap`` seconds and no NaN."""
    runs: list[list[tuple[float, float]]] = []
    last_t = None
    for t, v in points:
        if math.isnan(v):
            last_t = None
            continue
        if last_t is None or t - last_t > gap or not runs:
            runs.append([])
        runs[-1].append((t, v))
        last_t = t
    return runs


def threshold_color(steps: list[dict], value: float) -> str:
    """The colour of the highest step whose value is at or below ``value`` (Grafana's rule)."""
    chosen = steps[0]["color"] if steps else "green"
    for s in steps:
        if s["value"] is None or value >= s["value"]:
            chosen = s["color"]
    return color_of(chosen)


def mapped(defaults: dict, value: float) -> tuple[str | None, str | None]:
    """(text, colour) of the value mapping that matches ``value``, if any."""
    for m in defaults.get("mappings", ()):
        if m.get("type") != "value":
            continue
        for key, opt in m["options"].items():
            try:
                if float(key) == value:
                    return opt.get("text"), color_of(opt["color"]) if opt.get("color") else None
            except ValueError:
                continue
    return None, None


def display(defaults: dict, value: float) -> tuple[str, str]:
    """(text, colour) Grafana shows for one value: mapping first, else unit and threshold colour."""
    text, color = mapped(defaults, value)
    steps = defaults.get("thresholds", {}).get("steps", [])
    return (
        text if text is not None else value_text(defaults.get("unit", ""), value),
        color if color is not None else threshold_color(steps, value),
    )


@dataclass
class Series:
    name: str
    points: list[tuple[float, float]]
    color: str = ""


@dataclass
class Drawn:
    """What was drawn for one panel (the report, and what tests inspect)."""

    title: str
    kind: str
    series: list[dict] = field(default_factory=list)
    thresholds: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"title": self.title, "kind": self.kind, "series": self.series, "thresholds": self.thresholds}


def _time_axis(ax, ticker, start: float, end: float) -> None:
    """Clock times on x, at round steps (Grafana's axis), about eight ticks across."""
    span = end - start
    step = next((s for s in (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200) if span / s <= 8), 14400)
    ax.set_xlim(start, end)
    ax.xaxis.set_major_locator(ticker.MultipleLocator(step))
    fmt = "%H:%M:%S" if step < 60 else "%H:%M"
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: time.strftime(fmt, time.localtime(v))))


def _style(ax) -> None:
    ax.set_facecolor(PANEL)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.tick_params(colors=MUTED, labelsize=7, length=0)
    ax.grid(color=GRID, linewidth=0.6)


def _draw_timeseries(ax, ticker, panel: dict, series: list[Series], start: float, end: float, gap: float, drawn):
    defaults = panel["fieldConfig"]["defaults"]
    custom = defaults.get("custom", {})
    unit = defaults.get("unit", "")
    stacked = custom.get("stacking", {}).get("mode") == "normal"
    fill = custom.get("fillOpacity", 0) / 100
    base: dict[float, float] = {}
    top = -math.inf
    for s in series:
        runs = segments(s.points, gap)
        for run in runs:
            xs = [t for t, _ in run]
            lows = [base.get(t, 0.0) if stacked else 0.0 for t, _ in run]
            ys = [lo + v for lo, (_, v) in zip(lows, run, strict=True)]
            ax.plot(xs, ys, color=s.color, linewidth=1.1)
            if fill:
                ax.fill_between(xs, lows, ys, color=s.color, alpha=fill, linewidth=0)
            if stacked:
                base.update({t: y for (t, _), y in zip(run, ys, strict=True)})
            top = max([top, *ys])
        drawn.series.append({"name": s.name, "segments": [[r[0][0], r[-1][0], len(r)] for r in runs]})
    _time_axis(ax, ticker, start, end)
    bottom = defaults.get("min")
    low = bottom if bottom is not None else min([0.0, *(v for s in series for _, v in s.points if not math.isnan(v))])
    high = defaults.get("max")
    if high is None:
        soft = custom.get("axisSoftMax")
        high = max(top if top > -math.inf else 1.0, soft if soft is not None else -math.inf)
        high = high * 1.05 if high > 0 else 1.0
    ax.set_ylim(low, high if high > low else low + 1)
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: value_text(unit, v)))
    if unit == "bool":
        ax.set_yticks([0, 1])
    mode = custom.get("thresholdsStyle", {}).get("mode", "off")
    steps = defaults.get("thresholds", {}).get("steps", [])
    if mode != "off":
        for i, step in enumerate(steps):
            c = color_of(step["color"])
            lo = step["value"] if step["value"] is not None else low
            hi = steps[i + 1]["value"] if i + 1 < len(steps) else high
            if "area" in mode:
                ax.axhspan(lo, hi, color=c, alpha=0.12, linewidth=0)
            if step["value"] is not None and ("line" in mode or "dashed" in mode):
                ax.axhline(step["value"], color=c, linewidth=1.2, linestyle="--" if "dashed" in mode else "-")
            if step["value"] is not None:
                drawn.thresholds.append({"value": step["value"], "color": c, "mode": mode})
    if not series:
        ax.set_yticks([])
        no_value = defaults.get("noValue") or "No data"
        ax.text(0.5, 0.5, no_value, ha="center", va="center", transform=ax.transAxes, color=MUTED, fontsize=10)


def _draw_stat(fig, box, panel: dict, series: list[Series], drawn) -> None:
    defaults = panel["fieldConfig"]["defaults"]
    x0, y0, w, h = box
    values = []
    for s in series:
        last = next((v for _, v in reversed(s.points) if not math.isnan(v)), None)
        if last is not None:
            values.append((s.name, last))
    if not values:
        no_value = defaults.get("noValue") or "No data"
        fig.text(x0 + w / 2, y0 + h / 2, no_value, ha="center", va="center", color=MUTED, fontsize=10)
        return
    n = len(values)
    for i, (name, v) in enumerate(values):
        text, color = display(defaults, v)
        cell = (x0 + i * w / n + 0.002, y0 + 0.004, w / n - 0.004, h - 0.008)
        ax = fig.add_axes(cell)
        ax.set_facecolor(color)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        size = max(8, min(22, 120 / max(n, 1)))
        ax.text(0.5, 0.55, text, ha="center", va="center", color="white", fontsize=size, weight="bold")
        ax.text(0.5, 0.15, name, ha="center", va="center", color="white", fontsize=7)
        drawn.series.append({"name": name, "value": v, "text": text, "color": color})


def _draw_state_timeline(ax, ticker, panel: dict, series: list[Series], start: float, end: float, gap: float, drawn):
    defaults = panel["fieldConfig"]["defaults"]
    _time_axis(ax, ticker, start, end)
    ax.set_ylim(-0.5, max(len(series), 1) - 0.5)
    ax.set_yticks(range(len(series)))
    ax.set_yticklabels([s.name for s in reversed(series)], fontsize=7, color=TEXT)
    ax.grid(False)
    for row, s in enumerate(reversed(series)):
        stretches: list[dict[str, Any]] = []
        for run in segments(s.points, gap):
            # each sample holds until the next one (or one step after the run's last)
            for i, (t, v) in enumerate(run):
                t_next = run[i + 1][0] if i + 1 < len(run) else t + gap / GAP_STEPS
                text, color = display(defaults, v)
                if stretches and stretches[-1]["text"] == text and abs(stretches[-1]["to"] - t) < 1e-6:
                    stretches[-1]["to"] = t_next
                else:
                    stretches.append({"from": t, "to": t_next, "text": text, "color": color})
        for st in stretches:
            ax.barh(
                row,
                st["to"] - st["from"],
                left=st["from"],
                height=0.8,
                color=st["color"],
                linewidth=0,
            )
        drawn.series.append({"name": s.name, "states": stretches})
    if not series:
        ax.text(0.5, 0.5, "No data", ha="center", va="center", transform=ax.transAxes, color=MUTED, fontsize=10)


def _legend(fig, box, series: list[Series]) -> None:
    """Grafana's bottom list legend: a colour bar and the name, wrapped over at most two lines."""
    from matplotlib.patches import Rectangle

    x0, y0, w, h = box
    line_h = 13 / (fig.get_size_inches()[1] * DPI)
    x, y, line = x0, y0 + h - line_h, 0
    for s in series:
        label = s.name[:48]
        width = (len(label) * 5.0 + 22) / WIDTH_PX
        if x + width > x0 + w and x > x0:
            x, y, line = x0, y - line_h, line + 1
        if line > 1:
            fig.text(x0 + w, y + line_h, f"+{len(series) - series.index(s)} more", color=MUTED, fontsize=6, ha="right")
            return
        fig.add_artist(
            Rectangle((x, y + line_h * 0.35), 12 / WIDTH_PX, line_h * 0.25, transform=fig.transFigure, color=s.color)
        )
        fig.text(x + 16 / WIDTH_PX, y, label, color=TEXT, fontsize=6.5)
        x += width


def render_dashboard(
    plt,
    ticker,
    dashboard: dict,
    data: dict[int, list[Series]],
    path: Path,
    start: float,
    end: float,
    gap: float,
) -> list[Drawn]:
    """Draw ``dashboard`` (Grafana JSON) with ``data`` (panel id -> series) into one PNG at ``path``."""
    panels = dashboard["panels"]
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels) if panels else 1
    header_px = 40
    height_px = header_px + rows * (UNIT_PX + ROW_GAP_PX)
    fig = plt.figure(figsize=(WIDTH_PX / DPI, height_px / DPI), dpi=DPI, facecolor=BACKGROUND)
    H, W = height_px, WIDTH_PX

    def rect(gp: dict) -> tuple[float, float, float, float]:
        """gridPos -> (x, y, w, h) in figure fractions, with Grafana's 8 px margins."""
        x = gp["x"] * W / GRID_COLUMNS + ROW_GAP_PX / 2
        w = gp["w"] * W / GRID_COLUMNS - ROW_GAP_PX
        top = header_px + gp["y"] * (UNIT_PX + ROW_GAP_PX)
        h = gp["h"] * (UNIT_PX + ROW_GAP_PX) - ROW_GAP_PX
        return x / W, 1 - (top + h) / H, w / W, h / H

    fig.text(8 / W, 1 - 26 / H, dashboard["title"], color=TEXT, fontsize=14, weight="bold")
    fig.text(
        1 - 8 / W,
        1 - 26 / H,
        f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(start))} to {time.strftime('%H:%M', time.localtime(end))}",
        color=MUTED,
        fontsize=9,
        ha="right",
    )
    report = []
    for p in panels:
        x, y, w, h = rect(p["gridPos"])
        if p["type"] == "row":
            fig.text(x, y + h / 2, p["title"], color=TEXT, fontsize=11, weight="bold", va="center")
            continue
        frame = fig.add_axes((x, y, w, h))
        frame.set_facecolor(PANEL)
        frame.set_xticks([])
        frame.set_yticks([])
        for spine in frame.spines.values():
            spine.set_color(GRID)
        title_h = 24 / H
        fig.text(x + 8 / W, y + h - 17 / H, p["title"], color=TEXT, fontsize=9, weight="bold")
        series = data.get(p["id"], [])
        for i, s in enumerate(series):
            s.color = PALETTE[i % len(PALETTE)]
        drawn = Drawn(p["title"], p["type"])
        inner = (x + 8 / W, y + 6 / H, w - 16 / W, h - title_h - 10 / H)
        if p["type"] == "stat":
            _draw_stat(fig, inner, p, series, drawn)
        else:
            legend_h = 0 if p["type"] == "state-timeline" else 30 / H
            left = (130 if p["type"] == "state-timeline" else 62) / W
            plot = (inner[0] + left, inner[1] + legend_h + 14 / H, inner[2] - left, inner[3] - legend_h - 14 / H)
            ax = fig.add_axes(plot)
            _style(ax)
            if p["type"] == "state-timeline":
                _draw_state_timeline(ax, ticker, p, series, start, end, gap, drawn)
            else:
                _draw_timeseries(ax, ticker, p, series, start, end, gap, drawn)
                _legend(fig, (inner[0] + 4 / W, inner[1], inner[2], legend_h), series)
        report.append(drawn)
    fig.savefig(path, facecolor=BACKGROUND)
    plt.close(fig)
    return report


def render_all(
    c: MixinConfig,
    prometheus: str,
    out: str | Path,
    *,
    minutes: float = 30.0,
    variables: dict[str, str] | None = None,
    now: float | None = None,
    uids: tuple[str, ...] | None = None,
) -> dict:
    """Every dashboard (or those in ``uids``) as ``OUT/<uid>.png``; returns what was drawn."""
    plt, ticker = _matplotlib()
    end = now if now is not None else time.time()
    range_s = minutes * 60
    start = end - range_s
    scrape = duration_seconds(c.timings.scrape_interval)
    step = max(scrape, math.ceil(range_s / MAX_POINTS))
    gap = GAP_STEPS * step
    Path(out).mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"prometheus": prometheus, "start": start, "end": end, "step": step, "dashboards": []}
    for d in all_dashboards(c):
        if uids is not None and d.uid not in uids:
            continue
        model = to_json(d)
        data: dict[int, list[Series]] = {}
        for p in model["panels"]:
            for t in p.get("targets", ()):
                expr = substitute(t["expr"], variables or {}, step=step, scrape=scrape, range_s=range_s)
                for r in query_range(prometheus, expr, start, end, step):
                    points = [(float(ts), float(v)) for ts, v in r["values"]]
                    data.setdefault(p["id"], []).append(Series(legend(t["legendFormat"], r["metric"]), points))
        path = Path(out) / f"{d.uid}.png"
        drawn = render_dashboard(plt, ticker, model, data, path, start, end, gap)
        report["dashboards"].append({"uid": d.uid, "file": str(path), "panels": [x.as_dict() for x in drawn]})
    return report
