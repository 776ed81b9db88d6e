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


def tokens(expr: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m or m.lastgroup is None:
            raise PromQLSyntaxError(f"unexpected {expr[pos : pos + 20]!r} at offset {pos} in {expr!r}")
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group()))
    return out


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


def selectors(expr: str) -> list[Selector]:
    """Every vector selector in ``expr``, in order of appearance."""
    toks = tokens(expr)
    found: list[Selector] = []
    i = 0
    while i < len(toks):
        kind, text = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if kind == "ident" and text.lower() in _LABEL_LIST_KEYWORDS:
            i = _skip_to_close(toks, i + 1, "(", ")") if nxt == ("op", "(") else i + 1
        elif kind == "ident" and (text.lower() in _KEYWORDS or text.lower() in _NUMBERS):
            i += 1
        elif kind == "ident" and (nxt == ("op", "(") or text in _AGGREGATIONS):
            i += 1  # a function or aggregation: its arguments are read in turn
        elif kind == "ident":
            if nxt == ("op", "{"):
                matchers, i = _matchers(toks, i + 1)
            else:
                matchers, i = (), i + 1
            found.append(Selector(text, matchers))
        elif (kind, text) == ("op", "{"):
            matchers, i = _matchers(toks, i)
            name = next((v for n, op, v in matchers if n == "__name__" and op == "="), None)
            found.append(Selector(name, matchers))
        elif (kind, text) == ("op", "["):
            i = _skip_to_close(toks, i, "[", "]")  # a range or subquery: durations and variables
        else:
            i += 1
    return found


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
