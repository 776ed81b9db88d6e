package dev.lavametrics.plugin.catalog;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Why a track or a load failed, as one of a closed set of causes: the one classifier of failure
 * causes, and the one place their rules are written (docs/metrics.md renders them from here).
 *
 * <p>What Lavalink hands a client, and so the plugin, is text: a load's {@code data} and a
 * {@code TrackExceptionEvent}'s {@code exception}, each {@code message} (the FriendlyException's),
 * {@code cause} ({@code Throwable.toString()}: class name and message) and {@code causeStackTrace}
 * (Kotlin's {@code stackTraceToString()}, whose {@code Caused by:} and {@code Suppressed:} headers
 * are the rest of the chain; for a load it is the whole chain, for a track event only the root
 * cause). {@link #classify} walks that chain: every link's class name and message, frames
 * skipped. The rules are tried in order; the first that matches any link names the cause, so a
 * refusal wrapped in a generic lavaplayer wrapper ("Something broke when playing the track.") is
 * still a refusal. Nothing matched is {@code other}.
 *
 * <p>The result is always one of {@link #NAMES}: a message never becomes a label, whatever it
 * holds (addresses, video ids, URLs). Pattern matching costs a few microseconds per failure and
 * failures are rare; inputs are capped at {@link #MAX_CHARS} so a huge stack trace costs no more.
 */
public final class FailureCauses {
    public static final String LOGIN_REQUIRED = "login_required";
    public static final String FORBIDDEN = "forbidden";
    public static final String RATE_LIMITED = "rate_limited";
    public static final String AGE_RESTRICTED = "age_restricted";
    public static final String REGION_BLOCKED = "region_blocked";
    public static final String UNAVAILABLE = "unavailable";
    public static final String NO_STREAM = "no_stream";
    public static final String DECODE = "decode";
    public static final String NETWORK = "network";

    /** The label values, in exposition order. */
    public static final List<String> NAMES = List.of(
            LOGIN_REQUIRED,
            FORBIDDEN,
            RATE_LIMITED,
            AGE_RESTRICTED,
            REGION_BLOCKED,
            UNAVAILABLE,
            NO_STREAM,
            DECODE,
            NETWORK,
            Label.OTHER);

    /**
     * The causes that mean the source refuses this node (not this one item): what the
     * "source refused" alert counts. An operator answers them on the node (IP block, client,
     * credentials, source version), not per track.
     */
    public static final List<String> REFUSALS = List.of(LOGIN_REQUIRED, FORBIDDEN, RATE_LIMITED);

    /** What each cause means, for the metrics reference. */
    public static final List<List<String>> MEANINGS = List.of(
            List.of(LOGIN_REQUIRED, "the source wants a signed-in client: YouTube's bot check, HTTP 401"),
            List.of(FORBIDDEN, "the source refuses the request: HTTP 403, or YouTube answering with another video"),
            List.of(RATE_LIMITED, "the source throttles this node: HTTP 429, YouTube's unusual-traffic page"),
            List.of(AGE_RESTRICTED, "the item needs age verification"),
            List.of(REGION_BLOCKED, "the item is not available in the node's country"),
            List.of(UNAVAILABLE, "the item is gone, private or does not exist (HTTP 404/410)"),
            List.of(NO_STREAM, "the item has no audio stream this node can play"),
            List.of(DECODE, "the audio could not be decoded (unknown or broken format)"),
            List.of(NETWORK, "connecting to or reading from the source failed (timeouts, resets, TLS, DNS)"),
            List.of(Label.OTHER, "nothing above matched (the message itself is never exported)"));

    /** Characters of each input read: a chain's causes are in its first few kilobytes. */
    static final int MAX_CHARS = 32 * 1024;

    /** How a rule reads a link: its class name, or its message (case-insensitive). */
    public enum On {
        CLASS,
        MESSAGE
    }

    /**
     * One rule: when {@code pattern} finds a match in a link's class name or message, the failure
     * is {@code cause}. {@code thrower} and {@code upstream} say whose text it is and quote it.
     */
    public record Rule(String cause, On on, String regex, String thrower, String upstream) {
        Pattern compiled() {
            return Pattern.compile(regex, on == On.MESSAGE ? Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE : 0);
        }
    }

    /** An HTTP status in the wordings lavaplayer and youtube-source use (see the rules' upstream text). */
    private static String status(String codes) {
        return "(?:status|response) code\\D{0,40}\\b(?:" + codes + ")\\b";
    }

    /** In priority order: the first rule matching any link of the chain wins. */
    public static final List<Rule> RULES = List.of(
            new Rule(
                    RATE_LIMITED,
                    On.MESSAGE,
                    status("429"),
                    "lavaplayer, youtube-source",
                    "Not success status code: 429 (lavaplayer PersistentHttpStream); Status code 429 (lavaplayer"
                            + " HttpAudioSourceManager, under \"That URL is not playable.\"); Invalid status code for"
                            + " player api response: 429; Received non-success response code 429 from script url"),
            new Rule(RATE_LIMITED, On.MESSAGE, "too many requests", "HTTP", "429 Too Many Requests"),
            new Rule(
                    RATE_LIMITED,
                    On.MESSAGE,
                    "unusual traffic",
                    "YouTube",
                    "Our systems have detected unusual traffic from your computer network."),
            new Rule(
                    LOGIN_REQUIRED,
                    On.MESSAGE,
                    "sign in to confirm you[\u2019']re not a bot",
                    "YouTube",
                    "Sign in to confirm you\u2019re not a bot (playability reason, in the message of"
                            + " youtube-source's AllClientsFailedException)"),
            new Rule(
                    LOGIN_REQUIRED,
                    On.MESSAGE,
                    "this video requires login",
                    "youtube-source",
                    "This video requires login. (Client.getPlayabilityStatus, status LOGIN_REQUIRED)"),
            new Rule(
                    LOGIN_REQUIRED,
                    On.MESSAGE,
                    "cannot be viewed anonymously",
                    "youtube-source",
                    "This video cannot be viewed anonymously. (unknown playability status)"),
            new Rule(LOGIN_REQUIRED, On.MESSAGE, status("401"), "lavaplayer", "Not success status code: 401"),
            new Rule(
                    FORBIDDEN,
                    On.MESSAGE,
                    status("403"),
                    "lavaplayer, youtube-source",
                    "Not success status code: 403 (lavaplayer PersistentHttpStream; youtube-source retries"
                            + " other clients on it); Status code 403 (lavaplayer HttpAudioSourceManager)"),
            new Rule(FORBIDDEN, On.MESSAGE, "\\b403 forbidden\\b", "HTTP", "403 Forbidden"),
            new Rule(
                    FORBIDDEN,
                    On.MESSAGE,
                    "(?:isn't|is not) what was requested",
                    "lavaplayer, youtube-source",
                    "Video returned by YouTube isn't what was requested (lavaplayer"
                            + " DefaultYoutubeTrackDetailsLoader); The video returned is not what was requested."
                            + " (youtube-source NonMusicClient): YouTube serving a substitute to a flagged client"),
            new Rule(
                    AGE_RESTRICTED,
                    On.MESSAGE,
                    "requires age verification|sign in to confirm your age|inappropriate for some users",
                    "lavaplayer, youtube-source, YouTube",
                    "This video requires age verification.; Sign in to confirm your age; This video may be"
                            + " inappropriate for some users."),
            new Rule(
                    REGION_BLOCKED,
                    On.MESSAGE,
                    "not (?:made this video )?available in your (?:country|region)|blocked it in your country",
                    "YouTube",
                    "The uploader has not made this video available in your country; This video is not available"
                            + " in your country.; ... who has blocked it in your country on copyright grounds"),
            new Rule(
                    UNAVAILABLE,
                    On.MESSAGE,
                    "this video is unavailable|video unavailable|this (?:is a private video|video is private)"
                            + "|(?:has been|was) removed|no longer available",
                    "YouTube, youtube-source",
                    "This video is unavailable; This is a private video.; This video has been removed by the"
                            + " uploader"),
            new Rule(UNAVAILABLE, On.MESSAGE, status("404|410"), "lavaplayer", "Not success status code: 404"),
            new Rule(
                    NO_STREAM,
                    On.MESSAGE,
                    "no supported audio streams|supports loading of formats|this video cannot be played"
                            + "|webm streams are currently not supported|that url is not playable"
                            + "|this video is unplayable",
                    "youtube-source, lavaplayer",
                    "No supported audio streams available, available types: ...; None of the registered clients"
                            + " supports loading of formats; This video cannot be played; That URL is not playable."),
            new Rule(
                    NETWORK,
                    On.CLASS,
                    "java\\.net\\.(?:SocketTimeout|Connect|UnknownHost|NoRouteToHost|Socket|PortUnreachable)Exception"
                            + "|java\\.net\\.http\\.HttpTimeoutException|javax\\.net\\.ssl\\.\\w+"
                            + "|org\\.apache\\.http\\.(?:conn\\.ConnectTimeoutException|conn\\.HttpHostConnectException"
                            + "|NoHttpResponseException|ConnectionClosedException|TruncatedChunkException)",
                    "JDK, Apache HttpClient",
                    "java.net.SocketTimeoutException: Read timed out; java.net.UnknownHostException;"
                            + " javax.net.ssl.SSLHandshakeException; org.apache.http.NoHttpResponseException"),
            new Rule(
                    NETWORK,
                    On.MESSAGE,
                    "connecting to the url failed|connection reset|read timed out|connect timed out"
                            + "|connection refused|no route to host",
                    "lavaplayer, JDK",
                    "Connecting to the URL failed. (lavaplayer HttpAudioSourceManager); Connection reset;"
                            + " Read timed out"),
            new Rule(
                    DECODE,
                    On.MESSAGE,
                    "when decoding the track|unknown file format|unknown mp4 format",
                    "lavaplayer",
                    "Something went wrong when decoding the track. (LocalAudioTrackExecutor); Unknown file"
                            + " format. (ProbingAudioSourceManager); Unknown MP4 format."));

    private static final Pattern[] COMPILED = RULES.stream().map(Rule::compiled).toArray(Pattern[]::new);

    /** {@code com.x.Y: message} or {@code com.x.Y} at the start of a chain link's header line. */
    private static final Pattern HEADER = Pattern.compile(
            "^\\s*(?:Caused by: |Suppressed: )?([A-Za-z_$][\\w$]*(?:\\.[A-Za-z_$][\\w$]*)+)(?::\\s?(.*))?$");

    private static final Pattern FRAME = Pattern.compile("^\\s+(?:at |\\.\\.\\. \\d+ (?:more|common frames omitted))");

    private FailureCauses() {}

    /** One link of the chain: a class name (may be empty) and its message text. */
    record Link(String className, String message) {}

    /**
     * The cause of a failure Lavalink reported with these three texts (each may be null): always
     * one of {@link #NAMES}.
     */
    public static String classify(String message, String cause, String causeStackTrace) {
        List<Link> chain = chain(message, cause, causeStackTrace);
        for (int i = 0; i < RULES.size(); i++) {
            Rule rule = RULES.get(i);
            Matcher matcher = COMPILED[i].matcher("");
            for (Link link : chain) {
                String text = rule.on() == On.CLASS ? link.className() : link.message();
                if (!text.isEmpty() && matcher.reset(text).find()) {
                    return rule.cause();
                }
            }
        }
        return Label.OTHER;
    }

    /** The links of the chain the three texts describe, in order; frames are dropped. */
    static List<Link> chain(String message, String cause, String causeStackTrace) {
        List<Link> links = new ArrayList<>();
        if (message != null && !message.isEmpty()) {
            links.add(new Link("", cap(message)));
        }
        readTrace(cap(cause), links);
        readTrace(cap(causeStackTrace), links);
        return links;
    }

    /**
     * Adds the links of a {@code Throwable.toString()} or stack trace text: a header line starts a
     * link, later lines that are not frames continue its (multi-line) message.
     */
    private static void readTrace(String text, List<Link> links) {
        if (text == null || text.isEmpty()) {
            return;
        }
        String className = null;
        StringBuilder body = new StringBuilder();
        for (String line : text.split("\r?\n", -1)) {
            if (FRAME.matcher(line).find()) {
                continue;
            }
            Matcher header = HEADER.matcher(line);
            if (header.matches() && looksLikeClass(header.group(1))) {
                if (className != null) {
                    links.add(new Link(className, body.toString()));
                }
                className = header.group(1);
                body.setLength(0);
                body.append(header.group(2) == null ? "" : header.group(2));
            } else if (className != null) {
                body.append('\n').append(line);
            } else {
                links.add(new Link("", line)); // text before any header: still message text
            }
        }
        if (className != null) {
            links.add(new Link(className, body.toString()));
        }
    }

    /** A fully qualified class name ends in a capitalised simple name (not "e.g" or a host name). */
    private static boolean looksLikeClass(String name) {
        String simple = name.substring(name.lastIndexOf('.') + 1);
        return !simple.isEmpty()
                && Character.isUpperCase(simple.charAt(0))
                && name.equals(name.toLowerCase(Locale.ROOT).substring(0, name.lastIndexOf('.'))
                        + name.substring(name.lastIndexOf('.')));
    }

    private static String cap(String text) {
        return text == null || text.length() <= MAX_CHARS ? text : text.substring(0, MAX_CHARS);
    }
}
