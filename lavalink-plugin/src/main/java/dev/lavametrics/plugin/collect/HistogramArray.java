package dev.lavametrics.plugin.collect;

import dev.lavametrics.plugin.catalog.Family;
import io.prometheus.client.Collector.MetricFamilySamples;
import io.prometheus.client.Histogram;

import java.util.List;

/**
 * A histogram family with every child created up front (one per combination of its single
 * optional label), so observing is an index plus simpleclient's lock-free adders.
 * The simpleclient histogram is never registered itself; the owning collector exports it.
 */
final class HistogramArray {
    private final Histogram histogram;
    private final Histogram.Child[] children;

    HistogramArray(Family family, List<Double> buckets) {
        double[] bounds = buckets.stream().mapToDouble(Double::doubleValue).toArray();
        Histogram.Builder builder = Histogram.build().name(family.name()).help(family.help()).buckets(bounds);
        if (!family.labels().isEmpty()) {
            builder.labelNames(family.labelNames().toArray(new String[0]));
        }
        histogram = builder.create();
        List<List<String>> combinations = CounterArray.combinations(family.labels());
        children = new Histogram.Child[combinations.size()];
        for (int i = 0; i < children.length; i++) {
            children[i] = histogram.labels(combinations.get(i).toArray(new String[0]));
        }
    }

    void observe(double value) {
        children[0].observe(value);
    }

    void observe(int index, double value) {
        children[index].observe(value);
    }

    MetricFamilySamples samples() {
        return histogram.collect().get(0);
    }
}
