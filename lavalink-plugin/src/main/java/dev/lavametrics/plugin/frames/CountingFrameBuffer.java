package dev.lavametrics.plugin.frames;

import com.sedmelluq.discord.lavaplayer.track.playback.AudioFrame;
import com.sedmelluq.discord.lavaplayer.track.playback.AudioFrameBuffer;
import com.sedmelluq.discord.lavaplayer.track.playback.AudioFrameRebuilder;
import com.sedmelluq.discord.lavaplayer.track.playback.MutableAudioFrame;
import dev.lavametrics.plugin.collect.FramesCollector;
import dev.lavametrics.plugin.collect.VoiceClock;
import dev.lavametrics.plugin.collect.VoiceTimed;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One track's frame buffer, counting what the voice connection pulls out of it into a
 * {@link FrameTally}. Only the tally is tracked by the frames collector, so this wrapper and the
 * buffer it wraps live exactly as long as lavaplayer keeps them.
 */
final class CountingFrameBuffer implements AudioFrameBuffer, VoiceTimed {
    private final AudioFrameBuffer delegate;
    private final FrameTally tally;

    CountingFrameBuffer(AudioFrameBuffer delegate, FramesCollector frames, AtomicBoolean stopping) {
        this.delegate = delegate;
        this.tally = new FrameTally(frames, stopping, this);
        frames.track(tally);
    }

    @Override
    public void stopAtNextFrame(VoiceClock clock) {
        tally.stopAtNextFrame(clock);
    }

    @Override
    public AudioFrame provide() {
        AudioFrame frame = delegate.provide();
        tally.pulled(frame != null, frame != null && frame.isTerminator());
        return frame;
    }

    @Override
    public AudioFrame provide(long timeout, TimeUnit unit) throws TimeoutException, InterruptedException {
        AudioFrame frame = delegate.provide(timeout, unit);
        tally.pulled(frame != null, frame != null && frame.isTerminator());
        return frame;
    }

    @Override
    public boolean provide(MutableAudioFrame targetFrame) {
        boolean provided = delegate.provide(targetFrame);
        tally.pulled(provided, provided && targetFrame.isTerminator());
        return provided;
    }

    @Override
    public boolean provide(MutableAudioFrame targetFrame, long timeout, TimeUnit unit)
            throws TimeoutException, InterruptedException {
        boolean provided = delegate.provide(targetFrame, timeout, unit);
        tally.pulled(provided, provided && targetFrame.isTerminator());
        return provided;
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
