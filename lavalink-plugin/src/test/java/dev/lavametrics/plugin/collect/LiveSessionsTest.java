package dev.lavametrics.plugin.collect;

import dev.arbjerg.lavalink.api.ISocketServer;
import dev.lavametrics.plugin.support.FakeSocketServer;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
