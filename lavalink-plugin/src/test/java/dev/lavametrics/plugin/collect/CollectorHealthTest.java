package dev.lavametrics.plugin.collect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.support.LogCapture;
import org.junit.jupiter.api.Test;

class CollectorHealthTest {

    /** Exception messages quote their input, often a client's: the log gets them escaped, on one line. */
    @Test
    void anErrorIsLoggedAsOneEscapedLine() {
        CollectorHealth health = new CollectorHealth();
        try (LogCapture log = LogCapture.of(CollectorHealth.class)) {
            health.recordError("filters", new NumberFormatException("For input string: \"1\n12:00:00 ERROR forged\""));
            health.recordError("filters", new IllegalStateException("a second one, within the minute"));
            assertEquals(1, log.lines().size(), log.all());
            String line = log.lines().get(0);
            assertFalse(line.contains("\n"), line);
            assertTrue(line.contains("For input string: \"1\\n12:00:00 ERROR forged\" at "), line);
            assertFalse(log.hasThrowable(), "a raw exception would be printed with its message unescaped");
        }
        assertEquals(2, health.errors(Catalog.COLLECTOR.indexOf("filters")));
    }
}
