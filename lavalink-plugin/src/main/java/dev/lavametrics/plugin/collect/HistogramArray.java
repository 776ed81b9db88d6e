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
    private final Family family;
    private final int[] sizes;
    private final double[] bounds;
    private final String[] boundLabels;
    private final List<String> bucketLabelNames;
    private final AtomicReferenceArray<Child> children;

    private static final class Child {
        /** Observations per bucket, not cumulative; the last one is +Inf. */
        final LongAdder[] buckets;

        final DoubleAdder sum = new DoubleAdder();

        Child(int bucketCount) {
            buckets = new LongAdder[bucketCount];
            for (int i = 0; i < bucketCount; i++) {
                buckets[i] = new LongAdder();
            }
        }
    }

    HistogramArray(Family family, List<Double> buckets) {
        this.family = family;
        this.sizes = CounterArray.sizes(family.labels());
        this.bounds = buckets.stream().mapToDouble(Double::doubleValue).toArray();
        this.boundLabels = new String[bounds.length + 1];
        for (int i = 0; i < bounds.length; i++) {
            boundLabels[i] = Collector.doubleToGoString(bounds[i]);
        }
        boundLabels[bounds.length] = "+Inf";
        List<String> names = new ArrayList<>(family.labelNames());
        names.add("le");
        this.bucketLabelNames = List.copyOf(names);
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
            Child created = new Child(bounds.length + 1);
            child = children.compareAndSet(index, null, created) ? created : children.get(index);
        }
        return child;
    }

    /** Per existing child, in index order: cumulative buckets, {@code _count}, {@code _sum}. */
    MetricFamilySamples samples() {
        List<MetricFamilySamples.Sample> samples = new ArrayList<>();
        String name = family.name();
        List<String> labelNames = family.labelNames();
        for (int i = 0; i < children.length(); i++) {
            Child child = children.get(i);
            if (child == null) {
                continue;
            }
            List<String> labelValues = CounterArray.labelValues(family.labels(), sizes, i);
            long cumulative = 0;
            for (int b = 0; b < child.buckets.length; b++) {
                cumulative += child.buckets[b].sum();
                List<String> withLe = new ArrayList<>(labelValues);
                withLe.add(boundLabels[b]);
                samples.add(new MetricFamilySamples.Sample(name + "_bucket", bucketLabelNames, withLe, cumulative));
            }
            samples.add(new MetricFamilySamples.Sample(name + "_count", labelNames, labelValues, cumulative));
            samples.add(new MetricFamilySamples.Sample(name + "_sum", labelNames, labelValues, child.sum.sum()));
        }
        return new MetricFamilySamples(name, Collector.Type.HISTOGRAM, family.help(), samples);
    }
}
