package dev.lavametrics.plugin.frames;

import dev.lavametrics.plugin.collect.FrameSource;
import dev.lavametrics.plugin.collect.FramesCollector;

import java.lang.ref.WeakReference;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One track's frame counts, kept apart from its buffer: the frames collector's tracking set holds
 * this small object, never lavaplayer's buffer, so a dropped buffer (and the frames queued in it)
 * is garbage as soon as lavaplayer lets go of it.
 *
 * <p>Pulls happen every 20 ms per player on the audio thread, so {@link #pulled} only does
 * arithmetic on fields and bumps adders: no allocation, no lock. One thread pulls from a buffer
 * at a time; the counting fields are written only by it. A sweeping thread reads them for
 * abandoned tracks after a volatile read of {@link #lastPullNanos}, which publishes them.
 *
 * <p>Deficit: a connection should pull one frame per 20 ms. Expected pulls are counted from the
 * first pull over the time between pulls; a gap longer than {@link #PAUSE_GAP_NANOS} is taken as
 * a pause (a paused player is not asked for frames) and not expected to be filled. Pulling in
 * bursts (udp-queue) runs ahead and is not a deficit.
 */
final class FrameTally implements FrameSource {
    private static final long FRAME_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long PAUSE_GAP_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long IDLE_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final FramesCollector frames;
    /** lavaplayer's per-track flag (the executor's disposedOf), set when the track is stopped. */
    private final AtomicBoolean stopping;
    private final WeakReference<Object> buffer;
    private final long createdNanos;
    private final AtomicBoolean finished = new AtomicBoolean();
    private volatile long lastPullNanos;
    private long activeNanos;
    private long pulls;
    private long nulls;
    private long deficit;

    FrameTally(FramesCollector frames, AtomicBoolean stopping, Object buffer) {
        this.frames = frames;
        this.stopping = stopping;
        this.buffer = new WeakReference<>(buffer);
        this.createdNanos = frames.nanoTime();
    }

    void pulled(boolean provided, boolean terminator) {
        if (terminator) {
            finish();
            return;
        }
        long now = frames.nanoTime();
        long last = lastPullNanos;
        if (last != 0 && now - last < PAUSE_GAP_NANOS) {
            activeNanos += now - last;
        }
        pulls++;
        if (provided) {
            frames.sent();
        } else {
            nulls++;
            frames.nulled();
        }
        long shortfall = activeNanos / FRAME_NANOS + 1 - pulls;
        if (shortfall > deficit) {
            frames.missed(shortfall - deficit);
            deficit = shortfall;
        }
        lastPullNanos = now;
    }

    /**
     * Finishes a track that stopped without handing out a terminator (stopped, replaced, cleaned up,
     * player destroyed). Idle alone is not enough: a paused player pulls nothing for as long as it
     * stays paused, and finishing it then would drop the rest of the track from the histogram. So
     * the track must also be known to be over: lavaplayer set its stop flag, or the buffer is gone.
     */
    @Override
    public boolean finishIfIdle(long nowNanos) {
        long last = lastPullNanos;
        if (nowNanos - (last == 0 ? createdNanos : last) < IDLE_NANOS) {
            return false;
        }
        boolean over = (stopping != null && stopping.get()) || buffer.get() == null;
        if (!over) {
            return false;
        }
        finish();
        return true;
    }

    /** Observes the track's loss ratio once: (nulled + missing) / expected frames. */
    private void finish() {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        if (pulls == 0) {
            frames.untrack(this);
            return;
        }
        frames.finished(this, (double) (nulls + deficit) / (pulls + deficit));
    }
}
