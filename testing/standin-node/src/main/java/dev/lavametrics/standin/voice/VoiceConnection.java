package dev.lavametrics.standin.voice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sedmelluq.discord.lavaplayer.track.playback.MutableAudioFrame;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One guild's Discord voice connection: the voice gateway (v4, JSON over a websocket), UDP IP
 * discovery, and the RTP/AES-GCM audio path that {@link VoiceManager}'s sender thread drives.
 *
 * <p>Threads: gateway callbacks run on the HTTP client's executor, heartbeats on the manager's gateway
 * scheduler, the blocking UDP IP discovery on the manager's discovery executor, {@link #tick()} on the
 * single sender thread. The audio state
 * ({@link #writer}, {@link #udp}) is published through the volatile {@link #writer} field.
 */
public final class VoiceConnection {
    private static final Logger log = LoggerFactory.getLogger(VoiceConnection.class);
    /** Close code used when this side gives up (heartbeat not acknowledged, handshake failure). */
    public static final int LOCAL_FAILURE_CODE = 4000;

    private static final int SILENCE_FRAMES = 5;
    private static final byte[] SILENCE = {(byte) 0xF8, (byte) 0xFF, (byte) 0xFE};
    /**
     * Server close codes after which Koe reconnects by itself instead of telling Lavalink (and so the
     * client): AbstractMediaGatewayConnection.onClose in Koe 2.2.0-rc2 and 3.0.0-pre6 alike.
     */
    static final java.util.Set<Integer> RETRIED_CLOSE_CODES =
            java.util.Set.of(1001, 1006, 4000, 4001, 4002, 4003, 4005, 4009, 4012, 4015, 4016, 4020, 4900);
    /** Koe retries while its attempt counter is at most this (reset by SESSION_DESCRIPTION or RESUMED). */
    static final int MAX_RETRY_ATTEMPT = 3;

    /** Where audio comes from; implemented by the player. */
    public interface AudioSource {
        /** Polls one 20 ms Opus frame into {@code frame}; false when none is available. */
        boolean provide(MutableAudioFrame frame);

        /** True while a track is playing and not paused (a failed poll then counts as a nulled frame). */
        boolean isActive();

        /** Frame accounting for frameStats, or null. */
        default FrameCounter counter() {
            return null;
        }
    }

    /** Receives what of the voice gateway Lavalink reports to its client (Koe's KoeEventListener). */
    public interface GatewayListener {
        /** A gateway close that should be reported to the Lavalink client. */
        void closed(VoiceConnection connection, int code, String reason, boolean byRemote);

        /**
         * The gateway's READY, before IP discovery, as Koe's {@code gatewayReady}; Lavalink answers it
         * with a playerUpdate (SocketContext.kt), which clients such as mafic wait for on connect.
         */
        default void ready(VoiceConnection connection) {}
    }

    private final VoiceManager manager;
    private final VoiceServerInfo info;
    private final AudioSource source;
    private final GatewayListener listener;
    private final String tag;

    // gateway
    private volatile WebSocket ws;
    /** Completes when the gateway websocket is open (Koe's connect future), fails when it never opens. */
    private final CompletableFuture<Void> opened = new CompletableFuture<>();

    private volatile boolean open;
    private volatile boolean closed;
    private final Object sendLock = new Object();
    private CompletableFuture<?> sendChain = CompletableFuture.completedFuture(null);
    private final StringBuilder partial = new StringBuilder();
    private volatile ScheduledFuture<?> heartbeatTask;
    private volatile long heartbeatIntervalMs;
    private volatile long lastAckMillis;
    private volatile long lastNonceSent = -1;
    /** Koe's gateway ping: 0 until the first heartbeat ACK, then the last round trip, kept after a close. */
    private volatile long ping = 0;

    private volatile int ssrc;
    private volatile String selectedMode;
    /** READY seen: a reconnect resumes (op 7) rather than identifies, as Koe's V4 gateway does. */
    private volatile boolean resumable;

    private volatile int connectAttempt;

    // audio (sender thread; published via writer)
    private volatile DatagramChannel udp;
    private volatile RtpPacketWriter writer;
    private final byte[] opus = new byte[RtpPacketWriter.MAX_OPUS];
    private final MutableAudioFrame frame = new MutableAudioFrame();
    private ByteBuffer sendBuffer;
    private boolean speaking;
    private boolean lastProvided;
    private int silenceLeft;
    private long packetsSent;
    private long sendFailures;

    VoiceConnection(VoiceManager manager, VoiceServerInfo info, AudioSource source, GatewayListener listener) {
        this.manager = manager;
        this.info = info;
        this.source = source;
        this.listener = listener;
        this.tag = "guild " + Long.toUnsignedString(info.guildId());
        frame.setBuffer(ByteBuffer.wrap(opus));
    }

    public VoiceServerInfo info() {
        return info;
    }

    /** True while the voice gateway websocket is open (Lavalink's {@code connected}). */
    public boolean isConnected() {
        return open && !closed;
    }

    /**
     * Lavalink's player PATCH waits for this before it answers (PlayerRestHandler.kt joins Koe's
     * {@code connect} future, which completes on the websocket handshake).
     */
    public CompletableFuture<Void> opened() {
        return opened;
    }

    public boolean isClosed() {
        return closed;
    }

    /** True once SESSION_DESCRIPTION arrived and audio can flow. */
    public boolean isReady() {
        return writer != null && !closed;
    }

    /**
     * Last heartbeat round trip in ms: 0 before the first ACK and the last value after a close, as
     * Koe's {@code getPing()} (AbstractMediaGatewayConnection) answers what Lavalink puts in playerUpdate.
     */
    public long getPing() {
        return ping;
    }

    public int getSsrc() {
        return ssrc;
    }

    public long packetsSent() {
        return packetsSent;
    }

    // ---------------------------------------------------------------- gateway

    void start() {
        connectGateway(false);
    }

    private void connectGateway(boolean reconnect) {
        String scheme = VoiceManager.insecureGatewayAllowed() ? "ws" : "wss";
        URI uri = URI.create(scheme + "://" + info.hostPort() + "/?v=4");
        log.info(
                "Voice {}: {} {} (session {})",
                tag,
                reconnect ? "reconnecting to" : "connecting to",
                uri,
                info.sessionId());
        manager.httpClient()
                .newWebSocketBuilder()
                .connectTimeout(java.time.Duration.ofSeconds(10))
                .buildAsync(uri, new Listener())
                .whenComplete((socket, error) -> {
                    if (error != null) {
                        Throwable cause = error.getCause() != null ? error.getCause() : error;
                        log.warn("Voice {}: could not connect to {}: {}", tag, uri, cause.toString());
                        opened.completeExceptionally(cause);
                        closed = true;
                        manager.unregister(this);
                        return;
                    }
                    if (closed) {
                        socket.abort();
                    }
                });
    }

    private void identify() {
        ObjectNode d = manager.mapper().createObjectNode();
        d.put("server_id", Long.toUnsignedString(info.guildId()));
        d.put("user_id", Long.toUnsignedString(info.userId()));
        d.put("session_id", info.sessionId());
        d.put("token", info.token());
        sendOp(0, d);
    }

    private void resume() {
        ObjectNode d = manager.mapper().createObjectNode();
        d.put("server_id", Long.toUnsignedString(info.guildId()));
        d.put("session_id", info.sessionId());
        d.put("token", info.token());
        sendOp(7, d);
    }

    private void sendOp(int op, JsonNode d) {
        ObjectNode msg = manager.mapper().createObjectNode();
        msg.put("op", op);
        msg.set("d", d);
        String text = msg.toString();
        WebSocket socket = ws;
        if (socket == null || closed) {
            return;
        }
        synchronized (sendLock) {
            // java.net.http.WebSocket allows one outstanding send; chain them.
            sendChain = sendChain
                    .handle((r, e) -> null)
                    .thenCompose(x -> socket.sendText(text, true))
                    .exceptionally(e -> {
                        log.debug("Voice {}: send failed: {}", tag, e.toString());
                        return null;
                    });
        }
    }

    private final class Listener implements WebSocket.Listener {
        @Override
        public void onOpen(WebSocket webSocket) {
            ws = webSocket;
            if (closed) {
                webSocket.abort();
                return;
            }
            open = true;
            opened.complete(null);
            if (resumable) {
                log.debug("Voice {}: gateway open again, resuming", tag);
                resume();
            } else {
                log.debug("Voice {}: gateway open, identifying", tag);
                identify();
            }
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                try {
                    handle(manager.mapper().readTree(text));
                } catch (Exception e) {
                    log.warn("Voice {}: bad gateway message {}: {}", tag, text, e.toString());
                }
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            remoteClosed(statusCode, reason == null ? "" : reason);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            if (!closed) {
                log.warn("Voice {}: gateway error: {}", tag, error.toString());
            }
            remoteClosed(1006, "Abnormal closure: " + error.getMessage());
        }
    }

    private void handle(JsonNode msg) {
        if (closed) {
            return;
        }
        int op = msg.path("op").asInt(-1);
        JsonNode d = msg.path("d");
        switch (op) {
            case 8 -> hello(d);
            case 2 -> ready(d);
            case 4 -> sessionDescription(d);
            case 6 -> {
                long nonce = d.isNumber() ? d.asLong() : d.path("t").asLong(-1);
                if (nonce >= 0) {
                    long now = System.currentTimeMillis();
                    ping = Math.max(0, now - nonce);
                    lastAckMillis = now;
                }
            }
            case 9 -> {
                connectAttempt = 0;
                log.info("Voice {}: session resumed", tag);
            }
            default -> log.debug("Voice {}: ignoring op {}", tag, op);
        }
    }

    void hello(JsonNode d) {
        long interval = Math.max(100, (long) d.path("heartbeat_interval").asDouble(41_250));
        heartbeatIntervalMs = interval;
        lastAckMillis = System.currentTimeMillis();
        ScheduledFuture<?> old = heartbeatTask;
        if (old != null) {
            old.cancel(false);
        }
        ScheduledFuture<?> task = manager.gatewayScheduler()
                .scheduleAtFixedRate(this::heartbeat, interval, interval, TimeUnit.MILLISECONDS);
        heartbeatTask = task;
        // A shutdown() between handle()'s closed check and the assignment above cancelled only the old
        // task; the fixed-rate one would then run (as a no-op) forever. closed is set before shutdown()
        // reads heartbeatTask, so one of the two always cancels it.
        if (closed) {
            task.cancel(false);
        }
        log.debug("Voice {}: hello, heartbeat every {} ms", tag, interval);
    }

    private void heartbeat() {
        if (closed) {
            return;
        }
        long now = System.currentTimeMillis();
        if (lastNonceSent >= 0 && now - lastAckMillis > 2 * heartbeatIntervalMs) {
            failLocally(LOCAL_FAILURE_CODE, "Voice gateway stopped acknowledging heartbeats");
            return;
        }
        lastNonceSent = now;
        sendOp(3, manager.mapper().getNodeFactory().numberNode(now));
    }

    private void ready(JsonNode d) {
        resumable = true;
        ssrc = d.path("ssrc").asInt();
        String ip = d.path("ip").asText();
        int port = d.path("port").asInt();
        boolean offered = false;
        for (JsonNode m : d.path("modes")) {
            offered |= RtpPacketWriter.MODE.equals(m.asText());
        }
        log.info(
                "Voice {}: ready (ssrc {}, udp {}:{}, modes {})",
                tag,
                Integer.toUnsignedString(ssrc),
                ip,
                port,
                d.path("modes"));
        listener.ready(this);
        if (!offered) {
            log.error(
                    "Voice {}: server does not offer {} (modes {}); giving up",
                    tag,
                    RtpPacketWriter.MODE,
                    d.path("modes"));
            failLocally(LOCAL_FAILURE_CODE, "No supported encryption mode (need " + RtpPacketWriter.MODE + ")");
            return;
        }
        try {
            manager.discoveryExecutor().execute(() -> discoverAndSelect(ip, port));
        } catch (RejectedExecutionException stopping) {
            failLocally(LOCAL_FAILURE_CODE, "IP discovery failed");
        }
    }

    private void discoverAndSelect(String ip, int port) {
        if (closed) {
            return;
        }
        DatagramChannel ch = null;
        try {
            ch = DatagramChannel.open();
            ch.connect(new InetSocketAddress(ip, port));
            ByteBuffer req = ByteBuffer.allocate(74);
            req.putShort((short) 1).putShort((short) 70).putInt(ssrc);
            req.position(74).flip();
            ByteBuffer res = ByteBuffer.allocate(74);
            ch.socket().setSoTimeout(1000);
            InetSocketAddress external = null;
            for (int attempt = 0; attempt < 5 && external == null && !closed; attempt++) {
                req.rewind();
                ch.write(req);
                java.net.DatagramPacket pkt = new java.net.DatagramPacket(res.array(), res.capacity());
                try {
                    ch.socket().receive(pkt);
                } catch (java.net.SocketTimeoutException timeout) {
                    continue;
                }
                external = parseDiscovery(res.array(), pkt.getLength());
            }
            if (external == null) {
                throw new IOException("no IP discovery reply from " + ip + ":" + port);
            }
            ch.configureBlocking(false);
            udp = ch;
            ch = null;
            ObjectNode d = manager.mapper().createObjectNode();
            d.put("protocol", "udp");
            ObjectNode data = d.putObject("data");
            data.put("address", external.getHostString());
            data.put("port", external.getPort());
            data.put("mode", RtpPacketWriter.MODE);
            selectedMode = RtpPacketWriter.MODE;
            log.debug(
                    "Voice {}: discovered {}:{}, selecting {}",
                    tag,
                    external.getHostString(),
                    external.getPort(),
                    RtpPacketWriter.MODE);
            sendOp(1, d);
        } catch (IOException | RuntimeException e) {
            log.error("Voice {}: UDP IP discovery failed: {}", tag, e.toString());
            failLocally(LOCAL_FAILURE_CODE, "IP discovery failed");
        } finally {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    /** Parses a 74-byte discovery reply: type 2, length 70, ssrc, NUL-terminated address, port. */
    static InetSocketAddress parseDiscovery(byte[] b, int len) throws IOException {
        if (len < 74 || b[0] != 0 || b[1] != 2) {
            throw new IOException("malformed IP discovery reply (" + len + " bytes, type "
                    + ((b[0] & 0xff) << 8 | (b[1] & 0xff)) + ")");
        }
        int end = 8;
        while (end < 72 && b[end] != 0) {
            end++;
        }
        String address = new String(b, 8, end - 8, StandardCharsets.US_ASCII);
        int port = (b[72] & 0xff) << 8 | (b[73] & 0xff);
        return InetSocketAddress.createUnresolved(address, port);
    }

    private void sessionDescription(JsonNode d) {
        connectAttempt = 0;
        String mode = d.path("mode").asText();
        JsonNode keyNode = d.path("secret_key");
        if (!RtpPacketWriter.MODE.equals(mode) || !keyNode.isArray() || keyNode.size() != 32) {
            log.error("Voice {}: unusable session description (mode {}, key length {})", tag, mode, keyNode.size());
            failLocally(LOCAL_FAILURE_CODE, "Unusable session description");
            return;
        }
        byte[] key = new byte[32];
        ArrayNode arr = (ArrayNode) keyNode;
        for (int i = 0; i < 32; i++) {
            key[i] = (byte) arr.get(i).asInt();
        }
        try {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            RtpPacketWriter w = new RtpPacketWriter(ssrc, key, r.nextInt(1 << 16), r.nextInt());
            sendBuffer = ByteBuffer.wrap(w.packet());
            writer = w; // publishes sendBuffer too (volatile write after)
            log.info("Voice {}: session description received (mode {}); audio can flow", tag, mode);
        } catch (Exception e) {
            log.error("Voice {}: cannot initialise {}: {}", tag, mode, e.toString());
            failLocally(LOCAL_FAILURE_CODE, "Cipher initialisation failed");
        }
    }

    private void remoteClosed(int code, String reason) {
        if (closed) {
            return;
        }
        if (RETRIED_CLOSE_CODES.contains(code) && connectAttempt <= MAX_RETRY_ATTEMPT) {
            // Koe: a new gateway connection for the same voice server, nothing reported; audio keeps
            // flowing over UDP meanwhile
            connectAttempt++;
            open = false;
            ws = null;
            ScheduledFuture<?> hb = heartbeatTask;
            if (hb != null) {
                hb.cancel(false);
            }
            log.info(
                    "Voice {}: gateway closed by server with code {} ({}); reconnecting, attempt {}",
                    tag,
                    code,
                    reason,
                    connectAttempt);
            connectGateway(true);
            return;
        }
        shutdown();
        log.info("Voice {}: gateway closed by server with code {} ({})", tag, code, reason);
        listener.closed(this, code, reason, true);
    }

    private void failLocally(int code, String reason) {
        if (closed) {
            return;
        }
        log.info("Voice {}: closing gateway locally with code {} ({})", tag, code, reason);
        WebSocket socket = ws;
        shutdown();
        closeSocket(socket, code, reason);
        listener.closed(this, code, reason, false);
    }

    /** Closes without reporting anything to the client (player destroyed, voice server changed, node stopping). */
    public void close() {
        if (closed) {
            return;
        }
        log.info("Voice {}: disconnecting", tag);
        WebSocket socket = ws;
        shutdown();
        closeSocket(socket, WebSocket.NORMAL_CLOSURE, "");
    }

    private void closeSocket(WebSocket socket, int code, String reason) {
        if (socket == null) {
            return;
        }
        try {
            socket.sendClose(code, reason).whenComplete((r, e) -> socket.abort());
        } catch (RuntimeException e) {
            socket.abort();
        }
        try {
            manager.gatewayScheduler().schedule(socket::abort, 2, TimeUnit.SECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            socket.abort();
        }
    }

    private void shutdown() {
        closed = true;
        open = false;
        opened.completeExceptionally(new IllegalStateException("voice connection closed before it opened"));
        ScheduledFuture<?> hb = heartbeatTask;
        if (hb != null) {
            hb.cancel(false);
        }
        manager.unregister(this);
        DatagramChannel ch = udp;
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // best effort
            }
        }
    }

    // ---------------------------------------------------------------- audio (sender thread)

    /**
     * One 20 ms step: poll the player and send at most one packet. Called by the sender thread only.
     *
     * <p>As Koe's frame poller (AbstractOpusFramePoller in 3.0.0-pre6, OpusAudioFrameProvider in 2.2.0-rc2):
     * whenever a player that provided a frame stops providing (a nulled frame, a pause, the end of the
     * track) five Opus silence frames follow, one per tick, and the player is not polled meanwhile;
     * speaking goes off with the first silence frame and on again with the next audio frame.
     */
    void tick(long nowMillis) {
        RtpPacketWriter w = writer;
        if (w == null || closed) {
            return;
        }
        if (silenceLeft > 0) {
            sendSilence(w);
            return;
        }
        FrameCounter counter = source.counter();
        boolean provided = source.provide(frame);
        boolean stopped = lastProvided && !provided;
        lastProvided = provided;
        if (provided) {
            if (counter != null) {
                counter.sent(nowMillis);
            }
            if (!speaking) {
                setSpeaking(true);
            }
            send(w, opus, frame.getDataLength());
            return;
        }
        if (source.isActive() && counter != null) {
            counter.nulled(nowMillis); // the track plays but no audio is ready
        }
        if (stopped) {
            silenceLeft = SILENCE_FRAMES;
            sendSilence(w);
        }
    }

    private void sendSilence(RtpPacketWriter w) {
        silenceLeft--;
        if (speaking) {
            setSpeaking(false);
        }
        send(w, SILENCE, SILENCE.length);
    }

    private void setSpeaking(boolean on) {
        speaking = on;
        ObjectNode d = manager.mapper().createObjectNode();
        d.put("speaking", on ? 1 : 0);
        d.put("delay", 0);
        d.put("ssrc", ssrc);
        sendOp(5, d);
    }

    private void send(RtpPacketWriter w, byte[] data, int length) {
        try {
            int n = w.write(data, 0, length);
            ByteBuffer b = sendBuffer;
            b.clear().limit(n);
            udp.write(b);
            packetsSent++;
        } catch (Exception e) {
            if (!closed && sendFailures++ % 500 == 0) {
                log.warn("Voice {}: UDP send failed: {}", tag, e.toString());
            }
        }
    }

    /** True while a heartbeat task is scheduled and not cancelled (tests). */
    boolean heartbeatScheduled() {
        ScheduledFuture<?> hb = heartbeatTask;
        return hb != null && !hb.isCancelled();
    }

    String selectedMode() {
        return selectedMode;
    }
}
