package dev.lavametrics.standin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbjerg.lavalink.api.IPlayer;
import dev.arbjerg.lavalink.api.ISocketContext;
import java.io.IOException;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.ConcurrentWebSocketSessionDecorator;

/**
 * One client session, modelled on Lavalink 4.2.2's {@code SocketContext}
 * ({@code LavalinkServer/src/main/java/lavalink/server/io/SocketContext.kt}; 4.1.2 is the same).
 *
 * <p>As there, the state is derived, not stored: {@code OPEN} while the websocket is open, else
 * {@code RESUMABLE} once {@link #pause} ran, else {@code DESTROYED}. So a closed socket reads
 * {@code DESTROYED} while the server still lists the context, players and all, until the close is
 * handled; plugins must cope with exactly that. Outgoing messages go to every plugin's
 * {@code onWebSocketMessageOut} first, are queued while paused, and the queue is replayed through
 * the same path on resume, so plugins see a replayed message twice (the same String object).
 */
public class SocketContextImpl implements ISocketContext {
    private static final Logger log = LoggerFactory.getLogger(SocketContextImpl.class);

    private final SocketServer server;
    private final String sessionId;
    private final long userId;
    private final String clientName;
    private final Map<Long, PlayerImpl> players = new ConcurrentHashMap<>();

    @SuppressWarnings({"unchecked", "rawtypes"})
    private final Map<Long, IPlayer> playersView = Collections.unmodifiableMap((Map) players);

    private final ConcurrentLinkedQueue<String> resumeQueue = new ConcurrentLinkedQueue<>();

    private volatile WebSocketSession session;
    private volatile boolean paused;
    private volatile boolean resuming = false;
    private volatile long resumeTimeoutSeconds = 60;
    private volatile ScheduledFuture<?> statsTask;
    private volatile ScheduledFuture<?> resumeTimeoutTask;

    SocketContextImpl(SocketServer server, String sessionId, long userId, String clientName, WebSocketSession session) {
        this.server = server;
        this.sessionId = sessionId;
        this.userId = userId;
        this.clientName = clientName;
        this.session = session;
    }

    @Override
    public String getSessionId() {
        return sessionId;
    }

    @Override
    public long getUserId() {
        return userId;
    }

    @Override
    public String getClientName() {
        return clientName;
    }

    @Override
    public Map<Long, IPlayer> getPlayers() {
        return playersView;
    }

    Map<Long, PlayerImpl> players() {
        return players;
    }

    @Override
    public State getState() {
        WebSocketSession ws = session;
        if (ws != null && ws.isOpen()) {
            return State.OPEN;
        }
        return paused ? State.RESUMABLE : State.DESTROYED;
    }

    /** True while a paused session's messages are queued (Lavalink's {@code sessionPaused}). */
    boolean isPaused() {
        return paused;
    }

    public boolean isResuming() {
        return resuming;
    }

    public long getResumeTimeoutSeconds() {
        return resumeTimeoutSeconds;
    }

    void configureResuming(Boolean resuming, Long timeoutSeconds) {
        if (resuming != null) {
            this.resuming = resuming;
        }
        if (timeoutSeconds != null) {
            this.resumeTimeoutSeconds = timeoutSeconds;
        }
    }

    /**
     * The socket {@code raw} has closed: from now on the context reads DESTROYED (or RESUMABLE once
     * paused), as Lavalink's does when Undertow reports the socket closed before the close is handled.
     * False when {@code raw} is an older socket of a session that has since resumed on another.
     */
    boolean socketClosed(WebSocketSession raw) {
        WebSocketSession current = session;
        WebSocketSession delegate =
                current instanceof ConcurrentWebSocketSessionDecorator d ? d.getDelegate() : current;
        if (delegate != raw) {
            return false;
        }
        session = null;
        return true;
    }

    /** The stats op: from creation, every minute, paused or not, until {@link #shutdown} (as Lavalink's executor). */
    void setStatsTask(ScheduledFuture<?> f) {
        this.statsTask = f;
    }

    /** The socket closed and resuming is on: queue from now on until {@link #resume} or the timeout. */
    void pause(ScheduledFuture<?> timeout) {
        paused = true;
        resumeTimeoutTask = timeout;
    }

