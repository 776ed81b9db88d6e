package dev.lavametrics.plugin.collect;

import dev.lavametrics.plugin.catalog.Catalog;
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
        GaugeMetricFamily info = new GaugeMetricFamily(Catalog.INFO.name(), Catalog.INFO.help(),
                Catalog.INFO.labelNames());
        info.addMetric(List.of(version), 1);
        int collectors = Catalog.COLLECTOR.size();
        double[] durations = new double[collectors];
        double[] successes = new double[collectors];
        CounterMetricFamily errors = new CounterMetricFamily(Catalog.COLLECTOR_ERRORS.baseName(),
                Catalog.COLLECTOR_ERRORS.help(), Catalog.COLLECTOR_ERRORS.labelNames());
        for (int i = 0; i < collectors; i++) {
            durations[i] = health.duration(i);
            successes[i] = health.success(i);
            errors.addMetric(List.of(Catalog.COLLECTOR.valueAt(i)), health.errors(i));
        }
        return List.of(info,
                Gauges.of(Catalog.CONFIG_VALID, health.configValid() ? 1 : 0),
                Gauges.of(Catalog.COLLECTOR_DURATION, durations),
                Gauges.of(Catalog.COLLECTOR_SUCCESS, successes),
                errors,
                Gauges.of(Catalog.REGISTRATION_CONFLICTS, health.registrationConflicts()));
    }
}
