package dev.lavametrics.plugin.catalog;

import static com.sedmelluq.discord.lavaplayer.tools.FriendlyException.Severity.COMMON;
import static com.sedmelluq.discord.lavaplayer.tools.FriendlyException.Severity.FAULT;
import static com.sedmelluq.discord.lavaplayer.tools.FriendlyException.Severity.SUSPICIOUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sedmelluq.discord.lavaplayer.tools.FriendlyException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The classifier on the texts lavaplayer, youtube-source and YouTube really produce, quoted as
 * data with where each comes from, and handed over as Lavalink 4.2.2 hands them to clients:
 * {@link #asLoad} as {@code LoadResult.loadFailed} (loading.kt's wrapper, then util.kt
 * {@code fromFriendlyException}: its toString and whole stack trace), {@link #asTrackEvent} as {@code EventEmitter.
 * onTrackException} (the root cause's toString and stack trace only).
 *
 * <p>Sources read (lavalink-devs/lavaplayer main 32e8fed, lavalink-devs/youtube-source main 158726d,
 * lavalink-devs/Lavalink 4.2.2): the class and line are named beside each case.
 */
class FailureCausesTest {
    /** youtube-source AllClientsFailedException: its message joins every ClientException's. */
    private static String allClientsFailed(String... clientFailures) {
        StringBuilder message = new StringBuilder("(yts.version: 1.13.3) All clients failed to load the item.");
        for (String failure : clientFailures) {
            message.append("\n\n")
                    .append(failure)
                    .append("\n\tat dev.lavalink.youtube.clients.skeleton.Client")
                    .append(".getPlayabilityStatus(Client.java:94)");
        }
        return message.toString();
    }

    private static String trace(Throwable e) {
        StringWriter out = new StringWriter();
        e.printStackTrace(new PrintWriter(out)); // what Kotlin's stackTraceToString() writes
        return out.toString();
    }

    private static Throwable root(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root;
    }

    /**
     * A loadtracks error's data, as Lavalink 4.2.2 writes it: loading.kt wraps whatever the source
     * threw in its own FriendlyException (measured on a real node, docs/compat.md), and
     * fromFriendlyException writes that wrapper's toString and whole stack trace.
     */
    static String asLoad(FriendlyException e) {
        FriendlyException wrapper = new FriendlyException("Something went wrong while looking up the track.", FAULT, e);
        return FailureCauses.classify(wrapper.getMessage(), wrapper.toString(), trace(wrapper));
    }

    /** A TrackExceptionEvent's exception, as Lavalink 4.2.2 writes it. */
    static String asTrackEvent(FriendlyException e) {
        Throwable root = root(e);
        return FailureCauses.classify(e.getMessage(), root.toString(), trace(root));
    }

    private static void both(String expected, FriendlyException e) {
        assertEquals(expected, asLoad(e), "as a load error: " + e);
        assertEquals(expected, asTrackEvent(e), "as a track exception: " + e);
    }

    @Test
    void youtubeBotCheckIsLoginRequired() {
        // YouTube's playability reason for a flagged client; youtube-source Client.getPlayabilityStatus
        // throws the reason of an ERROR status as is (FriendlyException(reason, COMMON, null))
        both(
                FailureCauses.LOGIN_REQUIRED,
                new FriendlyException("Sign in to confirm you\u2019re not a bot", COMMON, null));
        both(FailureCauses.LOGIN_REQUIRED, new FriendlyException("Sign in to confirm you're not a bot", COMMON, null));
        // status LOGIN_REQUIRED with that reason: Client.java:94, wrapped per client by ClientException
        // ("Client [%s] failed: %s") into AllClientsFailedException (YoutubeAudioSourceManager.java:267)
        both(
                FailureCauses.LOGIN_REQUIRED,
                new FriendlyException(
                        allClientsFailed(
                                "Client [MUSIC] failed: This video requires login.",
                                "Client [WEB] failed: This video requires login."),
                        SUSPICIOUS,
                        null));
        // Client.java default branch
        both(
                FailureCauses.LOGIN_REQUIRED,
                new FriendlyException("This video cannot be viewed anonymously.", COMMON, null));
    }

    @Test
    void httpStatusRefusals() {
        // lavaplayer PersistentHttpStream.validateStatusCode: RuntimeException("Not success status code: " + code),
        // during playback under LocalAudioTrackExecutor's "Something broke when playing the track." (FAULT)
        both(
                FailureCauses.FORBIDDEN,
                new FriendlyException(
                        "Something broke when playing the track.",
                        FAULT,
                        new RuntimeException("Not success status code: 403")));
        both(
                FailureCauses.RATE_LIMITED,
                new FriendlyException(
                        "Something broke when playing the track.",
                        FAULT,
                        new RuntimeException("Not success status code: 429")));
        // lavaplayer HttpAudioSourceManager.detectContainerWithClient, loading a URL that answers 403
        both(
                FailureCauses.FORBIDDEN,
                new FriendlyException(
                        "That URL is not playable.", COMMON, new IllegalStateException("Status code 403")));
        // HttpClientTools.assertSuccessWithContent: IOException("Invalid status code for " + context + ": " + code)
        both(
                FailureCauses.RATE_LIMITED,
                new FriendlyException(
                        "Something went wrong when looking up the track",
                        FAULT,
                        new java.io.IOException("Invalid status code for player api response: 429")));
        // youtube-source LocalSignatureCipherManager: "Received non-success response code " + code + " from script url
        // "
        both(
                FailureCauses.FORBIDDEN,
                new FriendlyException(
                        "Something broke when playing the track.",
                        FAULT,
                        new java.io.IOException("Received non-success response code 403 from script url"
                                + " https://www.youtube.com/s/player/abc/base.js")));
        // youtube-source YoutubeAudioTrack.process: a 403 from every client ends as AllClientsFailedException
        both(
                FailureCauses.FORBIDDEN,
                new FriendlyException(
                        allClientsFailed(
                                "Client [WEB] failed: Not success status code: 403",
                                "Client [TVHTML5] failed: Not success status code: 403"),
                        SUSPICIOUS,
                        null));
    }

    @Test
    void aRateLimitOutranksTheOtherClientsLoginFailure() {
        both(
                FailureCauses.RATE_LIMITED,
                new FriendlyException(
                        allClientsFailed(
                                "Client [WEB] failed: This video requires login.",
                                "Client [MUSIC] failed: Not success status code: 429"),
                        SUSPICIOUS,
                        null));
    }

    @Test
    void youtubeSubstituteVideoIsARefusal() {
        // lavaplayer DefaultYoutubeTrackDetailsLoader.java:58 (the old built-in YouTube source)
        both(
                FailureCauses.FORBIDDEN,
                new FriendlyException(
                        "Video returned by YouTube isn't what was requested",
                        COMMON,
                        new IllegalStateException("{\"playabilityStatus\":{\"status\":\"OK\"}}")));
        // youtube-source NonMusicClient.loadTrackInfoFromInnertube
        both(
                FailureCauses.FORBIDDEN,
                new FriendlyException(
                        "The video returned is not what was requested.",
                        SUSPICIOUS,
                        new RuntimeException("Incorrect video response, JSON: {}")));
    }

    @Test
    void itemProblems() {
        // YouTube ERROR reason, thrown as is by youtube-source Client.getPlayabilityStatus
        both(FailureCauses.UNAVAILABLE, new FriendlyException("This video is unavailable", COMMON, null));
        // Client.java:82 (LOGIN_REQUIRED with "This video is private")
        both(FailureCauses.UNAVAILABLE, new FriendlyException("This is a private video.", COMMON, null));
        // Client.java:86 and lavaplayer DefaultYoutubeTrackDetailsLoader (second check)
        both(
                FailureCauses.AGE_RESTRICTED,
                new FriendlyException("This video requires age verification.", SUSPICIOUS, null));
        both(
                FailureCauses.AGE_RESTRICTED,
                new FriendlyException(
                        "This video requires age verification.",
                        SUSPICIOUS,
                        new IllegalStateException("You did not set email and password in YoutubeAudioSourceManager.")));
        // YouTube UNPLAYABLE reasons (getUnplayableReason); the second is Lavalink's own protocol test data
        // (LoadResultSerializerTest.kt)
        both(
                FailureCauses.REGION_BLOCKED,
                new FriendlyException("The uploader has not made this video available in your country", COMMON, null));
        both(
                FailureCauses.REGION_BLOCKED,
                new FriendlyException("This video is not available in your country.", COMMON, null));
        // youtube-source YoutubeAudioTrack.java:67 and TrackFormats.java:47
        both(
                FailureCauses.NO_STREAM,
                new FriendlyException(
                        "This video cannot be played",
                        COMMON,
                        new RuntimeException("None of the registered clients supports loading of formats")));
        both(
                FailureCauses.NO_STREAM,
                new FriendlyException(
                        "Something broke when playing the track.",
                        FAULT,
                        new RuntimeException("No supported audio streams available, available types: video/mp4")));
    }

    @Test
    void networkAndDecode() {
        // lavaplayer HttpAudioSourceManager.detectContainer: IOException -> "Connecting to the URL failed."
        both(
                FailureCauses.NETWORK,
                new FriendlyException(
                        "Connecting to the URL failed.", SUSPICIOUS, new ConnectException("Connection refused")));
        both(
                FailureCauses.NETWORK,
                new FriendlyException(
                        "Something broke when playing the track.",
                        FAULT,
                        new RuntimeException(new SocketTimeoutException("Read timed out"))));
        // a network failure while decoding is the network's (LocalAudioTrackExecutor.java:279 wraps both)
        both(
                FailureCauses.NETWORK,
                new FriendlyException(
                        "Something went wrong when decoding the track.",
                        FAULT,
                        new javax.net.ssl.SSLException("Unsupported or unrecognized SSL message")));
        // lavaplayer ProbingAudioSourceManager.handleLoadResult and LocalAudioTrackExecutor.java:279
        both(FailureCauses.DECODE, new FriendlyException("Unknown file format.", COMMON, null));
        both(
                FailureCauses.DECODE,
                new FriendlyException(
                        "Something went wrong when decoding the track.",
                        FAULT,
                        new IllegalStateException("Invalid frame sync")));
    }

    @Test
    void whatMatchesNothingIsOther() {
        // Lavalink loading.kt: any throwable from loadItemSync
        both(
                Label.OTHER,
                new FriendlyException(
                        "Something went wrong while looking up the track.", FAULT, new NullPointerException()));
        assertEquals(Label.OTHER, FailureCauses.classify(null, null, null));
        assertEquals(Label.OTHER, FailureCauses.classify("", "", ""));
    }

    /** A status in a URL, an id or a host name is not a status code. */
    @Test
    void numbersElsewhereAreNotStatusCodes() {
        both(
                Label.OTHER,
                new FriendlyException(
                        "Something went wrong when looking up the track",
                        FAULT,
                        new IllegalArgumentException("bad track https://cdn.example.com/403/429/track.mp3")));
        both(Label.OTHER, new FriendlyException("Track 403429 failed", COMMON, null));
    }

    /**
     * Messages carrying addresses, ids and URLs (and texts that look like label values or exposition
     * syntax) only ever yield a catalog value: the label set cannot learn anything from them.
     */
    @Test
    void hostileMessagesYieldOnlyCatalogValues() {
        List<String> hostile = List.of(
                "Failed for 203.0.113.7 (2001:db8::1) video dQw4w9WgXcQ guild 123456789012345678",
                "https://example.com/watch?v=dQw4w9WgXcQ&token=s3cr3t",
                "cause=\"x\"} lavametrics_info 1\n# TYPE evil counter",
                "login_required forbidden rate_limited",
                "com.evil.Exception: Sign in as 198.51.100.4",
                "\u0000\u202e\ud83d\ude00".repeat(20_000));
        Set<String> seen = new HashSet<>();
        for (String text : hostile) {
            String cause = FailureCauses.classify(text, "java.lang.RuntimeException: " + text, text);
            assertTrue(FailureCauses.NAMES.contains(cause), cause);
            seen.add(cause);
        }
        assertFalse(seen.stream().anyMatch(c -> c.contains(".") || c.contains(":")), seen.toString());
    }

    @Test
    void everyRuleCompilesAndNamesACatalogCause() {
        for (FailureCauses.Rule rule : FailureCauses.RULES) {
            assertTrue(FailureCauses.NAMES.contains(rule.cause()), rule.toString());
            assertFalse(rule.upstream().isBlank(), rule.toString());
        }
        assertTrue(FailureCauses.NAMES.containsAll(FailureCauses.REFUSALS));
        assertEquals(FailureCauses.NAMES.size(), FailureCauses.MEANINGS.size());
        for (int i = 0; i < FailureCauses.NAMES.size(); i++) {
            assertEquals(
                    FailureCauses.NAMES.get(i), FailureCauses.MEANINGS.get(i).get(0));
        }
    }

    @Test
    void theChainIsReadWithoutFrames() {
        FriendlyException e = new FriendlyException(
                "Something broke when playing the track.",
                FAULT,
                new RuntimeException("outer", new SocketTimeoutException("Read timed out")));
        List<FailureCauses.Link> chain = FailureCauses.chain(e.getMessage(), e.toString(), trace(e));
        assertTrue(
                chain.stream().anyMatch(l -> l.className().equals("java.net.SocketTimeoutException")),
                chain.toString());
        assertTrue(chain.stream().noneMatch(l -> l.message().contains("\tat ")), chain.toString());
    }
}
