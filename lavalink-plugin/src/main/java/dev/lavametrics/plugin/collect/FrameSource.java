package dev.lavametrics.plugin.collect;

/** A live per-track frame buffer the frames collector checks for abandonment at scrape time. */
public interface FrameSource {
    /**
     * Finishes the source if nothing pulled from it for a while (its track was stopped or the
     * player destroyed without the buffer draining).
     *
     * @return true when the source is finished and need not be checked again
     */
    boolean finishIfIdle(long nowNanos);
}
