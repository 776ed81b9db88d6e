package dev.lavametrics.plugin.collect;

/**
 * A live track's frame counts, which the frames collector checks for abandonment at scrape time
 * and every few new tracks. Implementations must not hold the track's frame buffer strongly.
 */
public interface FrameSource {
    /**
     * Finishes the source if nothing pulled from it for a while and its track is over (stopped,
     * replaced or its player destroyed without the buffer draining); a paused track is not over.
     *
     * @return true when the source is finished and need not be checked again
     */
    boolean finishIfIdle(long nowNanos);
}
