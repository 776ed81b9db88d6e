package dev.lavametrics.plugin.collect;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lavametrics.plugin.socket.LavametricsEventHandler;
import dev.lavametrics.plugin.support.FakePlayer;
import dev.lavametrics.plugin.support.FakeSession;
import dev.lavametrics.plugin.support.Messages;
import dev.lavametrics.plugin.support.TestMetrics;
import io.prometheus.client.Collector.MetricFamilySamples;
import java.lang.management.ManagementFactory;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What one scrape of our families allocates: the samples simpleclient needs and little else.
 * Not timed: only the bytes the scraping thread allocated are counted, which do not depend on how
 * loaded the machine is. The garbage a scrape leaves is what brings the node's next collection
 * forward, and a scrape that meets a collection waits for it (docs/benchmarks.md, `/metrics`).
 */
class ScrapeAllocationTest {
    /**
     * Bytes per sample of the whole scrape (each family's object and list, simpleclient's
     * {@code _total} name per counter sample, the session lists copied, the samples themselves):
     * 229 at 100 players on 2026-12-07, 361 before a scrape reused its families' label names and
     * each series' label values (a list per sample, an ArrayList per histogram bucket, a stream per
     * family).
     */
    private static final double MAX_BYTES_PER_SAMPLE = 260;

    /** Per player a scrape builds nothing: it was 48 bytes, a key per player for two lookups. */
    private static final double MAX_BYTES_PER_PLAYER = 4;

    @Test
    void aScrapeAllocatesLittleBeyondItsSamples() {
        TestMetrics metrics = busy(100);
        long samples = samples(metrics);
        long allocated = allocatedByScrape(metrics);
        double perSample = (double) allocated / samples;
        assertTrue(
                perSample < MAX_BYTES_PER_SAMPLE,
                "a scrape allocated " + allocated + " bytes for " + samples + " samples: " + perSample + " per sample");
    }

    @Test
    void aScrapeAllocatesNothingPerPlayer() {
        TestMetrics few = busy(10);
        TestMetrics many = busy(2010);
        // the same series on both (the labels are bounded): the difference is per player
        long extraSamples = samples(many) - samples(few);
        double perPlayer = (double) (allocatedByScrape(many) - allocatedByScrape(few) - extraSamples * 48) / 2000;
        assertTrue(perPlayer < MAX_BYTES_PER_PLAYER, "a scrape allocated " + perPlayer + " bytes per player");
    }

    /**
     * {@code players} voice-connected players over 4 sessions, 3 in 4 stopped (a track started and
     * is gone), the rest idle: the states a scrape looks players up for. None is playing, as the
     * test's fake player builds a new audio player object each time one is asked whether it is paused.
     */
    private static TestMetrics busy(int players) {
        TestMetrics metrics = new TestMetrics(Map.of());
        LavametricsEventHandler handler = new LavametricsEventHandler(metrics.collectors);
        FakeSession[] sessions = new FakeSession[4];
        for (int s = 0; s < sessions.length; s++) {
            sessions[s] = metrics.server.open("session" + s);
            handler.onWebSocketOpen(sessions[s], false);
        }
        List<String> sources = List.of("youtube", "soundcloud", "http");
        for (int p = 0; p < players; p++) {
            FakeSession session = sessions[p % sessions.length];
            FakePlayer player = session.player(p);
            handler.onNewPlayer(session, player);
            if (p % 4 != 3) {
                handler.onWebSocketMessageOut(session, Messages.trackStart(p, sources.get(p % sources.size())));
            }
            handler.onWebSocketMessageOut(session, Messages.playerUpdate(p, true, 20 + p % 80));
        }
        return metrics;
    }

    private static long samples(TestMetrics metrics) {
        long count = 0;
        for (MetricFamilySamples family : Collections.list(metrics.registry.metricFamilySamples())) {
            count += family.samples.size();
        }
        return count;
    }

    /** The least a scrape allocated over a few, after warming up (the first builds what is kept). */
    private static long allocatedByScrape(TestMetrics metrics) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 200; i++) {
            Collections.list(metrics.registry.metricFamilySamples());
        }
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 20; i++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            List<MetricFamilySamples> kept = Collections.list(metrics.registry.metricFamilySamples());
            least = Math.min(least, threads.getCurrentThreadAllocatedBytes() - before);
            if (kept.isEmpty()) {
                throw new AssertionError("nothing collected");
            }
        }
        return least;
    }
}
