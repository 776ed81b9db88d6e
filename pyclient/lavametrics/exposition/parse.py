"""Turn exposition text into prometheus_client ``Metric`` families.

The format is chosen from the Content-Type the server sent, not sniffed, because the two
formats differ in details (``# EOF``, ``_total``, ``_created``) that sniffing gets wrong.

OpenMetrics goes through prometheus_client's parser. The 0.0.4 text format -- what
Lavalink's simpleclient and our nodes serve -- first goes through ``_parse_text_fast``, which
accepts a strict subset of the format (single spaces, plain names, the value spellings Go,
Java and Python clients write) and yields exactly what prometheus_client's
``text_string_to_metric_families`` yields for it, at a fraction of the cost: that parser
scans every line character by character in Python, ~60 ms per 5,000-series node. Any line
outside the subset sends the whole body to prometheus_client's parser, so quirks and errors
stay prometheus_client's.
"""

from __future__ import annotations

import re

from prometheus_client import parser as text_parser
from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics import parser as om_parser
from prometheus_client.samples import Sample

from lavametrics.errors import LavametricsError
from lavametrics.exposition import gcpause
from lavametrics.exposition.names import COUNTER_SUFFIX, counter_base, counter_sample_name

TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"


class ParseError(LavametricsError, ValueError):
    """The body is not a valid exposition (first line of the parser's complaint kept)."""


def is_openmetrics(content_type: str | None) -> bool:
    return content_type is not None and content_type.split(";")[0].strip().lower() == "application/openmetrics-text"


def parse(text: str, content_type: str | None = None) -> list[Metric]:
    """Parse a whole exposition; any syntax error fails the whole body (no partial result),
    since a half-read exposition would make missing families look like real absences."""
    try:
        if is_openmetrics(content_type):
            return list(om_parser.text_string_to_metric_families(text))
        try:
            with gcpause.paused():  # one dict and one tuple per sample, no cycles
                families = _parse_text_fast(text)
        except _Unsupported:
            families = list(text_parser.text_string_to_metric_families(text))
    except Exception as exc:  # the parsers raise ValueError, IndexError, KeyError...
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ParseError(f"not a Prometheus exposition: {msg[:200]}") from exc
    _reject_untyped_garbage(text, families)
    return families


def count_samples(body: bytes) -> int:
    """About how many samples an exposition (0.0.4 text or OpenMetrics) holds: its lines
    that are neither comments nor empty, counted in C before anything is parsed. A run of
    empty lines counts some of them as samples: it can only err towards refusing."""
    if not body:
        return 0
    lines = body.count(b"\n") + (not body.endswith(b"\n"))
    comments = body.count(b"\n#") + body.startswith(b"#")
    empty = body.count(b"\n\n") + body.startswith(b"\n")
    return lines - comments - empty


def looks_like_a_page(text: str) -> bool:
    # The 0.0.4 parser is lenient: an HTML page whose lines happen to look like
    # "name value" parses as untyped samples. A real exporter starts with '#' lines or
    # metric names; a body starting with '<' or '{' is a web page or JSON, not metrics.
    return text.lstrip()[:1] in ("<", "{", "[")


def _reject_untyped_garbage(text: str, families: list[Metric]) -> None:
    if looks_like_a_page(text):
        raise ParseError("not a Prometheus exposition: body looks like HTML or JSON")


class _Unsupported(Exception):
    """The fast path does not cover this body; prometheus_client's parser decides."""


_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_PAIR = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*"'
_LABEL_LIST = re.compile(rf"(?:{_PAIR},)*(?:{_PAIR})?")  # simpleclient writes a trailing comma
_PAIRS = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
# prometheus_client tries int() before float(), so an integer spelling must stay an int
# (-0 is 0, not -0.0); more than 18 digits without '.' or exponent is left to the slow path
_INT = re.compile(r"[+-]?[0-9]{1,18}")
_FLOAT = re.compile(
    r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?[0-9]+[eE][+-]?[0-9]+"
    r"|[+-]?Inf|NaN"
)
# prometheus_client skips whitespace before the docstring; one that starts with it is left to it
_COMMENT = re.compile(r"# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*)(?: ([^ \t\n\r\x0b\x0c].*))?")
_TYPES = {
    "counter": [""],
    "gauge": [""],
    "untyped": [""],
    "summary": ["_count", "_sum", ""],
    "histogram": ["_count", "_sum", "_bucket"],
}
_LABEL_ESCAPE = re.compile(r'\\[\\n"]')
_HELP_ESCAPE = re.compile(r"\\[\\n]")
_UNESCAPE = {"\\\\": "\\", "\\n": "\n", '\\"': '"'}.__getitem__
_MISSING = object()

