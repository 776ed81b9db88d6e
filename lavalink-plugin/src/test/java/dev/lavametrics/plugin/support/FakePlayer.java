package dev.lavametrics.plugin.support;

import com.sedmelluq.discord.lavaplayer.player.AudioPlayer;
import com.sedmelluq.discord.lavaplayer.track.AudioTrack;
import dev.arbjerg.lavalink.api.IPlayer;
import dev.arbjerg.lavalink.api.ISocketContext;
import java.lang.reflect.Proxy;

/** A player whose track and pause state tests set directly; the lavaplayer side is a proxy. */
public final class FakePlayer implements IPlayer {
    private static final AudioTrack SOME_TRACK = (AudioTrack) Proxy.newProxyInstance(
            FakePlayer.class.getClassLoader(), new Class<?>[] {AudioTrack.class}, (proxy, method, args) -> null);

    private final ISocketContext session;
    private final long guildId;
    public boolean hasTrack;
    public boolean paused;
    /** What the lavaplayer side answers for getPlayingTrack (null: nothing playing). */
    public AudioTrack playingTrack;

    FakePlayer(ISocketContext session, long guildId) {
        this.session = session;
        this.guildId = guildId;
    }

    public FakePlayer playing() {
        hasTrack = true;
        paused = false;
        return this;
    }

    @Override
    public AudioPlayer getAudioPlayer() {
        return (AudioPlayer) Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {AudioPlayer.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "isPaused" -> paused;
                    case "getPlayingTrack" -> playingTrack;
                    default -> null;
                });
    }

    @Override
    public AudioTrack getTrack() {
        return hasTrack ? SOME_TRACK : null;
    }

    @Override
    public long getGuildId() {
        return guildId;
    }

    @Override
    public ISocketContext getSocketContext() {
        return session;
    }

    @Override
    public boolean isPlaying() {
        return hasTrack && !paused;
    }
}
