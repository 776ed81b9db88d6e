package dev.lavametrics.plugin.collect;

/**
 * A live track's frame counts. The track counts into itself on its audio thread; the frames
 * collector adds the counts of every live source at scrape time and checks sources for
 * abandonment then and every few new tracks. Implementations must not hold the track's frame
 * buffer strongly.
 */
public interface FrameSource {
    /** Slots of the array {@link #addCounts} adds to. */
    int SENT = 0;

    int NULLED = 1;
    int DEFICIT = 2;

    /**
     * Adds the frames this source sent, nulled and missed so far to {@code totals} (indexed by
     * {@link #SENT}, {@link #NULLED}, {@link #DEFICIT}). Called from a scraping thread while the
     * audio thread counts: each count read must never be lower than one read before.
     */
    void addCounts(long[] totals);

    /**
     * Finishes the source if nothing pulled from it for a while and its track is over (stopped,
     * replaced or its player destroyed without the buffer draining); a paused track is not over.
     *
     * @return true when the source is finished and need not be checked again
     */
    boolean finishIfIdle(long nowNanos);
}
