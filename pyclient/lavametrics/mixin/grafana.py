"""Grafana dashboard JSON from plain data: panels, targets and template variables.

Only what the dashboards use. Every panel gets a unit and a description (the builders take
both as required arguments) and reads the ``$datasource`` variable; layout is a simple flow,
left to right, top to bottom, so adding a panel never means computing coordinates.

A timeseries panel with thresholds draws them (``custom.thresholdsStyle``): a threshold that
is only in ``fieldConfig`` colours nothing on a graph, so it would be invisible.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
GRID_COLUMNS = 24


@dataclass(frozen=True)
class Target:
    expr: str
    legend: str = ""
    # data that only some deployments have (real Lavalink's GC histogram, say): a panel test
    # accepts an empty result for it; everything else must return data on a live stack
    optional: bool = False


@dataclass(frozen=True)
class Panel:
    title: str
    description: str
    unit: str
    targets: tuple[Target, ...]
    kind: str = "timeseries"  # timeseries | stat | state-timeline
    width: int = 12
    height: int = 8
    stack: bool = False
    min: float | None = None
    max: float | None = None
    mappings: tuple[tuple[str, str, str], ...] = ()  # (value, text, color) for stat panels
    thresholds: tuple[tuple[float | None, str], ...] = ()
    # how a timeseries draws its thresholds: line | dashed | area | line+area | dashed+area
    thresholds_style: str = "line"
    no_value: str = ""  # what a panel says when its query returns nothing (instead of "No data")


@dataclass
class Dashboard:
    uid: str
    title: str
    description: str
    variables: list[dict]
    panels: list[Panel | str] = field(default_factory=list)  # a str starts a titled row
    # the firing alerts the dashboard marks on its graphs
    alerts_expr: str = 'ALERTS{alertstate="firing", job=~"$job"}'


def query_variable(name: str, label: str, query: str, *, include_all: bool = True) -> dict:
    return {
        "type": "query",
        "name": name,
        "label": label,
        "datasource": DATASOURCE,
        "query": {"query": query, "refId": f"{name}-variable"},
        "definition": query,
        "refresh": 2,  # on time range change: nodes come and go
        "multi": True,
        "includeAll": include_all,
        "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "sort": 1,
        "hide": 0,
        "regex": "",
        "options": [],
    }


def datasource_variable() -> dict:
    return {
        "type": "datasource",
        "name": "datasource",
        "label": "Data source",
        "query": "prometheus",
        "refresh": 1,
        "hide": 0,
        "current": {},
        "options": [],
        "regex": "",
    }


def _panel_json(panel: Panel, pid: int, x: int, y: int) -> dict:
    defaults: dict = {"unit": panel.unit}
    if panel.min is not None:
        defaults["min"] = panel.min
    if panel.max is not None:
        defaults["max"] = panel.max
    if panel.mappings:
        defaults["mappings"] = [
            {
                "type": "value",
                "options": {
                    value: {"text": text, "color": color, "index": i}
                    for i, (value, text, color) in enumerate(panel.mappings)
                },
            }
        ]
    if panel.no_value:
        defaults["noValue"] = panel.no_value
    steps = [{"value": v, "color": color} for v, color in (panel.thresholds or ((None, "green"),))]
    defaults["thresholds"] = {"mode": "absolute", "steps": steps}
    if panel.kind == "timeseries":
        defaults["custom"] = {
            "drawStyle": "line",
            "lineWidth": 1,
            "fillOpacity": 10 if not panel.stack else 40,
            "showPoints": "never",
            "spanNulls": False,
            "stacking": {"mode": "normal" if panel.stack else "none", "group": "A"},
            "thresholdsStyle": {"mode": panel.thresholds_style if len(steps) > 1 else "off"},
        }
        if len(steps) > 1 and panel.max is None:
            # the axis reaches past the highest threshold, so its line is on the graph even
            # while every value is far below it (a threshold off the axis shows nothing)
            defaults["custom"]["axisSoftMax"] = round(max(v for v, _ in panel.thresholds if v is not None) * 1.25, 10)
        options = {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "desc"},
        }
    elif panel.kind == "state-timeline":
        # the colour of a state comes from its value mapping, else from the thresholds
        defaults["color"] = {"mode": "thresholds"}
        defaults["custom"] = {"fillOpacity": 80, "lineWidth": 0, "spanNulls": False}
        options = {
            "mergeValues": True,
            "showValue": "never",
            "alignValue": "left",
            "rowHeight": 0.9,
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": False},
            "tooltip": {"mode": "single", "sort": "none"},
        }
    else:
        options = {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "background",
            "graphMode": "none",
            "textMode": "auto",
            "justifyMode": "auto",
            "orientation": "auto",
        }
    return {
        "id": pid,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"h": panel.height, "w": panel.width, "x": x, "y": y},
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": options,
        "targets": [
            {
                "refId": chr(ord("A") + i),
                "datasource": DATASOURCE,
                "expr": t.expr,
                "legendFormat": t.legend or "__auto",
                "range": True,
                "instant": False,
            }
            for i, t in enumerate(panel.targets)
        ],
    }


def to_json(d: Dashboard) -> dict:
    panels, pid, x, y, row_height = [], 1, 0, 0, 0
    for item in d.panels:
        if isinstance(item, str):
            y += row_height
            x, row_height = 0, 0
            panels.append(
                {
                    "id": pid,
                    "type": "row",
                    "title": item,
                    "collapsed": False,
                    "panels": [],
                    "gridPos": {"h": 1, "w": GRID_COLUMNS, "x": 0, "y": y},
                }
            )
            pid, y = pid + 1, y + 1
            continue
        if x + item.width > GRID_COLUMNS:
            x, y, row_height = 0, y + row_height, 0
        panels.append(_panel_json(item, pid, x, y))
        pid, x, row_height = pid + 1, x + item.width, max(row_height, item.height)
    return {
        "uid": d.uid,
        "title": d.title,
        "description": d.description,
        "tags": ["lavametrics", "lavalink"],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-3h", "to": "now"},
        "timepicker": {},
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "weekStart": "",
        "links": [
            {
                "title": "lavametrics dashboards",
                "type": "dashboards",
                "tags": ["lavametrics"],
                "asDropdown": True,
                "includeVars": True,
                "keepTime": True,
            }
        ],
        "annotations": {
            "list": [
                {
                    "name": "Alerts",
                    "enable": True,
                    "iconColor": "red",
                    "datasource": DATASOURCE,
                    "expr": d.alerts_expr,
                    "titleFormat": "{{ alertname }}",
                    "textFormat": "{{ node }}",
                    "step": "1m",
                    "hide": False,
                }
            ]
        },
        "templating": {"list": d.variables},
        "panels": panels,
    }


def panels_of(d: Dashboard) -> list[Panel]:
    return [p for p in d.panels if isinstance(p, Panel)]
