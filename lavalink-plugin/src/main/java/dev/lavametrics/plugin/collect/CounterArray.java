package dev.lavametrics.plugin.collect;

import dev.lavametrics.plugin.catalog.Family;
import dev.lavametrics.plugin.catalog.Label;
import io.prometheus.client.Collector.MetricFamilySamples;
import io.prometheus.client.CounterMetricFamily;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * A counter family with one adder per label combination, all created up front: an event costs
 * one array index and one {@link LongAdder#increment()}, and every combination exports 0 from
 * the first scrape so {@code rate()} works at once.
 */
final class CounterArray {
    private final Family family;
    private final LongAdder[] adders;
    private final List<List<String>> labelValues;

    CounterArray(Family family) {
        this.family = family;
        this.labelValues = combinations(family.labels());
        this.adders = new LongAdder[labelValues.size()];
        for (int i = 0; i < adders.length; i++) {
            adders[i] = new LongAdder();
        }
    }

    /** Every combination of label values in row-major order (last label varies fastest). */
    static List<List<String>> combinations(List<Label> labels) {
        List<List<String>> result = new ArrayList<>();
        result.add(List.of());
        for (Label label : labels) {
            List<List<String>> extended = new ArrayList<>();
            for (List<String> prefix : result) {
                for (String value : label.values()) {
                    List<String> combination = new ArrayList<>(prefix);
                    combination.add(value);
                    extended.add(List.copyOf(combination));
                }
            }
            result = extended;
        }
        return result;
    }

    void inc() {
        adders[0].increment();
    }

    void add(long amount) {
        adders[0].add(amount);
    }

    void inc(int index) {
        adders[index].increment();
    }

    void inc(int first, int second) {
        adders[first * family.labels().get(1).size() + second].increment();
    }

    void inc(int first, int second, int third) {
        int secondSize = family.labels().get(1).size();
        int thirdSize = family.labels().get(2).size();
        adders[(first * secondSize + second) * thirdSize + third].increment();
    }

    long value(int index) {
        return adders[index].sum();
    }

    MetricFamilySamples samples() {
        CounterMetricFamily samples = new CounterMetricFamily(family.baseName(), family.help(), family.labelNames());
        for (int i = 0; i < adders.length; i++) {
            samples.addMetric(labelValues.get(i), adders[i].sum());
        }
        return samples;
    }
}
