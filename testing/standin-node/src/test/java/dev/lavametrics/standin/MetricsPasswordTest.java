package dev.lavametrics.standin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lavametrics.standin.support.TestNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
        assertEquals("", missing.body());
        assertEquals(403, node.get("/metrics", "nope").statusCode());

        HttpResponse<String> ok = node.get("/metrics", PASSWORD);
        assertEquals(200, ok.statusCode());
        assertTrue(
                ok.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
                ok.headers().toString());
        assertTrue(ok.body().contains("lavalink_memory_used_bytes "), ok.body());
        assertTrue(ok.body().contains("lavalink_cpu_cores "), ok.body());
        // Lavalink core's other two families (metrics/GcNotificationListener.java, PrometheusMetrics.java)
        assertTrue(ok.body().contains("# TYPE lavalink_gc_pauses_seconds histogram"), ok.body());
        assertTrue(ok.body().contains("lavalink_gc_pauses_seconds_bucket{le=\"1.6\",}"), ok.body());
        assertTrue(ok.body().contains("# TYPE logback_appender_total counter"), ok.body());
        assertTrue(ok.body().contains("logback_appender_total{level=\"info\",}"), ok.body());
        // the text format only, as Lavalink's controller produces; OpenMetrics-only clients get 406
        HttpResponse<String> om = node.http.send(
                java.net.http.HttpRequest.newBuilder(node.uri("/metrics"))
                        .header("Authorization", PASSWORD)
                        .header("Accept", "application/openmetrics-text; version=1.0.0")
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(406, om.statusCode());
    }
}
