package dev.lavametrics.plugin.collect;

import dev.lavametrics.plugin.catalog.Family;
import dev.lavametrics.plugin.catalog.Label;
import io.prometheus.client.Collector.MetricFamilySamples;
import io.prometheus.client.CounterMetricFamily;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * A counter family with one adder per label combination, created when the combination first
 * happens, or up front for the combinations the catalog lists as {@link Family#initial} (and
 * those a collector asks for with {@link #precreate}): a family of 15 sources x 6 reasons would
 * otherwise export 90 series of which a node moves a handful. An event costs one array index,
 * one volatile read and one {@link LongAdder#increment()}; only the first event of a
 * combination allocates its adder.
 */
final class CounterArray {
    private final Shape shape;
    private final int[] sizes;
    private final AtomicReferenceArray<LongAdder> adders;

    CounterArray(Family family) {
        this.shape = Shape.of(family);
        this.sizes = shape.sizes();
        this.adders = new AtomicReferenceArray<>(family.combinations());
        for (int index : initialIndexes(family)) {
            precreate(index);
        }
    }

    /** Indexes of the combinations the catalog says exist from the start. */
    static int[] initialIndexes(Family family) {
        if (family.initial() == null) {
            int[] all = new int[family.combinations()];
            for (int i = 0; i < all.length; i++) {
                all[i] = i;
            }
            return all;
        }
        return family.initial().stream().mapToInt(family::indexOf).toArray();
    }

    static int[] sizes(List<Label> labels) {
        int[] sizes = new int[labels.size()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = labels.get(i).size();
        }
        return sizes;
    }

    /** Label values of combination {@code index}, row-major (the last label varies fastest). */
    static List<String> labelValues(List<Label> labels, int[] sizes, int index) {
        String[] values = new String[sizes.length];
        for (int i = sizes.length - 1; i >= 0; i--) {
            values[i] = labels.get(i).valueAt(index % sizes[i]);
            index /= sizes[i];
        }
        return List.of(values);
    }

    /**
     * Exports the combination as 0 before its first event, for the few series an alert's
     * {@code rate()} must see move from 0 (a series born at 1 hides its first increment).
     */
    void precreate(int index) {
        adder(index);
    }

    void precreate(int first, int second) {
        adder(first * sizes[1] + second);
    }

    void inc() {
        adder(0).increment();
    }

    void add(long amount) {
        adder(0).add(amount);
    }

    void inc(int index) {
        adder(index).increment();
    }

    void inc(int first, int second) {
        adder(first * sizes[1] + second).increment();
    }

    void inc(int first, int second, int third) {
        adder((first * sizes[1] + second) * sizes[2] + third).increment();
    }

    /** The count of combination {@code index}; 0 when it never happened. */
    long value(int index) {
        LongAdder adder = adders.get(index);
        return adder == null ? 0 : adder.sum();
    }

    private LongAdder adder(int index) {
        LongAdder adder = adders.get(index);
        if (adder == null) {
            LongAdder created = new LongAdder();
            adder = adders.compareAndSet(index, null, created) ? created : adders.get(index);
        }
        return adder;
    }

    /** The combinations that exist, in index order, so the exposition's order is stable. */
    MetricFamilySamples samples() {
        CounterMetricFamily samples = new CounterMetricFamily(shape.baseName, shape.family.help(), shape.labelNames);
        for (int i = 0; i < adders.length(); i++) {
            LongAdder adder = adders.get(i);
            if (adder != null) {
                samples.addMetric(shape.labelValues(i), adder.sum());
            }
        }
        return samples;
    }
}
