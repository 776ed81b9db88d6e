package dev.lavametrics.plugin.catalog;

import java.util.List;

/**
 * One metric family as exposed.
 *
 * @param name       the exposed name: counters end in {@code _total}, histograms are named by base
 * @param buckets    default upper bounds of a histogram, else null
 * @param bucketsKey the {@code buckets.*} config key that overrides {@code buckets}, else null
 */
public record Family(String name, MetricType type, String help, Group group, List<Label> labels,
                     List<Double> buckets, String bucketsKey, String example) {

    /** The name without the counter suffix, as simpleclient wants it. */
    public String baseName() {
        return type == MetricType.COUNTER ? name.substring(0, name.length() - "_total".length()) : name;
    }

    public List<String> labelNames() {
        return labels.stream().map(Label::name).toList();
    }

    /** Number of label combinations (children). */
    public int combinations() {
        int count = 1;
        for (Label label : labels) {
            count *= label.size();
        }
        return count;
    }

    /**
     * The most series this family can expose with {@code bucketCount} histogram buckets: a histogram
     * child has its buckets, +Inf, _count, _sum and simpleclient's _created.
     */
    public int maxSeries(int bucketCount) {
        int perChild = switch (type) {
            case GAUGE, COUNTER -> 1;
            case HISTOGRAM -> bucketCount + 1 + 3;
        };
        return combinations() * perChild;
    }
}
