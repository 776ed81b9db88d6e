package dev.lavametrics.standin;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lavametrics.standin.support.TestNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Metrics enabled without {@code metrics.prometheus.endpoint}: {@code /metrics} needs the password, as
 * in Lavalink. The endpoint is an MVC handler, so the authorization interceptor is what guards it.
 */
class MetricsPasswordTest {
    private static final String PASSWORD = "metricspass";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path work;
    static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        Files.createDirectories(work.resolve("plugins"));
        node = TestNode.start(work, PASSWORD, "--metrics.prometheus.enabled=true");
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void metricsWithoutExplicitEndpointNeedThePassword() throws Exception {
        HttpResponse<String> missing = node.get("/metrics", null);
        assertEquals(401, missing.statusCode());
        assertEquals("/metrics", JSON.readTree(missing.body()).get("path").asText());
        assertEquals(403, node.get("/metrics", "nope").statusCode());

        HttpResponse<String> ok = node.get("/metrics", PASSWORD);
        assertEquals(200, ok.statusCode());
        assertTrue(ok.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), ok.headers().toString());
        assertTrue(ok.body().contains("lavalink_memory_used_bytes "), ok.body());
        assertTrue(ok.body().contains("lavalink_cpu_cores "), ok.body());
    }
}
