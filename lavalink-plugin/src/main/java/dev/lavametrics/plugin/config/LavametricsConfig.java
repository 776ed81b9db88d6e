package dev.lavametrics.plugin.config;

import dev.lavametrics.plugin.catalog.Family;
import dev.lavametrics.plugin.catalog.Group;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The effective configuration after validation: every faulty part already replaced by its safe
 * fallback, so consumers never see an invalid value.
 *
 * @param bucketsByKey histogram bounds by {@code buckets.*} key (e.g. loadDurationSeconds)
 */
public record LavametricsConfig(
        Set<Group> enabledGroups, Map<String, List<Double>> bucketsByKey, EndpointSettings endpoint) {

    public boolean enabled(Group group) {
        return enabledGroups.contains(group);
    }

    public List<Double> buckets(Family histogram) {
        return bucketsByKey.getOrDefault(histogram.bucketsKey(), histogram.buckets());
    }
}
