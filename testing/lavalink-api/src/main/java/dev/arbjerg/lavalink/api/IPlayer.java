package dev.arbjerg.lavalink.api;

import com.sedmelluq.discord.lavaplayer.player.AudioPlayer;
import com.sedmelluq.discord.lavaplayer.track.AudioTrack;

/** The player of one guild within a session. */
public interface IPlayer {
    AudioPlayer getAudioPlayer();

    /** The current track, or null. */
    AudioTrack getTrack();

    long getGuildId();

    ISocketContext getSocketContext();

    /** True while a track is loaded and not paused. */
    boolean isPlaying();
}
