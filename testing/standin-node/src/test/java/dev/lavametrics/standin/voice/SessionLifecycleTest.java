package dev.lavametrics.standin.voice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lavametrics.standin.TestPluginJar;
import dev.lavametrics.standin.support.LavalinkTestClient;
import dev.lavametrics.standin.support.TestNode;
import dev.lavametrics.standin.support.ToneWav;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Session close, pause and resume in Lavalink 4.1.2/4.2.2's order (SocketServer.kt, SocketContext.kt), as a
 * plugin sees it: the hooks, the context's state during each and the map it is listed in.
 */
class SessionLifecycleTest {
    private static final String PASSWORD = "pw";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path work;

    static TestNode node;
    static Path wav;

    @BeforeAll
    static void start() throws Exception {
        System.setProperty(VoiceManager.INSECURE_PROPERTY, "true");
        TestPluginJar.build(work);
        wav = ToneWav.write(work.resolve("one.wav"), 1);
        node = TestNode.start(work, PASSWORD, "--lavalink.server.sources.local=true");
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    private static List<String> lifecycle() throws Exception {
        List<String> out = new ArrayList<>();
        JSON.readTree(node.get("/testplugin/state", PASSWORD).body())
                .get("lifecycle")
                .forEach(n -> out.add(n.asText()));
        return out;
    }

    private static List<String> awaitLifecycle(Predicate<List<String>> done) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        List<String> seen = lifecycle();
        while (!done.test(seen) && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
            seen = lifecycle();
        }
        return seen;
    }

    private static long destroyedCount(List<String> lifecycle) {
        return lifecycle.stream().filter("destroyed DESTROYED none"::equals).count();
    }

    /**
     * Closes a client whose session is not resumable and waits until the node has destroyed it, so that no
     * test's asynchronous teardown lands in the next test's slice of the shared lifecycle log.
     */
    private static void closeAndAwaitDestroyed(LavalinkTestClient client) throws Exception {
        long destroyed = destroyedCount(lifecycle());
        client.close();
        List<String> seen = awaitLifecycle(l -> destroyedCount(l) > destroyed);
        assertTrue(destroyedCount(seen) > destroyed, "session not destroyed after close: " + seen);
    }

    private static String sessionOf(LavalinkTestClient client) throws Exception {
        return client.await(5000, n -> "ready".equals(n.path("op").asText()))
                .get("sessionId")
                .asText();
    }

    @Test
    void aClosedSessionLeavesTheMapThenLosesItsPlayersThenIsDestroyed() throws Exception {
        int before = lifecycle().size();
        LavalinkTestClient client = node.connect("1");
        String id = sessionOf(client);
        assertEquals(
                200,
                node.request("PATCH", "/v4/sessions/" + id + "/players/5", "{\"volume\":10}")
                        .statusCode());
        client.close();

        List<String> seen = awaitLifecycle(l -> l.contains("destroyed DESTROYED none"));
        List<String> ours = seen.subList(before, seen.size());
        assertEquals(List.of("opened OPEN sessions", "destroyPlayer DESTROYED none", "destroyed DESTROYED none"), ours);
    }

    @Test
    void aPausedSessionIsListedAsResumableAndRestCannotReachIt() throws Exception {
        int before = lifecycle().size();
        LavalinkTestClient client = node.connect("2");
        String id = sessionOf(client);
        node.request("PATCH", "/v4/sessions/" + id, "{\"resuming\":true,\"timeout\":60}");
        client.close();
        awaitLifecycle(l -> l.subList(before, l.size()).contains("paused RESUMABLE resumable"));
        assertEquals(404, node.get("/v4/sessions/" + id + "/players", PASSWORD).statusCode());
        assertEquals(
                404,
                node.request("PATCH", "/v4/sessions/" + id + "/players/6", "{\"volume\":5}")
                        .statusCode());

        LavalinkTestClient resumed = node.connect("2", "Session-Id", id);
        JsonNode ready = resumed.await(5000, n -> "ready".equals(n.path("op").asText()));
        assertTrue(ready.get("resumed").asBoolean());
        assertEquals(
                200,
                node.request("PATCH", "/v4/sessions/" + id + "/players/6", "{\"volume\":5}")
                        .statusCode());
        node.request("PATCH", "/v4/sessions/" + id, "{\"resuming\":false}");
        resumed.close();
        List<String> seen = awaitLifecycle(l -> l.subList(before, l.size()).contains("destroyed DESTROYED none"));
        assertEquals(
                List.of(
                        "opened OPEN sessions",
                        "paused RESUMABLE resumable",
                        "resumed OPEN sessions",
                        "destroyPlayer DESTROYED none",
                        "destroyed DESTROYED none"),
                seen.subList(before, seen.size()));

        LavalinkTestClient unknown = node.connect("2", "Session-Id", "nosuchsession000");
        assertTrue(!unknown.await(5000, n -> "ready".equals(n.path("op").asText()))
                .get("resumed")
                .asBoolean());
        closeAndAwaitDestroyed(unknown);
    }

    /** A track that ends while its session is paused: the event is queued, then replayed through the plugin. */
    @Test
    void aMessageQueuedWhilePausedPassesThePluginAgainWhenReplayed() throws Exception {
        try (FakeVoiceServer voice = new FakeVoiceServer()) {
            LavalinkTestClient client = node.connect("3");
            String id = sessionOf(client);
            node.request("PATCH", "/v4/sessions/" + id, "{\"resuming\":true,\"timeout\":60}");
            String path = URLEncoder.encode(wav.toAbsolutePath().toString(), StandardCharsets.UTF_8);
            String encoded = JSON.readTree(node.request("GET", "/v4/loadtracks?identifier=" + path, null)
                            .body())
                    .at("/data/encoded")
                    .asText();
            int before = lifecycle().size();
            node.request(
                    "PATCH",
                    "/v4/sessions/" + id + "/players/7",
                    "{\"track\":{\"encoded\":\"" + encoded
                            + "\"},\"voice\":{\"token\":\"t\",\"endpoint\":\"" + voice.endpoint()
                            + "\",\"sessionId\":\"v\",\"channelId\":\"3\"}}");
            assertNotNull(client.await(
                    5000, n -> "TrackStartEvent".equals(n.path("type").asText())));
            client.close(); // the 1 s track ends while the session is paused
            awaitLifecycle(
                    l -> l.stream().anyMatch(e -> e.startsWith("trackEnd@") && e.endsWith("RESUMABLE resumable")));

            LavalinkTestClient resumed = node.connect("3", "Session-Id", id);
            assertNotNull(resumed.await(
                    5000, n -> "TrackEndEvent".equals(n.path("type").asText())));
            List<String> seen = awaitLifecycle(l -> l.subList(before, l.size()).contains("resumed OPEN sessions"));
            List<String> ours = seen.subList(before, seen.size());
            List<String> ends =
                    ours.stream().filter(e -> e.startsWith("trackEnd@")).toList();
            assertEquals(2, ends.size(), String.valueOf(ours));
            String identity = ends.get(0).split(" ")[0];
            assertEquals(
                    List.of(identity + " RESUMABLE resumable", identity + " OPEN sessions"),
                    ends,
                    "the same String object, once queued and once replayed");
            assertTrue(ours.indexOf(ends.get(1)) < ours.indexOf("resumed OPEN sessions"), String.valueOf(ours));
            node.request("PATCH", "/v4/sessions/" + id, "{\"resuming\":false}");
            closeAndAwaitDestroyed(resumed);
        }
    }
}
