"""Relabel a node's 0.0.4 text exposition line by line, without building sample objects.

The merge's output for a node is its exposition with ``node="<name>"`` added to every
sample. Parsing each line into a ``Sample``, copying its labels and rendering it again cost
~1.5 µs per sample in Python; a merged scrape of 10 nodes x 5,000 series spent ~150 ms doing
that.

Here a sample line is cut at its last space into the part before the value (the *head*:
name and labels) and the value. A head's rendered form for the node (labels sorted, node
added, an upstream ``node`` moved to ``exported_node``: what ``render`` writes for
the relabelled sample) is computed once and cached. A node's layout -- its heads in order,
its comment lines, where each family starts -- is kept from the previous scrape: when the
new body has the same heads and comments, which is the rule since only values move between
scrapes, the work left is checking the values and joining strings.

Values are copied as the node spelt them, once checked to be numbers: ``1.2345678E7`` stays
so where the object path writes ``1.2345678e+07``. Both are the same float to Prometheus;
re-spelling every value (``repr(float(v))``) would cost more than all the rest together.
So the two paths' outputs are the same line for line, but for the spelling of values.

Anything outside a strict subset of the format (whitespace around a sample line,
timestamps, a counter's samples without ``_total``, anything ``parse``'s fast
path leaves to prometheus_client) makes ``NodeRelabeller.families`` return None, and the
caller takes the object path (``parse.parse`` + ``relabel``);
tests/unit/test_exposition_relabel.py holds the two paths to the same output.

``samples`` of the families made here are parsed on first access, from the family's own
lines, by the object path: encoders other than ``render`` (OpenMetrics) and code
that inspects samples see exactly what the object path gives.
"""

from __future__ import annotations

import operator
import re

from prometheus_client.metrics_core import Metric
from prometheus_client.samples import Sample

from lavametrics.exposition import parse
from lavametrics.exposition.render import PrerenderedFamily, label_text, sample_name

# A body's value tokens, one per line. Most are decimal numbers: the grammar float() and
# Prometheus (Go's ParseFloat) share, possessive so that nothing backtracks. The rest (NaN,
# +Inf) are checked against the fast parser's spellings.
_DECIMALS = re.compile(r"(?:[+-]?+(?:[0-9]++(?:\.[0-9]*+)?+|\.[0-9]++)(?:[eE][+-]?+[0-9]++)?+\n)*+")
_VALID_VALUES = re.compile(rf"(?:(?:{parse._INT.pattern}|{parse._FLOAT.pattern})\n)*")

_HEAD = operator.itemgetter(0)

# Bounded by clearing, so label sets that keep changing cannot grow it.
_CACHE_MAX = 200_000


def relabel(fam: Metric, node: str) -> Metric:
    """A copy of ``fam`` whose samples carry node=<node>; upstream node -> exported_node."""
    out = Metric(fam.name, fam.documentation, fam.type, fam.unit)
    samples = fam.samples
    if not any("node" in s[1] for s in samples):
        # hot path of the object path: build the Sample tuples directly, skipping
        # NamedTuple.__new__'s argument handling
        make = tuple.__new__
        out.samples = [make(Sample, (s[0], {**s[1], "node": node}, *s[2:])) for s in samples]
        return out
    out.samples = [s._replace(labels=node_labels(s.labels, node)) for s in samples]
    return out


def node_labels(labels: dict, node: str) -> dict:
    """``labels`` plus node=<node>; an upstream node moves to exported_node, as Prometheus does."""
    labels = dict(labels)
    if "node" in labels:
        moved = labels.pop("node")
        key = "exported_node"
        while key in labels:  # Prometheus' rule: keep prefixing until the name is free
            key = "exported_" + key
        labels[key] = moved
    labels["node"] = node
    return labels


def _values_valid(tokens: list[str]) -> bool:
    """Whether every token is a number Prometheus reads as the node meant it (no space, no
    timestamp); one regular expression over all of them, no call per value."""
    if not tokens:
        return True
    batch = "\n".join(tokens) + "\n"
    return _DECIMALS.fullmatch(batch) is not None or _VALID_VALUES.fullmatch(batch) is not None


def _getter(indexes: list[int]):
    """A function returning the items at ``indexes`` of a list, as a tuple."""
    if not indexes:
        return lambda items: ()
    if len(indexes) == 1:
        index = indexes[0]
        return lambda items: (items[index],)
    return operator.itemgetter(*indexes)


