package dev.lavametrics.standin.failing;

import com.sedmelluq.discord.lavaplayer.track.AudioTrackInfo;
import com.sedmelluq.discord.lavaplayer.track.DelegatedAudioTrack;
import com.sedmelluq.discord.lavaplayer.track.playback.LocalAudioTrackExecutor;

/** A track whose playback throws its identifier's failure, as lavaplayer's executor sees a source's. */
final class FailingTrack extends DelegatedAudioTrack {
    private final FailingSourceManager source;

    FailingTrack(AudioTrackInfo trackInfo, FailingSourceManager source) {
        super(trackInfo);
        this.source = source;
    }

    @Override
    public void process(LocalAudioTrackExecutor executor) {
        String identifier = trackInfo.identifier;
        throw Failures.of(identifier.substring(identifier.lastIndexOf(':') + 1));
    }

    @Override
    public FailingSourceManager getSourceManager() {
        return source;
    }

    @Override
    protected FailingTrack makeShallowClone() {
        return new FailingTrack(trackInfo, source);
    }
}
