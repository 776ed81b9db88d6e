package dev.lavametrics.plugin.support;

/** Lavalink v4 websocket messages as the node sends them. */
public final class Messages {
    private Messages() {}

    private static String track(String source) {
        return "{\"encoded\":\"QAAA\",\"info\":{\"identifier\":\"x\",\"title\":\"Some title\",\"sourceName\":\""
                + source + "\",\"uri\":\"https://example.com/x\"},\"pluginInfo\":{},\"userData\":{}}";
    }

    public static String trackStart(long guildId, String source) {
        return "{\"op\":\"event\",\"type\":\"TrackStartEvent\",\"guildId\":\"" + guildId + "\",\"track\":"
                + track(source) + "}";
    }

    public static String trackEnd(long guildId, String source, String reason) {
        return "{\"op\":\"event\",\"type\":\"TrackEndEvent\",\"guildId\":\"" + guildId + "\",\"track\":" + track(source)
                + ",\"reason\":\"" + reason + "\"}";
    }

    /**
     * A TrackExceptionEvent as Lavalink 4.2.2's EventEmitter writes it: the FriendlyException's
     * message, the root cause's toString and its stack trace.
     */
    public static String trackException(
            long guildId, String source, String severity, String message, String cause, String causeStackTrace) {
        return "{\"op\":\"event\",\"type\":\"TrackExceptionEvent\",\"guildId\":\"" + guildId + "\",\"track\":"
                + track(source) + ",\"exception\":{\"message\":" + quote(message) + ",\"severity\":\"" + severity
                + "\",\"cause\":" + quote(cause) + ",\"causeStackTrace\":" + quote(causeStackTrace) + "}}";
    }

    /** A JSON string literal. */
    public static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    public static String trackException(long guildId, String source, String severity) {
        return "{\"op\":\"event\",\"type\":\"TrackExceptionEvent\",\"guildId\":\"" + guildId + "\",\"track\":"
                + track(source) + ",\"exception\":{\"message\":\"boom\",\"severity\":\"" + severity
                + "\",\"cause\":\"x\"}}";
    }

    public static String trackStuck(long guildId, String source) {
        return "{\"op\":\"event\",\"type\":\"TrackStuckEvent\",\"guildId\":\"" + guildId + "\",\"track\":"
                + track(source) + ",\"thresholdMs\":10000}";
    }

    public static String voiceClosed(long guildId, int code) {
        return "{\"op\":\"event\",\"type\":\"WebSocketClosedEvent\",\"guildId\":\"" + guildId + "\",\"code\":" + code
                + ",\"reason\":\"\",\"byRemote\":true}";
    }

    public static String playerUpdate(long guildId, boolean connected, long ping) {
        return "{\"op\":\"playerUpdate\",\"guildId\":\"" + guildId + "\",\"state\":{\"time\":1,\"position\":0,"
                + "\"connected\":" + connected + ",\"ping\":" + ping + "}}";
    }

    public static String stats() {
        return "{\"op\":\"stats\",\"players\":1,\"playingPlayers\":1,\"uptime\":1}";
    }

    public static String ready(boolean resumed) {
        return "{\"op\":\"ready\",\"resumed\":" + resumed + ",\"sessionId\":\"s\"}";
    }
}
