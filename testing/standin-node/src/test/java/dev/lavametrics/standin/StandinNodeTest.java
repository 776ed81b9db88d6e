package dev.lavametrics.standin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lavametrics.standin.support.LavalinkTestClient;
import dev.lavametrics.standin.support.TestNode;
import dev.lavametrics.standin.support.ToneWav;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starts the node once with a freshly built test plugin and exercises it over HTTP and websocket. */
class StandinNodeTest {
    private static final String PASSWORD = "testpass";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path work;

    static TestNode node;
    static Path wav;

    @BeforeAll
    static void start() throws Exception {
        TestPluginJar.build(work);
        wav = ToneWav.write(work.resolve("tone.wav"), 1);
        node = TestNode.start(
                work,
                PASSWORD,
                "--lavalink.server.sources.local=true",
                "--lavalink.server.sources.youtube=true",
                "--metrics.prometheus.enabled=true",
                "--metrics.prometheus.endpoint=/metrics",
                "--plugins.testplugin.greeting=hello from yaml",
                "--plugins.testplugin.number=7");
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void pluginIsLoadedThroughItsOwnClassLoaderAndBound() throws Exception {
        JsonNode info = JSON.readTree(node.get("/v4/info", PASSWORD).body());
        assertEquals(1, info.get("plugins").size(), info.toString());
        assertEquals("testplugin", info.get("plugins").get(0).get("name").asText());
        assertEquals("1.2.3", info.get("plugins").get(0).get("version").asText());
        assertEquals(
                "4.2.2-lavametrics-standin", info.get("version").get("semver").asText());
        assertEquals(2, info.get("version").get("minor").asInt());
        assertTrue(info.get("version").has("preRelease") && !info.get("version").has("build"), info.toString());
        assertEquals("[\"local\"]", info.get("sourceManagers").toString().replace("\"http\",", ""));

        HttpResponse<String> res = node.get("/testplugin/state", PASSWORD);
        assertEquals(200, res.statusCode(), res.body());
        JsonNode state = JSON.readTree(res.body());
        assertEquals("hello from yaml", state.get("greeting").asText());
        assertEquals(7, state.get("number").asInt());
        assertEquals(1, state.get("apmApplied").asInt());
        assertEquals("lavalink-plugins", state.get("classLoader").asText());
        // plugin servlet Filter auto-registered; plugin RestInterceptor sees the matched route template
        assertEquals("yes", res.headers().firstValue("X-Testplugin-Filter").orElse(null));
        assertEquals(
                "/testplugin/state",
                res.headers().firstValue("X-Testplugin-Pattern").orElse(null));
        HttpResponse<String> version = node.get("/version", PASSWORD);
        assertEquals("4.2.2-lavametrics-standin", version.body());
        assertEquals(
                "/version", version.headers().firstValue("X-Testplugin-Pattern").orElse(null));
    }

    @Test
    void authorizationIsEnforcedExceptOnExplicitMetricsEndpoint() throws Exception {
        HttpResponse<String> missing = node.get("/v4/stats", null);
        assertEquals(401, missing.statusCode());
        assertEquals("", missing.body()); // Lavalink only sets the status

        HttpResponse<String> wrong = node.get("/v4/stats", "nope");
        assertEquals(403, wrong.statusCode());
        assertEquals("", wrong.body());

        HttpResponse<String> ok = node.get("/v4/stats", PASSWORD);
        assertEquals(200, ok.statusCode());
        assertTrue(JSON.readTree(ok.body()).get("frameStats").isNull(), ok.body()); // no session, no frame stats

        HttpResponse<String> metrics = node.get("/metrics", null);
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("lavalink_players_total "), metrics.body());
        assertTrue(metrics.body().contains("jvm_memory_bytes_used"), "hotspot DefaultExports present");

        HttpResponse<String> notFound = node.get("/v4/sessions/nosuchsession/players", PASSWORD);
        assertEquals(404, notFound.statusCode());
        assertEquals(
                "Session not found",
                JSON.readTree(notFound.body()).get("message").asText());
    }

    @Test
    void pluginServletFilterSeesRejectedRequests() throws Exception {
        // As on a real node, authorization is an MVC interceptor: plugin servlet filters run around
        // rejected requests, while plugin RestInterceptors (registered after it) are not reached.
        HttpResponse<String> missing = node.get("/v4/info", null);
        assertEquals(401, missing.statusCode());
        assertEquals("yes", missing.headers().firstValue("X-Testplugin-Filter").orElse(null));
        assertTrue(missing.headers().firstValue("X-Testplugin-Pattern").isEmpty(), "RestInterceptor not reached");
        assertEquals("4", missing.headers().firstValue("Lavalink-Api-Version").orElse(null));
        assertEquals("", missing.body());
        HttpResponse<String> wrong = node.get("/v4/info", "nope");
        assertEquals(403, wrong.statusCode());
        assertEquals("yes", wrong.headers().firstValue("X-Testplugin-Filter").orElse(null));

        // the filter counts after the chain returns, which may be just after the client has the response
        JsonNode seen = null;
        for (int i = 0; i < 50; i++) {
            seen = JSON.readTree(node.get("/testplugin/state", PASSWORD).body()).get("filterStatuses");
            if (seen.path("401").asInt() >= 1 && seen.path("403").asInt() >= 1) {
                break;
            }
            Thread.sleep(20);
        }
        assertTrue(seen.path("401").asInt() >= 1, String.valueOf(seen));
        assertTrue(seen.path("403").asInt() >= 1, String.valueOf(seen));
    }

