package dev.lavametrics.plugin.collect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.arbjerg.lavalink.api.ISocketContext;
import dev.lavametrics.plugin.socket.LavametricsEventHandler;
import dev.lavametrics.plugin.support.FakeSession;
import dev.lavametrics.plugin.support.Messages;
import dev.lavametrics.plugin.support.TestMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The full exposition with every group on, after a fixed sequence of events, against
 * src/test/resources/golden/exposition.txt. Timings and _created timestamps are masked.
 *
 * <p>After an intended change, regenerate with (from the repository root)
 * {@code mvn -q -B -f lavalink-plugin/pom.xml test -Dtest=GoldenExpositionTest -Dlavametrics.golden.update=true}
 * and review the diff. The unmasked exposition is also written to
 * target/lavametrics-exposition.txt for {@code promtool check metrics < target/lavametrics-exposition.txt}.
 */
class GoldenExpositionTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden/exposition.txt");

    @Test
    void expositionMatchesGolden() throws IOException {
        TestMetrics metrics = TestMetrics.allGroups();
        playFixedSequence(metrics);
        String exposition = metrics.exposition();
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target/lavametrics-exposition.txt"), exposition);
        String masked = mask(exposition);

        if (Boolean.getBoolean("lavametrics.golden.update")) {
            Files.writeString(GOLDEN, masked);
        }
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("golden/exposition.txt")) {
            assertNotNull(in, "golden/exposition.txt missing; create it with -Dlavametrics.golden.update=true");
            String golden = Boolean.getBoolean("lavametrics.golden.update")
                    ? masked
                    : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(golden, masked, "exposition changed; if intended, regenerate (see class comment)");
        }
    }

    private static void playFixedSequence(TestMetrics metrics) {
        LavametricsEventHandler handler = new LavametricsEventHandler(metrics.collectors);
        FakeSession session = metrics.server.open("golden");
        FakeSession paused = metrics.server.open("paused");
        paused.state = ISocketContext.State.RESUMABLE;
        handler.onWebSocketOpen(session, false);
        handler.onWebSocketOpen(paused, true);
        handler.onNewPlayer(session, session.player(1).playing());
        handler.onNewPlayer(session, session.player(2));
        handler.onWebSocketMessageOut(session, Messages.trackStart(1, "youtube"));
        handler.onWebSocketMessageOut(session, Messages.trackStart(2, "http"));
        handler.onWebSocketMessageOut(session, Messages.trackEnd(2, "http", "finished"));
        handler.onWebSocketMessageOut(session, Messages.trackException(1, "youtube", "COMMON"));
        handler.onWebSocketMessageOut(session, Messages.trackStuck(1, "youtube"));
        handler.onWebSocketMessageOut(session, Messages.playerUpdate(1, true, 35));
        handler.onWebSocketMessageOut(session, Messages.voiceClosed(2, 4014));
        metrics.collectors.filters.filtersSet(new PlayerKey("golden", 1), List.of("timescale", "volume"));
        metrics.collectors.loads.loaded("track", 0.2);
        metrics.collectors.rest.handled("/v4/loadtracks", "GET", 200, 0.2);
        metrics.collectors.frames.sent();
        metrics.collectors.frames.nulled();
        metrics.collectors.frames.missed(2);
    }

    private static String mask(String exposition) {
        StringBuilder out = new StringBuilder();
        for (String line : exposition.split("\n", -1)) {
            boolean volatileValue = !line.startsWith("#")
                    && (line.startsWith("lavametrics_collector_duration_seconds") || line.contains("_created"));
            out.append(volatileValue ? line.substring(0, line.lastIndexOf(' ')) + " <masked>" : line);
            out.append('\n');
        }
        return out.substring(0, out.length() - 1);
    }
}
