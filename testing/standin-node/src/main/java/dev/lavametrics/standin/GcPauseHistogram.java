package dev.lavametrics.standin;

import com.sun.management.GarbageCollectionNotificationInfo;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Histogram;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Lavalink core's {@code lavalink_gc_pauses_seconds} histogram (LavalinkServer/.../metrics/GcNotificationListener.java
 * at 4.1.2 and 4.2.2): the duration of every collection the JVM reports, except the "No GC" cause, in
 * the same buckets, so the family, its type and its {@code le} values match a real node's.
 */
public final class GcPauseHistogram implements NotificationListener {
    private static final double[] BUCKETS = {0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6};

    private final CollectorRegistry registry;
    private final Histogram pauses;
    private final List<NotificationEmitter> emitters = new ArrayList<>();

    private GcPauseHistogram(CollectorRegistry registry) {
        this.registry = registry;
        this.pauses = Histogram.build()
                .name("lavalink_gc_pauses_seconds")
                .help("Garbage collection pauses by buckets")
                .buckets(BUCKETS)
                .register(registry);
    }

    static GcPauseHistogram start(CollectorRegistry registry) {
        GcPauseHistogram histogram = new GcPauseHistogram(registry);
        for (GarbageCollectorMXBean bean : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (bean instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener(histogram, null, null);
                histogram.emitters.add(emitter);
            }
        }
        return histogram;
    }

    @Override
    public void handleNotification(Notification notification, Object handback) {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
            return;
        }
        GarbageCollectionNotificationInfo info =
                GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
        if (info.getGcInfo() != null && !"No GC".equals(info.getGcCause())) {
            pauses.observe(info.getGcInfo().getDuration() / 1000.0);
        }
    }

    /** Detaches and unregisters, so a second node context in the same JVM (tests) can register again. */
    public void close() {
        for (NotificationEmitter emitter : emitters) {
            try {
                emitter.removeNotificationListener(this);
            } catch (ListenerNotFoundException ignored) {
                // already gone
            }
        }
        registry.unregister(pauses);
    }
}
