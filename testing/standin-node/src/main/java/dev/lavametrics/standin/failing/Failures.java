package dev.lavametrics.standin.failing;

import static com.sedmelluq.discord.lavaplayer.tools.FriendlyException.Severity.COMMON;
import static com.sedmelluq.discord.lavaplayer.tools.FriendlyException.Severity.FAULT;
import static com.sedmelluq.discord.lavaplayer.tools.FriendlyException.Severity.SUSPICIOUS;

import com.sedmelluq.discord.lavaplayer.tools.FriendlyException;
import java.net.SocketTimeoutException;

/**
 * The exception a real source throws for each failure cause of the lavametrics plugin, rebuilt
 * with the texts of lavaplayer 2.2.x and youtube-source 1.x (the classes and lines are named; the
 * plugin's FailureCausesTest quotes the same texts). The cause names are the plugin catalog's;
 * {@code other} carries an address, an id and a URL, which must never reach a label.
 */
final class Failures {
    /** The address, id and URL {@code other}'s message carries, for privacy tests to look for. */
    static final String HOSTILE = "203.0.113.9 guild 123456789012345678 https://example.invalid/watch?v=dQw4w9WgXcQ";

    private Failures() {}

    /**
     * The exception for {@code cause}, thrown as the source throws it: lavaplayer and Lavalink wrap
     * it as they wrap a real source's (a load in loading.kt's "Something went wrong while looking up
     * the track.", a play's non-friendly exception in "Something broke when playing the track.").
     * A cause the plugin does not know fails as a bad identifier.
     */
    static RuntimeException of(String cause) {
        return switch (cause) {
            // youtube-source: Client.getPlayabilityStatus (LOGIN_REQUIRED, e.g. for "Sign in to confirm
            // you're not a bot") per client, joined by AllClientsFailedException
            case "login_required" ->
                new FriendlyException(
                        "(yts.version: 1.13.3) All clients failed to load the item.\n\nClient [MUSIC] failed: This video"
                                + " requires login.\n\nClient [WEB] failed: Sign in to confirm you\u2019re not a bot",
                        SUSPICIOUS,
                        null);
            // lavaplayer PersistentHttpStream.validateStatusCode
            case "forbidden" -> new RuntimeException("Not success status code: 403");
            case "rate_limited" -> new RuntimeException("Not success status code: 429");
            // youtube-source Client.getPlayabilityStatus
            case "age_restricted" -> new FriendlyException("This video requires age verification.", SUSPICIOUS, null);
            case "region_blocked" ->
                new FriendlyException("The uploader has not made this video available in your country", COMMON, null);
            case "unavailable" -> new FriendlyException("This video is unavailable", COMMON, null);
            // youtube-source YoutubeAudioTrack.process
            case "no_stream" ->
                new FriendlyException(
                        "This video cannot be played",
                        COMMON,
                        new RuntimeException("None of the registered clients supports loading of formats"));
            // lavaplayer LocalAudioTrackExecutor (decoding) and HttpAudioSourceManager (connecting)
            case "decode" ->
                new FriendlyException(
                        "Something went wrong when decoding the track.",
                        FAULT,
                        new IllegalStateException("Subframe header must start with 0 bit.")); // FlacSubFrameReader
            case "network" ->
                new FriendlyException(
                        "Connecting to the URL failed.", SUSPICIOUS, new SocketTimeoutException("Connect timed out"));
            // anything else a source throws
            case "other" -> new IllegalStateException("unclassified failure for " + HOSTILE);
            default ->
                throw new FriendlyException(
                        "lavametrics-fail: no such cause (login_required, forbidden, rate_limited, age_restricted,"
                                + " region_blocked, unavailable, no_stream, decode, network, other)",
                        COMMON,
                        null);
        };
    }
}
