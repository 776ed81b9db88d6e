package dev.lavametrics.standin.voice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lavametrics.standin.support.LavalinkTestClient;
import dev.lavametrics.standin.support.TestNode;
import dev.lavametrics.standin.support.ToneWav;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole node: a player PATCH with voice info connects to a fake voice server and the track really plays. */
class VoiceNodeTest {
    private static final String PASSWORD = "pw";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path work;

    static TestNode node;
    static Path wav;

    @BeforeAll
    static void start() throws Exception {
        System.setProperty(VoiceManager.INSECURE_PROPERTY, "true");
        wav = ToneWav.write(work.resolve("five.wav"), 5);
        node = TestNode.start(
                work, PASSWORD, "--lavalink.server.sources.local=true", "--lavalink.server.playerUpdateInterval=1");
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void trackPlaysThroughVoiceAndServerCloseBecomesWebSocketClosedEvent() throws Exception {
        try (LavalinkTestClient client = node.connect("555");
                FakeVoiceServer server = new FakeVoiceServer();
                FakeVoiceServer second = new FakeVoiceServer()) {
            server.heartbeatInterval = 300;
            String sessionId = client.await(
                            5000, n -> "ready".equals(n.path("op").asText()))
                    .get("sessionId")
                    .asText();
            String id = URLEncoder.encode(wav.toAbsolutePath().toString(), StandardCharsets.UTF_8);
            JsonNode load = JSON.readTree(
                    node.request("GET", "/v4/loadtracks?identifier=" + id, null).body());
            String encoded = load.at("/data/encoded").asText();
            HttpResponse<String> res = node.request(
                    "PATCH",
                    "/v4/sessions/" + sessionId + "/players/77",
                    "{\"track\":{\"encoded\":\"" + encoded + "\"},\"voice\":{\"token\":\"tok\",\"endpoint\":\""
                            + server.endpoint() + "\",\"sessionId\":\"vsess\",\"channelId\":\"9\"}}");
            assertEquals(200, res.statusCode(), res.body());
            // as on Lavalink, the PATCH answers once the gateway websocket is open
            assertTrue(JSON.readTree(res.body()).at("/state/connected").asBoolean(), res.body());
            assertEquals("9", JSON.readTree(res.body()).at("/voice/channelId").asText(), res.body());

            JsonNode identify = server.next(0, 5000);
            assertNotNull(identify);
            assertEquals("77", identify.at("/d/server_id").asText());
            assertEquals("555", identify.at("/d/user_id").asText());
            assertEquals("vsess", identify.at("/d/session_id").asText());
            assertEquals("tok", identify.at("/d/token").asText());

            JsonNode update = client.await(
                    5000,
                    n -> "playerUpdate".equals(n.path("op").asText())
                            && n.at("/state/connected").asBoolean()
                            && n.at("/state/ping").asLong() >= 0
                            && n.at("/state/position").asLong() > 0);
            assertNotNull(update, "playerUpdate with connected=true, ping and a moving position");

            JsonNode end = client.await(
                    9000, n -> "TrackEndEvent".equals(n.path("type").asText()));
            assertNotNull(end);
            assertEquals("finished", end.get("reason").asText());
            Thread.sleep(300); // the trailing silence frames
            int packets = server.packets.size();
            // 5 s of audio = 250 frames (+5 silence); lavaplayer may drop a frame at the start
            assertTrue(packets >= 245 && packets <= 260, "packets " + packets);

            // a different endpoint reconnects, closing the old gateway silently
            res = node.request(
                    "PATCH",
                    "/v4/sessions/" + sessionId + "/players/77",
                    "{\"voice\":{\"token\":\"tok2\",\"endpoint\":\"" + second.endpoint()
                            + "\",\"sessionId\":\"vsess\",\"channelId\":\"9\"}}");
            assertEquals(200, res.statusCode(), res.body());
            assertNotNull(second.next(0, 5000));
            JsonNode oldClosed = server.next(-8, 3000);
            assertNotNull(oldClosed);
            assertEquals(1000, oldClosed.get("code").asInt());
            assertNotNull(second.next(1, 5000));
            Thread.sleep(200);

            second.closeWith(4006, "Session no longer valid");
            JsonNode closed = client.await(
                    5000, n -> "WebSocketClosedEvent".equals(n.path("type").asText()));
            assertNotNull(closed);
            assertEquals("event", closed.get("op").asText());
            assertEquals("77", closed.get("guildId").asText());
            assertEquals(4006, closed.get("code").asInt());
            assertEquals("Session no longer valid", closed.get("reason").asText());
            assertTrue(closed.get("byRemote").asBoolean());
            JsonNode player = JSON.readTree(node.request("GET", "/v4/sessions/" + sessionId + "/players/77", null)
                    .body());
            assertEquals(false, player.at("/state/connected").asBoolean());
            assertTrue(player.at("/state/ping").asInt() >= 0, "the last ping stays, as Koe's does");
        }
    }
}
