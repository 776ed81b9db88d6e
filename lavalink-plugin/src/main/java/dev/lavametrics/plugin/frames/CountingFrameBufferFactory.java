package dev.lavametrics.plugin.frames;

import com.sedmelluq.discord.lavaplayer.format.AudioDataFormat;
import com.sedmelluq.discord.lavaplayer.track.playback.AudioFrameBuffer;
import com.sedmelluq.discord.lavaplayer.track.playback.AudioFrameBufferFactory;
import dev.lavametrics.plugin.collect.FramesCollector;
import dev.lavametrics.plugin.util.Survival;
import java.util.concurrent.atomic.AtomicBoolean;

/** Wraps whatever buffer factory the node configured, so every track's buffer counts its frames. */
final class CountingFrameBufferFactory implements AudioFrameBufferFactory {
    private final AudioFrameBufferFactory delegate;
    private final FramesCollector frames;

    CountingFrameBufferFactory(AudioFrameBufferFactory delegate, FramesCollector frames) {
        this.delegate = delegate;
        this.frames = frames;
    }

    @Override
    public AudioFrameBuffer create(int bufferDuration, AudioDataFormat format, AtomicBoolean stopping) {
        AudioFrameBuffer buffer = delegate.create(bufferDuration, format, stopping);
        try {
            return new CountingFrameBuffer(buffer, frames, stopping);
        } catch (Throwable e) {
            frames.health().recordError("frames", Survival.survive(e));
            return buffer;
        }
    }
}
