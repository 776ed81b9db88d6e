package dev.lavametrics.plugin.bench;

import dev.lavametrics.plugin.collect.PlayerKey;
import dev.lavametrics.plugin.socket.LavametricsEventHandler;
import dev.lavametrics.plugin.support.FakePlayer;
import dev.lavametrics.plugin.support.FakeSession;
import dev.lavametrics.plugin.support.Messages;
import dev.lavametrics.plugin.support.TestMetrics;
import io.prometheus.client.Collector.MetricFamilySamples;
import io.prometheus.client.exporter.common.TextFormat;
import java.io.IOException;
import java.io.StringWriter;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A full collection of the plugin's families, what each scrape of /metrics runs: 10 sessions
 * with {@code players} players between them (3 of 4 playing, voice connected, a filter set,
 * tracks started and ended), the default config. {@code collect} builds the samples,
 * {@code collectAndWrite} also writes the text format as the node's endpoint does.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class CollectionBenchmark {
    @Param({"0", "100", "1000"})
    public int players;

    private TestMetrics metrics;

    @Setup
    public void setUp() {
        metrics = new TestMetrics(Map.of());
        LavametricsEventHandler handler = new LavametricsEventHandler(metrics.collectors);
        List<String> sources = List.of("youtube", "soundcloud", "http");
        FakeSession[] sessions = new FakeSession[10];
        for (int s = 0; s < sessions.length; s++) {
            sessions[s] = metrics.server.open("session" + s);
            handler.onWebSocketOpen(sessions[s], false);
        }
        for (int p = 0; p < players; p++) {
            FakeSession session = sessions[p % sessions.length];
            FakePlayer player = session.player(p);
            handler.onNewPlayer(session, p % 4 == 3 ? player : player.playing());
            String source = sources.get(p % sources.size());
            handler.onWebSocketMessageOut(session, Messages.trackStart(p, source));
            handler.onWebSocketMessageOut(session, Messages.trackEnd(p, source, "finished"));
            handler.onWebSocketMessageOut(session, Messages.trackStart(p, source));
            handler.onWebSocketMessageOut(session, Messages.playerUpdate(p, true, 20 + p % 80));
            metrics.collectors.filters.filtersSet(new PlayerKey(session.getSessionId(), p), List.of("volume"));
        }
    }

    @Benchmark
    public List<MetricFamilySamples> collect() {
        return Collections.list(metrics.registry.metricFamilySamples());
    }

    @Benchmark
    public int collectAndWrite() throws IOException {
        StringWriter out = new StringWriter(16384);
        TextFormat.write004(out, metrics.registry.metricFamilySamples());
        return out.getBuffer().length();
    }
}
