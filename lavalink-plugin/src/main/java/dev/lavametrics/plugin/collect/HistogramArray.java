package dev.lavametrics.plugin.collect;

import dev.lavametrics.plugin.catalog.Family;
import io.prometheus.client.Collector;
import io.prometheus.client.Collector.MetricFamilySamples;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * A histogram family with one child per combination of its labels, created when the
 * combination is first observed, or up front for those the catalog lists as
 * {@link Family#initial} (a family without labels has its one child from the start).
 * Observing is an index, a scan of at most a dozen bounds and two adders, lock-free.
 *
 * <p>Our own rather than simpleclient's {@code Histogram}: that one also exports a
 * {@code _created} sample per child, a series no dashboard or alert of ours reads.
 */
final class HistogramArray {
    private final Shape shape;
    private final double[] bounds;
    private final String[] boundLabels;
    private final List<String> bucketLabelNames;
    private final String bucketName;
    private final String countName;
    private final String sumName;
    private final AtomicReferenceArray<Child> children;

    private static final class Child {
        /** Observations per bucket, not cumulative; the last one is +Inf. */
        final LongAdder[] buckets;

        final DoubleAdder sum = new DoubleAdder();

        /** The child's label values, and per bucket the same with its {@code le}: built once, not per scrape. */
        final List<String> labelValues;

        final List<String>[] bucketLabelValues;

        @SuppressWarnings("unchecked")
        Child(List<String> labelValues, String[] boundLabels) {
            this.labelValues = labelValues;
            buckets = new LongAdder[boundLabels.length];
            bucketLabelValues = new List[boundLabels.length];
            for (int i = 0; i < boundLabels.length; i++) {
                buckets[i] = new LongAdder();
                List<String> withLe = new ArrayList<>(labelValues);
                withLe.add(boundLabels[i]);
                bucketLabelValues[i] = List.copyOf(withLe);
            }
        }
    }

    HistogramArray(Family family, List<Double> buckets) {
        this.shape = Shape.of(family);
        this.bounds = buckets.stream().mapToDouble(Double::doubleValue).toArray();
        this.boundLabels = new String[bounds.length + 1];
        for (int i = 0; i < bounds.length; i++) {
            boundLabels[i] = Collector.doubleToGoString(bounds[i]);
        }
        boundLabels[bounds.length] = "+Inf";
        List<String> names = new ArrayList<>(shape.labelNames);
        names.add("le");
        this.bucketLabelNames = List.copyOf(names);
        this.bucketName = shape.name + "_bucket";
        this.countName = shape.name + "_count";
        this.sumName = shape.name + "_sum";
        this.children = new AtomicReferenceArray<>(family.combinations());
        for (int index : CounterArray.initialIndexes(family)) {
            child(index);
        }
    }

    void observe(double value) {
        observe(0, value);
    }

    void observe(int index, double value) {
        Child child = child(index);
        int bucket = 0;
        while (bucket < bounds.length && value > bounds[bucket]) {
            bucket++;
        }
        child.buckets[bucket].increment();
        child.sum.add(value);
    }

    private Child child(int index) {
        Child child = children.get(index);
        if (child == null) {
            Child created = new Child(shape.labelValues(index), boundLabels);
            child = children.compareAndSet(index, null, created) ? created : children.get(index);
        }
        return child;
    }

    /** Per existing child, in index order: cumulative buckets, {@code _count}, {@code _sum}. */
    MetricFamilySamples samples() {
        List<MetricFamilySamples.Sample> samples = new ArrayList<>();
        List<String> labelNames = shape.labelNames;
        for (int i = 0; i < children.length(); i++) {
            Child child = children.get(i);
            if (child == null) {
                continue;
            }
            long cumulative = 0;
            for (int b = 0; b < child.buckets.length; b++) {
                cumulative += child.buckets[b].sum();
                samples.add(new MetricFamilySamples.Sample(
                        bucketName, bucketLabelNames, child.bucketLabelValues[b], cumulative));
            }
            samples.add(new MetricFamilySamples.Sample(countName, labelNames, child.labelValues, cumulative));
            samples.add(new MetricFamilySamples.Sample(sumName, labelNames, child.labelValues, child.sum.sum()));
        }
        return new MetricFamilySamples(shape.name, Collector.Type.HISTOGRAM, shape.family.help(), samples);
    }
}
