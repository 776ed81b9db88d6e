package dev.lavametrics.plugin.collect;

import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.Family;
import dev.lavametrics.plugin.catalog.Group;
import io.prometheus.client.CounterMetricFamily;
import io.prometheus.client.GaugeMetricFamily;
import java.util.List;

/** The plugin's own health; always registered, whatever groups are switched off. */
public final class SelfCollector extends GroupCollector {
    private final String version;

    public SelfCollector(CollectorHealth health, String version) {
        super(Group.SELF, health);
        this.version = version;
    }

    @Override
    protected List<MetricFamilySamples> collectGroup() {
        GaugeMetricFamily info = gauge(Catalog.INFO);
        info.addMetric(List.of(version), 1);
        GaugeMetricFamily durations = gauge(Catalog.COLLECTOR_DURATION);
        GaugeMetricFamily successes = gauge(Catalog.COLLECTOR_SUCCESS);
        Shape errorsShape = Shape.of(Catalog.COLLECTOR_ERRORS);
        CounterMetricFamily errors =
                new CounterMetricFamily(errorsShape.baseName, Catalog.COLLECTOR_ERRORS.help(), errorsShape.labelNames);
        for (int i = 0; i < Catalog.COLLECTOR.size(); i++) {
            // the three families have the one label "collector": combination i is its value i
            List<String> collector = errorsShape.labelValues(i);
            // Only collectors that run report a duration and success; errors are counted for
            // every part, hooks and endpoint included.
            if (health.isActive(i)) {
                durations.addMetric(collector, health.duration(i));
                successes.addMetric(collector, health.success(i));
            }
            errors.addMetric(collector, health.errors(i));
        }
        return List.of(
                info,
                Gauges.of(Catalog.CONFIG_VALID, health.configValid() ? 1 : 0),
                durations,
                successes,
                errors,
                Gauges.of(Catalog.REGISTRATION_CONFLICTS, health.registrationConflicts()));
    }

    private static GaugeMetricFamily gauge(Family family) {
        Shape shape = Shape.of(family);
        return new GaugeMetricFamily(shape.name, family.help(), shape.labelNames);
    }
}
