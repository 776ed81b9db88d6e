package dev.lavametrics.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.Group;
import dev.lavametrics.plugin.config.ConfigValidator;
import dev.lavametrics.plugin.support.LogCapture;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.core.env.MapPropertySource;
import org.springframework.mock.env.MockEnvironment;

class LavametricsPropertiesTest {

    @Test
    void readsTheTreeFromTheEnvironment() {
        MockEnvironment environment = new MockEnvironment()
                .withProperty("plugins.lavametrics.groups.rest", "true")
                .withProperty("plugins.lavametrics.endpoint.enabled", "true")
                .withProperty("plugins.lavametrics.endpoint.auth.bearer-token", "t0ken")
                .withProperty("plugins.lavametrics.endpoint.allow[0]", "10.0.0.0/8")
                .withProperty("plugins.lavametrics.endpoint.allow[1]", "::1/128")
                .withProperty("plugins.lavametrics.buckets.loadDurationSeconds[0]", "0.5")
                .withProperty("plugins.lavametrics.buckets.loadDurationSeconds[1]", "5");
        LavametricsProperties properties = LavametricsProperties.from(environment);
        assertTrue(properties.valid(), properties.problems().toString());
        assertTrue(properties.config().enabled(Group.REST));
        assertTrue(properties.config().endpoint().enabled());
        assertEquals("t0ken", properties.config().endpoint().bearerToken());
        assertEquals(2, properties.config().endpoint().allow().size());
        assertEquals(List.of(0.5, 5.0), properties.config().buckets(Catalog.LOAD_DURATION));
    }

    @Test
    void badValuesNeverThrow() {
        MockEnvironment environment = new MockEnvironment()
                .withProperty("plugins.lavametrics.endpoint.port", "lots")
                .withProperty("plugins.lavametrics.endpoint.enabled", "true")
                .withProperty("plugins.lavametrics.nonsense", "1");
        LavametricsProperties properties = LavametricsProperties.from(environment);
        assertEquals(2, properties.problems().size(), properties.problems().toString());
        assertFalse(properties.config().endpoint().enabled());
    }

    @Test
    void missingTreeMeansDefaults() {
        LavametricsProperties properties = LavametricsProperties.from(new MockEnvironment());
        assertTrue(properties.valid());
        assertFalse(properties.config().enabled(Group.REST));
    }

    /**
     * Issue 20: {@code allow[99999999999]} used to give a node with {@code lavametrics_config_valid 1}
     * and no warning while {@code lavametrics config validate} said INVALID. Indexes that are not
     * 0..n-1 (what no YAML list produces and Spring's typed binding refuses) are now a problem the
     * node logs, with its part falling back, and never an exception.
     */
    @Test
    void sparseOrHugeListIndexesAreAProblemNotAStop() {
        MockEnvironment environment = new MockEnvironment()
                .withProperty("plugins.lavametrics.endpoint.enabled", "true")
                .withProperty("plugins.lavametrics.endpoint.allow[99999999999]", "10.0.0.0/8")
                .withProperty("plugins.lavametrics.endpoint.allow[3]", "::1/128")
                .withProperty("plugins.lavametrics.buckets.loadDurationSeconds[99999999999999999999999]", "5")
                .withProperty("plugins.lavametrics.buckets.loadDurationSeconds[0]", "0.5");
        try (LogCapture log = LogCapture.of(LavametricsProperties.class)) {
            LavametricsProperties properties = LavametricsProperties.from(environment);
            assertFalse(properties.valid());
            assertEquals(
                    List.of("endpoint.allow", "buckets.loadDurationSeconds"),
                    properties.problems().stream()
                            .map(p -> p.key())
                            .sorted(java.util.Comparator.reverseOrder())
                            .toList());
            assertFalse(properties.config().endpoint().enabled(), "a refused allowlist turns the endpoint off");
            assertEquals(Catalog.LOAD_DURATION.buckets(), properties.config().buckets(Catalog.LOAD_DURATION));
            assertTrue(log.all().contains("plugins.lavametrics.endpoint.allow="), log.all());
            assertTrue(log.all().contains("must be a list of networks"), log.all());
        }
    }