    /** @return true when the resume timeout had not fired yet, i.e. the session may resume */
    boolean stopResumeTimeout() {
        ScheduledFuture<?> f = resumeTimeoutTask;
        return f != null && f.cancel(false);
    }

    /** A new socket takes over: ready, the queued messages in order, then a playerUpdate per player. */
    void resume(WebSocketSession newSession, ObjectNode ready) {
        paused = false;
        session = newSession;
        send(ready);
        log.info("Replaying {} events to session {}", resumeQueue.size(), sessionId);
        String queued;
        while ((queued = resumeQueue.poll()) != null) {
            send(queued);
        }
        players.values().forEach(PlayerImpl::sendPlayerUpdate);
    }

    /** Players destroyed (each firing onDestroyPlayer), then onSocketContextDestroyed: Lavalink's order. */
    void shutdown() {
        log.info("Shutting down session {} ({} players)", sessionId, players.size());
        ScheduledFuture<?> stats = statsTask;
        if (stats != null) {
            stats.cancel(false);
        }
        for (Long guild : players.keySet().toArray(new Long[0])) {
            destroyPlayer(guild);
        }
        server.events().onSocketContextDestroyed(this);
    }

    public void send(ObjectNode message) {
        send(message.toString());
    }

    /** Every message first goes to each PluginEventHandler's onWebSocketMessageOut, then out or into the queue. */
    public void send(String payload) {
        server.events().onWebSocketMessageOut(this, payload);
        if (paused) {
            resumeQueue.add(payload);
            return;
        }
        WebSocketSession ws = session;
        if (ws == null || !ws.isOpen()) {
            return;
        }
        try {
            ws.sendMessage(new TextMessage(payload));
        } catch (IOException | RuntimeException e) {
            log.warn("Failed to send to session {}: {}", sessionId, e.toString());
        }
    }

    /** Returns the player of a guild, creating it (and firing onNewPlayer) when absent. */
    public PlayerImpl getOrCreatePlayer(long guildId) {
        PlayerImpl existing = players.get(guildId);
        if (existing != null) {
            return existing;
        }
        PlayerImpl[] created = new PlayerImpl[1];
        PlayerImpl p = players.computeIfAbsent(guildId, g -> created[0] = server.newPlayer(this, g));
        if (created[0] == p) {
            server.events().onNewPlayer(this, p);
        }
        return p;
    }

    public PlayerImpl getPlayer(long guildId) {
        return players.get(guildId);
    }

    public void destroyPlayer(long guildId) {
        PlayerImpl p = players.remove(guildId);
        if (p != null) {
            server.events().onDestroyPlayer(this, p);
            p.destroy();
        }
    }

    /**
     * Emits a WebSocketClosedEvent for a guild, followed by a playerUpdate. Called by the voice layer
     * when a voice gateway closes (see {@code PlayerImpl}); goes through {@link #send} like every
     * other message, so plugins' onWebSocketMessageOut sees it.
     */
    public void emitWebSocketClosed(long guildId, int code, String reason, boolean byRemote) {
        ObjectNode out = server.codec().mapper().createObjectNode();
        out.put("op", "event");
        out.put("type", "WebSocketClosedEvent");
        out.put("guildId", Long.toString(guildId));
        out.put("code", code);
        out.put("reason", reason == null ? "" : reason);
        out.put("byRemote", byRemote);
        send(out);
        PlayerImpl p = players.get(guildId);
        if (p != null) {
            p.sendPlayerUpdate();
        }
    }

    @Override
    public void closeWebSocket() {
        closeWebSocket(CloseStatus.NORMAL.getCode(), null);
    }

    @Override
    public void closeWebSocket(int closeCode) {
        closeWebSocket(closeCode, null);
    }

    @Override
    public void closeWebSocket(int closeCode, String reason) {
        WebSocketSession ws = session;
        if (ws == null || !ws.isOpen()) {
            return;
        }
        try {
            ws.close(new CloseStatus(closeCode, reason));
        } catch (IOException e) {
            log.warn("Failed to close session {}: {}", sessionId, e.toString());
        }
    }

    long playingPlayerCount() {
        return players.values().stream().filter(PlayerImpl::isPlaying).count();
    }
}
