package dev.lavametrics.standin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.arbjerg.lavalink.api.IPlayer;
import dev.arbjerg.lavalink.api.ISocketContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;

import java.io.IOException;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;

/** One client session. */
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
    private volatile State state = State.OPEN;
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
        return state;
    }

    void setState(State state) {
        this.state = state;
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

    WebSocketSession session() {
        return session;
    }

    void attach(WebSocketSession session) {
        this.session = session;
    }

    void setStatsTask(ScheduledFuture<?> f) {
        this.statsTask = f;
    }

    void cancelStatsTask() {
        ScheduledFuture<?> f = statsTask;
        if (f != null) {
            f.cancel(false);
        }
    }

    void setResumeTimeoutTask(ScheduledFuture<?> f) {
        this.resumeTimeoutTask = f;
    }

    /** @return true when the timeout had not fired yet, i.e. the session may resume */
    boolean cancelResumeTimeout() {
        ScheduledFuture<?> f = resumeTimeoutTask;
        resumeTimeoutTask = null;
        return f == null || f.cancel(false);
    }

    /**
     * Sends one JSON message. Every message first goes to each PluginEventHandler's
     * onWebSocketMessageOut. While the session is paused (RESUMABLE) messages are queued and
     * replayed on resume; on a destroyed session they are dropped.
     */
    public void send(ObjectNode message) {
        send(message.toString());
    }

    public void send(String payload) {
        server.events().onWebSocketMessageOut(this, payload);
        State s = state;
        if (s == State.RESUMABLE) {
            resumeQueue.add(payload);
            return;
        }
        if (s == State.DESTROYED) {
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

    void replayQueue() {
        String p;
        while ((p = resumeQueue.poll()) != null) {
            WebSocketSession ws = session;
            if (ws == null || !ws.isOpen()) {
                return;
            }
            try {
                ws.sendMessage(new TextMessage(p));
            } catch (IOException | RuntimeException e) {
                log.warn("Failed to replay to session {}: {}", sessionId, e.toString());
            }
        }
    }

    void clearQueue() {
        resumeQueue.clear();
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
