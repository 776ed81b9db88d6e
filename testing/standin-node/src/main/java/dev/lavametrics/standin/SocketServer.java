package dev.lavametrics.standin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sedmelluq.discord.lavaplayer.player.AudioPlayerManager;
import dev.arbjerg.lavalink.api.ISocketContext;
import dev.arbjerg.lavalink.api.ISocketServer;
import dev.lavametrics.standin.voice.VoiceManager;
import jakarta.annotation.PreDestroy;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.catalina.connector.Connector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.web.embedded.tomcat.TomcatWebServer;
import org.springframework.boot.web.servlet.context.ServletWebServerApplicationContext;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;
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

/** The websocket endpoint {@code /v4/websocket} and the session registry plugins can inject. */
@Component
public class SocketServer extends TextWebSocketHandler implements ISocketServer, HandshakeInterceptor {
    private static final Logger log = LoggerFactory.getLogger(SocketServer.class);
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final String ATTR_USER_ID = "standin.userId";
    private static final String ATTR_CLIENT = "standin.clientName";
    private static final String ATTR_RESUME = "standin.resumeSessionId";
    private static final String ATTR_CONTEXT = "standin.context";
    /**
     * How long the node's first session waits for its {@code ready} (ms; later sessions do not wait).
     * Real Lavalink (measured on 4.1.2: 58-117 ms, later sessions 1-5 ms) pays a one-time cost on its
     * first connection: the first kotlinx.serialization encode and websocket classes on the connecting
     * thread while the stats task that {@code SocketContext}'s constructor schedules with zero delay
     * loads OSHI and JNA on another ({@code SocketContext.kt} init, {@code StatsCollector.kt}). A client
     * that acts before {@code ready} arrives must fail here as it would there.
     */
    public static final String FIRST_READY_DELAY_PROPERTY = "standin.firstReadyDelayMs";

    private final AudioPlayerManager manager;
    private final NodeSettings settings;
    private final PluginEvents events;
    private final TrackCodec codec;
    private final StatsService stats;
    private final VoiceManager voice;
    private final SecureRandom random = new SecureRandom();
    private final ScheduledExecutorService scheduler;

    private final Map<String, SocketContextImpl> sessions = new ConcurrentHashMap<>();
    /**
     * Lavalink keeps this in a plain (not thread-safe) LinkedHashMap; a concurrent map here, since the
     * stand-in must not be flaky. The plugin copes with the real one (see its LiveSessions).
     */
    private final Map<String, SocketContextImpl> resumableSessions = new ConcurrentHashMap<>();

    @SuppressWarnings({"unchecked", "rawtypes"})
    private final Map<String, ISocketContext> sessionsView = Collections.unmodifiableMap((Map) sessions);

    @SuppressWarnings({"unchecked", "rawtypes"})
    private final Map<String, ISocketContext> resumableView = Collections.unmodifiableMap((Map) resumableSessions);
    /** See {@link #FIRST_READY_DELAY_PROPERTY}. */
    private final long firstReadyDelayMs = Long.getLong(FIRST_READY_DELAY_PROPERTY, 100);

    private final AtomicBoolean firstSessionSeen = new AtomicBoolean();

