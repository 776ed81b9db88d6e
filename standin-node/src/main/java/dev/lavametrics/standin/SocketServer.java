package dev.lavametrics.standin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sedmelluq.discord.lavaplayer.player.AudioPlayerManager;
import dev.arbjerg.lavalink.api.ISocketContext;
import dev.arbjerg.lavalink.api.ISocketServer;
import dev.lavametrics.standin.voice.VoiceManager;
import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.ConcurrentWebSocketSessionDecorator;
import org.springframework.web.socket.handler.TextWebSocketHandler;
import org.springframework.web.socket.server.HandshakeInterceptor;

import java.security.SecureRandom;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The websocket endpoint {@code /v4/websocket} and the session registry plugins can inject. */
@Component
public class SocketServer extends TextWebSocketHandler implements ISocketServer, HandshakeInterceptor {
    private static final Logger log = LoggerFactory.getLogger(SocketServer.class);
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final String ATTR_USER_ID = "standin.userId";
    private static final String ATTR_CLIENT = "standin.clientName";
    private static final String ATTR_RESUME = "standin.resumeSessionId";
    private static final String ATTR_CONTEXT = "standin.context";

    private final AudioPlayerManager manager;
    private final NodeSettings settings;
    private final PluginEvents events;
    private final TrackCodec codec;
    private final StatsService stats;
    private final VoiceManager voice;
    private final SecureRandom random = new SecureRandom();
    private final ScheduledExecutorService scheduler;

    private final Map<String, SocketContextImpl> sessions = new ConcurrentHashMap<>();

    public SocketServer(AudioPlayerManager manager, NodeSettings settings, PluginEvents events, TrackCodec codec,
                        StatsService stats, VoiceManager voice) {
        this.manager = manager;
        this.settings = settings;
        this.events = events;
        this.codec = codec;
        this.stats = stats;
        this.voice = voice;
        AtomicInteger n = new AtomicInteger();
        this.scheduler = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "standin-ws-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        stats.setSocketServer(this);
    }

    PluginEvents events() {
        return events;
    }

