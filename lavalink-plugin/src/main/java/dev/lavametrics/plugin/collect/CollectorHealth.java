package dev.lavametrics.plugin.collect;

import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.config.LogSafe;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the plugin's own parts are doing, indexed by the {@code collector} label: last scrape
 * duration and success, errors caught, config validity and registration conflicts.
 */
public final class CollectorHealth {
    private static final Logger log = LoggerFactory.getLogger(CollectorHealth.class);
    private static final long LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final int size = Catalog.COLLECTOR.size();
    private final AtomicLongArray durationBits = new AtomicLongArray(size);
    private final AtomicLongArray success = new AtomicLongArray(size);
    private final AtomicLongArray active = new AtomicLongArray(size);
    private final AtomicLongArray lastLogNanos = new AtomicLongArray(size);
    private final LongAdder[] errors = new LongAdder[size];
    private final AtomicInteger registrationConflicts = new AtomicInteger();
    private volatile boolean configValid = true;
    /** Apart from {@link #configValid}: a reloaded web config can turn bad and good again while the node runs. */
    private volatile boolean webConfigValid = true;

    public CollectorHealth() {
        for (int i = 0; i < size; i++) {
            errors[i] = new LongAdder();
            success.set(i, 1);
            lastLogNanos.set(i, System.nanoTime() - LOG_INTERVAL_NANOS);
        }
    }

    void scraped(String collector, double seconds, boolean succeeded) {
        int index = Catalog.COLLECTOR.indexOf(collector);
        durationBits.set(index, Double.doubleToRawLongBits(seconds));
        success.set(index, succeeded ? 1 : 0);
        active.set(index, 1);
    }

    void markActive(String collector) {
        active.set(Catalog.COLLECTOR.indexOf(collector), 1);
    }

    /**
     * Counts an exception caught in {@code collector} and logs it at most once a minute per
     * collector, so a hook failing on every message cannot flood the node's log.
     */
    public void recordError(String collector, Throwable error) {
        int index = Catalog.COLLECTOR.indexOf(collector);
        errors[index].increment();
        long now = System.nanoTime();
        long last = lastLogNanos.get(index);
        if (now - last >= LOG_INTERVAL_NANOS && lastLogNanos.compareAndSet(index, last, now)) {
            // One escaped line, no stack trace: exception messages quote their input, which here is
            // often a client's (a request path, a message body).
            log.warn(
                    "lavametrics {} failed: {} (counted in lavametrics_collector_errors_total; further errors "
                            + "logged at most once a minute)",
                    collector,
                    LogSafe.exception(error));
        }
    }

    public void markConfigInvalid() {
        configValid = false;
    }

    /** The endpoint's web config file, re-read while the node runs, became unusable (false) or usable again. */
    public void markWebConfigValid(boolean valid) {
        webConfigValid = valid;
    }

    public boolean configValid() {
        return configValid && webConfigValid;
    }

    void addRegistrationConflicts(int families) {
        registrationConflicts.addAndGet(families);
    }

    public int registrationConflicts() {
        return registrationConflicts.get();
    }

    double duration(int index) {
        return Double.longBitsToDouble(durationBits.get(index));
    }

    /**
     * Whether the collector is registered (or has scraped): collectors of disabled groups are
     * neither, and a duration or success reported for them would claim a group that is off.
     */
    boolean isActive(int index) {
        return active.get(index) == 1;
    }

    double success(int index) {
        return success.get(index);
    }

    double errors(int index) {
        return errors[index].sum();
    }
}
