package dev.lavametrics.plugin.socket;

/**
 * The event path's reader of outgoing messages, opened to the JMH benchmarks (package
 * {@code bench}, compiled only with {@code -Pbench}), so that they measure the production reader
 * and not a copy of it.
 */
public final class MessageReading {
    private MessageReading() {}

    /** What the plugin reads from one message, for comparing readers. */
    public record Fields(
            String op, String type, String guildId, String source, String reason, boolean connected, long ping) {}

    /** {@link OutgoingMessages}' reading of {@code message}, as it is (for timing). */
    public static Object read(String message) {
        return OutgoingMessages.Message.read(message);
    }

    /** The same reading, as comparable fields; null when the message is not a JSON object. */
    public static Fields fields(String message) {
        OutgoingMessages.Message m = OutgoingMessages.Message.read(message);
        return m == null ? null : new Fields(m.op, m.type, m.guildId, m.source, m.reason, m.connected, m.ping);
    }
}