    TrackCodec codec() {
        return codec;
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    @Override
    public Map<String, ISocketContext> getSessions() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(sessions));
    }

    @Override
    public Map<String, ISocketContext> getResumableSessions() {
        Map<String, ISocketContext> out = new LinkedHashMap<>();
        sessions.forEach((k, v) -> {
            if (v.getState() == ISocketContext.State.RESUMABLE) {
                out.put(k, v);
            }
        });
        return Collections.unmodifiableMap(out);
    }

    public SocketContextImpl getContext(String sessionId) {
        return sessions.get(sessionId);
    }

    public Iterable<SocketContextImpl> contexts() {
        return sessions.values();
    }

    PlayerImpl newPlayer(SocketContextImpl ctx, long guildId) {
        return new PlayerImpl(ctx, guildId, manager.createPlayer(), codec, scheduler, settings.getPlayerUpdateInterval(),
                voice);
    }

    private String newSessionId() {
        while (true) {
            StringBuilder sb = new StringBuilder(16);
            for (int i = 0; i < 16; i++) {
                sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
            }
            String id = sb.toString();
            if (!sessions.containsKey(id)) {
                return id;
            }
        }
    }

    // ---- handshake (Authorization is checked by AuthInterceptor, registered before this one) ----

    @Override
    public boolean beforeHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler wsHandler,
                                   Map<String, Object> attributes) {
        String userId = request.getHeaders().getFirst("User-Id");
        long uid;
        try {
            uid = userId == null ? 0 : Long.parseUnsignedLong(userId.trim());
        } catch (NumberFormatException e) {
            uid = 0;
        }
        if (uid == 0) {
            log.warn("Rejecting websocket handshake from {}: missing or invalid User-Id header", request.getRemoteAddress());
            response.setStatusCode(HttpStatus.BAD_REQUEST);
            return false;
        }
        attributes.put(ATTR_USER_ID, uid);
        String client = request.getHeaders().getFirst("Client-Name");
        if (client != null) {
            attributes.put(ATTR_CLIENT, client);
        }
        String resume = request.getHeaders().getFirst("Session-Id");
        if (resume != null) {
            attributes.put(ATTR_RESUME, resume);
        }
        return true;
    }

    @Override
    public void afterHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler wsHandler,
                               Exception exception) {
    }

    // ---- websocket lifecycle ----

    @Override
    public void afterConnectionEstablished(WebSocketSession raw) {
        WebSocketSession session = new ConcurrentWebSocketSessionDecorator(raw, 10_000, 4 * 1024 * 1024);
        long userId = (Long) raw.getAttributes().get(ATTR_USER_ID);
        String clientName = (String) raw.getAttributes().get(ATTR_CLIENT);
        String resumeId = (String) raw.getAttributes().get(ATTR_RESUME);

        if (resumeId != null) {
            SocketContextImpl ctx = sessions.get(resumeId);
            if (ctx != null && ctx.getState() == ISocketContext.State.RESUMABLE && ctx.cancelResumeTimeout()) {
                raw.getAttributes().put(ATTR_CONTEXT, ctx);
                ctx.attach(session);
                ctx.setState(ISocketContext.State.OPEN);
                log.info("Resumed session {} ({})", resumeId, clientName == null ? "unknown client" : clientName);
                ctx.send(ready(true, ctx.getSessionId()));
                ctx.replayQueue();
                events.onWebSocketOpen(ctx, true);
                ctx.players().values().forEach(PlayerImpl::sendPlayerUpdate);
                startStats(ctx);
                return;
            }
        }

        SocketContextImpl ctx = new SocketContextImpl(this, newSessionId(), userId, clientName, session);
        raw.getAttributes().put(ATTR_CONTEXT, ctx);
        sessions.put(ctx.getSessionId(), ctx);
        log.info("Connection established from {} (session {}, user {})",
                clientName == null ? "a client without Client-Name" : clientName, ctx.getSessionId(), userId);
        ctx.send(ready(false, ctx.getSessionId()));
        events.onWebSocketOpen(ctx, false);
        startStats(ctx);
    }

    private void startStats(SocketContextImpl ctx) {
        ctx.cancelStatsTask();
        ctx.setStatsTask(scheduler.scheduleAtFixedRate(() -> {
            try {
                if (ctx.getState() == ISocketContext.State.OPEN) {
                    ObjectNode msg = stats.statsJson();
                    ObjectNode out = codec.mapper().createObjectNode();
                    out.put("op", "stats");
                    out.setAll(msg);
                    ctx.send(out);
                }
            } catch (RuntimeException e) {
                log.warn("Stats task failed: {}", e.toString());
            }
        }, 0, 60, TimeUnit.SECONDS));
    }

    private ObjectNode ready(boolean resumed, String sessionId) {
        ObjectNode out = codec.mapper().createObjectNode();
        out.put("op", "ready");
        out.put("resumed", resumed);
        out.put("sessionId", sessionId);
        return out;
    }

    @Override
    protected void handleTextMessage(WebSocketSession session, TextMessage message) {
        // Lavalink v4 clients send nothing over the websocket; everything goes through REST.
        log.debug("Ignoring websocket message: {}", message.getPayload());
    }

    @Override
    public void afterConnectionClosed(WebSocketSession raw, CloseStatus status) {
        SocketContextImpl ctx = (SocketContextImpl) raw.getAttributes().get(ATTR_CONTEXT);
        if (ctx == null || ctx.getState() != ISocketContext.State.OPEN) {
            return;
        }
        WebSocketSession current = ctx.session();
        if (current instanceof ConcurrentWebSocketSessionDecorator d && d.getDelegate() != raw) {
            return; // an older socket of a session that has since resumed elsewhere
        }
        ctx.cancelStatsTask();
        if (ctx.isResuming()) {
            ctx.setState(ISocketContext.State.RESUMABLE);
            long timeout = ctx.getResumeTimeoutSeconds();
            ctx.setResumeTimeoutTask(scheduler.schedule(() -> {
                if (ctx.getState() == ISocketContext.State.RESUMABLE) {
                    log.info("Session {} was not resumed within {} s; destroying it", ctx.getSessionId(), timeout);
                    destroy(ctx);
                }
            }, timeout, TimeUnit.SECONDS));
            log.info("Connection closed ({}); session {} can be resumed within {} s", status, ctx.getSessionId(), timeout);
            events.onSocketContextPaused(ctx);
            return;
        }
        log.info("Connection closed ({}); destroying session {}", status, ctx.getSessionId());
        destroy(ctx);
    }

    private void destroy(SocketContextImpl ctx) {
        ctx.cancelStatsTask();
        ctx.clearQueue();
        for (Long guild : ctx.players().keySet().toArray(new Long[0])) {
            ctx.destroyPlayer(guild);
        }
        ctx.setState(ISocketContext.State.DESTROYED);
        sessions.remove(ctx.getSessionId(), ctx);
        events.onSocketContextDestroyed(ctx);
    }

    @PreDestroy
    public void shutdown() {
        for (SocketContextImpl ctx : sessions.values().toArray(new SocketContextImpl[0])) {
            try {
                ctx.closeWebSocket(CloseStatus.GOING_AWAY.getCode(), "Server shutting down");
            } catch (RuntimeException ignored) {
                // shutting down anyway
            }
        }
        scheduler.shutdownNow();
    }
}
