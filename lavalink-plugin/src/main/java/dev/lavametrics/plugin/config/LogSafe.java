package dev.lavametrics.plugin.config;

import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.ConfigKey;

/**
 * The one way the plugin puts config values, client data or exception text into a log line.
 *
 * <p>A config value is shown only when its key is in the catalog and not secret: a misspelled
 * {@code endpoint.auth.passwrod} is as secret as the real one, so anything unknown is masked.
 * Whatever is shown is escaped, so a newline in a value cannot forge a log line of its own, and
 * truncated, so one value cannot flood the log.
 */
public final class LogSafe {
    public static final String MASK = "******";
    /** Longest config value shown, in code points. */
    public static final int VALUE_LIMIT = 64;
    /** Longest free text shown (messages, exceptions), in code points. */
    public static final int TEXT_LIMIT = 200;

    private LogSafe() {}

    /** {@code value} of {@code key} (dotted camelCase below {@code plugins.lavametrics}) as a log may show it. */
    public static String configValue(String key, Object value) {
        if (value == null) {
            return "null";
        }
        ConfigKey known = Catalog.CONFIG.stream()
                .filter(k -> k.key().equals(key))
                .findFirst()
                .orElse(null);
        if (known == null || known.secret()) {
            return MASK;
        }
        return escape(String.valueOf(value), VALUE_LIMIT);
    }

    /** Text that holds no secret but may hold anything else (a key as written, a message, a request's data). */
    public static String text(Object text) {
        return escape(String.valueOf(text), TEXT_LIMIT);
    }

    /**
     * An exception in one line: its type and message (escaped, since messages often quote the input
     * that caused them) and where it was thrown. No stack trace: frames are code, but the messages of
     * causes are input again.
     */
    public static String exception(Throwable error) {
        StackTraceElement[] frames = error.getStackTrace();
        return text(error) + (frames.length == 0 ? "" : " at " + frames[0]);
    }

    /** Escapes line breaks, other control and format characters, and backslash; cuts after {@code limit} code points. */
    static String escape(String text, int limit) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), limit) + 8);
        int shown = 0;
        for (int i = 0; i < text.length(); ) {
            if (shown == limit) {
                return out.append("...").toString();
            }
            int c = text.codePointAt(i);
            i += Character.charCount(c);
            shown++;
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    int type = Character.getType(c);
                    // Control (incl. NEL), line/paragraph separators, and format characters such as
                    // bidi overrides, which can make a log line read differently from what it holds.
                    if (Character.isISOControl(c)
                            || type == Character.LINE_SEPARATOR
                            || type == Character.PARAGRAPH_SEPARATOR
                            || type == Character.FORMAT
                            || type == Character.SURROGATE) {
                        out.append(String.format("\\u%04x", c));
                    } else {
                        out.appendCodePoint(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
