package dev.lavametrics.plugin.collect;

import dev.lavametrics.plugin.catalog.Family;
import io.prometheus.client.Collector.MetricFamilySamples;
import io.prometheus.client.GaugeMetricFamily;

/** Builds gauge families computed at scrape time, one value per allowed label value (0 included). */
final class Gauges {
    private Gauges() {}

    static MetricFamilySamples of(Family family, double... valuesByLabelIndex) {
        Shape shape = Shape.of(family);
        GaugeMetricFamily gauge = new GaugeMetricFamily(shape.name, family.help(), shape.labelNames);
        int count = family.labels().isEmpty() ? 1 : family.labels().get(0).size();
        for (int i = 0; i < count; i++) {
            gauge.addMetric(shape.labelValues(i), valuesByLabelIndex[i]);
        }
        return gauge;
    }
}
