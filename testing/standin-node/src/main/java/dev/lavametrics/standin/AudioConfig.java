package dev.lavametrics.standin;

import com.sedmelluq.discord.lavaplayer.player.AudioPlayerManager;
import com.sedmelluq.discord.lavaplayer.player.DefaultAudioPlayerManager;
import com.sedmelluq.discord.lavaplayer.source.AudioSourceManager;
import com.sedmelluq.discord.lavaplayer.source.http.HttpAudioSourceManager;
import com.sedmelluq.discord.lavaplayer.source.local.LocalAudioSourceManager;
import dev.arbjerg.lavalink.api.AudioPlayerManagerConfiguration;
import dev.lavametrics.standin.failing.FailingSourceManager;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The node's single lavaplayer {@link AudioPlayerManager}. */
@Configuration(proxyBeanMethods = false)
public class AudioConfig {
    private static final Logger log = LoggerFactory.getLogger(AudioConfig.class);
    private static final Set<String> KNOWN = Set.of("local", "http", FailingSourceManager.NAME);

    @Bean(destroyMethod = "shutdown")
    public AudioPlayerManager audioPlayerManager(
            NodeSettings settings, ObjectProvider<AudioPlayerManagerConfiguration> configurations) {
        AudioPlayerManager manager = new DefaultAudioPlayerManager();
        // Lavalink's defaults for these two lavaplayer settings.
        manager.setPlayerCleanupThreshold(60_000);
        manager.setTrackStuckThreshold(10_000);

        for (Map.Entry<String, Boolean> e : settings.getSources().entrySet()) {
            if (!KNOWN.contains(e.getKey()) && Boolean.TRUE.equals(e.getValue())) {
                log.info(
                        "lavalink.server.sources.{}=true ignored: the stand-in node has no '{}' source "
                                + "(only local and http)",
                        e.getKey(),
                        e.getKey());
            }
        }
        if (settings.isSourceEnabled("http", true)) {
            manager.registerSourceManager(new HttpAudioSourceManager());
        }
        if (settings.isSourceEnabled("local", false)) {
            manager.registerSourceManager(new LocalAudioSourceManager());
        }

        // the stand-in's own test source (testing only, never on by default): failures on demand
        if (settings.isSourceEnabled(FailingSourceManager.NAME, false)) {
            manager.registerSourceManager(new FailingSourceManager());
        }

        for (AudioPlayerManagerConfiguration c : configurations.orderedStream().toList()) {
            AudioPlayerManager configured = c.configure(manager);
            if (configured != null) {
                manager = configured;
            }
            log.info("Applied AudioPlayerManagerConfiguration {}", c.getClass().getName());
        }
        StringBuilder names = new StringBuilder();
        for (AudioSourceManager s : manager.getSourceManagers()) {
            names.append(names.length() == 0 ? "" : ", ").append(s.getSourceName());
        }
        log.info("Audio source managers: [{}]", names);
        return manager;
    }
}
