package dev.lavametrics.testplugin;

import com.sedmelluq.discord.lavaplayer.player.AudioPlayerManager;
import dev.arbjerg.lavalink.api.AudioPlayerManagerConfiguration;
import org.springframework.stereotype.Component;

@Component
public class TestPluginApmConfig implements AudioPlayerManagerConfiguration {
    volatile int applied;

    @Override
    public AudioPlayerManager configure(AudioPlayerManager manager) {
        applied++;
        return manager;
    }
}
