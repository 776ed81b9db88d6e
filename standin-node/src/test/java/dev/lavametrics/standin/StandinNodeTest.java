package dev.lavametrics.standin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Starts the node once with a freshly built test plugin and exercises it over HTTP and websocket. */
class StandinNodeTest {
    private static final String PASSWORD = "testpass";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path work;
    static ConfigurableApplicationContext context;
    static int port;
    static HttpClient http;
    static Path wav;

    @BeforeAll
    static void start() throws Exception {
        TestPluginJar.build(work);
        wav = work.resolve("tone.wav");
        writeWav(wav);
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        try {
            context = StandinApplication.start(
                    "--server.port=" + port,
                    "--server.address=127.0.0.1",
                    "--lavalink.pluginsDir=" + work.resolve("plugins"),
                    "--lavalink.server.password=" + PASSWORD,
                    "--lavalink.server.sources.local=true",
                    "--lavalink.server.sources.youtube=true",
                    "--metrics.prometheus.enabled=true",
                    "--metrics.prometheus.endpoint=/metrics",
                    "--plugins.testplugin.greeting=hello from yaml",
                    "--plugins.testplugin.number=7");
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

    private static void writeWav(Path target) throws Exception {
        int rate = 48000;
        byte[] pcm = new byte[rate * 4]; // one second, 16-bit stereo
        for (int i = 0; i < rate; i++) {
            short v = (short) (6000 * Math.sin(2 * Math.PI * 440 * i / rate));
            for (int ch = 0; ch < 2; ch++) {
                pcm[i * 4 + ch * 2] = (byte) v;
                pcm[i * 4 + ch * 2 + 1] = (byte) (v >> 8);
            }
        }
        AudioFormat fmt = new AudioFormat(rate, 16, 2, true, false);
        AudioSystem.write(new AudioInputStream(new ByteArrayInputStream(pcm), fmt, rate), AudioFileFormat.Type.WAVE,
                target.toFile());
    }

    private static HttpResponse<String> get(String path, String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET();
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> patch(String path, String body) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method("PATCH", HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", PASSWORD).header("Content-Type", "application/json").build();
        return http.send(r, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void pluginIsLoadedThroughItsOwnClassLoaderAndBound() throws Exception {
        JsonNode info = JSON.readTree(get("/v4/info", PASSWORD).body());
        assertEquals(1, info.get("plugins").size(), info.toString());
        assertEquals("testplugin", info.get("plugins").get(0).get("name").asText());
        assertEquals("1.2.3", info.get("plugins").get(0).get("version").asText());
        assertEquals("4.0.0-lavametrics-standin", info.get("version").get("semver").asText());
        assertEquals("[\"local\"]", info.get("sourceManagers").toString().replace("\"http\",", ""));

        HttpResponse<String> res = get("/testplugin/state", PASSWORD);
        assertEquals(200, res.statusCode(), res.body());
        JsonNode state = JSON.readTree(res.body());
        assertEquals("hello from yaml", state.get("greeting").asText());
        assertEquals(7, state.get("number").asInt());
        assertEquals(1, state.get("apmApplied").asInt());
        assertEquals("lavalink-plugins", state.get("classLoader").asText());
        // plugin servlet Filter auto-registered; plugin RestInterceptor sees the matched route template
        assertEquals("yes", res.headers().firstValue("X-Testplugin-Filter").orElse(null));
        assertEquals("/testplugin/state", res.headers().firstValue("X-Testplugin-Pattern").orElse(null));
        HttpResponse<String> version = get("/version", PASSWORD);
        assertEquals("4.0.0-lavametrics-standin", version.body());
        assertEquals("/version", version.headers().firstValue("X-Testplugin-Pattern").orElse(null));
    }

    @Test
    void authorizationIsEnforcedExceptOnExplicitMetricsEndpoint() throws Exception {
        HttpResponse<String> missing = get("/v4/stats", null);
        assertEquals(401, missing.statusCode());
        JsonNode body = JSON.readTree(missing.body());
        assertEquals(401, body.get("status").asInt());
        assertEquals("/v4/stats", body.get("path").asText());
        assertTrue(body.get("timestamp").isNumber());
        assertNotNull(body.get("error"));
        assertNotNull(body.get("message"));

        HttpResponse<String> wrong = get("/v4/stats", "nope");
        assertEquals(403, wrong.statusCode());
        assertEquals(403, JSON.readTree(wrong.body()).get("status").asInt());

        HttpResponse<String> ok = get("/v4/stats", PASSWORD);
        assertEquals(200, ok.statusCode());
        assertTrue(JSON.readTree(ok.body()).get("frameStats").isNull());

        HttpResponse<String> metrics = get("/metrics", null);
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("lavalink_players_total "), metrics.body());
        assertTrue(metrics.body().contains("jvm_memory_bytes_used"), "hotspot DefaultExports present");

        HttpResponse<String> notFound = get("/v4/sessions/nosuchsession/players", PASSWORD);
        assertEquals(404, notFound.statusCode());
        assertEquals("Session not found", JSON.readTree(notFound.body()).get("message").asText());
    }

    @Test
    void websocketSendsReadyAndStatsAndTrackStart() throws Exception {
        // User-Id is required
        CompletionException noUser = assertThrows(CompletionException.class, () -> http.newWebSocketBuilder()
                .header("Authorization", PASSWORD)
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/v4/websocket"), new WebSocket.Listener() {
                }).join());
        assertInstanceOf(WebSocketHandshakeException.class, noUser.getCause());
        assertEquals(400, ((WebSocketHandshakeException) noUser.getCause()).getResponse().statusCode());

        LinkedBlockingQueue<String> inbox = new LinkedBlockingQueue<>();
        WebSocket ws = http.newWebSocketBuilder()
                .header("Authorization", PASSWORD)
                .header("User-Id", "123456789")
                .header("Client-Name", "standin-test/1.0")
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
        try {
            JsonNode ready = JSON.readTree(inbox.poll(10, TimeUnit.SECONDS));
            assertEquals("ready", ready.get("op").asText());
            assertEquals(false, ready.get("resumed").asBoolean());
            String sessionId = ready.get("sessionId").asText();
            assertTrue(sessionId.matches("[a-z0-9]{16}"), sessionId);
            JsonNode stats = JSON.readTree(inbox.poll(10, TimeUnit.SECONDS));
            assertEquals("stats", stats.get("op").asText());

            String id = URLEncoder.encode(wav.toAbsolutePath().toString(), StandardCharsets.UTF_8);
            JsonNode load = JSON.readTree(get("/v4/loadtracks?identifier=" + id, PASSWORD).body());
            assertEquals("track", load.get("loadType").asText(), load.toString());
            String encoded = load.get("data").get("encoded").asText();

            HttpResponse<String> res = patch("/v4/sessions/" + sessionId + "/players/42",
                    "{\"track\":{\"encoded\":\"" + encoded + "\",\"userData\":{\"k\":\"v\"}},\"volume\":55,"
                            + "\"voice\":{\"token\":\"t\",\"endpoint\":\"e\",\"sessionId\":\"s\"}}");
            assertEquals(200, res.statusCode(), res.body());
            JsonNode player = JSON.readTree(res.body());
            assertEquals("42", player.get("guildId").asText());
            assertEquals(55, player.get("volume").asInt());
            assertEquals("e", player.get("voice").get("endpoint").asText());
            assertEquals("v", player.get("track").get("userData").get("k").asText());
            assertEquals(false, player.get("state").get("connected").asBoolean());
            assertEquals("/v4/sessions/{sessionId}/players/{guildId}",
                    res.headers().firstValue("X-Testplugin-Pattern").orElse(null));

            boolean started = false;
            long deadline = System.currentTimeMillis() + 10_000;
            while (!started && System.currentTimeMillis() < deadline) {
                String m = inbox.poll(1, TimeUnit.SECONDS);
                if (m != null) {
                    JsonNode n = JSON.readTree(m);
                    started = "event".equals(n.path("op").asText()) && "TrackStartEvent".equals(n.path("type").asText())
                            && "42".equals(n.path("guildId").asText());
                }
            }
            assertTrue(started, "TrackStartEvent received");

            JsonNode state = JSON.readTree(get("/testplugin/state", PASSWORD).body());
            assertTrue(state.get("opens").asInt() >= 1, state.toString());
            assertTrue(state.get("newPlayers").asInt() >= 1, state.toString());
            assertTrue(state.get("messagesOut").asInt() >= 3, state.toString());
            assertTrue(state.get("sessions").asInt() >= 1, state.toString());

            assertEquals(204, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                            + "/v4/sessions/" + sessionId + "/players/42")).DELETE().header("Authorization", PASSWORD).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(404, get("/v4/sessions/" + sessionId + "/players/42", PASSWORD).statusCode());
        } finally {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
        }
    }
}
