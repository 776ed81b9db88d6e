"""Families fit for the OpenMetrics encoder.

The 0.0.4 text format has no place for a counter's, histogram's or summary's creation time,
so simpleclient and prometheus_client write it as a gauge family of its own, ``X_created``,
after ``X``; that is what nodes send and what the merge passes on. In OpenMetrics
``X_created`` is a sample of ``X`` itself, and a family of that name beside ``X`` is a name
clash: prometheus_client's parser rejects the whole exposition ("Clashing name"), and a
stricter scraper may too.

``fold_created`` moves each such gauge's samples into ``X``, each beside the samples of its
label set (OpenMetrics wants a label set's samples together), and drops the gauge. The 0.0.4
output keeps the families as the nodes sent them: there the gauge is what Prometheus reads.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

CREATED = "_created"
_HAS_CREATED = ("counter", "histogram", "summary")
_LOOSE = ("gauge", "untyped", "unknown")  # what a 0.0.4 X_created family is typed as
# the label that tells a group's samples apart, per type, on the sample name it sits on
_WITHIN_GROUP = {"histogram": ("_bucket", "le"), "summary": ("", "quantile")}


def _group(fam: Metric, sample: Sample) -> tuple:
    labels = sample.labels
    within = _WITHIN_GROUP.get(fam.type)
    if within is not None and sample.name == fam.name + within[0] and within[1] in labels:
        labels = {k: v for k, v in labels.items() if k != within[1]}
    return tuple(sorted(labels.items()))


def _with_created(fam: Metric, created: Metric) -> Metric:
    """A new family (``fam`` may be shared): ``fam``'s samples grouped by label set in the
    order they first appear, each group followed by its creation time."""
    groups: dict[tuple, list[Sample]] = {}
    for sample in fam.samples:
        groups.setdefault(_group(fam, sample), []).append(sample)
    for sample in created.samples:
        groups.setdefault(tuple(sorted(sample.labels.items())), []).append(
            Sample(fam.name + CREATED, sample.labels, sample.value, sample.timestamp, sample.exemplar)
        )
    out = Metric(fam.name, fam.documentation, fam.type, fam.unit)
    out.samples = [s for group in groups.values() for s in group]
    return out


def fold_created(families: Iterable[Metric]) -> list[Metric]:
    families = list(families)
    by_name = {fam.name: fam for fam in families}
    folded: dict[str, Metric] = {}  # owner name -> its X_created family
    for fam in families:
        owner = by_name.get(fam.name[: -len(CREATED)]) if fam.name.endswith(CREATED) else None
        if (
            owner is not None
            and fam.type in _LOOSE
            and owner.type in _HAS_CREATED
            and not any(s.name == fam.name for s in owner.samples)  # already has its own
        ):
            folded[owner.name] = fam
    if not folded:
        return families
    dropped = {id(created) for created in folded.values()}
    return [
        _with_created(fam, folded[fam.name]) if fam.name in folded else fam
        for fam in families
        if id(fam) not in dropped
    ]


class FoldedCreated:
    """A collector view of ``registry`` whose families went through ``fold_created``: what
    the OpenMetrics encoder is given."""

    def __init__(self, registry: Collector):
        self._registry = registry

    def collect(self) -> list[Metric]:
        return fold_created(self._registry.collect())
