package dev.lavametrics.plugin.collect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sedmelluq.lava.extensions.youtuberotator.planner.RotatingNanoIpRoutePlanner;
import com.sedmelluq.lava.extensions.youtuberotator.tools.ip.Ipv6Block;
import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.Family;
import dev.lavametrics.plugin.catalog.Group;
import dev.lavametrics.plugin.socket.LavametricsEventHandler;
import dev.lavametrics.plugin.support.FakePlayer;
import dev.lavametrics.plugin.support.FakeSession;
import dev.lavametrics.plugin.support.Messages;
import dev.lavametrics.plugin.support.TestMetrics;
import io.prometheus.client.Collector.MetricFamilySamples;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The series the catalog promises (docs/metrics.md's "Series per node") are the series the
 * collectors export, and a busy node with the default config stays within the budget.
 */
class SeriesBudgetTest {

    @Test
    void aFreshNodeExportsWhatTheCatalogSaysPerFamily() {
        Map<String, Integer> exported = seriesByFamily(new TestMetrics(Map.of()));
        for (Family family : Catalog.FAMILIES) {
            int expected = family.group().defaultEnabled() ? family.initialSeries() : 0;
            assertEquals(expected, exported.getOrDefault(family.baseName(), 0), family.name());
        }
        assertEquals(
                Catalog.initialSeries(),
                exported.values().stream().mapToInt(Integer::intValue).sum());
    }

    @Test
    void theRestGroupStartsEmptyAndAddsOnlyItsCollectorsHealth() {
        Map<String, Integer> exported = seriesByFamily(TestMetrics.allGroups());
        for (Family family : Catalog.familiesOf(Group.REST)) {
            assertEquals(0, exported.getOrDefault(family.baseName(), 0), family.name());
        }
        assertEquals(
                Catalog.COLLECTOR_DURATION.initialSeries() + 1, exported.get(Catalog.COLLECTOR_DURATION.baseName()));
    }

    /**
     * 100 players over 4 sessions, each track started, ended (finished, replaced, stopped,
     * loadFailed), some exceptions and stuck tracks, player updates with changing pings,
     * filters, every load result, a spread of voice close codes, voice connects and a route
     * planner with banned addresses: more variety than a node sees in a day, with the default groups.
     */
    @Test
    void aBusyNodeWithTheDefaultConfigStaysWithinTheBudget() {
        TestMetrics metrics = new TestMetrics(Map.of());
        int series = busyNode(metrics);
        assertTrue(series <= Catalog.SERIES_BUDGET, series + " series > budget " + Catalog.SERIES_BUDGET);
        assertTrue(series > Catalog.initialSeries(), "the workload should have created series: " + series);
    }

    /** The same workload with the rest group on, for the cost stated in docs/benchmarks.md. */
    @Test
    void theRestGroupCostsWhatItsClientsCall() {
        TestMetrics metrics = TestMetrics.allGroups();
        int withRest = busyNode(metrics);
        int rest = 0;
        for (Map.Entry<String, Integer> entry : seriesByFamily(metrics).entrySet()) {
            if (entry.getKey().startsWith("lavametrics_rest_")) {
                rest += entry.getValue();
            }
        }
        // 5 routes x 1-2 methods x 1-2 status classes, and 5 route histograms of 9 series
        assertEquals(8 + 5 * 9, rest);
        assertTrue(withRest <= Catalog.SERIES_BUDGET + rest + 2, withRest + " series with rest on");
    }

    private static int busyNode(TestMetrics metrics) {
        RotatingNanoIpRoutePlanner planner = new RotatingNanoIpRoutePlanner(new Ipv6Block("2001:db8::/64"));
        metrics.routePlanner = planner;
        seriesByFamily(metrics);
        LavametricsEventHandler handler = new LavametricsEventHandler(metrics.collectors);
        List<String> sources = List.of("youtube", "soundcloud", "http");
        List<String> reasons = List.of("finished", "replaced", "stopped", "loadFailed");
        for (int s = 0; s < 4; s++) {
            FakeSession session = metrics.server.open("session" + s);
            handler.onWebSocketOpen(session, s % 2 == 0);
            for (int p = 0; p < 25; p++) {
                long guild = 1000L * s + p;
                FakePlayer player = session.player(guild);
                handler.onNewPlayer(session, player.playing());
                String source = sources.get(p % sources.size());
                for (int t = 0; t < 4; t++) {
                    handler.onWebSocketMessageOut(session, Messages.trackStart(guild, source));
                    handler.onWebSocketMessageOut(session, Messages.trackEnd(guild, source, reasons.get(t)));
                    handler.onWebSocketMessageOut(session, Messages.playerUpdate(guild, true, 20 + p + t));
                }
                if (p % 5 == 0) {
                    handler.onWebSocketMessageOut(
                            session, Messages.trackException(guild, source, p % 10 == 0 ? "COMMON" : "FAULT"));
                    handler.onWebSocketMessageOut(session, Messages.trackStuck(guild, source));
                }
                if (p % 7 == 0) {
                    handler.onWebSocketMessageOut(
                            session,
                            Messages.voiceClosed(
                                    guild, List.of(4014, 4006, 1006).get(p % 3)));
                }
                metrics.collectors.filters.filtersSet(new PlayerKey(session.getSessionId(), guild), List.of("volume"));
                for (String result : List.of("track", "playlist", "search", "empty", "error")) {
                    metrics.collectors.loads.loaded(result, 0.05 * (p + 1));
                }
                metrics.collectors.frames.sent();
                metrics.collectors.voice.voiceUpdated(new PlayerKey(session.getSessionId(), guild), 1L, 1);
                try {
                    planner.markFailing(java.net.InetAddress.getByName("2001:db8::" + Long.toHexString(guild)));
                } catch (java.net.UnknownHostException e) {
                    throw new AssertionError(e);
                }
                metrics.collectors.rest.handled("/v4/loadtracks", "GET", 200, 0.01);
                metrics.collectors.rest.handled("/v4/sessions/{sessionId}/players/{guildId}", "PATCH", 200, 0.002);
                metrics.collectors.rest.handled("/v4/sessions/{sessionId}/players/{guildId}", "PATCH", 400, 0.001);
                metrics.collectors.rest.handled("/v4/sessions/{sessionId}/players/{guildId}", "DELETE", 204, 0.001);
                metrics.collectors.rest.handled("/v4/sessions/{sessionId}", "PATCH", 200, 0.001);
                metrics.collectors.rest.handled("/v4/stats", "GET", 200, 0.0005);
                metrics.collectors.rest.handled("/v4/info", "GET", 200, 0.0005);
                metrics.collectors.rest.handled("/v4/stats", "GET", 401, 0.0005);
            }
        }
        return seriesByFamily(metrics).values().stream()
                .mapToInt(Integer::intValue)
                .sum();
    }

    private static Map<String, Integer> seriesByFamily(TestMetrics metrics) {
        Map<String, Integer> counts = new HashMap<>();
        for (MetricFamilySamples family : Collections.list(metrics.registry.metricFamilySamples())) {
            counts.merge(family.name, family.samples.size(), Integer::sum);
        }
        return counts;
    }
}
