package dev.lavametrics.plugin.collect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sedmelluq.lava.extensions.youtuberotator.planner.AbstractRoutePlanner;
import com.sedmelluq.lava.extensions.youtuberotator.tools.ip.Ipv6Block;
import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.socket.LavametricsEventHandler;
import dev.lavametrics.plugin.support.FakePlayer;
import dev.lavametrics.plugin.support.FakeSession;
import dev.lavametrics.plugin.support.Messages;
import dev.lavametrics.plugin.support.TestMetrics;
import io.prometheus.client.Collector.MetricFamilySamples;
import java.net.InetAddress;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** However many players and whatever they send, the series count stays within the catalog's bound. */
class BoundedSeriesTest {

    @Test
    void fiveHundredRandomPlayersStayBounded() {
        TestMetrics metrics = TestMetrics.allGroups();
        LavametricsEventHandler handler = new LavametricsEventHandler(metrics.collectors);
        Random random = new Random(42);
        Set<String> ids = new HashSet<>();
        // a planner of a class nobody knows, failing addresses the collector must never show
        AbstractRoutePlanner planner = new AbstractRoutePlanner(new Ipv6Block("2001:db8::/120")) {};
        metrics.routePlanner = planner;
        List<String> sources = List.of("youtube", "http", "local", "src-" + random.nextInt(), "spotify", "made-up");
        List<String> filters = new java.util.ArrayList<>(
                List.of("volume", "timescale", "echo", "pluginFilters", "lowPass", "x" + random.nextInt()));
        for (int s = 0; s < 10; s++) {
            String sessionId = "session" + random.nextInt(1_000_000);
            ids.add(sessionId);
            FakeSession session = metrics.server.open(sessionId);
            handler.onWebSocketOpen(session, random.nextBoolean());
            for (int p = 0; p < 50; p++) {
                long guildId = 100_000_000_000_000_000L + random.nextInt(1_000_000_000);
                ids.add(Long.toString(guildId));
                FakePlayer player = session.player(guildId);
                handler.onNewPlayer(session, player);
                String source = sources.get(random.nextInt(sources.size()));
                handler.onWebSocketMessageOut(session, Messages.trackStart(guildId, source));
                handler.onWebSocketMessageOut(session, Messages.trackEnd(guildId, source, "r" + random.nextInt(9)));
                handler.onWebSocketMessageOut(
                        session, Messages.trackException(guildId, source, "S" + random.nextInt(5)));
                handler.onWebSocketMessageOut(session, Messages.voiceClosed(guildId, 4000 + random.nextInt(30)));
                handler.onWebSocketMessageOut(session, Messages.playerUpdate(guildId, true, random.nextInt(300)));
                Collections.shuffle(filters, random);
                metrics.collectors.filters.filtersSet(new PlayerKey(sessionId, guildId), filters.subList(0, 3));
                metrics.collectors.rest.handled("/v4/sessions/" + sessionId, "GET", 200 + random.nextInt(400), 0.01);
                metrics.collectors.loads.loaded("type" + random.nextInt(9), 0.1);
                metrics.collectors.voice.voiceUpdated(new PlayerKey(sessionId, guildId), 1L, random.nextInt());
                try {
                    InetAddress banned = planner.getIpBlock().getAddressAtIndex(random.nextInt(256));
                    planner.markFailing(banned);
                    ids.add(banned.getHostAddress());
                    ids.add(banned.toString());
                } catch (RuntimeException e) {
                    throw new AssertionError(e);
                }
                if (random.nextBoolean()) {
                    player.playing();
                }
            }
        }

        int series = 0;
        for (MetricFamilySamples family : Collections.list(metrics.registry.metricFamilySamples())) {
            for (MetricFamilySamples.Sample sample : family.samples) {
                series++;
                assertFalse(sample.labelNames.stream().anyMatch(name -> name.contains("id")), sample.toString());
                for (String value : sample.labelValues) {
                    assertFalse(ids.contains(value), "id leaked into " + sample);
                    assertFalse(value.matches("\\d{6,}"), "id-like label value in " + sample);
                    assertFalse(
                            value.contains(":") || value.matches(".*\\d+\\.\\d+\\.\\d+\\.\\d+.*"),
                            "address in " + sample);
                }
            }
        }
        assertTrue(series <= Catalog.maxSeries(), series + " series > bound " + Catalog.maxSeries());
        assertEquals(500, metrics.value("lavametrics_voice_connected_players"));
        assertEquals(500, metrics.value("lavametrics_player_creations_total"));
        assertEquals(1, metrics.value("lavametrics_route_planner_info", "planner", "other"));
        assertEquals(
                planner.getFailingAddresses().size(), metrics.value("lavametrics_route_planner_failing_addresses"));
    }
}