    @Test
    void websocketUpgradeNeedsThePassword() throws Exception {
        // Lavalink's HandshakeInterceptorImpl answers 401 to a missing and to a wrong password alike
        for (String[] c : new String[][] {{null, "401"}, {"nope", "401"}}) {
            WebSocket.Builder b = node.http.newWebSocketBuilder().header("User-Id", "1");
            if (c[0] != null) {
                b.header("Authorization", c[0]);
            }
            CompletionException e = assertThrows(
                    CompletionException.class,
                    () -> b.buildAsync(node.websocketUri(), new WebSocket.Listener() {})
                            .join());
            assertInstanceOf(WebSocketHandshakeException.class, e.getCause());
            assertEquals(
                    Integer.parseInt(c[1]),
                    ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode());
        }
    }

    @Test
    void websocketSendsReadyAndStatsAndTrackStart() throws Exception {
        // User-Id is required
        CompletionException noUser = assertThrows(
                CompletionException.class,
                () -> node.http
                        .newWebSocketBuilder()
                        .header("Authorization", PASSWORD)
                        .buildAsync(node.websocketUri(), new WebSocket.Listener() {})
                        .join());
        assertInstanceOf(WebSocketHandshakeException.class, noUser.getCause());
        assertEquals(
                400,
                ((WebSocketHandshakeException) noUser.getCause()).getResponse().statusCode());

        try (LavalinkTestClient client = node.connect("123456789", "Client-Name", "standin-test/1.0")) {
            // ready and the first stats op, in either order (Lavalink schedules stats before it sends ready)
            JsonNode first = JSON.readTree(client.inbox.poll(10, TimeUnit.SECONDS));
            JsonNode second = JSON.readTree(client.inbox.poll(10, TimeUnit.SECONDS));
            JsonNode ready = "ready".equals(first.get("op").asText()) ? first : second;
            JsonNode stats = ready == first ? second : first;
            assertEquals("ready", ready.get("op").asText());
            assertEquals(false, ready.get("resumed").asBoolean());
            String sessionId = ready.get("sessionId").asText();
            assertTrue(sessionId.matches("[a-z0-9]{16}"), sessionId);
            assertEquals("stats", stats.get("op").asText());

            String id = URLEncoder.encode(wav.toAbsolutePath().toString(), StandardCharsets.UTF_8);
            JsonNode load = JSON.readTree(
                    node.get("/v4/loadtracks?identifier=" + id, PASSWORD).body());
            assertEquals("track", load.get("loadType").asText(), load.toString());
            String encoded = load.get("data").get("encoded").asText();

            HttpResponse<String> res = node.request(
                    "PATCH",
                    "/v4/sessions/" + sessionId + "/players/42",
                    "{\"track\":{\"encoded\":\"" + encoded + "\",\"userData\":{\"k\":\"v\"}},\"volume\":55,"
                            + "\"voice\":{\"token\":\"t\",\"endpoint\":\"e\",\"sessionId\":\"s\"}}");
            // 4.2: a voice state without channelId does not deserialize, and nothing is created
            assertEquals(400, res.statusCode(), res.body());
            assertEquals("Bad Request", JSON.readTree(res.body()).get("message").asText());
            assertEquals(
                    404,
                    node.get("/v4/sessions/" + sessionId + "/players/42", PASSWORD)
                            .statusCode());
            res = node.request(
                    "PATCH",
                    "/v4/sessions/" + sessionId + "/players/42",
                    "{\"voice\":{\"token\":\"t\",\"endpoint\":\"e\",\"sessionId\":\"s\",\"channelId\":\" \"}}");
            assertEquals(400, res.statusCode(), res.body());
            assertEquals(
                    "token, endpoint, sessionId and channelId must be provided in voice state",
                    JSON.readTree(res.body()).get("message").asText());

            res = node.request(
                    "PATCH",
                    "/v4/sessions/" + sessionId + "/players/42",
                    "{\"track\":{\"encoded\":\"" + encoded + "\",\"userData\":{\"k\":\"v\"}},\"volume\":55}");
            assertEquals(200, res.statusCode(), res.body());
            JsonNode player = JSON.readTree(res.body());
            assertEquals("42", player.get("guildId").asText());
            assertEquals(55, player.get("volume").asInt());
            assertTrue(player.get("voice").get("channelId").isNull(), res.body());
            assertEquals("v", player.get("track").get("userData").get("k").asText());
            assertEquals(false, player.get("state").get("connected").asBoolean());
            assertEquals(
                    "/v4/sessions/{sessionId}/players/{guildId}",
                    res.headers().firstValue("X-Testplugin-Pattern").orElse(null));

            assertNotNull(
                    client.await(
                            10_000,
                            n -> "event".equals(n.path("op").asText())
                                    && "TrackStartEvent".equals(n.path("type").asText())
                                    && "42".equals(n.path("guildId").asText())),
                    "TrackStartEvent received");

            JsonNode state =
                    JSON.readTree(node.get("/testplugin/state", PASSWORD).body());
            assertTrue(state.get("opens").asInt() >= 1, state.toString());
            assertTrue(state.get("newPlayers").asInt() >= 1, state.toString());
            assertTrue(state.get("messagesOut").asInt() >= 3, state.toString());
            assertTrue(state.get("sessions").asInt() >= 1, state.toString());

            assertEquals(
                    204,
                    node.http
                            .send(
                                    HttpRequest.newBuilder(node.uri("/v4/sessions/" + sessionId + "/players/42"))
                                            .DELETE()
                                            .header("Authorization", PASSWORD)
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString())
                            .statusCode());
            assertEquals(
                    404,
                    node.get("/v4/sessions/" + sessionId + "/players/42", PASSWORD)
                            .statusCode());
        }
    }
}
