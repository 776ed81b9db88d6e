package dev.lavametrics.plugin.support;

import dev.lavametrics.plugin.collect.CollectorHealth;
import dev.lavametrics.plugin.collect.LiveSessions;
import dev.lavametrics.plugin.collect.MetricCollectors;
import dev.lavametrics.plugin.config.ConfigValidator;
import dev.lavametrics.plugin.config.LavametricsConfig;
import io.prometheus.client.Collector.MetricFamilySamples;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.common.TextFormat;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** A complete set of collectors over fakes, registered in a fresh registry. */
public final class TestMetrics {
    public final FakeSocketServer server = new FakeSocketServer();
    public final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    public final CollectorRegistry registry = new CollectorRegistry(true);
    public final MetricCollectors collectors;
    /** The node's route planner as the plugin looks it up at the first scrape (null: none). */
    public volatile Object routePlanner;

    public TestMetrics(Map<String, ?> rawConfig) {
        this(ConfigValidator.validate(rawConfig).config());
    }

    public TestMetrics(LavametricsConfig config) {
        collectors = new MetricCollectors(
                config,
                new CollectorHealth(),
                new LiveSessions(() -> server),
                nanos::get,
                "0.0.0-test",
                () -> routePlanner);
        collectors.register(registry);
    }

    /** Every group on, rest included. */
    public static TestMetrics allGroups() {
        return new TestMetrics(Map.of("groups", Map.of("rest", true)));
    }

    /** The text exposition, families sorted by name (registry order is not stable between runs). */
    public String exposition() {
        List<MetricFamilySamples> families = Collections.list(registry.metricFamilySamples());
        families.sort(Comparator.comparing(family -> family.name));
        StringWriter out = new StringWriter();
        try {
            TextFormat.write004(out, Collections.enumeration(families));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    public double value(String name, String... labelPairs) {
        Double value = sample(name, labelPairs);
        if (value == null) {
            throw new AssertionError("no sample " + name + " " + String.join(",", labelPairs));
        }
        return value;
    }

    /** Whether the series is exported at all (label combinations appear when they first happen). */
    public boolean exists(String name, String... labelPairs) {
        return sample(name, labelPairs) != null;
    }

    private Double sample(String name, String... labelPairs) {
        String[] names = new String[labelPairs.length / 2];
        String[] values = new String[labelPairs.length / 2];
        for (int i = 0; i < names.length; i++) {
            names[i] = labelPairs[2 * i];
            values[i] = labelPairs[2 * i + 1];
        }
        return registry.getSampleValue(name, names, values);
    }
}
