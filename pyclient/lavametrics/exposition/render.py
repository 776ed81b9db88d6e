"""Render families in the Prometheus text format 0.0.4, byte for byte as prometheus_client's
``generate_latest`` (default escaping) would.

``generate_latest`` sorts, escapes and formats every label of every sample on each call;
for a merged scrape of 50,000 samples that alone took ~220 ms. Label sets repeat from one
scrape to the next, so their rendered form is cached; everything else follows
``generate_latest`` step for step. OpenMetrics and other escapings stay with prometheus_client.

A family may also come with its sample lines already rendered (``PrerenderedFamily``, what
``exposition.relabel`` makes of a node's text exposition): those lines are copied as they
are. Their names and labels are built with the helpers used here (``label_text``,
``sample_name``); their values keep the node's spelling.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics.exposition import escape_label_name, escape_metric_name
from prometheus_client.utils import floatToGoString

from lavametrics.exposition.names import COUNTER_SUFFIX

# generate_latest moves these samples into a gauge family of their own after the family
_SEPARATE_SUFFIXES = ("_created", "_gcount", "_gsum")  # in the (sorted) order it writes them
_TYPE_IN_TEXT = {
    "counter": "counter",
    "info": "gauge",
    "stateset": "gauge",
    "gaugehistogram": "histogram",
    "unknown": "untyped",
}
_NAME_SUFFIX = {"counter": COUNTER_SUFFIX, "info": "_info"}

# Bounded by clearing, so label sets that keep changing cannot grow them without limit.
_labels_cache: dict[tuple, str] = {}
_names_cache: dict[str, str] = {}
_CACHE_MAX = 200_000


def _escape_value(v: str) -> str:
    return v.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def _label_string(key: tuple) -> str:
    text = "{" + ",".join(f'{escape_label_name(k)}="{_escape_value(v)}"' for k, v in sorted(key)) + "}"
    if len(_labels_cache) >= _CACHE_MAX:
        _labels_cache.clear()
    _labels_cache[key] = text
    return text


def _name(name: str) -> str:
    escaped = _names_cache.get(name)
    if escaped is None:
        escaped = escape_metric_name(name)
        if len(_names_cache) >= _CACHE_MAX:
            _names_cache.clear()
        _names_cache[name] = escaped
    return escaped


def label_text(labels: dict) -> str:
    """``{a="x",b="y"}`` as a sample line carries ``labels`` (sorted), or "" for none."""
    if not labels:
        return ""
    key = tuple(labels.items())
    text = _labels_cache.get(key)
    return text if text is not None else _label_string(key)


def sample_name(name: str) -> str:
    return _name(name)


def shown(value) -> str:
    """A sample value as generate_latest writes it."""
    if value.__class__ is not float:
        value = float(value)
    text = repr(value)
    dot = text.find(".")
    if dot < 0 or dot > 6:  # inf, nan, exponents, large numbers: Go's spelling differs
        text = floatToGoString(value)
    return text


class PrerenderedFamily(Metric):
    """A family some or all of whose sample lines exist as text already.

    ``text_parts()`` returns the family's samples in order as rendered chunks (``str``, whole
    lines) and ``Metric`` parts still to render, or None when the text no longer stands for
    ``samples``; ``samples`` must always hold the same samples, for other encoders.
    """

    def text_parts(self) -> list | None:
        raise NotImplementedError


def _help(name: str, documentation: str, typ: str) -> str:
    doc = documentation.replace("\\", r"\\").replace("\n", r"\n")
    return f"# HELP {_name(name)} {doc}\n# TYPE {_name(name)} {typ}\n"


def _sample_lines(samples, out: list[str]) -> None:
    add = out.append
    labels_cached = _labels_cache.get
    for s in samples:
        labels = s[1]
        if labels:
            key = tuple(labels.items())
            text = labels_cached(key)
            if text is None:
                text = _label_string(key)
        else:
            text = ""
        value = shown(s[2])
        ts = s[3]
        if ts is None:
            add(f"{_name(s[0])}{text} {value}\n")
        else:
            add(f"{_name(s[0])}{text} {value} {int(float(ts) * 1000):d}\n")


def _copy_parts(fam: PrerenderedFamily, out: list[str]) -> bool:
    """Appends the family's sample lines from its text parts; False (and nothing appended)
    when it has none, or a part holds samples generate_latest would move out of the family."""
    parts = fam.text_parts()
    if parts is None:
        return False
    separate_names = {fam.name + sfx for sfx in _SEPARATE_SUFFIXES}
    for part in parts:
        if not isinstance(part, str) and any(s[0] in separate_names for s in part.samples):
            return False
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        else:
            _sample_lines(part.samples, out)
    return True


def render(families: Iterable[Metric]) -> bytes:
    """The text-format exposition of ``families`` (e.g. ``registry.collect()``)."""
    out: list[str] = []
    for fam in families:
        try:
            typ = fam.type
            out.append(_help(fam.name + _NAME_SUFFIX.get(typ, ""), fam.documentation, _TYPE_IN_TEXT.get(typ, typ)))
            if isinstance(fam, PrerenderedFamily) and _copy_parts(fam, out):
                continue
            separate_names = [fam.name + sfx for sfx in _SEPARATE_SUFFIXES]
            if any(s[0] in separate_names for s in fam.samples):
                kept = [s for s in fam.samples if s[0] not in separate_names]
                separate = [(n, [s for s in fam.samples if s[0] == n]) for n in separate_names]
            else:
                kept, separate = fam.samples, []
            _sample_lines(kept, out)
        except Exception as exc:  # as generate_latest does: name the family in the error
            exc.args = (exc.args or ("",)) + (fam,)
            raise
        for name, samples in separate:
            if samples:
                out.append(_help(name, fam.documentation, "gauge"))
                _sample_lines(samples, out)
    return "".join(out).encode("utf-8")
