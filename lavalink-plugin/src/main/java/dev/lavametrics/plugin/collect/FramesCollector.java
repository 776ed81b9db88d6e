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
 * Frame counters of the audio path. A track counts its frames in its own {@link FrameSource}
 * (plain fields, its audio thread the only writer), so the per-frame path touches no memory
 * other tracks write; a scrape adds up the live sources. A source leaving (its track finished)
 * folds its counts into the adders here in the same step, under {@link #fold}, so a scrape
 * counts every frame exactly once and the counters never go down.
 */
public final class FramesCollector extends GroupCollector {
    /**
     * Tracks added between two sweeps of {@link #live} outside scrapes, so abandoned tracks are
     * released even when nobody scrapes; a sweep walks only small tally objects.
     */
    static final int SWEEP_EVERY = 64;

    /** Frames of the sources no longer live (and the rare frame a finished source still sees). */
    private final LongAdder sent = new LongAdder();

    private final LongAdder nulled = new LongAdder();
    private final LongAdder deficit = new LongAdder();
    /** Held to move a source's counts from {@link #live} to the adders, and to add them all up. */
    private final Object fold = new Object();

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

    /** A frame counted outside any live source (a finished track pulled from again). */
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
        untrack(source);
        lossRatio.observe(ratio);
    }

    /** Called once per track when it leaves, finished or never pulled from. */
    public void untrack(FrameSource source) {
        long[] counts = new long[3];
        synchronized (fold) {
            if (!live.remove(source)) {
                return;
            }
            source.addCounts(counts);
            sent.add(counts[FrameSource.SENT]);
            nulled.add(counts[FrameSource.NULLED]);
            deficit.add(counts[FrameSource.DEFICIT]);
        }
    }

    @Override
    protected List<MetricFamilySamples> collectGroup() {
        sweep();
        long[] totals = new long[3];
        synchronized (fold) {
            totals[FrameSource.SENT] = sent.sum();
            totals[FrameSource.NULLED] = nulled.sum();
            totals[FrameSource.DEFICIT] = deficit.sum();
            for (FrameSource source : live) {
                source.addCounts(totals);
            }
        }
        return List.of(
                simple(Catalog.FRAMES_SENT, totals[FrameSource.SENT]),
                simple(Catalog.FRAMES_NULLED, totals[FrameSource.NULLED]),
                simple(Catalog.FRAMES_DEFICIT, totals[FrameSource.DEFICIT]),
                lossRatio.samples());
    }

    private static MetricFamilySamples simple(Family family, long value) {
        return new CounterMetricFamily(Shape.of(family).baseName, family.help(), value);
    }
}
