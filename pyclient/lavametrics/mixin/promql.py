"""Which series a PromQL expression selects: metric names and their label matchers.

Not a PromQL parser: a tokenizer that knows enough of the grammar to tell a metric name from
a function, an aggregation keyword, a label in ``by (...)`` or a duration. That is all the
checks need (every name a rule or panel selects must be one somebody exports), and it also
reads Grafana's additions: ``$variables``, ``${variables}`` and ``label_values(...)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lavametrics.errors import LavametricsError

# keywords followed by a parenthesised list of label names, not of expressions
_LABEL_LIST_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
_KEYWORDS = _LABEL_LIST_KEYWORDS | {"and", "or", "unless", "bool", "offset", "atan2"}
_NUMBERS = {"inf", "nan"}
# aggregations may put ``by (...)`` between their name and their parenthesis
_AGGREGATIONS = {
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
}

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|\#[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<var>\$\{[^}]+\}|\$[A-Za-z_][A-Za-z0-9_]*|\[\[[^\]]+\]\])
  | (?P<number>0x[0-9a-fA-F]+|(?:[0-9]+(?:ms|s|m|h|d|w|y))+|[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>=~|!~|!=|==|<=|>=|[-+*/%^<>=,(){}\[\]@:])
""",
    re.VERBOSE,
)


class PromQLSyntaxError(LavametricsError, ValueError):
    pass


@dataclass(frozen=True)
class Selector:
    name: str | None  # None: selected by matchers alone, e.g. {__name__=~"..."}
    matchers: tuple[tuple[str, str, str], ...]  # (label, op, value), values unquoted

    def matcher(self, label: str) -> tuple[str, str] | None:
        for name, op, value in self.matchers:
            if name == label:
                return op, value
        return None


def spans(expr: str) -> list[tuple[str, str, int, int]]:
    """Every token but white space and comments: (kind, text, start, end) offsets into ``expr``."""
    out: list[tuple[str, str, int, int]] = []
    pos = 0
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m or m.lastgroup is None:
            raise PromQLSyntaxError(f"unexpected {expr[pos : pos + 20]!r} at offset {pos} in {expr!r}")
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group(), m.start(), m.end()))
    return out


def tokens(expr: str) -> list[tuple[str, str]]:
    return [(kind, text) for kind, text, _start, _end in spans(expr)]


def _unquote(s: str) -> str:
    if s[0] == "`":
        return s[1:-1]
    return re.sub(r"\\(.)", r"\1", s[1:-1])


def _skip_to_close(toks, i: int, open_: str, close: str) -> int:
    """Index just past the bracket that closes the one at ``toks[i]``."""
    depth = 0
    for j in range(i, len(toks)):
        if toks[j] == ("op", open_):
            depth += 1
        elif toks[j] == ("op", close):
            depth -= 1
            if depth == 0:
                return j + 1
    raise PromQLSyntaxError(f"unbalanced {open_!r}")


def _matchers(toks, i: int) -> tuple[tuple[tuple[str, str, str], ...], int]:
    """Parse ``{a="x", b=~"y"}`` starting at the ``{``; returns matchers and the next index."""
    end = _skip_to_close(toks, i, "{", "}")
    body = toks[i + 1 : end - 1]
    found, k = [], 0
    while k < len(body):
        if body[k] == ("op", ","):
            k += 1
            continue
        if (
            k + 2 >= len(body)
            or body[k][0] != "ident"
            or body[k + 1][0] != "op"
            or body[k + 2][0] not in ("string", "var")
        ):
            raise PromQLSyntaxError(f"bad label matcher near {' '.join(t for _, t in body[k : k + 3])!r}")
        value = body[k + 2][1]
        found.append((body[k][1], body[k + 1][1], _unquote(value) if body[k + 2][0] == "string" else value))
        k += 3
    return tuple(found), end


@dataclass(frozen=True)
class Site:
    """Where a selector is in its expression: to add a matcher to it."""

    selector: Selector
    end: int  # offset just past the metric name, or just past "{" when there is one
    braces: bool
    empty: bool  # no matcher inside the braces (or no braces)


