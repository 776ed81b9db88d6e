package dev.lavametrics.plugin.support;

import com.sedmelluq.discord.lavaplayer.format.StandardAudioDataFormats;
import com.sedmelluq.discord.lavaplayer.player.AudioConfiguration;
import com.sedmelluq.discord.lavaplayer.player.AudioPlayerManager;
import com.sedmelluq.discord.lavaplayer.track.playback.AudioFrame;
import com.sedmelluq.discord.lavaplayer.track.playback.AudioFrameBuffer;
import com.sedmelluq.discord.lavaplayer.track.playback.AudioFrameRebuilder;
import com.sedmelluq.discord.lavaplayer.track.playback.ImmutableAudioFrame;
import com.sedmelluq.discord.lavaplayer.track.playback.MutableAudioFrame;
import dev.lavametrics.plugin.collect.FramesCollector;
import dev.lavametrics.plugin.frames.FrameCountingConfiguration;
import java.lang.reflect.Proxy;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A frame buffer that never queues anything and never allocates: a "playing" one hands out the
 * same preallocated frame (and reports {@code true} for mutable-frame pulls) on every pull, a
 * "starved" one returns {@code null} / {@code false}. For measuring the counting wrapper's own
 * per-frame cost without the real buffer's queue in the way.
 *
 * <p>Its state is read through volatile fields, one plain load on x86, so that the JIT cannot
 * prove a pull loop-invariant and lift a bare buffer's pulls out of a benchmark loop.
 */
public final class FakeFrameBuffer implements AudioFrameBuffer {
    /** An ordinary 3-byte Opus frame, built once. */
    public static final AudioFrame FRAME =
            new ImmutableAudioFrame(0, new byte[] {1, 2, 3}, 100, StandardAudioDataFormats.DISCORD_OPUS);

    private volatile AudioFrame frame;
    private volatile boolean provides;

    private FakeFrameBuffer(AudioFrame frame, boolean provides) {
        this.frame = frame;
        this.provides = provides;
    }

    /** From now on every pull gets a frame ({@code true}) or none. */
    public void providing(boolean now) {
        frame = now ? FRAME : null;
        provides = now;
    }

    /** Every pull gets a frame. */
    public static FakeFrameBuffer playing() {
        return new FakeFrameBuffer(FRAME, true);
    }

    /** Every pull comes back empty (the nulled path). */
    public static FakeFrameBuffer starved() {
        return new FakeFrameBuffer(null, false);
    }

    /**
     * {@code delegate} wrapped exactly as the plugin wraps every track's buffer: the frame counting
     * hook installed on a player manager's configuration, then the configured factory asked for a
     * buffer (the same path as {@code CountingFrameBufferTest}).
     */
    public static AudioFrameBuffer counting(FramesCollector frames, AudioFrameBuffer delegate) {
        AudioConfiguration configuration = new AudioConfiguration();
        configuration.setFrameBufferFactory((duration, format, stopping) -> delegate);
        new FrameCountingConfiguration(frames).configure(managerOf(configuration));
        AudioFrameBuffer wrapped = configuration
                .getFrameBufferFactory()
                .create(400, StandardAudioDataFormats.DISCORD_OPUS, new AtomicBoolean());
        if (wrapped == delegate) {
            throw new IllegalStateException("frame counting did not wrap the buffer");
        }
        return wrapped;
    }

    /** A player manager that only answers getConfiguration(): all the frame counting hook touches. */
    public static AudioPlayerManager managerOf(AudioConfiguration configuration) {
        return (AudioPlayerManager) Proxy.newProxyInstance(
                FakeFrameBuffer.class.getClassLoader(),
                new Class<?>[] {AudioPlayerManager.class},
                (proxy, method, args) -> method.getName().equals("getConfiguration") ? configuration : null);
    }

    @Override
    public AudioFrame provide() {
        return frame;
    }

    @Override
    public AudioFrame provide(long timeout, TimeUnit unit) {
        return frame;
    }

    @Override
    public boolean provide(MutableAudioFrame targetFrame) {
        return provides;
    }

    @Override
    public boolean provide(MutableAudioFrame targetFrame, long timeout, TimeUnit unit) {
        return provides;
    }

    @Override
    public int getRemainingCapacity() {
        return 0;
    }

    @Override
    public int getFullCapacity() {
        return 0;
    }

    @Override
    public void waitForTermination() {}

    @Override
    public void setTerminateOnEmpty() {}

    @Override
    public void setClearOnInsert() {}

    @Override
    public boolean hasClearOnInsert() {
        return false;
    }

    @Override
    public void clear() {}

    @Override
    public void lockBuffer() {}

    @Override
    public boolean hasReceivedFrames() {
        return provides;
    }

    @Override
    public Long getLastInputTimecode() {
        return null;
    }

    @Override
    public void consume(AudioFrame frame) {}

    @Override
    public void rebuild(AudioFrameRebuilder rebuilder) {}
}
