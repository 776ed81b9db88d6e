package dev.lavametrics.standin.voice;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lavametrics.standin.StandinApplication;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import java.io.ByteArrayInputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole node: a player PATCH with voice info connects to a fake voice server and the track really plays. */
class VoiceNodeTest {
    private static final String PASSWORD = "pw";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path work;
    static ConfigurableApplicationContext context;
    static int port;
    static HttpClient http;
    static Path wav;

    @BeforeAll
    static void start() throws Exception {
        System.setProperty(VoiceManager.INSECURE_PROPERTY, "true");
        wav = work.resolve("five.wav");
        int rate = 48000;
        int seconds = 5;
        byte[] pcm = new byte[rate * 4 * seconds];
        for (int i = 0; i < rate * seconds; i++) {
            short v = (short) (6000 * Math.sin(2 * Math.PI * 440 * i / rate));
            for (int ch = 0; ch < 2; ch++) {
                pcm[i * 4 + ch * 2] = (byte) v;
                pcm[i * 4 + ch * 2 + 1] = (byte) (v >> 8);
            }
        }
        AudioSystem.write(new AudioInputStream(new ByteArrayInputStream(pcm), new AudioFormat(rate, 16, 2, true, false),
                (long) rate * seconds), AudioFileFormat.Type.WAVE, wav.toFile());
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        try {
            context = StandinApplication.start("--server.port=" + port, "--server.address=127.0.0.1",
                    "--lavalink.pluginsDir=" + work.resolve("plugins"), "--lavalink.server.password=" + PASSWORD,
                    "--lavalink.server.sources.local=true", "--lavalink.server.playerUpdateInterval=1");
        } finally {
            Thread.currentThread().setContextClassLoader(before);
        }
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop() {
        if (context != null) {
            context.close();
        }
    }

    private static HttpResponse<String> request(String method, String path, String body) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", PASSWORD).header("Content-Type", "application/json").build();
        return http.send(r, HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode await(LinkedBlockingQueue<String> inbox, long timeoutMs, Predicate<JsonNode> match)
            throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            String m = inbox.poll(100, TimeUnit.MILLISECONDS);
            if (m != null) {
                JsonNode n = JSON.readTree(m);
                if (match.test(n)) {
                    return n;
                }
            }
        }
        return null;
    }

    @Test
    void trackPlaysThroughVoiceAndServerCloseBecomesWebSocketClosedEvent() throws Exception {
        LinkedBlockingQueue<String> inbox = new LinkedBlockingQueue<>();
        WebSocket ws = http.newWebSocketBuilder().header("Authorization", PASSWORD).header("User-Id", "555")
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/v4/websocket"), new WebSocket.Listener() {
                    private final StringBuilder partial = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                        partial.append(data);
                        if (last) {
                            inbox.add(partial.toString());
                            partial.setLength(0);
                        }
                        webSocket.request(1);
                        return null;
                    }
                }).get(10, TimeUnit.SECONDS);
        try (FakeVoiceServer server = new FakeVoiceServer(); FakeVoiceServer second = new FakeVoiceServer()) {
            server.heartbeatInterval = 300;
            String sessionId = await(inbox, 5000, n -> "ready".equals(n.path("op").asText())).get("sessionId").asText();
            String id = URLEncoder.encode(wav.toAbsolutePath().toString(), StandardCharsets.UTF_8);
            JsonNode load = JSON.readTree(request("GET", "/v4/loadtracks?identifier=" + id, null).body());
            String encoded = load.at("/data/encoded").asText();
            HttpResponse<String> res = request("PATCH", "/v4/sessions/" + sessionId + "/players/77",
                    "{\"track\":{\"encoded\":\"" + encoded + "\"},\"voice\":{\"token\":\"tok\",\"endpoint\":\""
                            + server.endpoint() + "\",\"sessionId\":\"vsess\"}}");
            assertEquals(200, res.statusCode(), res.body());

            JsonNode identify = server.next(0, 5000);
            assertNotNull(identify);
            assertEquals("77", identify.at("/d/server_id").asText());
            assertEquals("555", identify.at("/d/user_id").asText());
            assertEquals("vsess", identify.at("/d/session_id").asText());
            assertEquals("tok", identify.at("/d/token").asText());

            JsonNode update = await(inbox, 5000, n -> "playerUpdate".equals(n.path("op").asText())
                    && n.at("/state/connected").asBoolean() && n.at("/state/ping").asLong() >= 0
                    && n.at("/state/position").asLong() > 0);
            assertNotNull(update, "playerUpdate with connected=true, ping and a moving position");

            JsonNode end = await(inbox, 9000, n -> "TrackEndEvent".equals(n.path("type").asText()));
            assertNotNull(end);
            assertEquals("finished", end.get("reason").asText());
            Thread.sleep(300); // the trailing silence frames
            int packets = server.packets.size();
            // 5 s of audio = 250 frames (+5 silence); lavaplayer may drop a frame at the start
            assertTrue(packets >= 245 && packets <= 260, "packets " + packets);

            // a different endpoint reconnects, closing the old gateway silently
            res = request("PATCH", "/v4/sessions/" + sessionId + "/players/77",
                    "{\"voice\":{\"token\":\"tok2\",\"endpoint\":\"" + second.endpoint() + "\",\"sessionId\":\"vsess\"}}");
            assertEquals(200, res.statusCode(), res.body());
            assertNotNull(second.next(0, 5000));
            JsonNode oldClosed = server.next(-8, 3000);
            assertNotNull(oldClosed);
            assertEquals(1000, oldClosed.get("code").asInt());
            assertNotNull(second.next(1, 5000));
            Thread.sleep(200);

            second.closeWith(4006, "Session no longer valid");
            JsonNode closed = await(inbox, 5000, n -> "WebSocketClosedEvent".equals(n.path("type").asText()));
            assertNotNull(closed);
            assertEquals("event", closed.get("op").asText());
            assertEquals("77", closed.get("guildId").asText());
            assertEquals(4006, closed.get("code").asInt());
            assertEquals("Session no longer valid", closed.get("reason").asText());
            assertTrue(closed.get("byRemote").asBoolean());
            JsonNode player = JSON.readTree(request("GET", "/v4/sessions/" + sessionId + "/players/77", null).body());
            assertEquals(false, player.at("/state/connected").asBoolean());
            assertEquals(-1, player.at("/state/ping").asInt());
        } finally {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
        }
    }
}
