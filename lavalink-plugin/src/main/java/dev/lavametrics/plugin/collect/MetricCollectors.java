package dev.lavametrics.plugin.collect;

import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.Group;
import dev.lavametrics.plugin.config.LavametricsConfig;
import io.prometheus.client.CollectorRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * All collectors of the plugin and the one place that registers them. Collectors of disabled
 * groups still exist (the hooks may call them) but are never registered, so they export nothing.
 */
public final class MetricCollectors {
    private static final Logger log = LoggerFactory.getLogger(MetricCollectors.class);

    public final SessionsCollector sessions;
    public final PlayersCollector players;
    public final TracksCollector tracks;
    public final LoadsCollector loads;
    public final FramesCollector frames;
    public final VoiceCollector voice;
    public final FiltersCollector filters;
    public final RestCollector rest;
    public final RoutePlannerCollector routePlanner;
    public final SelfCollector self;

    private final LavametricsConfig config;
    private final CollectorHealth health;
    private final List<GroupCollector> registered = new ArrayList<>();
    private CollectorRegistry registry;

    /** Collectors for a node without a route planner. */
    public MetricCollectors(
            LavametricsConfig config,
            CollectorHealth health,
            LiveSessions liveSessions,
            LongSupplier nanoClock,
            String version) {
        this(config, health, liveSessions, nanoClock, version, () -> null);
    }

    /** @param routePlanner the node's route planner bean, or null without one (see {@link RoutePlannerCollector}) */
    public MetricCollectors(
            LavametricsConfig config,
            CollectorHealth health,
            LiveSessions liveSessions,
            LongSupplier nanoClock,
            String version,
            Supplier<Object> routePlanner) {
        this.config = config;
        this.health = health;
        sessions = new SessionsCollector(health, liveSessions);
        players = new PlayersCollector(health, liveSessions);
        tracks = new TracksCollector(health);
        loads = new LoadsCollector(health, config.buckets(Catalog.LOAD_DURATION));
        frames = new FramesCollector(health, config.buckets(Catalog.FRAME_LOSS), nanoClock);
        voice = new VoiceCollector(
                health,
                config.buckets(Catalog.VOICE_PING),
                config.buckets(Catalog.VOICE_CONNECT),
                liveSessions,
                nanoClock);
        filters = new FiltersCollector(health);
        rest = new RestCollector(health, config.buckets(Catalog.REST_DURATION));
        this.routePlanner = new RoutePlannerCollector(health, routePlanner);
        self = new SelfCollector(health, version);
    }

    public boolean enabled(Group group) {
        return config.enabled(group);
    }

    public CollectorHealth health() {
        return health;
    }

    /**
     * Registers every enabled collector. A collector whose names are already taken (simpleclient
     * throws IllegalArgumentException) is skipped with a warning and counted; the rest still register.
     */
    public synchronized void register(CollectorRegistry target) {
        registry = target;
        for (GroupCollector collector :
                List.of(sessions, players, tracks, loads, frames, voice, filters, rest, routePlanner, self)) {
            if (!config.enabled(collector.group())) {
                continue;
            }
            try {
                target.register(collector);
                registered.add(collector);
                health.markActive(collector.group().key());
            } catch (IllegalArgumentException e) {
                int families = Catalog.familiesOf(collector.group()).size();
                health.addRegistrationConflicts(families);
                log.warn(
                        "lavametrics: not exporting group {} ({} families): {}",
                        collector.group().key(),
                        families,
                        e.getMessage());
            }
        }
    }

    public synchronized void unregister() {
        for (GroupCollector collector : registered) {
            registry.unregister(collector);
        }
        registered.clear();
    }
}
