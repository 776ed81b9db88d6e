package dev.lavametrics.plugin.collect;

import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.Group;
import dev.lavametrics.plugin.catalog.Label;
import io.prometheus.client.GaugeMetricFamily;
import java.lang.reflect.Method;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The node's route planner (lavaplayer's youtube-rotator {@code AbstractRoutePlanner}, the bean
 * Lavalink builds from {@code lavalink.server.ratelimit.ipBlocks}), read at scrape time through the
 * calls {@code /v4/routeplanner/status} makes: {@code getIpBlock().getSize()} and
 * {@code getFailingAddresses()}. Without a planner the group exports nothing.
 *
 * <p>Read by reflection: the rotator is not on Maven Central, so the plugin cannot compile against
 * it, and a node without it must still load the plugin. Never blocking: the failing addresses are a
 * plain {@code HashMap} the node's HTTP threads write without a lock; only its {@code size()} is
 * read (one field, no iteration that could meet a concurrent change), never an address, so no IP
 * address can reach a label either.
 *
 * <p>Bans: the planner has no hook for "address marked failing" that a plugin can reach (its
 * {@code onAddressFailure} is a protected method of a class Lavalink instantiates), so a ban is
 * counted as a rise of the failing count between two scrapes. Two bans and a freed address between
 * scrapes count one; a ban freed before the next scrape is not seen.
 */
public final class RoutePlannerCollector extends GroupCollector {
    /** lavaplayer's youtube-rotator package, where the planner classes Lavalink knows live. */
    public static final String PLANNER_PACKAGE = "com.sedmelluq.lava.extensions.youtuberotator.planner";

    public static final String ABSTRACT_PLANNER = PLANNER_PACKAGE + ".AbstractRoutePlanner";

    private final Supplier<Object> lookup;
    private volatile Reader reader;
    private volatile boolean lookedUp;
    private final AtomicLong lastFailing = new AtomicLong(-1);
    private final CounterArray bans = new CounterArray(Catalog.ROUTE_PLANNER_BANS);

    /** @param lookup the planner bean, or null when the node has none; asked until it answers once */
    public RoutePlannerCollector(CollectorHealth health, Supplier<Object> lookup) {
        super(Group.ROUTEPLANNER, health);
        this.lookup = lookup;
    }

    /** The resolved planner and the methods that read it. */
    private record Reader(Object planner, Method ipBlock, Method size, Method failing, String plannerLabel) {
        static Reader of(Object planner) throws ReflectiveOperationException {
            Class<?> type = planner.getClass();
            while (type != null && !type.getName().equals(ABSTRACT_PLANNER)) {
                type = type.getSuperclass();
            }
            if (type == null) {
                throw new ClassCastException(planner.getClass().getName() + " is no " + ABSTRACT_PLANNER);
            }
            Method ipBlock = type.getMethod("getIpBlock");
            Method size = ipBlock.getReturnType().getMethod("getSize");
            Method failing = type.getMethod("getFailingAddresses");
            return new Reader(planner, ipBlock, size, failing, label(planner.getClass()));
        }

        /** A known class of lavaplayer's planner package by its simple name, anything else {@code other}. */
        private static String label(Class<?> actual) {
            String simple = actual.getSimpleName();
            boolean known = Catalog.PLANNER.values().contains(simple)
                    && actual.getName().equals(PLANNER_PACKAGE + "." + simple);
            return known ? simple : Label.OTHER;
        }
    }

    private Reader reader() throws ReflectiveOperationException {
        if (!lookedUp) {
            Object planner = lookup.get();
            reader = planner == null ? null : Reader.of(planner);
            lookedUp = true;
        }
        return reader;
    }

    @Override
    protected List<MetricFamilySamples> collectGroup() {
        Reader read;
        try {
            read = reader();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the route planner cannot be read: " + e, e);
        }
        if (read == null) {
            return List.of();
        }
        double size;
        int failing;
        try {
            Object block = read.ipBlock().invoke(read.planner());
            size = block == null ? 0 : ((BigInteger) read.size().invoke(block)).doubleValue();
            failing = ((Map<?, ?>) read.failing().invoke(read.planner())).size();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the route planner cannot be read: " + e, e);
        }
        bans.precreate(0);
        long before = lastFailing.getAndSet(failing);
        if (before >= 0 && failing > before) {
            bans.add(failing - before);
        }
        GaugeMetricFamily info = new GaugeMetricFamily(
                Catalog.ROUTE_PLANNER_INFO.name(),
                Catalog.ROUTE_PLANNER_INFO.help(),
                Catalog.ROUTE_PLANNER_INFO.labelNames());
        info.addMetric(List.of(read.plannerLabel()), 1);
        return List.of(
                info,
                Gauges.of(Catalog.ROUTE_PLANNER_ADDRESSES, size),
                Gauges.of(Catalog.ROUTE_PLANNER_FAILING, failing),
                bans.samples());
    }
}
