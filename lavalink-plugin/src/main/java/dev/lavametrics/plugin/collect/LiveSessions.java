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
    private final Supplier<ISocketServer> lookup;
    /** The server once found: it lives as long as the node, and looking it up is not free. */
    private volatile ISocketServer server;

    public LiveSessions(Supplier<ISocketServer> lookup) {
        this.lookup = lookup;
    }

    /** Open and resumable sessions, each once (a node may list a paused session in both maps). */
    Collection<ISocketContext> all() {
        ISocketServer socketServer = server();
        if (socketServer == null) {
            return List.of();
        }
        Map<String, ISocketContext> open = socketServer.getSessions();
        Map<String, ISocketContext> resumable = socketServer.getResumableSessions();
        if (resumable.isEmpty()) {
            return open.values();   // the common case needs no merged copy
        }
        Map<String, ISocketContext> byId = new LinkedHashMap<>(open);
        byId.putAll(resumable);
        return byId.values();
    }

    private ISocketServer server() {
        ISocketServer found = server;
        if (found == null) {
            found = lookup.get();
            server = found;
        }
        return found;
    }
}
