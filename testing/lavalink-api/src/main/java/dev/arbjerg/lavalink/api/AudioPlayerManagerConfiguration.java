package dev.arbjerg.lavalink.api;

import com.sedmelluq.discord.lavaplayer.player.AudioPlayerManager;

/** A bean of this type may adjust the node's audio player manager once at start-up. */
public interface AudioPlayerManagerConfiguration {
    AudioPlayerManager configure(AudioPlayerManager manager);
}