class _FamilySpec:
    """Where a family sits in the body: its lines and its samples' places among all samples."""

    __slots__ = (
        "name",
        "documentation",
        "type",
        "first_line",
        "end_line",
        "first_sample",
        "end_sample",
        "sample_names",
    )

    def __init__(self, name: str, first_line: int, first_sample: int):
        self.name = name
        self.documentation = ""
        self.type = "untyped"
        self.first_line = first_line
        self.end_line = first_line
        self.first_sample = first_sample
        self.end_sample = first_sample
        self.sample_names: set[str] = set()


class _Layout:
    """Everything about a body but its values, for one node.

    A new body fits when it has as many lines, its comment and blank lines are the same,
    and each sample line is the same head and space followed by a value alone. The values
    are what is left of the sample lines once their expected heads are removed: where a
    head differs, str.removeprefix leaves the whole line, space included, and _values_valid
    refuses it (no value has a space), so no line needs a comparison of its own.
    """

    def __init__(
        self,
        lines: list[str],
        heads: list[str],
        fixed: list[int],
        sample_lines: list[int],
        prefixes: list[str],
        specs: list[_FamilySpec],
    ):
        self.line_count = len(lines)
        self.fixed_of = _getter(fixed)
        self.fixed_lines = self.fixed_of(lines)
        self.samples_of = _getter(sample_lines)
        self.sample_heads = [heads[i] + " " for i in sample_lines]
        self.prefixes = prefixes
        self.specs = specs

    def values(self, lines: list[str]):
        """The value tokens of ``lines`` (still to be checked with _values_valid) when the
        rest fits this layout, else None. Every step is a C loop (map, itemgetter, tuple
        comparison): no Python code runs per line."""
        if len(lines) != self.line_count or self.fixed_of(lines) != self.fixed_lines:
            return None
        return list(map(str.removeprefix, self.samples_of(lines), self.sample_heads))


class NodeRelabeller:
    """Turns one node's text expositions into its relabelled families, scrape after scrape.

    Not thread-safe: one instance per node, used by one scrape at a time.
    """

    def __init__(self, node: str):
        self.node = node
        self._heads: dict[str, tuple[str, str]] = {}  # head -> (rendered head + " ", sample name)
        self._layout: _Layout | None = None

    def families(self, text: str) -> list[Metric] | None:
        """The body's families relabelled for the node, or None when the body is outside
        the subset this path covers (the object path then decides, errors included)."""
        try:
            return self._families(text)
        except Exception:  # _Unsupported, or an invalid name Metric() refuses: not ours to judge
            self._layout = None
            return None

    def _families(self, text: str) -> list[Metric]:
        lines = text.split("\n")
        layout = self._layout
        values = None if layout is None else layout.values(lines)
        if layout is None or values is None or not _values_valid(values):
            # a new layout (or a head that moved): the one built from these lines gives each
            # sample line's head exactly, so what is left must be a valid value, or it is
            # not a body for this path (a timestamp, say)
            parts = [line.rpartition(" ") for line in lines]
            layout = self._layout = self._build(lines, list(map(_HEAD, parts)))
            values = layout.values(lines)
            assert values is not None  # the layout of these very lines
            if not _values_valid(values):
                raise parse._Unsupported
        prefixes = layout.prefixes
        out: list[Metric] = []
        add = operator.add
        for spec in layout.specs:
            a, b = spec.first_sample, spec.end_sample
            chunk = "\n".join(map(add, prefixes[a:b], values[a:b])) + "\n" if b > a else ""
            out.append(TextFamily(spec, self.node, chunk, lines))
        return out

    def _head(self, head: str) -> tuple[str, str]:
        """(rendered head + " ", sample name) of a sample line's head; raises _Unsupported."""
        entry = self._heads.get(head)
        if entry is not None:
            return entry
        brace = head.find("{")
        if brace < 0:
            if " " in head:  # a timestamp after the value, or stray spaces
                raise parse._Unsupported
            name, labels = head, {}
        else:
            if head[-1] != "}":  # the value is followed by a timestamp
                raise parse._Unsupported
            name, labels = head[:brace], parse._labels(head[brace + 1 : -1])
        if parse._NAME.fullmatch(name) is None:
            raise parse._Unsupported
        entry = (sample_name(name) + label_text(node_labels(labels, self.node)) + " ", name)
        if len(self._heads) >= _CACHE_MAX:
            self._heads.clear()
        self._heads[head] = entry
        return entry

    def _build(self, lines: list[str], heads: list[str]) -> _Layout:
        """The layout of a body: parse._parse_text_fast's state machine, step for
        step, recording where families and samples are instead of building them."""
        specs: list[_FamilySpec] = []
        fixed: list[int] = []
        sample_lines: list[int] = []
        prefixes: list[str] = []
        spec: _FamilySpec | None = None  # the open family, if its name is set
        name = ""
        allowed: tuple[str, ...] | list[str] = ()

        def close(end_line: int) -> None:
            assert spec is not None  # close() is only called while a family is open
            spec.end_line = end_line
            spec.end_sample = len(prefixes)
            specs.append(spec)

        for i, line in enumerate(lines):
            stripped = line.strip()
            if not stripped:
                fixed.append(i)
                continue
            if stripped[0] == "#":
                fixed.append(i)
                m = parse._COMMENT.fullmatch(stripped)
                if m is None:
                    if "HELP" in stripped or "TYPE" in stripped:
                        raise parse._Unsupported
                    continue
                kind, candidate, rest = m.groups()
                if kind == "HELP":
                    if candidate != name:
                        if name:
                            close(i)
                        name, allowed = candidate, (candidate,)
                        spec = _FamilySpec(candidate, i, len(prefixes))
                    assert spec is not None  # a HELP of the open family's name, or a new one
                    spec.documentation = parse._unescape(rest, parse._HELP_ESCAPE) if rest else ""
                else:
                    suffixes = parse._TYPES.get(rest)
                    if suffixes is None:
                        raise parse._Unsupported
                    if candidate != name:
                        if name:
                            close(i)
                        name = candidate
                        spec = _FamilySpec(candidate, i, len(prefixes))
                    assert spec is not None
                    spec.type = rest
                    allowed = [name + s for s in suffixes]
                continue
            if len(stripped) != len(line):
                raise parse._Unsupported
            prefix, sname = self._head(heads[i])
            if sname not in allowed:
                # an undeclared name is an untyped family of its own, one per line
                if name:
                    close(i)
                name, allowed = "", ()
                spec = _FamilySpec(sname, i, len(prefixes))
                spec.sample_names.add(sname)
                sample_lines.append(i)
                prefixes.append(prefix)
                close(i + 1)
                continue
            assert spec is not None  # sname is in allowed, so its family is open
            spec.sample_names.add(sname)
            sample_lines.append(i)
            prefixes.append(prefix)
        if name:
            close(len(lines))
        for spec in specs:
            if spec.type == "counter":
                if spec.name.endswith("_total"):
                    spec.name = spec.name[:-6]
                elif spec.end_sample > spec.first_sample:
                    raise parse._Unsupported  # prometheus_client renames these samples to _total
        return _Layout(lines, heads, fixed, sample_lines, prefixes, specs)


