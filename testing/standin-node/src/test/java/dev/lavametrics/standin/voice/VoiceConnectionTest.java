package dev.lavametrics.standin.voice;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sedmelluq.discord.lavaplayer.track.playback.MutableAudioFrame;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The voice client against {@link FakeVoiceServer}, without Spring. */
class VoiceConnectionTest {
    static VoiceManager manager;

    record Closed(int code, String reason, boolean byRemote) {}

    /** Provides {@code frames} numbered frames (first byte = index), then reports no track. */
    static final class CountingSource implements VoiceConnection.AudioSource {
        final int frames;
        final AtomicInteger given = new AtomicInteger();
        final FrameCounter counter = new FrameCounter();

        CountingSource(int frames) {
            this.frames = frames;
        }

        @Override
        public boolean provide(MutableAudioFrame frame) {
            int i = given.get();
            if (i >= frames) {
                return false;
            }
            given.incrementAndGet();
            byte[] data = new byte[40];
            Arrays.fill(data, (byte) 0x55);
            data[0] = (byte) i;
            frame.store(data, 0, data.length);
            return true;
        }

        @Override
        public boolean isActive() {
            return given.get() < frames;
        }

        @Override
        public FrameCounter counter() {
            return counter;
        }
    }

    @BeforeAll
    static void setUp() {
        System.setProperty(VoiceManager.INSECURE_PROPERTY, "true");
        manager = new VoiceManager(new ObjectMapper());
    }

    @AfterAll
    static void tearDown() {
        manager.shutdown();
    }