def selector_sites(expr: str) -> list[Site]:
    """Every vector selector in ``expr``, in order of appearance, with where it is."""
    toks = spans(expr)
    pairs = [(kind, text) for kind, text, _s, _e in toks]
    found: list[Site] = []
    i = 0
    while i < len(pairs):
        kind, text = pairs[i]
        nxt = pairs[i + 1] if i + 1 < len(pairs) else None
        if kind == "ident" and text.lower() in _LABEL_LIST_KEYWORDS:
            i = _skip_to_close(pairs, i + 1, "(", ")") if nxt == ("op", "(") else i + 1
        elif kind == "ident" and (text.lower() in _KEYWORDS or text.lower() in _NUMBERS):
            i += 1
        elif kind == "ident" and (nxt == ("op", "(") or text in _AGGREGATIONS):
            i += 1  # a function or aggregation: its arguments are read in turn
        elif kind == "ident":
            if nxt == ("op", "{"):
                matchers, end = _matchers(pairs, i + 1)
                found.append(Site(Selector(text, matchers), toks[i + 1][3], True, not matchers))
                i = end
            else:
                found.append(Site(Selector(text, ()), toks[i][3], False, True))
                i += 1
        elif (kind, text) == ("op", "{"):
            matchers, end = _matchers(pairs, i)
            name = next((v for n, op, v in matchers if n == "__name__" and op == "="), None)
            found.append(Site(Selector(name, matchers), toks[i][3], True, not matchers))
            i = end
        elif (kind, text) == ("op", "["):
            i = _skip_to_close(pairs, i, "[", "]")  # a range or subquery: durations and variables
        else:
            i += 1
    return found


def selectors(expr: str) -> list[Selector]:
    """Every vector selector in ``expr``, in order of appearance."""
    return [site.selector for site in selector_sites(expr)]


def with_matcher(expr: str, matcher: str) -> str:
    """``expr`` with ``matcher`` (``cluster="$cluster"``) added to every selector."""
    out = expr
    for site in reversed(selector_sites(expr)):
        if site.braces:
            text = matcher if site.empty else f"{matcher}, "
        else:
            text = "{" + matcher + "}"
        out = out[: site.end] + text + out[site.end :]
    return out


def _close(toks: list[tuple[str, str, int, int]], i: int, open_: str, close: str) -> int:
    return _skip_to_close([(kind, text) for kind, text, _s, _e in toks], i, open_, close)


# label lists that keep a label only when it is named (without/ignoring drop what they name,
# group_left/right copy labels: neither gains from naming the cluster)
_KEEPING_LISTS = {"by", "on"}


def with_grouping_label(expr: str, label: str) -> str:
    """``expr`` with ``label`` kept by every aggregation and matched by every join: ``by (job)``
    becomes ``by (label, job)``, ``on (job)`` ``on (label, job)``, and an aggregation without
    a label list (``sum (x)``) ``sum by (label) (x)``. ``without`` lists keep it already."""
    toks = spans(expr)
    inserts: list[tuple[int, str]] = []
    i = 0
    while i < len(toks):
        kind, text, _start, end = toks[i]
        low = text.lower()
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if (kind, text) in (("op", "{"), ("op", "[")):
            i = _close(toks, i, text, "}" if text == "{" else "]")  # matchers, ranges: no grouping there
        elif kind == "ident" and low in _LABEL_LIST_KEYWORDS and nxt is not None and nxt[1] == "(":
            close = _close(toks, i + 1, "(", ")")
            if low in _KEEPING_LISTS:
                names = [t[1] for t in toks[i + 2 : close - 1] if t[0] == "ident"]
                if label not in names:
                    inserts.append((nxt[3], f"{label}, " if names else label))
            i = close
        elif kind == "ident" and low in _AGGREGATIONS and nxt is not None and nxt[1] == "(":
            close = _close(toks, i + 1, "(", ")")
            after = toks[close][1].lower() if close < len(toks) else ""
            if after not in ("by", "without"):  # `sum (x) by (job)`: that list is read in turn
                inserts.append((end, f" by ({label})" + ("" if expr[end].isspace() else " ")))
            i += 1
        else:
            i += 1
    out = expr
    for pos, text in reversed(inserts):
        out = out[:pos] + text + out[pos:]
    return out


def metric_names(expr: str) -> set[str]:
    return {s.name for s in selectors(expr) if s.name is not None}


_LABEL_VALUES = re.compile(
    r"^\s*label_values\(\s*(?:(?P<metric>.+?)\s*,\s*)?(?P<label>[A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$"
)
_QUERY_RESULT = re.compile(r"^\s*query_result\((?P<expr>.*)\)\s*$", re.S)


def grafana_variable_selectors(query: str) -> list[Selector]:
    """The selectors in a Grafana Prometheus variable query (label_values, query_result, or PromQL)."""
    m = _LABEL_VALUES.match(query)
    if m:
        return selectors(m.group("metric")) if m.group("metric") else []
    m = _QUERY_RESULT.match(query)
    return selectors(m.group("expr") if m else query)
