package dev.lavametrics.plugin.collect;

import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.Family;
import dev.lavametrics.plugin.catalog.Group;
import dev.lavametrics.plugin.util.Survival;
import io.prometheus.client.Collector;
import java.util.ArrayList;
import java.util.List;

/**
 * Base of the per-group collectors. A scrape times itself and records success; a failure is
 * counted and turns into an empty result, so one broken collector never spoils the scrape of the
 * node or of the other collectors. That includes {@link LinkageError}: against another plugin-api
 * 4.x a method we call may be missing, and that must not abort Lavalink's whole /metrics. The JVM's
 * own failures (out of memory and the like) pass through: the rule is {@link Survival}'s.
 */
public abstract class GroupCollector extends Collector implements Collector.Describable {
    protected final CollectorHealth health;
    private final Group group;

    protected GroupCollector(Group group, CollectorHealth health) {
        this.group = group;
        this.health = health;
    }

    public Group group() {
        return group;
    }

    public CollectorHealth health() {
        return health;
    }

    @Override
    public final List<MetricFamilySamples> collect() {
        long start = System.nanoTime();
        try {
            List<MetricFamilySamples> samples = collectGroup();
            health.scraped(group.key(), seconds(start), true);
            return samples;
        } catch (Throwable e) {
            Survival.survive(e);
            health.scraped(group.key(), seconds(start), false);
            health.recordError(group.key(), e);
            return List.of();
        }
    }

    protected abstract List<MetricFamilySamples> collectGroup();

    /**
     * Names the families without computing them, so registering (and its duplicate-name check)
     * never runs a scrape.
     */
    @Override
    public List<MetricFamilySamples> describe() {
        List<MetricFamilySamples> names = new ArrayList<>();
        for (Family family : Catalog.familiesOf(group)) {
            names.add(new MetricFamilySamples(
                    family.baseName(), Type.valueOf(family.type().name()), family.help(), List.of()));
        }
        return names;
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
