package dev.lavametrics.plugin.collect;

import dev.lavametrics.plugin.catalog.Family;
import io.prometheus.client.Collector.MetricFamilySamples;
import io.prometheus.client.GaugeMetricFamily;
import java.util.List;

/** Builds gauge families computed at scrape time, one value per allowed label value (0 included). */
final class Gauges {
    private Gauges() {}

    static MetricFamilySamples of(Family family, double... valuesByLabelIndex) {
        GaugeMetricFamily gauge = new GaugeMetricFamily(family.name(), family.help(), family.labelNames());
        if (family.labels().isEmpty()) {
            gauge.addMetric(List.of(), valuesByLabelIndex[0]);
            return gauge;
        }
        List<String> values = family.labels().get(0).values();
        for (int i = 0; i < values.size(); i++) {
            gauge.addMetric(List.of(values.get(i)), valuesByLabelIndex[i]);
        }
        return gauge;
    }
}