# Label strings repeat across scrapes and across nodes; parsing one costs far more than a
# lookup. Bounded by clearing, so a series explosion upstream cannot grow it without limit.
_labels_cache: dict[str, dict[str, str]] = {}
_LABELS_CACHE_MAX = 200_000


def _unescape(s: str, pattern: re.Pattern = _LABEL_ESCAPE) -> str:
    return pattern.sub(lambda m: _UNESCAPE(m.group(0)), s) if "\\" in s else s


def _labels(raw: str) -> dict[str, str]:
    if _LABEL_LIST.fullmatch(raw) is None:
        raise _Unsupported
    labels = {}
    for m in _PAIRS.finditer(raw):
        name = m.group(1)
        # prometheus_client rejects reserved (__*) and repeated names, each with its own
        # message; leave both to it
        if name.startswith("__") or name in labels:
            raise _Unsupported
        labels[name] = _unescape(m.group(2))
    if len(_labels_cache) >= _LABELS_CACHE_MAX:
        _labels_cache.clear()
    _labels_cache[raw] = labels
    return dict(labels)  # each sample owns its dict, as with prometheus_client's parser


def _number(token: str) -> int | float:
    if _INT.fullmatch(token):
        return int(token)
    if _FLOAT.fullmatch(token):
        return float(token)
    raise _Unsupported


def _family(name: str, doc: str, typ: str, samples: list) -> Metric:
    # prometheus_client's internal representation: a counter's family name has no _total,
    # and its samples all have one
    if typ == "counter":
        if name.endswith(COUNTER_SUFFIX):
            name = counter_base(name)
        else:
            samples = [tuple.__new__(Sample, (counter_sample_name(s[0]), *s[1:])) for s in samples]
    fam = Metric(name, doc, typ)
    fam.samples = samples
    return fam


def _parse_text_fast(text: str) -> list[Metric]:
    """The state machine of prometheus_client's text_fd_to_metric_families, line for line.

    Lines are cut with str methods rather than one regex per line (3x cheaper); what each
    piece may contain is checked with a regex only the first time the piece is seen.
    """
    out: list[Metric] = []
    samples: list[Sample] = []
    allowed: tuple[str, ...] | list[str] = ()  # the sample names the current family may have
    labels: dict[str, str]
    name, doc, typ = "", "", "untyped"
    cached_labels = _labels_cache.get
    names: set[str] = set()  # sample names already checked
    numbers: dict[str, int | float] = {}  # value spellings already converted
    number = numbers.get
    make = tuple.__new__
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        if line[0] == "#":
            m = _COMMENT.fullmatch(line)
            if m is None:
                if "HELP" in line or "TYPE" in line:
                    raise _Unsupported  # possibly a HELP/TYPE spelled in a way we don't cover
                continue  # a plain comment
            kind, candidate, rest = m.groups()
            if kind == "HELP":
                if candidate != name:
                    if name:
                        out.append(_family(name, doc, typ, samples))
                    name, typ, samples, allowed = candidate, "untyped", [], (candidate,)
                doc = _unescape(rest, _HELP_ESCAPE) if rest else ""
            else:
                suffixes = _TYPES.get(rest)
                if suffixes is None:
                    raise _Unsupported
                if candidate != name:
                    if name:
                        out.append(_family(name, doc, typ, samples))
                    name, doc, samples = candidate, "", []
                typ = rest
                allowed = [name + s for s in suffixes]
            continue
        brace = line.find("{")
        if brace < 0:
            cut = line.find(" ")
            if cut < 0:
                raise _Unsupported
            sname, labels = line[:cut], {}
        else:
            # the last '}' closes the labels: nothing after it (value, timestamp) has one,
            # and _labels() rejects a label string with an unquoted '}'
            cut = line.rfind("}") + 1
            if line[cut : cut + 1] != " ":
                raise _Unsupported
            sname, raw = line[:brace], line[brace + 1 : cut - 1]
            cached = cached_labels(raw)
            labels = dict(cached) if cached is not None else _labels(raw)
        if sname not in names:
            if _NAME.fullmatch(sname) is None:
                raise _Unsupported
            names.add(sname)
        vtok, _, ttok = line[cut + 1 :].partition(" ")
        value = number(vtok, _MISSING)
        if value is _MISSING:
            value = numbers[vtok] = _number(vtok)
        ts = _number(ttok) / 1000 if ttok else None
        sample = make(Sample, (sname, labels, value, ts, None, None))
        if sname in allowed:
            samples.append(sample)
        else:
            # prometheus_client yields a sample of an undeclared name as its own untyped family
            if name:
                out.append(_family(name, doc, typ, samples))
            name, doc, typ, samples, allowed = "", "", "untyped", [], ()
            out.append(_family(sname, "", "untyped", [sample]))
    if name:
        out.append(_family(name, doc, typ, samples))
    return out
