package dev.lavametrics.plugin.catalog;

import java.util.List;

/**
 * One metric family as exposed.
 *
 * @param name       the exposed name: counters end in {@code _total}, histograms are named by base
 * @param buckets    default upper bounds of a histogram, else null
 * @param bucketsKey the {@code buckets.*} config key that overrides {@code buckets}, else null
 * @param initial    the label combinations exported from the start (as label values, in label
 *                   order), or null for every combination; the others appear when they first happen
 * @param growth     what adds a series after the start, for the docs; empty when nothing does;
 *                   a histogram's {@code %d} is its series per label combination
 */
public record Family(
        String name,
        MetricType type,
        String help,
        Group group,
        List<Label> labels,
        List<Double> buckets,
        String bucketsKey,
        String example,
        List<List<String>> initial,
        String growth) {

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

    /** Row-major index of a combination of allowed label values (the last label varies fastest). */
    public int indexOf(List<String> values) {
        int index = 0;
        for (int i = 0; i < labels.size(); i++) {
            Label label = labels.get(i);
            index = index * label.size() + label.indexOf(values.get(i));
        }
        return index;
    }

    /** Series per label combination: 1, or for a histogram its buckets, +Inf, _count and _sum. */
    public int seriesPerChild(int bucketCount) {
        return switch (type) {
            case GAUGE, COUNTER -> 1;
            case HISTOGRAM -> bucketCount + 1 + 2;
        };
    }

    /** The most series this family can expose with {@code bucketCount} histogram buckets. */
    public int maxSeries(int bucketCount) {
        return combinations() * seriesPerChild(bucketCount);
    }

    /** Series exported before any event, with {@code bucketCount} histogram buckets. */
    public int initialSeries(int bucketCount) {
        return (initial == null ? combinations() : initial.size()) * seriesPerChild(bucketCount);
    }

    /** {@link #growth} with a histogram's series per label combination filled in. */
    public String growthText() {
        return growth.contains("%d") ? String.format(growth, seriesPerChild(buckets.size())) : growth;
    }

    /** Series exported before any event with the default buckets. */
    public int initialSeries() {
        return initialSeries(buckets == null ? 0 : buckets.size());
    }

    /** The most series with the default buckets. */
    public int maxSeries() {
        return maxSeries(buckets == null ? 0 : buckets.size());
    }
}
