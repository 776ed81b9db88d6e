package dev.lavametrics.standin.voice;

/** What a Lavalink client sends in a player PATCH's {@code voice} object, plus the ids needed to IDENTIFY. */
public record VoiceServerInfo(long guildId, long userId, String sessionId, String token, String endpoint) {
    public boolean complete() {
        return userId != 0 && notBlank(sessionId) && notBlank(token) && notBlank(endpoint);
    }

    private static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }

    /** {@code host:port} with any {@code scheme://} prefix and trailing path removed. */
    public String hostPort() {
        String e = endpoint.trim();
        int scheme = e.indexOf("://");
        if (scheme >= 0) {
            e = e.substring(scheme + 3);
        }
        int slash = e.indexOf('/');
        if (slash >= 0) {
            e = e.substring(0, slash);
        }
        return e;
    }
}