class TextFamily(PrerenderedFamily):
    """One family of a node's exposition, its sample lines rendered with node=<node>.

    ``chunk`` holds the lines; ``samples`` are parsed from the family's own lines (and
    relabelled) on first access. Read-only: assigning ``samples`` drops the text.
    """

    _samples: list[Sample] | None

    def __init__(self, spec: _FamilySpec, node: str, chunk: str, lines: list[str]):
        super().__init__(spec.name, spec.documentation, spec.type)
        self.__dict__["_samples"] = None
        self.node = node
        self.chunk: str | None = chunk
        self.sample_names = spec.sample_names
        self._lines = lines
        self._span = (spec.first_line, spec.end_line)

    @property
    def samples(self):
        if self._samples is None:
            a, b = self._span
            (fam,) = parse.parse("\n".join(self._lines[a:b]))
            self._samples = relabel(fam, self.node).samples
        return self._samples

    @samples.setter
    def samples(self, value):
        self._samples = value
        self.chunk = None

    def text_parts(self) -> list | None:
        return None if self.chunk is None else [self.chunk]


class JoinedFamily(PrerenderedFamily):
    """One merged family: the parts of several sources under one name, in order.

    ``parts`` are Metrics (the bot's, object-path nodes') and TextFamilies; ``samples``
    joins theirs on first access.
    """

    _samples: list[Sample] | None

    def __init__(self, first: Metric, parts: list[Metric]):
        super().__init__(first.name, first.documentation, first.type, first.unit)
        self.__dict__["_samples"] = None
        self.parts: list[Metric] | None = parts

    @property
    def samples(self):
        if self._samples is None:
            assert self.parts is not None  # parts are dropped only by assigning samples
            self._samples = [s for part in self.parts for s in part.samples]
        return self._samples

    @samples.setter
    def samples(self, value):
        self._samples = value
        self.parts = None

    def text_parts(self) -> list | None:
        if self.parts is None:
            return None
        out: list[str | Metric] = []
        for part in self.parts:
            if isinstance(part, TextFamily):
                if part.chunk is None:
                    return None
                out.append(part.chunk)
            else:
                out.append(part)
        return out
