package dev.lavametrics.plugin.collect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lavametrics.plugin.catalog.Group;
import dev.lavametrics.plugin.config.ConfigValidator;
import dev.lavametrics.plugin.support.FakeSocketServer;
import dev.lavametrics.plugin.support.TestMetrics;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Gauge;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RegistrationTest {

    @Test
    void aTakenNameSkipsOnlyThatCollector() {
        CollectorRegistry registry = new CollectorRegistry(true);
        Gauge.build().name("lavametrics_sessions").help("someone else's").register(registry);
        MetricCollectors collectors = new MetricCollectors(
                ConfigValidator.validate(Map.of()).config(),
                new CollectorHealth(),
                new LiveSessions(FakeSocketServer::new),
                System::nanoTime,
                "test");

        collectors.register(registry);

        assertNull(registry.getSampleValue("lavametrics_session_closes_total"));
        assertEquals(0, registry.getSampleValue("lavametrics_player_creations_total"));
        assertEquals(3, registry.getSampleValue("lavametrics_registration_conflicts"));
        collectors.unregister();
        assertNull(registry.getSampleValue("lavametrics_player_creations_total"));
    }

    @Test
    void disabledGroupsAreNotRegistered() {
        TestMetrics metrics = new TestMetrics(Map.of("groups", Map.of("tracks", false)));
        assertNull(metrics.registry.getSampleValue(
                "lavametrics_track_stuck_total", new String[] {"source"}, new String[] {"http"}));
        assertNull(metrics.registry.getSampleValue(
                "lavametrics_rest_requests_total",
                new String[] {"route", "method", "status"},
                new String[] {"/v4/info", "GET", "2xx"}));
        assertEquals(1, metrics.value("lavametrics_info", "version", "0.0.0-test"));
        String exposition = metrics.exposition();
        assertTrue(exposition.contains("lavametrics_players{state=\"idle\",} 0.0"));
        // a switched-off group reports no collector health, so checks can tell which groups run
        assertTrue(exposition.contains("lavametrics_collector_success{collector=\"players\",} 1.0"));
        assertFalse(exposition.contains("lavametrics_collector_success{collector=\"tracks\""));
        assertFalse(exposition.contains("lavametrics_collector_duration_seconds{collector=\"rest\""));
        assertTrue(exposition.contains("lavametrics_collector_errors_total{collector=\"tracks\",} 0.0"));
    }

    @Test
    void aFailingCollectorIsCountedAndTheRestStillScrape() {
        TestMetrics metrics = new TestMetrics(Map.of("groups", Map.of("voice", false)));
        metrics.registry.register(new GroupCollector(Group.VOICE, metrics.collectors.health()) {
            @Override
            protected java.util.List<MetricFamilySamples> collectGroup() {
                throw new IllegalStateException("broken on purpose");
            }
        });
        metrics.exposition();
        String exposition = metrics.exposition();
        assertTrue(exposition.contains("lavametrics_sessions{state=\"active\",} 0.0"));
        assertTrue(exposition.contains("lavametrics_collector_success{collector=\"voice\",} 0.0"));
        assertTrue(exposition.contains("lavametrics_collector_success{collector=\"sessions\",} 1.0"));
        assertFalse(exposition.contains("lavametrics_collector_errors_total{collector=\"voice\",} 0.0"));
    }
}
