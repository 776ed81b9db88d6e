package dev.lavametrics.plugin.frames;

import dev.lavametrics.plugin.collect.FrameSource;
import dev.lavametrics.plugin.collect.FramesCollector;
import dev.lavametrics.plugin.collect.VoiceClock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One track's frame counts, kept apart from its buffer: the frames collector's tracking set holds
 * this small object, never lavaplayer's buffer, so a dropped buffer (and the frames queued in it)
 * is garbage as soon as lavaplayer lets go of it.
 *
 * <p>Pulls happen every 20 ms per player on the audio thread, so {@link #pulled} only does
 * arithmetic on this object's own fields: no allocation, no lock, no memory shared with other
 * tracks (a node-wide adder bumped by every audio thread cost more than its share on a busy
 * node). One thread pulls from a buffer at a time; the counting fields are written only by it.
 * A scrape reads them through {@link #addCounts}: the counts are written and read opaquely, so a
 * read never sees a count lower than an earlier read did, and each is kept as its own field
 * (sent and nulled, not pulls) so that every counter the scrape adds up only grows. A sweeping
 * thread reads the rest after a volatile read of {@link #lastPullNanos}, which publishes it.
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
    /** A player's voice-connect clock to stop at the next frame handed out, else null (one volatile read per frame). */
    private volatile VoiceClock voiceClock;

    private long activeNanos;
    // written by the audio thread with setOpaque, read by scrapes with getOpaque
    private long sent;
    private long nulls;
    private long deficit;

    private static final VarHandle SENT_FIELD;
    private static final VarHandle NULLS_FIELD;
    private static final VarHandle DEFICIT_FIELD;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            SENT_FIELD = lookup.findVarHandle(FrameTally.class, "sent", long.class);
            NULLS_FIELD = lookup.findVarHandle(FrameTally.class, "nulls", long.class);
            DEFICIT_FIELD = lookup.findVarHandle(FrameTally.class, "deficit", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    FrameTally(FramesCollector frames, AtomicBoolean stopping, Object buffer) {
        this.frames = frames;
        this.stopping = stopping;
        this.buffer = new WeakReference<>(buffer);
        this.createdNanos = frames.nanoTime();
    }

    void stopAtNextFrame(VoiceClock clock) {
        voiceClock = clock;
    }

    void pulled(boolean provided, boolean terminator) {
        if (terminator) {
            finish();
            return;
        }
        if (provided) {
            VoiceClock clock = voiceClock;
            if (clock != null) {
                voiceClock = null;
                clock.firstFrame(frames.nanoTime());
            }
        }
        if (finished.get()) {
            // folded into the collector already (a stopped track pulled from once more)
            if (provided) {
                frames.sent();
            } else {
                frames.nulled();
            }
            return;
        }
        long now = frames.nanoTime();
        long last = lastPullNanos;
        if (last != 0 && now - last < PAUSE_GAP_NANOS) {
            activeNanos += now - last;
        }
        if (provided) {
            SENT_FIELD.setOpaque(this, sent + 1);
        } else {
            NULLS_FIELD.setOpaque(this, nulls + 1);
        }
        long shortfall = activeNanos / FRAME_NANOS + 1 - (sent + nulls);
        if (shortfall > deficit) {
            DEFICIT_FIELD.setOpaque(this, shortfall);
        }
        lastPullNanos = now;
    }

    @Override
    public void addCounts(long[] totals) {
        totals[SENT] += (long) SENT_FIELD.getOpaque(this);
        totals[NULLED] += (long) NULLS_FIELD.getOpaque(this);
        totals[DEFICIT] += (long) DEFICIT_FIELD.getOpaque(this);
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
        long pulls = sent + nulls;
        if (pulls == 0) {
            frames.untrack(this);
            return;
        }
        frames.finished(this, (double) (nulls + deficit) / (pulls + deficit));
    }
}
