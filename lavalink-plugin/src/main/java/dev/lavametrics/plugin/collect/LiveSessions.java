package dev.lavametrics.plugin.collect;

import dev.arbjerg.lavalink.api.IPlayer;
import dev.arbjerg.lavalink.api.ISocketContext;
import dev.arbjerg.lavalink.api.ISocketServer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.ConcurrentModificationException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The node's live sessions, read at scrape time from {@link ISocketServer}. The server is looked
 * up lazily: Lavalink's socket server itself depends on the plugin's event handler bean, so
 * injecting it eagerly would be a dependency cycle.
 *
 * <p>What "live" means follows Lavalink 4.1.2 and 4.2.2 (same code in both,
 * {@code LavalinkServer/src/main/java/lavalink/server/io/SocketServer.kt} and {@code SocketContext.kt}):
 * a context's state is derived from its websocket, so once the socket has closed it reads
 * {@code DESTROYED} while it is still listed in {@code sessions}, players included, until
 * {@code afterConnectionClosed} removes it and only then destroys its players and fires
 * {@code onSocketContextDestroyed}. A resumable session likewise reads {@code DESTROYED} for a
 * moment between the close and {@code pause()}. A {@code DESTROYED} context is never live again,
 * so it is left out here, for every collector at once.
 */
public final class LiveSessions {
    /**
     * Lavalink keeps {@code resumableSessions} in a plain {@code LinkedHashMap} (not thread-safe) that
     * websocket threads change while a scrape copies it. A copy that trips over a change is retried;
     * a map that keeps changing is small and rare enough that three tries are plenty.
     */
    static final int COPY_ATTEMPTS = 3;

    private final Supplier<ISocketServer> lookup;
    /** The server once found: it lives as long as the node, and looking it up is not free. */
    private volatile ISocketServer server;

    public LiveSessions(Supplier<ISocketServer> lookup) {
        this.lookup = lookup;
    }

    /** Open and resumable sessions, each once (a node may list a session in both maps), none destroyed. */
    Collection<ISocketContext> all() {
        ISocketServer socketServer = server();
        if (socketServer == null) {
            return List.of();
        }
        Map<String, ISocketContext> byId = new LinkedHashMap<>(socketServer.getSessions());
        byId.putAll(copyOf(socketServer::getResumableSessions));
        List<ISocketContext> live = new ArrayList<>(byId.size());
        for (ISocketContext session : byId.values()) {
            if (session.getState() != ISocketContext.State.DESTROYED) {
                live.add(session);
            }
        }
        return live;
    }

    /** The player a key names, or null when its session or player is gone (never copies a map). */
    IPlayer player(PlayerKey key) {
        ISocketServer socketServer = server();
        if (socketServer == null) {
            return null;
        }
        ISocketContext session = socketServer.getSessions().get(key.sessionId());
        if (session == null) {
            session = socketServer.getResumableSessions().get(key.sessionId());
        }
        return session == null ? null : session.getPlayers().get(key.guildId());
    }

    private static Map<String, ISocketContext> copyOf(Supplier<Map<String, ISocketContext>> map) {
        ConcurrentModificationException last = null;
        for (int attempt = 0; attempt < COPY_ATTEMPTS; attempt++) {
            try {
                return new LinkedHashMap<>(map.get());
            } catch (ConcurrentModificationException e) {
                last = e;
            }
        }
        throw last;
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
