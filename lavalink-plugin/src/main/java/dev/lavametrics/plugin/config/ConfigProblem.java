package dev.lavametrics.plugin.config;

/**
 * One thing wrong with {@code plugins.lavametrics}.
 *
 * @param key     dotted camelCase path of the offending setting
 * @param value   the value as given when its key is a known, non-secret setting, else
 *                {@value LogSafe#MASK}; null when nothing was given
 * @param allowed what would have been accepted, or null
 */
public record ConfigProblem(String key, String value, String message, String allowed) {

    /**
     * The single log line an operator sees for this problem. The value is shown only for a known,
     * non-secret key (an unknown key may be a misspelled secret); all parts are escaped.
     */
    public String logLine() {
        return "plugins.lavametrics." + LogSafe.text(key) + "=" + LogSafe.configValue(key, value) + ": "
                + LogSafe.text(message) + (allowed == null ? "" : " (allowed: " + LogSafe.text(allowed) + ")");
    }
}
