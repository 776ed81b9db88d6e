package dev.lavametrics.plugin.http;

import dev.lavametrics.plugin.collect.CollectorHealth;
import dev.lavametrics.plugin.config.Cidr;
import dev.lavametrics.plugin.config.EndpointSettings;
import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsEndpointTest {
    private static final List<Cidr> LOCAL = List.of(Cidr.parse("127.0.0.1/32"), Cidr.parse("::1/128"));

    private final CollectorRegistry registry = new CollectorRegistry(true);
    private final CollectorHealth health = new CollectorHealth();
    private final HttpClient client = HttpClient.newHttpClient();
    private MetricsEndpoint endpoint;

    MetricsEndpointTest() {
        Counter.build().name("lavametrics_test_total").help("test").register(registry);
    }

    @AfterEach
    void stop() {
        if (endpoint != null) {
            endpoint.stop();
        }
    }

    private void start(String username, String password, String bearer, List<Cidr> allow) {
        endpoint = new MetricsEndpoint(new EndpointSettings(true, "127.0.0.1", 0, "/metrics", username, password,
                bearer, allow), registry, health);
        endpoint.start();
        assertTrue(endpoint.port() > 0);
    }

    private HttpResponse<String> get(String authorization, String accept) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics"));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        if (accept != null) {
            request.header("Accept", accept);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void basicAuth() throws Exception {
        start("prom", "s3cret", null, LOCAL);
        HttpResponse<String> ok = get(basic("prom", "s3cret"), null);
        assertEquals(200, ok.statusCode());
        assertTrue(ok.body().contains("lavametrics_test_total 0.0"));
        assertTrue(ok.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        assertEquals(401, get(basic("prom", "wrong"), null).statusCode());
        HttpResponse<String> missing = get(null, null);
        assertEquals(401, missing.statusCode());
        assertTrue(missing.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic"));
    }

    @Test
    void bearerAuth() throws Exception {
        start(null, null, "tok3n", LOCAL);
        assertEquals(200, get("Bearer tok3n", null).statusCode());
        assertEquals(401, get("Bearer nope", null).statusCode());
        HttpResponse<String> missing = get(null, null);
        assertEquals(401, missing.statusCode());
        assertTrue(missing.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
        assertEquals(401, get(basic("a", "b"), null).statusCode());
    }

    @Test
    void deniedAddressGets403BeforeAuth() throws Exception {
        start(null, null, "tok3n", List.of(Cidr.parse("10.0.0.0/8")));
        assertEquals(403, get("Bearer tok3n", null).statusCode());
        assertEquals(403, get(null, null).statusCode());
    }

    @Test
    void negotiatesOpenMetrics() throws Exception {
        start(null, null, null, LOCAL);
        HttpResponse<String> response = get(null, "application/openmetrics-text; version=1.0.0; charset=utf-8");
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/openmetrics-text"));
        assertTrue(response.body().endsWith("# EOF\n"));
        assertFalse(get(null, "text/plain").body().contains("# EOF"));
    }

    @Test
    void portInUseNeverThrowsAndMarksConfigInvalid() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            endpoint = new MetricsEndpoint(new EndpointSettings(true, "127.0.0.1", taken.getLocalPort(), "/metrics",
                    null, null, null, LOCAL), registry, health);
            endpoint.start();
            assertEquals(-1, endpoint.port());
            assertFalse(health.configValid());
        }
    }

    @Test
    void disabledEndpointDoesNothing() {
        endpoint = new MetricsEndpoint(new EndpointSettings(false, "127.0.0.1", 0, "/metrics", null, null, null,
                LOCAL), registry, health);
        endpoint.start();
        assertEquals(-1, endpoint.port());
        assertTrue(health.configValid());
    }

    @Test
    void failedStartReleasesThePort() throws IOException {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = probe.getLocalPort();
        }
        // A path without a leading slash: HttpServer binds, then createContext throws.
        endpoint = new MetricsEndpoint(new EndpointSettings(true, "127.0.0.1", port, "metrics", null, null, null,
                LOCAL), registry, health);
        endpoint.start();
        assertEquals(-1, endpoint.port());
        assertFalse(health.configValid());
        try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            assertEquals(port, again.getLocalPort());
        }
    }

    @Test
    void collectFailureAnswers500() throws Exception {
        class Broken extends Collector implements Collector.Describable {
            @Override
            public List<MetricFamilySamples> collect() {
                throw new IllegalStateException("broken collector");
            }

            @Override
            public List<MetricFamilySamples> describe() {
                return List.of();
            }
        }
        new Broken().register(registry);
        start(null, null, null, LOCAL);
        HttpResponse<String> response = get(null, null);
        assertEquals(500, response.statusCode());
    }
}
