package dev.lavametrics.plugin.collect;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One player's voice-connect stopwatch: started by a voice update (or the start of a track while one
 * is pending), stopped by the first audio frame its connection pulls. One per player, created with
 * the player's first voice update and reused for every later one, so the audio thread that stops it
 * allocates nothing.
 */
public final class VoiceClock {
    private final HistogramArray histogram;
    /** When the clock started (never 0 while running), or 0 when no voice update waits for a frame. */
    private final AtomicLong startedNanos = new AtomicLong();
    /** A digest of the last voice state the client sent (never the token itself), 0 before the first. */
    private volatile int lastState;

    VoiceClock(HistogramArray histogram) {
        this.histogram = histogram;
    }

    /** Records the voice state sent now; whether it equals the one sent before. */
    boolean sameStateAsBefore(int state) {
        boolean same = lastState == state;
        lastState = state;
        return same;
    }

    void start(long nowNanos) {
        startedNanos.set(nowNanos == 0 ? 1 : nowNanos);
    }

    boolean running() {
        return startedNanos.get() != 0;
    }

    void cancel() {
        startedNanos.set(0);
    }

    /**
     * The first frame after the voice update was sent: observed once (a frame of an older track
     * pulled at the same time loses the race and observes nothing). Called on the audio thread.
     */
    public void firstFrame(long nowNanos) {
        long started = startedNanos.get();
        if (started != 0 && startedNanos.compareAndSet(started, 0)) {
            histogram.observe(Math.max(0, nowNanos - started) / 1e9);
        }
    }
}