    static byte[] decrypt(byte[] packet) throws Exception {
        int n = packet.length;
        byte[] iv = new byte[12];
        System.arraycopy(packet, n - 4, iv, 0, 4);
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(FakeVoiceServer.KEY, "AES"), new GCMParameterSpec(128, iv));
        c.updateAAD(packet, 0, 12);
        return c.doFinal(packet, 12, n - 12 - 4);
    }

    static int u16(byte[] b, int at) {
        return (b[at] & 0xff) << 8 | (b[at + 1] & 0xff);
    }

    static long u32(byte[] b, int at) {
        return ((long) u16(b, at) << 16) | u16(b, at + 2);
    }

    @Test
    void handshakeDiscoveryRtpCadenceSilenceAndRemoteClose() throws Exception {
        try (FakeVoiceServer server = new FakeVoiceServer()) {
            server.heartbeatInterval = 300;
            LinkedBlockingQueue<Closed> closes = new LinkedBlockingQueue<>();
            CountingSource source = new CountingSource(50);
            VoiceConnection c = manager.connect(
                    new VoiceServerInfo(42, 1234, "sess", "tok", "wss://" + server.endpoint()),
                    source,
                    (conn, code, reason, byRemote) -> closes.add(new Closed(code, reason, byRemote)));

            assertEquals("GET /?v=4 HTTP/1.1", server.requestLines.poll(5, TimeUnit.SECONDS));
            JsonNode identify = server.next(0, 5000);
            assertNotNull(identify);
            assertEquals("42", identify.at("/d/server_id").asText());
            assertEquals("1234", identify.at("/d/user_id").asText());
            assertEquals("sess", identify.at("/d/session_id").asText());
            assertEquals("tok", identify.at("/d/token").asText());

            JsonNode select = server.next(1, 5000);
            assertNotNull(select);
            assertEquals(1, server.discoveryReplies);
            assertEquals("udp", select.at("/d/protocol").asText());
            assertEquals("aead_aes256_gcm_rtpsize", select.at("/d/data/mode").asText());
            assertEquals("127.0.0.1", select.at("/d/data/address").asText());
            assertTrue(select.at("/d/data/port").asInt() > 0);

            JsonNode speaking = server.next(5, 5000);
            assertNotNull(speaking);
            assertEquals(1, speaking.at("/d/speaking").asInt());
            assertEquals(0, speaking.at("/d/delay").asInt());
            assertEquals(FakeVoiceServer.SSRC, speaking.at("/d/ssrc").asInt());

            List<FakeVoiceServer.Datagram> got = new ArrayList<>();
            for (int i = 0; i < 55; i++) {
                FakeVoiceServer.Datagram d = server.packets.poll(3, TimeUnit.SECONDS);
                assertNotNull(d, "packet " + i);
                got.add(d);
            }
            JsonNode notSpeaking = server.next(5, 2000);
            assertNotNull(notSpeaking);
            assertEquals(0, notSpeaking.at("/d/speaking").asInt());
            assertNull(server.packets.poll(200, TimeUnit.MILLISECONDS), "nothing after the 5 silence frames");

            for (int i = 0; i < got.size(); i++) {
                byte[] p = got.get(i).data();
                assertEquals(0x80, p[0] & 0xff);
                assertEquals(0x78, p[1] & 0xff);
                assertEquals(FakeVoiceServer.SSRC, (int) u32(p, 8));
                if (i > 0) {
                    byte[] prev = got.get(i - 1).data();
                    assertEquals((u16(prev, 2) + 1) & 0xffff, u16(p, 2), "sequence");
                    assertEquals((u32(prev, 4) + 960) & 0xffffffffL, u32(p, 4), "timestamp");
                    assertEquals(u32(prev, prev.length - 4) + 1, u32(p, p.length - 4), "nonce");
                }
                byte[] plain = decrypt(p);
                if (i < 50) {
                    assertEquals(40, plain.length);
                    assertEquals(i, plain[0]);
                    assertEquals(12 + 40 + 16 + 4, p.length);
                } else {
                    assertArrayEquals(new byte[] {(byte) 0xF8, (byte) 0xFF, (byte) 0xFE}, plain, "silence " + i);
                }
            }
            // cadence: 54 intervals of 20 ms
            double span = (got.get(54).nanos() - got.get(0).nanos()) / 1e6;
            assertTrue(span > 54 * 20 * 0.85 && span < 54 * 20 * 1.25, "span " + span + " ms");
            assertEquals(55, c.packetsSent());

            // heartbeat + ping
            JsonNode hb = server.next(3, 2000);
            assertNotNull(hb);
            assertTrue(hb.get("d").isNumber());
            Thread.sleep(100);
            assertTrue(c.getPing() >= 0, "ping " + c.getPing());
            assertTrue(c.isConnected());

            server.closeWith(4014, "Disconnected");
            Closed closed = closes.poll(5, TimeUnit.SECONDS);
            assertEquals(new Closed(4014, "Disconnected", true), closed);
            assertFalse(c.isConnected());
            long lastPing = c.getPing();
            assertTrue(lastPing >= 0, "Koe keeps the last ping after a close: " + lastPing);
            assertEquals(0, manager.connectionCount());
        }
    }

    /** Koe (AbstractMediaGatewayConnection.onClose) reconnects on some close codes and reports nothing. */
    @Test
    void aRetriedCloseCodeReconnectsAndResumesWithoutReporting() throws Exception {
        try (FakeVoiceServer server = new FakeVoiceServer()) {
            LinkedBlockingQueue<Closed> closes = new LinkedBlockingQueue<>();
            VoiceConnection c = manager.connect(
                    new VoiceServerInfo(13, 1, "s13", "t13", server.endpoint()),
                    new CountingSource(0),
                    (conn, code, reason, byRemote) -> closes.add(new Closed(code, reason, byRemote)));
            assertNotNull(server.next(1, 5000), "select protocol");
            server.closeWith(4015, "Voice server crashed");
            JsonNode resume = server.next(7, 5000);
            assertNotNull(resume, "a new gateway connection that resumes");
            assertEquals("13", resume.at("/d/server_id").asText());
            assertEquals("s13", resume.at("/d/session_id").asText());
            assertEquals("t13", resume.at("/d/token").asText());
            assertFalse(c.isClosed());
            assertNull(closes.poll(300, TimeUnit.MILLISECONDS), "nothing reported to the client");

            server.closeWith(4014, "Disconnected"); // not retried: reported
            assertEquals(new Closed(4014, "Disconnected", true), closes.poll(5, TimeUnit.SECONDS));
            assertTrue(c.isClosed());
        }
    }

    @Test
    void missingModeFailsLocally() throws Exception {
        try (FakeVoiceServer server = new FakeVoiceServer()) {
            server.modes = List.of("xsalsa20_poly1305");
            LinkedBlockingQueue<Closed> closes = new LinkedBlockingQueue<>();
            VoiceConnection c = manager.connect(
                    new VoiceServerInfo(7, 1, "s", "t", server.endpoint()),
                    new CountingSource(0),
                    (conn, code, reason, byRemote) -> closes.add(new Closed(code, reason, byRemote)));
            Closed closed = closes.poll(5, TimeUnit.SECONDS);
            assertNotNull(closed);
            assertEquals(VoiceConnection.LOCAL_FAILURE_CODE, closed.code());
            assertFalse(closed.byRemote());
            assertTrue(c.isClosed());
            JsonNode closeFrame = server.next(-8, 3000);
            assertNotNull(closeFrame);
            assertEquals(
                    VoiceConnection.LOCAL_FAILURE_CODE, closeFrame.get("code").asInt());
            assertEquals(0, server.discoveryReplies);
        }
    }

    @Test
    void unacknowledgedHeartbeatsCloseLocally() throws Exception {
        try (FakeVoiceServer server = new FakeVoiceServer()) {
            server.heartbeatInterval = 150;
            server.ack = false;
            LinkedBlockingQueue<Closed> closes = new LinkedBlockingQueue<>();
            VoiceConnection c = manager.connect(
                    new VoiceServerInfo(8, 1, "s", "t", server.endpoint()),
                    new CountingSource(0),
                    (conn, code, reason, byRemote) -> closes.add(new Closed(code, reason, byRemote)));
            Closed closed = closes.poll(5, TimeUnit.SECONDS);
            assertNotNull(closed);
            assertEquals(VoiceConnection.LOCAL_FAILURE_CODE, closed.code());
            assertFalse(closed.byRemote());
            assertFalse(c.isConnected());
        }
    }

    @Test
    void localCloseReportsNothingAndUnreachableServerOnlyLogs() throws Exception {
        try (FakeVoiceServer server = new FakeVoiceServer()) {
            LinkedBlockingQueue<Closed> closes = new LinkedBlockingQueue<>();
            VoiceConnection c = manager.connect(
                    new VoiceServerInfo(9, 1, "s", "t", server.endpoint()),
                    new CountingSource(0),
                    (conn, code, reason, byRemote) -> closes.add(new Closed(code, reason, byRemote)));
            assertNotNull(server.next(1, 5000));
            c.close();
            JsonNode closeFrame = server.next(-8, 3000);
            assertNotNull(closeFrame);
            assertEquals(1000, closeFrame.get("code").asInt());
            assertNull(closes.poll(300, TimeUnit.MILLISECONDS));
        }
        int deadPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        LinkedBlockingQueue<Closed> closes = new LinkedBlockingQueue<>();
        VoiceConnection c = manager.connect(
                new VoiceServerInfo(10, 1, "s", "t", "127.0.0.1:" + deadPort),
                new CountingSource(0),
                (conn, code, reason, byRemote) -> closes.add(new Closed(code, reason, byRemote)));
        long deadline = System.currentTimeMillis() + 5000;
        while (!c.isClosed() && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(c.isClosed());
        assertNull(closes.poll(100, TimeUnit.MILLISECONDS));
    }

    @Test
    void discoveryReplyParsingAndEndpointNormalisation() throws Exception {
        byte[] reply = new byte[74];
        reply[1] = 2;
        reply[3] = 70;
        byte[] addr = "203.0.113.9".getBytes();
        System.arraycopy(addr, 0, reply, 8, addr.length);
        reply[72] = (byte) 0xC3;
        reply[73] = 0x50;
        InetSocketAddress a = VoiceConnection.parseDiscovery(reply, 74);
        assertEquals("203.0.113.9", a.getHostString());
        assertEquals(50000, a.getPort());
        assertEquals(
                "voice.example:443", new VoiceServerInfo(1, 1, "s", "t", "wss://voice.example:443/?v=4").hostPort());
        assertEquals("127.0.0.1:9", new VoiceServerInfo(1, 1, "s", "t", "127.0.0.1:9").hostPort());
        assertFalse(new VoiceServerInfo(1, 0, "s", "t", "e").complete());
    }

    @Test
    void slowIpDiscoveryDoesNotStallOtherConnectionsHeartbeats() throws Exception {
        // Two connections whose discovery is never answered keep a thread each busy for 5 x 1 s. That used
        // to be both gateway scheduler threads, holding up every heartbeat and the next discovery.
        try (FakeVoiceServer silent1 = new FakeVoiceServer();
                FakeVoiceServer silent2 = new FakeVoiceServer();
                FakeVoiceServer server = new FakeVoiceServer()) {
            silent1.answerDiscovery = false;
            silent2.answerDiscovery = false;
            server.heartbeatInterval = 200;
            List<VoiceConnection> stalled = new ArrayList<>();
            int guild = 100;
            for (FakeVoiceServer s : List.of(silent1, silent2)) {
                stalled.add(manager.connect(
                        new VoiceServerInfo(guild++, 1, "s", "t", s.endpoint()),
                        new CountingSource(0),
                        (conn, code, reason, byRemote) -> {}));
            }
            long deadline = System.currentTimeMillis() + 5000;
            while ((silent1.discoveryRequests == 0 || silent2.discoveryRequests == 0)
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(silent1.discoveryRequests > 0 && silent2.discoveryRequests > 0, "both discoveries running");

            VoiceConnection c = manager.connect(
                    new VoiceServerInfo(guild, 1, "s", "t", server.endpoint()),
                    new CountingSource(0),
                    (conn, code, reason, byRemote) -> {});
            long started = System.currentTimeMillis();
            assertNotNull(server.next(1, 3000), "SELECT_PROTOCOL while the other discoveries still wait");
            long hb1 = System.currentTimeMillis();
            assertNotNull(server.next(3, 1000), "heartbeat");
            assertNotNull(server.next(3, 1000), "next heartbeat");
            assertTrue(System.currentTimeMillis() - started < 3000, "not held up by the stalled discoveries");
            assertTrue(System.currentTimeMillis() - hb1 < 1500, "heartbeats keep their 200 ms rate");
            assertTrue(stalled.stream().noneMatch(VoiceConnection::isClosed), "the stalled ones are still trying");
            c.close();
            stalled.forEach(VoiceConnection::close);
        }
    }

    @Test
    void helloAfterShutdownLeavesNoHeartbeatRunning() {
        // the interleaving of the race: handle() saw closed == false, then shutdown() ran, then hello's body
        VoiceConnection c = new VoiceConnection(
                manager,
                new VoiceServerInfo(11, 1, "s", "t", "127.0.0.1:9"),
                new CountingSource(0),
                (conn, code, reason, byRemote) -> {});
        c.close();
        c.hello(new ObjectMapper().createObjectNode().put("heartbeat_interval", 100));
        assertFalse(c.heartbeatScheduled());
    }

    @Test
    void senderParksWithoutConnectionsAndResumesOnConnect() throws Exception {
        VoiceManager m = new VoiceManager(new ObjectMapper());
        try (FakeVoiceServer server = new FakeVoiceServer()) {
            for (int round = 0; round < 2; round++) {
                CountingSource source = new CountingSource(3);
                VoiceConnection c = m.connect(
                        new VoiceServerInfo(12, 1, "s", "t", server.endpoint()),
                        source,
                        (conn, code, reason, byRemote) -> {});
                for (int i = 0; i < 3; i++) {
                    assertNotNull(server.packets.poll(5, TimeUnit.SECONDS), "round " + round + " packet " + i);
                }
                c.close();
                assertEquals(0, m.connectionCount());
                Thread.sleep(100); // let a tick in progress finish
                long ticks = m.senderStats()[0];
                Thread.sleep(300);
                assertEquals(ticks, m.senderStats()[0], "no ticks while idle (round " + round + ")");
                server.packets.clear();
            }
            // the idle time is not counted as a backlog of skipped ticks
            assertEquals(0, m.senderStats()[2], "skipped ticks");
        } finally {
            m.shutdown();
        }
    }
}
