package dev.lavametrics.plugin.collect;

import dev.arbjerg.lavalink.api.ISocketContext;
import dev.arbjerg.lavalink.api.ISocketServer;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The node's sessions, read at scrape time. The server is looked up lazily: Lavalink's socket
 * server itself depends on the plugin's event handler bean, so injecting it eagerly would be a
 * dependency cycle.
 */
public final class LiveSessions {
    private final Supplier<ISocketServer> server;

    public LiveSessions(Supplier<ISocketServer> server) {
        this.server = server;
    }

    /** Open and resumable sessions, each once (a node may list a paused session in both maps). */
    Collection<ISocketContext> all() {
        ISocketServer socketServer = server.get();
        if (socketServer == null) {
            return List.of();
        }
        Map<String, ISocketContext> byId = new LinkedHashMap<>(socketServer.getSessions());
        byId.putAll(socketServer.getResumableSessions());
        return byId.values();
    }
}
