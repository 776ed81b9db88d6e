package dev.lavametrics.plugin.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LogSafeTest {

    @Test
    void knownNonSecretValuesAreShown() {
        assertEquals("10.0.0.0/8", LogSafe.configValue("endpoint.allow", "10.0.0.0/8"));
        assertEquals("sometimes", LogSafe.configValue("groups.sessions", "sometimes"));
        assertEquals("null", LogSafe.configValue("groups.sessions", null));
    }

    @Test
    void secretAndUnknownKeysAreMasked() {
        assertEquals(LogSafe.MASK, LogSafe.configValue("endpoint.auth.password", "hunter2"));
        assertEquals(LogSafe.MASK, LogSafe.configValue("endpoint.auth.bearerToken", "hunter2"));
        assertEquals(LogSafe.MASK, LogSafe.configValue("endpoint.auth.passwrod", "hunter2"));
        assertEquals(LogSafe.MASK, LogSafe.configValue("endpoint.auth", "hunter2")); // a branch, not a value
        assertEquals(LogSafe.MASK, LogSafe.configValue("", "hunter2"));
        assertEquals(LogSafe.MASK, LogSafe.configValue(null, "hunter2"));
    }

    @Test
    void lineBreaksAndControlsAreEscaped() {
        assertEquals("a\\nb\\rc\\td\\\\e", LogSafe.text("a\nb\rc\td\\e"));
        assertEquals("\\u0000\\u001b[31m\\u007f\\u0085", LogSafe.text("\u0000\u001b[31m\u007f\u0085"));
        assertEquals("x\\u2028y\\u2029z", LogSafe.text("x\u2028y\u2029z"));
        assertEquals("\\u202egnp.exe", LogSafe.text("\u202egnp.exe")); // a bidi override
        assertEquals("caf\u00e9 \ud83c\udfb5", LogSafe.text("caf\u00e9 \ud83c\udfb5")); // printable stays as is
        assertEquals("\\ud83c!", LogSafe.text("\ud83c!")); // a lone surrogate
    }

    @Test
    void longValuesAreCut() {
        String shown = LogSafe.configValue("endpoint.host", "h".repeat(1000));
        assertEquals("h".repeat(LogSafe.VALUE_LIMIT) + "...", shown);
        assertEquals(
                "h".repeat(LogSafe.VALUE_LIMIT), LogSafe.configValue("endpoint.host", "h".repeat(LogSafe.VALUE_LIMIT)));
        assertEquals(LogSafe.TEXT_LIMIT + 3, LogSafe.text("t".repeat(5000)).length());
    }

    @Test
    void exceptionsAreOneEscapedLineNamingWhereTheyWereThrown() {
        String line = LogSafe.exception(new NumberFormatException("For input string: \"1\n2026 FORGED\""));
        assertTrue(line.startsWith("java.lang.NumberFormatException: For input string: \"1\\n2026 FORGED\" at "), line);
        assertTrue(line.contains("LogSafeTest"), line);
        assertTrue(!line.contains("\n"), line);
    }
}