    @Test
    void listIndexesAsNestedKeysAreAListOnlyWhenTheyRunFromZero() {
        assertEquals(
                Map.of("endpoint", Map.of("allow", List.of("10.0.0.0/8", "::1/128"))),
                LavametricsProperties.withLists(
                        Map.of("endpoint", Map.of("allow", Map.of("1", "::1/128", "0", "10.0.0.0/8")))));
        Map<String, Object> huge = LavametricsProperties.withLists(
                Map.of("endpoint", Map.of("allow", Map.of("99999999999", "10.0.0.0/8", "0", "::1/128"))));
        assertEquals(Map.of("endpoint", Map.of("allow", Map.of("0", "::1/128", "99999999999", "10.0.0.0/8"))), huge);
        // the node and `lavametrics config validate` (which sees the same mapping in the YAML) agree
        ConfigValidator.Result result = ConfigValidator.validate(huge);
        assertEquals(1, result.problems().size(), result.problems().toString());
        assertEquals("endpoint.allow", result.problems().get(0).key());
        assertEquals("must be a list of networks", result.problems().get(0).message());
    }

    @Test
    void aContiguousIndexedListStaysValid() {
        MockEnvironment environment = new MockEnvironment()
                .withProperty("plugins.lavametrics.endpoint.allow[1]", "::1/128")
                .withProperty("plugins.lavametrics.endpoint.allow[0]", "10.0.0.0/8");
        LavametricsProperties properties = LavametricsProperties.from(environment);
        assertTrue(properties.valid(), properties.problems().toString());
        assertEquals("10.0.0.0/8", properties.config().endpoint().allow().get(0).toString());
    }

    @Test
    void unknownKeysAreLoggedWithoutTheirValue() {
        MockEnvironment environment = new MockEnvironment()
                .withProperty("plugins.lavametrics.endpoint.auth.passwrod", "hunter2")
                .withProperty("plugins.lavametrics.endpoint.auth.username", "prom");
        try (LogCapture log = LogCapture.of(LavametricsProperties.class)) {
            LavametricsProperties properties = LavametricsProperties.from(environment);
            assertFalse(properties.valid());
            assertTrue(log.all().contains("plugins.lavametrics.endpoint.auth.passwrod"), log.all());
            assertFalse(log.all().contains("hunter2"), log.all());
        }
    }

    @Test
    void loggedValuesAreEscapedAndTruncated() {
        MockEnvironment environment = new MockEnvironment()
                .withProperty("plugins.lavametrics.groups.sessions", "yes\n2026-01-01 ERROR forged line")
                .withProperty("plugins.lavametrics.groups.players", "x".repeat(500));
        try (LogCapture log = LogCapture.of(LavametricsProperties.class)) {
            LavametricsProperties.from(environment);
            assertEquals(2, log.lines().size(), log.all());
            for (String line : log.lines()) {
                assertFalse(line.contains("\n") || line.contains("\r"), line);
                assertTrue(line.length() < 300, line);
            }
            assertTrue(log.all().contains("yes\\n2026-01-01"), log.all());
        }
    }

    /** When reading the tree fails, the exception's message may quote a value: it is not logged. */
    @Test
    void anUnreadableTreeFallsBackWithoutLoggingValues() {
        MockEnvironment environment = new MockEnvironment();
        environment
                .getPropertySources()
                .addFirst(
                        new MapPropertySource(
                                "broken", Map.of("plugins.lavametrics.endpoint.auth.password", "hunter2")) {
                            @Override
                            public Object getProperty(String name) {
                                throw new IllegalStateException("cannot decrypt hunter2\nforged line");
                            }
                        });
        try (LogCapture log = LogCapture.of(LavametricsProperties.class)) {
            LavametricsProperties properties = LavametricsProperties.from(environment);
            assertFalse(properties.valid());
            assertFalse(properties.config().endpoint().enabled());
            assertEquals(1, log.lines().size(), log.all());
            assertTrue(log.all().contains("could not be read"), log.all());
            assertFalse(
                    log.all().contains("hunter2")
                            || properties.problems().toString().contains("hunter2"),
                    log.all());
        }
    }

    @Test
    void serverPortIsReadAsSpringResolvesIt() {
        assertEquals(2333, LavametricsProperties.serverPort(new MockEnvironment().withProperty("server.port", "2333")));
        assertEquals(8080, LavametricsProperties.serverPort(new MockEnvironment()));
        assertEquals(-1, LavametricsProperties.serverPort(new MockEnvironment().withProperty("server.port", "http")));
        assertEquals(
                -1, LavametricsProperties.serverPort(new MockEnvironment().withProperty("server.port", "${nope}")));
        assertEquals(
                4000,
                LavametricsProperties.serverPort(
                        new MockEnvironment().withProperty("port", "4000").withProperty("server.port", "${port}")));
    }
}
