package dev.lavametrics.plugin.bench;

import dev.lavametrics.plugin.socket.LavametricsEventHandler;
import dev.lavametrics.plugin.support.FakeSession;
import dev.lavametrics.plugin.support.Messages;
import dev.lavametrics.plugin.support.TestMetrics;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The event hook: what the plugin adds to each message Lavalink sends a client (it reads the
 * op and event type, then counts). A track start, its end, a player update and a stats
 * message (which the plugin only looks at), through {@link LavametricsEventHandler} with the
 * default config.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class EventCountingBenchmark {
    private LavametricsEventHandler handler;
    private FakeSession session;
    private final String start = Messages.trackStart(1, "youtube");
    private final String end = Messages.trackEnd(1, "youtube", "finished");
    private final String update = Messages.playerUpdate(1, true, 42);
    private final String stats = Messages.stats();

    @Setup
    public void setUp() {
        TestMetrics metrics = new TestMetrics(Map.of());
        handler = new LavametricsEventHandler(metrics.collectors);
        session = metrics.server.open("bench");
        handler.onWebSocketOpen(session, false);
        handler.onNewPlayer(session, session.player(1).playing());
    }

    @Benchmark
    public void trackStartAndEnd() {
        handler.onWebSocketMessageOut(session, start);
        handler.onWebSocketMessageOut(session, end);
    }

    @Benchmark
    public void playerUpdate() {
        handler.onWebSocketMessageOut(session, update);
    }

    @Benchmark
    public void statsMessage() {
        handler.onWebSocketMessageOut(session, stats);
    }
}