    public SocketServer(
            AudioPlayerManager manager,
            NodeSettings settings,
            PluginEvents events,
            TrackCodec codec,
            StatsService stats,
            VoiceManager voice) {
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

    /** The live map, as Lavalink hands out its own: open sessions, and closed ones until their close is handled. */
    @Override
    public Map<String, ISocketContext> getSessions() {
        return sessionsView;
    }

    /** Paused sessions waiting for a resume; a session is in one map or the other, never both. */
    @Override
    public Map<String, ISocketContext> getResumableSessions() {
        return resumableView;
    }

    /** The session REST calls may address: Lavalink looks only in {@code sessions}, so a paused one is a 404. */
    public SocketContextImpl getContext(String sessionId) {
        return sessions.get(sessionId);
    }

    /**
     * What the node's stats count: Lavalink's StatsCollector sums over {@code sessions} only, so the
     * players of a paused session are missing from /v4/stats and {@code lavalink_players_total}.
     */
    public Iterable<SocketContextImpl> contexts() {
        return sessions.values();
    }

    PlayerImpl newPlayer(SocketContextImpl ctx, long guildId) {
        return new PlayerImpl(
                ctx, guildId, manager.createPlayer(), codec, scheduler, settings.getPlayerUpdateInterval(), voice);
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
    public boolean beforeHandshake(
            ServerHttpRequest request,
            ServerHttpResponse response,
            WebSocketHandler wsHandler,
            Map<String, Object> attributes) {
        String userId = request.getHeaders().getFirst("User-Id");
        long uid;
        try {
            uid = userId == null ? 0 : Long.parseUnsignedLong(userId.trim());
        } catch (NumberFormatException e) {
            uid = 0;
        }
        if (uid == 0) {
            log.warn(
                    "Rejecting websocket handshake from {}: missing or invalid User-Id header",
                    request.getRemoteAddress());
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
        // as HandshakeInterceptorImpl.kt: asking stops the resume timeout, and the answer is a header
        SocketContextImpl paused = resume == null ? null : resumableSessions.get(resume);
        boolean resuming = paused != null && paused.stopResumeTimeout();
        response.getHeaders().add("Session-Resumed", Boolean.toString(resuming));
        return true;
    }

    @Override
    public void afterHandshake(
            ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler wsHandler, Exception exception) {}

    // ---- websocket lifecycle: SocketServer.kt's afterConnectionEstablished / afterConnectionClosed ----

    @Override
    public void afterConnectionEstablished(WebSocketSession raw) {
        WebSocketSession session = new ConcurrentWebSocketSessionDecorator(raw, 10_000, 4 * 1024 * 1024);
        long userId = (Long) raw.getAttributes().get(ATTR_USER_ID);
        String clientName = (String) raw.getAttributes().get(ATTR_CLIENT);
        String resumeId = (String) raw.getAttributes().get(ATTR_RESUME);

        SocketContextImpl resumable = resumeId == null ? null : resumableSessions.remove(resumeId);
        if (resumable != null) {
            raw.getAttributes().put(ATTR_CONTEXT, resumable);
            sessions.put(resumable.getSessionId(), resumable);
            resumable.resume(session, ready(true, resumable.getSessionId()));
            log.info("Resumed session {} ({})", resumeId, clientName == null ? "unknown client" : clientName);
            events.onWebSocketOpen(resumable, true); // after ready, replay and player updates
            return;
        }

        SocketContextImpl ctx = new SocketContextImpl(this, newSessionId(), userId, clientName, session);
        raw.getAttributes().put(ATTR_CONTEXT, ctx);
        startStats(ctx); // scheduled before ready: stats may come first
        sessions.put(ctx.getSessionId(), ctx);
        if (firstReadyDelayMs > 0 && firstSessionSeen.compareAndSet(false, true)) {
            pauseForFirstReady();
        }
        ctx.send(ready(false, ctx.getSessionId()));
        events.onWebSocketOpen(ctx, false);
        log.info(
                "Connection established from {} (session {}, user {})",
                clientName == null ? "a client without Client-Name" : clientName,
                ctx.getSessionId(),
                userId);
    }

    private void pauseForFirstReady() {
        try {
            Thread.sleep(firstReadyDelayMs);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void startStats(SocketContextImpl ctx) {
        ctx.setStatsTask(scheduler.scheduleAtFixedRate(
                () -> {
                    try {
                        ObjectNode out = codec.mapper().createObjectNode();
                        out.put("op", "stats");
                        out.setAll(stats.statsJson(ctx));
                        ctx.send(out);
                    } catch (RuntimeException e) {
                        log.warn("Stats task failed: {}", e.toString());
                    }
                },
                0,
                60,
                TimeUnit.SECONDS));
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

    /**
     * Lavalink's order: the socket is already closed (the context reads DESTROYED), then it leaves
     * {@code sessions}; a resumable one moves to {@code resumableSessions} and is paused
     * (onSocketContextPaused), any other is shut down: players destroyed, then onSocketContextDestroyed.
     */
    @Override
    public void afterConnectionClosed(WebSocketSession raw, CloseStatus status) {
        SocketContextImpl ctx = (SocketContextImpl) raw.getAttributes().get(ATTR_CONTEXT);
        if (ctx == null) {
            return;
        }
        // Tomcat still reports a closing socket open here, where Lavalink's Undertow reports it closed
        if (!ctx.socketClosed(raw) || !sessions.remove(ctx.getSessionId(), ctx)) {
            return;
        }
        if (ctx.isResuming()) {
            SocketContextImpl older = resumableSessions.put(ctx.getSessionId(), ctx);
            if (older != null && older != ctx) {
                older.shutdown();
            }
            long timeout = ctx.getResumeTimeoutSeconds();
            ctx.pause(scheduler.schedule(() -> onResumeTimeout(ctx), timeout, TimeUnit.SECONDS));
            log.info(
                    "Connection closed ({}); session {} can be resumed within {} s",
                    status,
                    ctx.getSessionId(),
                    timeout);
            events.onSocketContextPaused(ctx);
            return;
        }
        log.info("Connection closed ({}); destroying session {}", status, ctx.getSessionId());
        ctx.shutdown();
    }

    private void onResumeTimeout(SocketContextImpl ctx) {
        if (resumableSessions.remove(ctx.getSessionId(), ctx)) {
            log.info(
                    "Session {} was not resumed within {} s; destroying it",
                    ctx.getSessionId(),
                    ctx.getResumeTimeoutSeconds());
            ctx.shutdown();
        }
    }

    /**
     * Closes every client socket with 1001 (going away), as Lavalink does when it stops (its web
     * server closes open websockets with a close frame). On ContextClosedEvent, which Spring publishes
     * before it stops the web server: by {@code @PreDestroy} Tomcat has already dropped the
     * connections without a close frame, and clients that treat the two differently (wavelink and
     * mafic do) would see a stand-in unlike Lavalink. The listening socket is closed first, as a
     * stopped server's is: a client reconnecting at once is refused, not given a session the stop
     * drops a moment later.
     */
    @EventListener
    public void closeClientSockets(ContextClosedEvent event) {
        if (event.getApplicationContext() instanceof ServletWebServerApplicationContext web
                && web.getWebServer() instanceof TomcatWebServer tomcat) {
            for (Connector connector : tomcat.getTomcat().getService().findConnectors()) {
                connector.getProtocolHandler().closeServerSocketGraceful();
            }
        }
        closeClientSockets();
    }

    private void closeClientSockets() {
        for (SocketContextImpl ctx : sessions.values().toArray(new SocketContextImpl[0])) {
            try {
                ctx.closeWebSocket(CloseStatus.GOING_AWAY.getCode(), "");
            } catch (RuntimeException ignored) {
                // shutting down anyway
            }
        }
    }

    @PreDestroy
    public void shutdown() {
        closeClientSockets(); // any left (a context closed without its event)
        scheduler.shutdownNow();
    }
}
