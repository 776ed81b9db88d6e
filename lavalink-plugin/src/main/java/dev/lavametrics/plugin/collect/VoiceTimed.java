package dev.lavametrics.plugin.collect;

/**
 * A track's frame buffer that can stop a player's {@link VoiceClock} at the first frame it hands
 * out; implemented by the frames hook's counting buffer, found through the player's playing track.
 */
public interface VoiceTimed {
    /** Stop {@code clock} at the next frame this buffer hands to the voice connection. */
    void stopAtNextFrame(VoiceClock clock);
}
