package dev.lavametrics.plugin.frames;

import com.sedmelluq.discord.lavaplayer.player.AudioConfiguration;
import com.sedmelluq.discord.lavaplayer.player.AudioPlayerManager;
import dev.arbjerg.lavalink.api.AudioPlayerManagerConfiguration;
import dev.lavametrics.plugin.collect.FramesCollector;
import dev.lavametrics.plugin.util.Survival;

/**
 * Hooks frame counting into the node's player manager. Core Lavalink publishes frame stats only
 * in the websocket {@code stats} op, so the plugin counts at the frame buffer instead.
 * Only built when the {@code frames} group is on: otherwise the manager is left exactly as it is.
 */
public final class FrameCountingConfiguration implements AudioPlayerManagerConfiguration {
    private final FramesCollector frames;

    public FrameCountingConfiguration(FramesCollector frames) {
        this.frames = frames;
    }

    @Override
    public AudioPlayerManager configure(AudioPlayerManager manager) {
        try {
            AudioConfiguration configuration = manager.getConfiguration();
            if (!(configuration.getFrameBufferFactory() instanceof CountingFrameBufferFactory)) {
                configuration.setFrameBufferFactory(
                        new CountingFrameBufferFactory(configuration.getFrameBufferFactory(), frames));
            }
        } catch (Throwable e) {
            frames.health().recordError("frames", Survival.survive(e));
        }
        return manager;
    }
}
