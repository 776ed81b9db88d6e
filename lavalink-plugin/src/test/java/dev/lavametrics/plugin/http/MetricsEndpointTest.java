package dev.lavametrics.plugin.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lavametrics.plugin.collect.CollectorHealth;
import dev.lavametrics.plugin.config.Cidr;
import dev.lavametrics.plugin.config.EndpointSettings;
import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

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
        endpoint = new MetricsEndpoint(
                new EndpointSettings(true, "127.0.0.1", 0, "/metrics", username, password, bearer, allow),
                registry,
                health);
        endpoint.start();
        assertTrue(endpoint.port() > 0);
    }

    private HttpResponse<String> get(String authorization, String accept) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics"))
                .timeout(Duration.ofSeconds(10));
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
            endpoint = new MetricsEndpoint(
                    new EndpointSettings(true, "127.0.0.1", taken.getLocalPort(), "/metrics", null, null, null, LOCAL),
                    registry,
                    health);
            endpoint.start();
            assertEquals(-1, endpoint.port());
            assertFalse(health.configValid());
        }
    }

    @Test
    void disabledEndpointDoesNothing() {
        endpoint = new MetricsEndpoint(
                new EndpointSettings(false, "127.0.0.1", 0, "/metrics", null, null, null, LOCAL), registry, health);
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
        endpoint = new MetricsEndpoint(
                new EndpointSettings(true, "127.0.0.1", port, "metrics", null, null, null, LOCAL), registry, health);
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

    /** A TCP client from a chosen loopback address (Linux routes all of 127/8 to lo). */
    private Socket connect(String source) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(source, 0));
        socket.connect(new InetSocketAddress("127.0.0.1", endpoint.port()), 2000);
        return socket;
    }

    /** Sends {@code request} as is and returns everything the server sends until it closes (or {@code timeout}). */
    private String raw(String source, String request, Duration timeout) throws IOException {
        try (Socket socket = connect(source)) {
            socket.setSoTimeout((int) timeout.toMillis());
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static final String SCRAPE = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

    /** The head of a request that never ends: what a stalled or malicious client leaves open. */
    private static final String UNFINISHED = "GET /metrics HTTP/1.1\r\nHost: x\r\n";

    @Test
    void anUnfinishedRequestDoesNotStallOtherScrapes() throws Exception {
        start(null, null, null, LOCAL);
        try (Socket idle = connect("127.0.0.1")) {
            idle.getOutputStream().write(UNFINISHED.getBytes(StandardCharsets.ISO_8859_1));
            idle.getOutputStream().flush();
            assertEquals(200, get(null, null).statusCode());
        }
    }

    @Test
    void anIdleDeniedClientDoesNotStallAllowedScrapes() throws Exception {
        start(null, null, null, List.of(Cidr.parse("127.0.0.2/32")));
        try (Socket denied = connect("127.0.0.1")) {
            denied.getOutputStream().write(UNFINISHED.getBytes(StandardCharsets.ISO_8859_1));
            String response = raw("127.0.0.2", SCRAPE, Duration.ofSeconds(10));
            assertTrue(response.startsWith("HTTP/1.1 200 "), response);
            assertTrue(response.contains("lavametrics_test_total"), response);
        }
    }

    @Test
    void aDeniedClientIsAnsweredBeforeItSendsAnything() throws Exception {
        start(null, null, null, List.of(Cidr.parse("127.0.0.2/32")));
        try (Socket denied = connect("127.0.0.1")) {
            denied.setSoTimeout(5000);
            String response = new String(denied.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertTrue(response.startsWith("HTTP/1.1 403 "), response);
        }
    }

    @Test
    void aDrippingClientIsCutOffAtTheRequestDeadline() throws Exception {
        start(null, null, null, LOCAL);
        long started = System.nanoTime();
        try (Socket drip = connect("127.0.0.1")) {
            drip.setSoTimeout(100);
            OutputStream out = drip.getOutputStream();
            InputStream in = drip.getInputStream();
            out.write("GET /metrics HTTP/1.1\r\nX-Drip: ".getBytes(StandardCharsets.ISO_8859_1));
            boolean cutOff = false;
            // One header byte every 100 ms: each read is quick, only a deadline on the whole head ends it.
            while (!cutOff
                    && System.nanoTime() - started < Duration.ofSeconds(20).toNanos()) {
                try {
                    out.write('a');
                    out.flush();
                    in.read(); // a response (408) or the end of the stream: either way, cut off
                    cutOff = true;
                } catch (SocketTimeoutException stillOpen) {
                    // the server is still waiting for the rest
                } catch (IOException reset) {
                    cutOff = true;
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            assertTrue(cutOff, "still connected after " + seconds + " s");
            assertTrue(
                    seconds < MetricsEndpoint.Limits.DEFAULT.requestDeadline().toSeconds() + 5.0, seconds + " s");
        }
    }

    @Test
    void oversizedHeadersAreRefused() throws Exception {
        start(null, null, null, LOCAL);
        String huge = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(64 * 1024) + "\r\n\r\n";
        String response = raw("127.0.0.1", huge, Duration.ofSeconds(10));
        assertTrue(response.startsWith("HTTP/1.1 431 "), response.substring(0, Math.min(200, response.length())));
    }

    @Test
    void aRequestBodyIsRefused() throws Exception {
        start(null, null, null, LOCAL);
        String response = raw(
                "127.0.0.1",
                "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
                Duration.ofSeconds(10));
        assertTrue(response.startsWith("HTTP/1.1 413 "), response);
    }

    @Test
    void anErrorThrownByACollectorAnswers500AndTheEndpointKeepsServing() throws Exception {
        class Failing extends Collector implements Collector.Describable {
            volatile boolean fail = true;

            @Override
            public List<MetricFamilySamples> collect() {
                if (fail) {
                    throw new AssertionError("a collector with a bug");
                }
                return List.of();
            }

            @Override
            public List<MetricFamilySamples> describe() {
                return List.of();
            }
        }
        Failing failing = new Failing();
        failing.register(registry);
        start(null, null, null, LOCAL);
        assertEquals(500, get(null, null).statusCode());
        failing.fail = false;
        assertEquals(200, get(null, null).statusCode());
    }

    @Test
    void otherPathsAre404AndHeadHasNoBody() throws Exception {
        start(null, null, null, LOCAL);
        assertTrue(raw(
                        "127.0.0.1",
                        "GET /metricsx HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                        Duration.ofSeconds(10))
                .startsWith("HTTP/1.1 404 "));
        String head = raw(
                "127.0.0.1", "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", Duration.ofSeconds(10));
        assertTrue(head.startsWith("HTTP/1.1 200 "), head);
        assertTrue(head.endsWith("\r\n\r\n"), head);
        assertTrue(raw(
                        "127.0.0.1",
                        "GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                        Duration.ofSeconds(10))
                .startsWith("HTTP/1.1 200 "));
    }

    private static final MetricsEndpoint.Limits TIGHT = new MetricsEndpoint.Limits(
            1, 1, 8, 8, 4096, 16, Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofMillis(200));

    private void startWith(MetricsEndpoint.Limits limits) {
        endpoint = new MetricsEndpoint(
                new EndpointSettings(true, "127.0.0.1", 0, "/metrics", null, null, null, LOCAL),
                registry,
                health,
                limits);
        endpoint.start();
        assertTrue(endpoint.port() > 0);
    }

    /** Reads until the server closes; fails on a read timeout (the server holding the connection). */
    private static String readToEnd(Socket socket) throws IOException {
        socket.setSoTimeout(10_000);
        return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    /** A collector that holds every collection until released: scrapes that stay in hand. */
    private static final class Gate extends Collector implements Collector.Describable {
        final java.util.concurrent.CountDownLatch open = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.Semaphore entered = new java.util.concurrent.Semaphore(0);

        @Override
        public List<MetricFamilySamples> collect() {
            entered.release();
            try {
                open.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return List.of();
        }

        @Override
        public List<MetricFamilySamples> describe() {
            return List.of(); // registering must not collect (and so block)
        }
    }

    @Test
    void authorisedScrapesBeyondWorkersAndQueueAreRefusedAtOnceThenServedAgain() throws Exception {
        Gate gate = new Gate();
        gate.register(registry);
        startWith(TIGHT);
        List<Socket> held = new ArrayList<>();
        try {
            // One collects (held by the gate), one waits for the worker: the share is full.
            for (int i = 0; i < 2; i++) {
                Socket socket = connect("127.0.0.1");
                socket.getOutputStream().write(SCRAPE.getBytes(StandardCharsets.ISO_8859_1));
                held.add(socket);
            }
            assertTrue(gate.entered.tryAcquire(10, java.util.concurrent.TimeUnit.SECONDS));
            long started = System.nanoTime();
            String refused = "";
            // the second scrape may still be on its way in: retry until it is in hand and we get the 503
            while (!refused.startsWith("HTTP/1.1 503 ")
                    && System.nanoTime() - started < Duration.ofSeconds(10).toNanos()) {
                refused = raw("127.0.0.1", SCRAPE, Duration.ofSeconds(10));
            }
            assertTrue(refused.startsWith("HTTP/1.1 503 "), refused);
            assertTrue(refused.contains("Retry-After: 1\r\n"), refused);
            gate.open.countDown();
            for (Socket socket : held) {
                assertTrue(readToEnd(socket).startsWith("HTTP/1.1 200 "));
            }
            String served = raw("127.0.0.1", SCRAPE, Duration.ofSeconds(10));
            assertTrue(served.startsWith("HTTP/1.1 200 "), served);
        } finally {
            gate.open.countDown();
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    @Test
    void idleHeadsHoldNoWorkerAndAreCutOffWith408() throws Exception {
        startWith(TIGHT); // one worker, one queued: before issue 20, two idle heads took both
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                Socket socket = connect("127.0.0.1");
                socket.getOutputStream().write(UNFINISHED.getBytes(StandardCharsets.ISO_8859_1));
                idle.add(socket);
            }
            long started = System.nanoTime();
            String served = raw("127.0.0.1", SCRAPE, Duration.ofSeconds(10));
            assertTrue(served.startsWith("HTTP/1.1 200 "), served);
            assertTrue(System.nanoTime() - started < TIGHT.requestDeadline().toNanos(), "served only after a wait");
            for (Socket socket : idle) {
                assertTrue(readToEnd(socket).startsWith("HTTP/1.1 408 "));
            }
        } finally {
            for (Socket socket : idle) {
                socket.close();
            }
        }
    }

    @Test
    void beyondThePendingLimitTheOldestUnfinishedHeadIsDropped() throws Exception {
        startWith(TIGHT); // pending = 8
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 9; i++) {
                Socket socket = connect("127.0.0.1");
                socket.getOutputStream().write(UNFINISHED.getBytes(StandardCharsets.ISO_8859_1));
                socket.getOutputStream().flush();
                idle.add(socket);
            }
            // the first is closed without an answer long before its deadline
            long started = System.nanoTime();
            String first;
            try {
                first = readToEnd(idle.get(0));
            } catch (java.net.SocketException reset) {
                first = "";
            }
            assertEquals("", first);
            assertTrue(System.nanoTime() - started < TIGHT.requestDeadline().toNanos());
            assertEquals(200, get(null, null).statusCode());
        } finally {
            for (Socket socket : idle) {
                socket.close();
            }
        }
    }

    /**
     * Issue 20's attack: 24 allowlisted clients without credentials, each holding an unfinished
     * head and reconnecting the moment it is dropped. Before the fix they held all 4 workers and
     * the 16 queue places: 0 of 10 scrapes were served. Scrapes come from the same address (on
     * loopback every peer is 127.0.0.1), once a second like a busy Prometheus, for longer than the
     * head deadline, so the attackers go through a drop and reconnect while they run.
     */
    @Test
    void reconnectingIdleClientsWithoutCredentialsDoNotStarveScrapes() throws Exception {
        start(null, null, "tok3n", LOCAL);
        int attackers = 24;
        java.util.concurrent.atomic.AtomicBoolean attacking = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.CountDownLatch connected = new java.util.concurrent.CountDownLatch(attackers);
        java.util.concurrent.atomic.AtomicInteger reconnects = new java.util.concurrent.atomic.AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < attackers; i++) {
            Thread thread = new Thread(
                    () -> {
                        boolean first = true;
                        byte[] sink = new byte[1024];
                        while (attacking.get()) {
                            try (Socket socket = connect("127.0.0.1")) {
                                socket.getOutputStream().write(UNFINISHED.getBytes(StandardCharsets.ISO_8859_1));
                                socket.getOutputStream().flush();
                                if (first) {
                                    connected.countDown();
                                    first = false;
                                } else {
                                    reconnects.incrementAndGet();
                                }
                                socket.setSoTimeout(200);
                                while (attacking.get()) { // hold the connection until the server drops it
                                    try {
                                        if (socket.getInputStream().read(sink) < 0) {
                                            break;
                                        }
                                    } catch (SocketTimeoutException stillHeld) {
                                        // keep holding
                                    }
                                }
                            } catch (IOException dropped) {
                                // reconnect at once
                            }
                        }
                    },
                    "attacker-" + i);
            thread.setDaemon(true);
            thread.start();
            threads.add(thread);
        }
        try {
            assertTrue(connected.await(20, java.util.concurrent.TimeUnit.SECONDS), "attackers could not connect");
            int served = 0;
            List<Long> millis = new ArrayList<>();
            long interval = Duration.ofSeconds(1).toNanos();
            long next = System.nanoTime();
            for (int i = 0; i < 10; i++) {
                long started = System.nanoTime();
                try {
                    HttpRequest request = HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics"))
                            .timeout(Duration.ofSeconds(2))
                            .header("Authorization", "Bearer tok3n")
                            .build();
                    HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() == 200 && response.body().contains("lavametrics_test_total")) {
                        served++;
                    }
                } catch (IOException timedOutOrRefused) {
                    // not served on time
                }
                millis.add((System.nanoTime() - started) / 1_000_000);
                next += interval;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000); // the scrape interval, not a wait for an event
                }
            }
            System.out.println("under attack: " + served + "/10 scrapes served, latencies ms " + millis
                    + ", attacker reconnects " + reconnects.get());
            assertTrue(served >= 9, served + " of 10 scrapes served on time; latencies ms " + millis);
            assertTrue(reconnects.get() >= attackers, "the attackers were never dropped: " + reconnects.get());
        } finally {
            attacking.set(false);
            for (Thread thread : threads) {
                thread.join(5000);
            }
        }
    }

    @Test
    void aClientThatStopsReadingIsCutOffAtTheResponseDeadline() throws Exception {
        // An answer (~8 MB) too large for the socket buffers (up to 4 MB each way here) of a client that never reads.
        class Wide extends Collector {
            @Override
            public List<MetricFamilySamples> collect() {
                String padding = "x".repeat(10_000);
                List<MetricFamilySamples.Sample> samples = new ArrayList<>();
                for (int i = 0; i < 800; i++) {
                    samples.add(
                            new MetricFamilySamples.Sample("lavametrics_wide", List.of("n"), List.of(padding + i), i));
                }
                return List.of(new MetricFamilySamples("lavametrics_wide", Type.GAUGE, "wide", samples));
            }
        }
        new Wide().register(registry);
        // The queued scrape's head deadline runs while it waits, so it must outlast the stalled response.
        MetricsEndpoint.Limits limits = new MetricsEndpoint.Limits(
                1, 1, 8, 8, 4096, 16, Duration.ofSeconds(20), Duration.ofSeconds(1), Duration.ofMillis(200));
        startWith(limits);
        try (Socket stalled = new Socket()) {
            stalled.setReceiveBufferSize(4096); // before connecting, so the window stays small
            stalled.connect(new InetSocketAddress("127.0.0.1", endpoint.port()), 2000);
            stalled.getOutputStream().write(SCRAPE.getBytes(StandardCharsets.ISO_8859_1));
            // The only worker is now stuck writing to it, until the response deadline frees it.
            String next = raw("127.0.0.1", SCRAPE, Duration.ofSeconds(30));
            assertTrue(next.startsWith("HTTP/1.1 200 "), next.substring(0, Math.min(100, next.length())));
        }
    }

    @Test
    void stopClosesConnectionsStillOpen() throws Exception {
        start(null, null, null, LOCAL);
        try (Socket idle = connect("127.0.0.1")) {
            idle.getOutputStream().write(UNFINISHED.getBytes(StandardCharsets.ISO_8859_1));
            String before = raw("127.0.0.1", SCRAPE, Duration.ofSeconds(10)); // the idle one has a worker by now
            assertTrue(before.startsWith("HTTP/1.1 200 "), before);
            endpoint.stop();
            assertEquals("", readToEnd(idle));
        }
    }

    @Test
    void collectingSlowerThanTheRequestDeadlineIsNotCutOff() throws Exception {
        // The deadline is on receiving the head; time spent collecting is the endpoint's own.
        class Slow extends Collector {
            @Override
            public List<MetricFamilySamples> collect() {
                try {
                    Thread.sleep(2500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return List.of();
            }
        }
        new Slow().register(registry);
        startWith(new MetricsEndpoint.Limits(
                1, 1, 8, 8, 4096, 16, Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofMillis(200)));
        String response = raw("127.0.0.1", SCRAPE, Duration.ofSeconds(20));
        assertTrue(response.startsWith("HTTP/1.1 200 "), response);
        assertTrue(response.contains("lavametrics_test_total"), response);
    }

    @Test
    void headRequestsGetNoBodyWhateverTheStatus() throws Exception {
        start(null, null, "tok3n", LOCAL);
        String notFound = raw("127.0.0.1", "HEAD /other HTTP/1.1\r\nHost: x\r\n\r\n", Duration.ofSeconds(10));
        assertTrue(notFound.startsWith("HTTP/1.1 404 ") && notFound.endsWith("\r\n\r\n"), notFound);
        assertTrue(notFound.contains("Content-Length: 10\r\n"), notFound); // "not found\n", as GET would get
        String unauthorized = raw("127.0.0.1", "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", Duration.ofSeconds(10));
        assertTrue(unauthorized.startsWith("HTTP/1.1 401 ") && unauthorized.endsWith("\r\n\r\n"), unauthorized);
        assertTrue(unauthorized.contains("WWW-Authenticate: Bearer"), unauthorized);
    }

    @Test
    void conflictingCredentialsAreRefused() throws Exception {
        start(null, null, "tok3n", LOCAL);
        String response = raw(
                "127.0.0.1",
                "GET /metrics HTTP/1.1\r\nAuthorization: Bearer nope\r\n" + "Authorization: Bearer tok3n\r\n\r\n",
                Duration.ofSeconds(10));
        assertTrue(response.startsWith("HTTP/1.1 400 "), response);
    }

    @Test
    void aNonAsciiBearerTokenIsComparedAsItsUtf8Bytes() throws Exception {
        start(null, null, "t\u00f6ken", LOCAL);
        byte[] token = "t\u00f6ken".getBytes(StandardCharsets.UTF_8);
        String request = "GET /metrics HTTP/1.1\r\nAuthorization: Bearer "
                + new String(token, StandardCharsets.ISO_8859_1) + "\r\n\r\n";
        assertTrue(raw("127.0.0.1", request, Duration.ofSeconds(10)).startsWith("HTTP/1.1 200 "));
    }

    @Test
    void otherMethodsAre405EvenWithCredentials() throws Exception {
        start(null, null, "tok3n", LOCAL);
        String response = raw(
                "127.0.0.1", "DELETE /metrics HTTP/1.1\r\nAuthorization: Bearer tok3n\r\n\r\n", Duration.ofSeconds(10));
        assertTrue(response.startsWith("HTTP/1.1 405 ") && response.contains("Allow: GET, HEAD\r\n"), response);
        assertTrue(raw("127.0.0.1", "DELETE /metrics HTTP/1.1\r\n\r\n", Duration.ofSeconds(10))
                .startsWith("HTTP/1.1 401 "));
    }

    // --- credentials from files and the exporter-toolkit web config (issue 20) -------------------

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path dir;

    private java.nio.file.Path file(String name, String text) throws IOException {
        return java.nio.file.Files.writeString(dir.resolve(name), text);
    }

    private void startWithFiles(String username, String passwordFile, String tokenFile, String webConfig) {
        endpoint = new MetricsEndpoint(
                new EndpointSettings(
                        true,
                        "127.0.0.1",
                        0,
                        "/metrics",
                        username,
                        null,
                        null,
                        LOCAL,
                        passwordFile,
                        tokenFile,
                        webConfig),
                registry,
                health);
        endpoint.start();
    }

    private static String bcrypt(String password) {
        return new String(
                at.favre.lib.crypto.bcrypt.BCrypt.withDefaults().hash(4, password.toCharArray()),
                StandardCharsets.UTF_8);
    }

    @Test
    void webConfigBcryptUsers() throws Exception {
        java.nio.file.Path web = file(
                "web.yml",
                "basic_auth_users:\n  prom: " + bcrypt("s3cret") + "\n" + "  other: "
                        + bcrypt("another").replace("$2a$", "$2y$") + "\n");
        startWithFiles(null, null, null, web.toString());
        assertTrue(endpoint.port() > 0);
        assertEquals(200, get(basic("prom", "s3cret"), null).statusCode());
        assertEquals(200, get(basic("prom", "s3cret"), null).statusCode()); // now from the cache
        assertEquals(200, get(basic("other", "another"), null).statusCode());
        assertEquals(401, get(basic("prom", "wrong"), null).statusCode());
        assertEquals(401, get(basic("nobody", "s3cret"), null).statusCode());
        assertEquals(401, get("Bearer s3cret", null).statusCode());
        HttpResponse<String> missing = get(null, null);
        assertEquals(401, missing.statusCode());
        assertTrue(missing.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic"));
        assertTrue(health.configValid());
    }

    @Test
    void aBadWebConfigKeepsTheEndpointOffAndSaysWhereWithoutSecrets() throws Exception {
        String[][] cases = {
            {"plain.yml", "basic_auth_users:\n  prom: hunter2-plain\n", "basic_auth_users.prom"},
            {"tls.yml", "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n", "tls_server_config"},
            {"typo.yml", "basic_auth_user:\n  prom: x\n", "basic_auth_user: unknown field"},
            {"empty.yml", "", "empty"},
            {"broken.yml", "basic_auth_users: [hunter2-plain\n", "not valid YAML"},
        };
        for (String[] c : cases) {
            CollectorHealth fresh = new CollectorHealth();
            java.nio.file.Path web = file(c[0], c[1]);
            try (dev.lavametrics.plugin.support.LogCapture log =
                    dev.lavametrics.plugin.support.LogCapture.of(MetricsEndpoint.class)) {
                MetricsEndpoint off = new MetricsEndpoint(
                        new EndpointSettings(
                                true, "127.0.0.1", 0, "/metrics", null, null, null, LOCAL, null, null, web.toString()),
                        registry,
                        fresh);
                off.start();
                assertEquals(-1, off.port(), c[0]);
                assertFalse(fresh.configValid(), c[0]);
                assertEquals(1, log.lines().size(), log.all());
                assertTrue(log.all().contains("plugins.lavametrics.endpoint.webConfigFile"), log.all());
                assertTrue(log.all().contains(web.toString()), log.all());
                assertTrue(log.all().contains(c[2]), log.all());
                assertFalse(log.all().contains("hunter2"), log.all());
            }
        }
        java.nio.file.Path gone = dir.resolve("missing.yml");
        try (dev.lavametrics.plugin.support.LogCapture log =
                dev.lavametrics.plugin.support.LogCapture.of(MetricsEndpoint.class)) {
            startWithFiles(null, null, null, gone.toString());
            assertEquals(-1, endpoint.port());
            assertTrue(log.all().contains("missing.yml: not a regular file"), log.all());
        }
    }

    @Test
    void passwordAndTokenFromFiles() throws Exception {
        startWithFiles("prom", file("password", "s3cret\n").toString(), null, null);
        assertEquals(200, get(basic("prom", "s3cret"), null).statusCode());
        assertEquals(401, get(basic("prom", "s3cret\n"), null).statusCode());
        endpoint.stop();
        startWithFiles(null, null, file("token", "  tok3n\n").toString(), null);
        assertEquals(200, get("Bearer tok3n", null).statusCode());
        assertEquals(401, get(null, null).statusCode());
    }

    @Test
    void anUnreadableSecretFileKeepsTheEndpointOff() throws Exception {
        try (dev.lavametrics.plugin.support.LogCapture log =
                dev.lavametrics.plugin.support.LogCapture.of(MetricsEndpoint.class)) {
            startWithFiles("prom", dir.resolve("nope").toString(), null, null);
            assertEquals(-1, endpoint.port());
            assertFalse(health.configValid());
            assertTrue(log.all().contains("plugins.lavametrics.endpoint.auth.passwordFile="), log.all());
        }
        CollectorHealth fresh = new CollectorHealth();
        MetricsEndpoint empty = new MetricsEndpoint(
                new EndpointSettings(
                        true,
                        "127.0.0.1",
                        0,
                        "/metrics",
                        null,
                        null,
                        null,
                        LOCAL,
                        null,
                        file("blank", " \n").toString(),
                        null),
                registry,
                fresh);
        empty.start();
        assertEquals(-1, empty.port(), "an empty token file must not mean 'no auth'");
        assertFalse(fresh.configValid());
    }
}
