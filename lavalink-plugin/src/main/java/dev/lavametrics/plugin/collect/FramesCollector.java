package dev.lavametrics.plugin.collect;

import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.Family;
import dev.lavametrics.plugin.catalog.Group;

import io.prometheus.client.CounterMetricFamily;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Frame counters fed from the audio path. {@link #sent()}, {@link #nulled()} and
 * {@link #missed(long)} run once per 20 ms per player, so they only touch pre-created adders.
 */
public final class FramesCollector extends GroupCollector {
    /**
     * Tracks added between two sweeps of {@link #live} outside scrapes, so abandoned tracks are
     * released even when nobody scrapes; a sweep walks only small tally objects.
     */
    static final int SWEEP_EVERY = 64;

    private final LongAdder sent = new LongAdder();
    private final LongAdder nulled = new LongAdder();
    private final LongAdder deficit = new LongAdder();
    private final HistogramArray lossRatio;
    private final Set<FrameSource> live = ConcurrentHashMap.newKeySet();
    private final LongSupplier nanoClock;
    private final AtomicLong additions = new AtomicLong();

    public FramesCollector(CollectorHealth health, List<Double> lossBuckets, LongSupplier nanoClock) {
        super(Group.FRAMES, health);
        this.lossRatio = new HistogramArray(Catalog.FRAME_LOSS, lossBuckets);
        this.nanoClock = nanoClock;
    }

    public long nanoTime() {
        return nanoClock.getAsLong();
    }

    public void sent() {
        sent.increment();
    }

    public void nulled() {
        nulled.increment();
    }

    public void missed(long frames) {
        deficit.add(frames);
    }

    /** Called once per track, on the thread that starts it (never on the per-frame path). */
    public void track(FrameSource source) {
        live.add(source);
        if (additions.incrementAndGet() % SWEEP_EVERY == 0) {
            sweep();
        }
    }

    private void sweep() {
        long now = nanoClock.getAsLong();
        live.removeIf(source -> source.finishIfIdle(now));
    }

    /** Called once per track when its buffer finished; {@code ratio} is 0..1. */
    public void finished(FrameSource source, double ratio) {
        live.remove(source);
        lossRatio.observe(ratio);
    }

    public void untrack(FrameSource source) {
        live.remove(source);
    }

    @Override
    protected List<MetricFamilySamples> collectGroup() {
        sweep();
        return List.of(
                simple(Catalog.FRAMES_SENT, sent),
                simple(Catalog.FRAMES_NULLED, nulled),
                simple(Catalog.FRAMES_DEFICIT, deficit),
                lossRatio.samples());
    }

    private static MetricFamilySamples simple(Family family, LongAdder adder) {
        return new CounterMetricFamily(family.baseName(), family.help(), adder.sum());
    }
}
