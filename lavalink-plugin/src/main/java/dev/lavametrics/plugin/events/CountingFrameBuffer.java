package dev.lavametrics.plugin.events;

import com.sedmelluq.discord.lavaplayer.track.playback.AudioFrame;
import com.sedmelluq.discord.lavaplayer.track.playback.AudioFrameBuffer;
import com.sedmelluq.discord.lavaplayer.track.playback.AudioFrameRebuilder;
import com.sedmelluq.discord.lavaplayer.track.playback.MutableAudioFrame;
import dev.lavametrics.plugin.collect.FrameSource;
import dev.lavametrics.plugin.collect.FramesCollector;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One track's frame buffer, counting what the voice connection pulls out of it.
 *
 * <p>Pulls happen every 20 ms per player on the audio thread, so {@link #pulled} only does
 * arithmetic on fields and bumps adders: no allocation, no lock. One thread pulls from a buffer
 * at a time; the counting fields are written only by it. The scrape thread reads them for
 * abandoned buffers after a volatile read of {@link #lastPullNanos}, which publishes them.
 *
 * <p>Deficit: a connection should pull one frame per 20 ms. Expected pulls are counted from the
 * first pull over the time between pulls; a gap longer than {@link #PAUSE_GAP_NANOS} is taken as
 * a pause (a paused player is not asked for frames) and not expected to be filled. Pulling in
 * bursts (udp-queue) runs ahead and is not a deficit.
 */
final class CountingFrameBuffer implements AudioFrameBuffer, FrameSource {
    private static final long FRAME_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long PAUSE_GAP_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long IDLE_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final AudioFrameBuffer delegate;
    private final FramesCollector frames;
    private final long createdNanos;
    private final AtomicBoolean finished = new AtomicBoolean();
    private volatile long lastPullNanos;
    private long activeNanos;
    private long pulls;
    private long nulls;
    private long deficit;

    CountingFrameBuffer(AudioFrameBuffer delegate, FramesCollector frames) {
        this.delegate = delegate;
        this.frames = frames;
        this.createdNanos = frames.nanoTime();
        frames.track(this);
    }

    @Override
    public AudioFrame provide() {
        AudioFrame frame = delegate.provide();
        pulled(frame != null, frame != null && frame.isTerminator());
        return frame;
    }

    @Override
    public AudioFrame provide(long timeout, TimeUnit unit) throws TimeoutException, InterruptedException {
        AudioFrame frame = delegate.provide(timeout, unit);
        pulled(frame != null, frame != null && frame.isTerminator());
        return frame;
    }

    @Override
    public boolean provide(MutableAudioFrame targetFrame) {
        boolean provided = delegate.provide(targetFrame);
        pulled(provided, provided && targetFrame.isTerminator());
        return provided;
    }

    @Override
    public boolean provide(MutableAudioFrame targetFrame, long timeout, TimeUnit unit)
            throws TimeoutException, InterruptedException {
        boolean provided = delegate.provide(targetFrame, timeout, unit);
        pulled(provided, provided && targetFrame.isTerminator());
        return provided;
    }

    private void pulled(boolean provided, boolean terminator) {
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

    @Override
    public boolean finishIfIdle(long nowNanos) {
        long last = lastPullNanos;
        if (nowNanos - (last == 0 ? createdNanos : last) < IDLE_NANOS) {
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

    @Override
    public int getRemainingCapacity() {
        return delegate.getRemainingCapacity();
    }

    @Override
    public int getFullCapacity() {
        return delegate.getFullCapacity();
    }

    @Override
    public void waitForTermination() throws InterruptedException {
        delegate.waitForTermination();
    }

    @Override
    public void setTerminateOnEmpty() {
        delegate.setTerminateOnEmpty();
    }

    @Override
    public void setClearOnInsert() {
        delegate.setClearOnInsert();
    }

    @Override
    public boolean hasClearOnInsert() {
        return delegate.hasClearOnInsert();
    }

    @Override
    public void clear() {
        delegate.clear();
    }

    @Override
    public void lockBuffer() {
        delegate.lockBuffer();
    }

    @Override
    public boolean hasReceivedFrames() {
        return delegate.hasReceivedFrames();
    }

    @Override
    public Long getLastInputTimecode() {
        return delegate.getLastInputTimecode();
    }

    @Override
    public void consume(AudioFrame frame) throws InterruptedException {
        delegate.consume(frame);
    }

    @Override
    public void rebuild(AudioFrameRebuilder rebuilder) {
        delegate.rebuild(rebuilder);
    }
}
