package dev.lavametrics.standin.failing;

import com.sedmelluq.discord.lavaplayer.player.AudioPlayerManager;
import com.sedmelluq.discord.lavaplayer.source.AudioSourceManager;
import com.sedmelluq.discord.lavaplayer.tools.FriendlyException;
import com.sedmelluq.discord.lavaplayer.track.AudioItem;
import com.sedmelluq.discord.lavaplayer.track.AudioReference;
import com.sedmelluq.discord.lavaplayer.track.AudioTrack;
import com.sedmelluq.discord.lavaplayer.track.AudioTrackInfo;
import java.io.DataInput;
import java.io.DataOutput;

/**
 * A test source that fails the way real sources do, on demand: {@code lavametrics-fail:load:<cause>}
 * makes a load fail, {@code lavametrics-fail:play:<cause>} loads a track whose playback fails, each
 * with the exception chain lavaplayer or youtube-source throws for that cause ({@link Failures}).
 * On only with {@code lavalink.server.sources.lavametrics-fail: true}; real Lavalink has no such
 * source (its failures come from the real sources, see docs/compat.md).
 */
public final class FailingSourceManager implements AudioSourceManager {
    public static final String NAME = "lavametrics-fail";
    static final String PREFIX = NAME + ":";

    @Override
    public String getSourceName() {
        return NAME;
    }

    @Override
    public AudioItem loadItem(AudioPlayerManager manager, AudioReference reference) {
        String identifier = reference.identifier;
        if (identifier == null || !identifier.startsWith(PREFIX)) {
            return null;
        }
        String rest = identifier.substring(PREFIX.length());
        if (rest.startsWith("load:")) {
            throw Failures.of(rest.substring("load:".length()));
        }
        if (rest.startsWith("play:")) {
            Failures.of(rest.substring("play:".length())); // an unknown cause fails the load instead
            return track(identifier);
        }
        throw new FriendlyException(
                "lavametrics-fail identifiers are load:<cause> or play:<cause>",
                FriendlyException.Severity.COMMON,
                null);
    }

    private AudioTrack track(String identifier) {
        return new FailingTrack(
                new AudioTrackInfo("failing " + identifier, "lavametrics", 60_000, identifier, false, null), this);
    }

    @Override
    public boolean isTrackEncodable(AudioTrack track) {
        return true;
    }

    @Override
    public void encodeTrack(AudioTrack track, DataOutput output) {
        // everything is in the track info's identifier
    }

    @Override
    public AudioTrack decodeTrack(AudioTrackInfo trackInfo, DataInput input) {
        return new FailingTrack(trackInfo, this);
    }

    @Override
    public void shutdown() {}
}
