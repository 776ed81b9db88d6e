package dev.lavametrics.standin.voice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A tiny in-test Discord voice server: plain {@code ws://} gateway (one client at a time) and a UDP
 * socket that answers IP discovery and records every other datagram with its arrival time.
 */
final class FakeVoiceServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int SSRC = 0x01020304;
    static final byte[] KEY = new byte[32];

    static {
        for (int i = 0; i < 32; i++) {
            KEY[i] = (byte) (i * 7 + 1);
        }
    }

    record Datagram(byte[] data, long nanos) {}

    final ServerSocket tcp;
    final DatagramSocket udp;
    final LinkedBlockingQueue<JsonNode> received = new LinkedBlockingQueue<>();
    final LinkedBlockingQueue<Datagram> packets = new LinkedBlockingQueue<>();
    final LinkedBlockingQueue<String> requestLines = new LinkedBlockingQueue<>();
    volatile List<String> modes = List.of("aead_aes256_gcm_rtpsize", "aead_xchacha20_poly1305_rtpsize");
    volatile int heartbeatInterval = 1000;
    volatile boolean ack = true;
    volatile int discoveryReplies;
    /** IP discovery requests received, answered or not. */
    volatile int discoveryRequests;
    /** False: discovery requests go unanswered (the client retries, then gives up). */
    volatile boolean answerDiscovery = true;
    /** The most recent gateway connection; {@link #closeWith} and server-initiated ops go there. */
    private volatile Conn latest;
    /** Each gateway connection gets its own ssrc: SSRC, SSRC+1, ... */
    private final java.util.concurrent.atomic.AtomicInteger nextSsrc =
            new java.util.concurrent.atomic.AtomicInteger(SSRC);

    private static final class Conn {
        final Socket socket;
        final OutputStream out;
        final int ssrc;

        Conn(Socket socket, OutputStream out, int ssrc) {
            this.socket = socket;
            this.out = out;
            this.ssrc = ssrc;
        }
    }

    FakeVoiceServer() throws IOException {
        this(null);
    }

    /** With a TLS context the gateway is {@code wss://}. */
    FakeVoiceServer(javax.net.ssl.SSLContext tls) throws IOException {
        tcp = tls == null
                ? new ServerSocket(0, 50, InetAddress.getLoopbackAddress())
                : tls.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        udp = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        Thread a = new Thread(this::acceptLoop, "fake-voice-accept");
        a.setDaemon(true);
        a.start();
        Thread u = new Thread(this::udpLoop, "fake-voice-udp");
        u.setDaemon(true);
        u.start();
    }

    String endpoint() {
        return "127.0.0.1:" + tcp.getLocalPort();
    }

    private void acceptLoop() {
        while (!tcp.isClosed()) {
            try {
                Socket s = tcp.accept();
                Thread t = new Thread(() -> serve(s), "fake-voice-ws");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
            String key = null;
            String line = readLine(in);
            requestLines.add(line);
            while (!(line = readLine(in)).isEmpty()) {
                int c = line.indexOf(':');
                if (c > 0 && line.substring(0, c).trim().equalsIgnoreCase("Sec-WebSocket-Key")) {
                    key = line.substring(c + 1).trim();
                }
            }
            String accept = Base64.getEncoder()
                    .encodeToString(MessageDigest.getInstance("SHA-1")
                            .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                                    .getBytes(StandardCharsets.US_ASCII)));
            OutputStream o = s.getOutputStream();
            o.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            o.flush();
            Conn conn = new Conn(s, o, nextSsrc.getAndIncrement());
            latest = conn;
            sendOp(conn, 8, JSON.createObjectNode().put("heartbeat_interval", heartbeatInterval));
            while (true) {
                int b0 = in.readUnsignedByte();
                int b1 = in.readUnsignedByte();
                long len = b1 & 0x7f;
                if (len == 126) {
                    len = in.readUnsignedShort();
                } else if (len == 127) {
                    len = in.readLong();
                }
                byte[] mask = new byte[4];
                if ((b1 & 0x80) != 0) {
                    in.readFully(mask);
                }
                byte[] payload = new byte[(int) len];
                in.readFully(payload);
                for (int i = 0; i < payload.length; i++) {
                    payload[i] ^= mask[i & 3];
                }
                int opcode = b0 & 0x0f;
                if (opcode == 8) {
                    int code = payload.length >= 2 ? ((payload[0] & 0xff) << 8 | (payload[1] & 0xff)) : 1005;
                    received.add(JSON.createObjectNode().put("op", -8).put("code", code));
                    writeFrame(conn, 8, Arrays.copyOf(payload, Math.min(2, payload.length)));
                    return;
                }
                if (opcode == 9) {
                    writeFrame(conn, 10, payload);
                } else if (opcode == 1) {
                    handle(conn, JSON.readTree(payload));
                }
            }
        } catch (Exception e) {
            // connection gone
        }
    }

    private void handle(Conn conn, JsonNode msg) throws IOException {
        received.add(msg);
        switch (msg.path("op").asInt()) {
            case 0 -> {
                ObjectNode d = JSON.createObjectNode()
                        .put("ssrc", conn.ssrc)
                        .put("ip", "127.0.0.1")
                        .put("port", udp.getLocalPort());
                modes.forEach(d.putArray("modes")::add);
                sendOp(conn, 2, d);
            }
            case 3 -> {
                if (ack) {
                    sendOp(conn, 6, msg.get("d"));
                }
            }
            case 1 -> {
                ObjectNode d = JSON.createObjectNode()
                        .put("mode", msg.path("d").path("data").path("mode").asText());
                var key = d.putArray("secret_key");
                for (byte b : KEY) {
                    key.add(b & 0xff);
                }
                sendOp(conn, 4, d);
            }
            default -> {}
        }
    }

    private void udpLoop() {
        byte[] buf = new byte[2048];
        while (!udp.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                udp.receive(p);
                long now = System.nanoTime();
                byte[] data = Arrays.copyOf(p.getData(), p.getLength());
                if (data.length == 74 && data[0] == 0 && data[1] == 1) {
                    discoveryRequests++;
                    if (!answerDiscovery) {
                        continue;
                    }
                    byte[] reply = new byte[74];
                    reply[1] = 2;
                    reply[3] = 70;
                    System.arraycopy(data, 4, reply, 4, 4);
                    byte[] addr = p.getAddress().getHostAddress().getBytes(StandardCharsets.US_ASCII);
                    System.arraycopy(addr, 0, reply, 8, addr.length);
                    reply[72] = (byte) (p.getPort() >> 8);
                    reply[73] = (byte) p.getPort();
                    discoveryReplies++;
                    udp.send(new DatagramPacket(reply, 74, p.getSocketAddress()));
                } else {
                    packets.add(new Datagram(data, now));
                }
            } catch (IOException e) {
                return;
            }
        }
    }

    void sendOp(Conn conn, int op, JsonNode d) throws IOException {
        ObjectNode m = JSON.createObjectNode().put("op", op);
        m.set("d", d);
        writeFrame(conn, 1, m.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Closes the gateway from the server side with a close frame carrying {@code code}. */
    void closeWith(int code, String reason) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(code >> 8);
        b.write(code);
        b.writeBytes(reason.getBytes(StandardCharsets.UTF_8));
        Conn conn = latest;
        writeFrame(conn, 8, b.toByteArray());
        Socket s = conn.socket;
        if (s != null) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            s.close();
        }
    }

    private static void writeFrame(Conn conn, int opcode, byte[] payload) throws IOException {
        OutputStream o = conn.out;
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x80 | opcode);
        if (payload.length < 126) {
            b.write(payload.length);
        } else {
            b.write(126);
            b.write(payload.length >> 8);
            b.write(payload.length);
        }
        b.writeBytes(payload);
        synchronized (conn) {
            o.write(b.toByteArray());
            o.flush();
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }

    /** Next gateway message with the given op, skipping others (heartbeats). */
    JsonNode next(int op, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            long left = deadline - System.currentTimeMillis();
            JsonNode m = left <= 0 ? null : received.poll(left, java.util.concurrent.TimeUnit.MILLISECONDS);
            if (m == null) {
                return null;
            }
            if (m.path("op").asInt() == op) {
                return m;
            }
        }
    }

    @Override
    public void close() throws IOException {
        tcp.close();
        udp.close();
        Conn c = latest;
        if (c != null) {
            c.socket.close();
        }
    }
}
