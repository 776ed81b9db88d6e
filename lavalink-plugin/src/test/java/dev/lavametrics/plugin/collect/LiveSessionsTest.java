package dev.lavametrics.plugin.collect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.arbjerg.lavalink.api.ISocketContext;
import dev.arbjerg.lavalink.api.ISocketServer;
import dev.lavametrics.plugin.support.FakeSession;
import dev.lavametrics.plugin.support.FakeSocketServer;
import java.util.ConcurrentModificationException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LiveSessionsTest {

    @Test
    void looksTheServerUpUntilItExistsThenOnlyOnce() {
        FakeSocketServer server = new FakeSocketServer();
        server.open("a");
        AtomicInteger lookups = new AtomicInteger();
        ISocketServer[] available = {null};
        LiveSessions sessions = new LiveSessions(() -> {
            lookups.incrementAndGet();
            return available[0];
        });

        assertEquals(0, sessions.all().size());
        assertEquals(0, sessions.all().size());
        assertEquals(2, lookups.get());
        available[0] = server;
        for (int i = 0; i < 5; i++) {
            assertEquals(1, sessions.all().size());
        }
        assertEquals(3, lookups.get());
    }

    @Test
    void aSessionInBothMapsCountsOnceAndADestroyedOneNotAtAll() {
        FakeSocketServer server = new FakeSocketServer();
        server.open("open");
        server.open("paused").state = ISocketContext.State.RESUMABLE; // listed in both maps
        server.open("closing").state = ISocketContext.State.DESTROYED; // socket closed, not yet removed
        LiveSessions sessions = new LiveSessions(() -> server);

        assertEquals(
                List.of("open", "paused"),
                sessions.all().stream().map(ISocketContext::getSessionId).toList());
    }

    /** Lavalink's resumableSessions is a plain LinkedHashMap that websocket threads change mid-copy. */
    @Test
    void aResumableMapChangedDuringTheCopyIsReadAgain() {
        FakeSocketServer open = new FakeSocketServer();
        open.open("a");
        AtomicInteger reads = new AtomicInteger();
        Map<String, ISocketContext> resumable = new LinkedHashMap<>();
        resumable.put("b", new FakeSession("b"));
        ISocketServer flaky = new ISocketServer() {
            @Override
            public Map<String, ISocketContext> getSessions() {
                return open.getSessions();
            }

            @Override
            public Map<String, ISocketContext> getResumableSessions() {
                if (reads.incrementAndGet() < LiveSessions.COPY_ATTEMPTS) {
                    return new ThrowingMap(resumable);
                }
                return resumable;
            }
        };
        assertEquals(2, new LiveSessions(() -> flaky).all().size());

        ISocketServer hopeless = new ISocketServer() {
            @Override
            public Map<String, ISocketContext> getSessions() {
                return open.getSessions();
            }

            @Override
            public Map<String, ISocketContext> getResumableSessions() {
                return new ThrowingMap(resumable);
            }
        };
        // the collector counts this as its error for the scrape (GroupCollector), never the node's
        assertThrows(ConcurrentModificationException.class, () -> new LiveSessions(() -> hopeless).all());
    }

    /** A map whose iteration fails the way a LinkedHashMap changed by another thread does. */
    private static final class ThrowingMap extends LinkedHashMap<String, ISocketContext> {
        ThrowingMap(Map<String, ISocketContext> content) {
            super(content);
        }

        @Override
        public java.util.Set<Map.Entry<String, ISocketContext>> entrySet() {
            throw new ConcurrentModificationException();
        }
    }
}
