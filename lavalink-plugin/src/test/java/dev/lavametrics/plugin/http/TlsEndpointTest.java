package dev.lavametrics.plugin.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lavametrics.plugin.collect.CollectorHealth;
import dev.lavametrics.plugin.config.Cidr;
import dev.lavametrics.plugin.config.EndpointSettings;
import dev.lavametrics.plugin.support.LogCapture;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The own endpoint over TLS (a web config's {@code tls_server_config}) and the web config's reload. */
class TlsEndpointTest {
    private static final List<Cidr> LOCAL = List.of(Cidr.parse("127.0.0.1/32"), Cidr.parse("::1/128"));

    @TempDir
    Path dir;

    private TestPki pki;
    private final CollectorRegistry registry = new CollectorRegistry(true);
    private CollectorHealth health = new CollectorHealth();
    private MetricsEndpoint endpoint;

    TlsEndpointTest() {
        Counter.build().name("lavametrics_test_total").help("test").register(registry);
    }

    @BeforeEach
    void certificates() throws IOException {
        pki = new TestPki(dir);
        pki.ca("ca");
        pki.leaf("server", "ca", TestPki.KeyFormat.PKCS8_EC, false);
    }

    @AfterEach
    void stop() {
        if (endpoint != null) {
            endpoint.stop();
        }
    }

    private static String bcrypt(String password) {
        return new String(
                at.favre.lib.crypto.bcrypt.BCrypt.withDefaults().hash(4, password.toCharArray()),
                StandardCharsets.UTF_8);
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private Path web(String text) throws IOException {
        return Files.writeString(dir.resolve("web.yml"), text);
    }

    /** Replaces the file in one step (a new inode), as editors and certificate renewals do. */
    private void replace(Path file, String text) throws IOException {
        Path next = Files.writeString(dir.resolve(file.getFileName() + ".next"), text);
        Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static final String TLS = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";

    private void start(Path webConfig) {
        start(webConfig, MetricsEndpoint.Limits.DEFAULT);
    }

    private void start(Path webConfig, MetricsEndpoint.Limits limits) {
        endpoint = new MetricsEndpoint(
                new EndpointSettings(
                        true, "127.0.0.1", 0, "/metrics", null, null, null, LOCAL, null, null, webConfig.toString()),
                registry,
                health,
                limits);
        endpoint.start();
    }

    private HttpClient client(SSLContext context, String... protocols) {
        HttpClient.Builder builder =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(context);
        if (protocols.length > 0) {
            SSLParameters parameters = new SSLParameters();
            parameters.setProtocols(protocols);
            builder.sslParameters(parameters);
        }
        return builder.build();
    }

    private HttpResponse<String> get(HttpClient client, String scheme, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create(scheme + "://127.0.0.1:" + endpoint.port() + "/metrics"))
                .timeout(Duration.ofSeconds(10));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> https(String authorization) throws Exception {
        return get(client(pki.client("ca.crt", null)), "https", authorization);
    }

    @Test
    void servesOverTlsWithBcryptUsers() throws Exception {
        start(web(TLS + "basic_auth_users:\n  prom: " + bcrypt("s3cret") + "\n"));
        assertTrue(endpoint.port() > 0);
        HttpResponse<String> ok = https(basic("prom", "s3cret"));
        assertEquals(200, ok.statusCode());
        assertTrue(ok.body().contains("lavametrics_test_total 0.0"), ok.body());
        HttpResponse<String> missing = https(null);
        assertEquals(401, missing.statusCode());
        assertTrue(missing.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Basic"));
        assertEquals(401, https(basic("prom", "wrong")).statusCode());
        assertTrue(health.configValid());
        // Plain HTTP to the TLS port is never answered with metrics.
        assertThrows(IOException.class, () -> get(HttpClient.newHttpClient(), "http", basic("prom", "s3cret")));
    }

    @Test
    void tlsWithoutUsersNeedsNoCredentials() throws Exception {
        start(web(TLS));
        assertEquals(200, https(null).statusCode());
    }

    @Test
    void readsEveryKeyFormat() throws Exception {
        for (TestPki.KeyFormat format : TestPki.KeyFormat.values()) {
            pki.leaf("server", "ca", format, false);
            String key = pki.text("server.key");
            String marker = switch (format) {
                case PKCS8_EC, PKCS8_RSA, PKCS8_ED25519 -> "BEGIN PRIVATE KEY";
                case PKCS1_RSA -> "BEGIN RSA PRIVATE KEY";
                case SEC1_EC -> "BEGIN EC PRIVATE KEY";
            };
            assertTrue(
                    key.contains(marker),
                    format + " wrote " + key.lines().findFirst().orElse(""));
            start(web(TLS));
            assertTrue(endpoint.port() > 0, format.toString());
            assertEquals(200, https(null).statusCode(), format.toString());
            endpoint.stop();
        }
    }

    @Test
    void requireAndVerifyClientCert() throws Exception {
        pki.ca("clients");
        pki.leaf("scraper", "clients", TestPki.KeyFormat.PKCS8_EC, true);
        pki.ca("strangers");
        pki.leaf("stranger", "strangers", TestPki.KeyFormat.PKCS8_EC, true);
        start(web(TLS + "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: clients.crt\n"));
        assertEquals(
                200, get(client(pki.client("ca.crt", "scraper")), "https", null).statusCode());
        assertThrows(IOException.class, () -> get(client(pki.client("ca.crt", null)), "https", null));
        assertThrows(IOException.class, () -> get(client(pki.client("ca.crt", "stranger")), "https", null));
        // The endpoint goes on serving after refused handshakes.
        assertEquals(
                200, get(client(pki.client("ca.crt", "scraper")), "https", null).statusCode());
    }

    @Test
    void verifyClientCertIfGiven() throws Exception {
        pki.ca("clients");
        pki.leaf("scraper", "clients", TestPki.KeyFormat.PKCS8_EC, true);
        pki.ca("strangers");
        pki.leaf("stranger", "strangers", TestPki.KeyFormat.PKCS8_EC, true);
        start(web(TLS + "  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: clients.crt\n"));
        assertEquals(200, get(client(pki.client("ca.crt", null)), "https", null).statusCode());
        assertEquals(
                200, get(client(pki.client("ca.crt", "scraper")), "https", null).statusCode());
        assertThrows(IOException.class, () -> get(client(pki.client("ca.crt", "stranger")), "https", null));
    }

    @Test
    void minVersionTls13RefusesTls12Clients() throws Exception {
        start(web(TLS + "  min_version: TLS13\n"));
        assertEquals(
                200,
                get(client(pki.client("ca.crt", null), "TLSv1.3"), "https", null)
                        .statusCode());
        assertThrows(IOException.class, () -> get(client(pki.client("ca.crt", null), "TLSv1.2"), "https", null));
        endpoint.stop();
        start(web(TLS + "  max_version: TLS12\n"));
        assertEquals(
                200,
                get(client(pki.client("ca.crt", null), "TLSv1.2"), "https", null)
                        .statusCode());
        assertThrows(IOException.class, () -> get(client(pki.client("ca.crt", null), "TLSv1.3"), "https", null));
    }

    @Test
    void anUnusableTlsConfigKeepsTheEndpointOffAndNamesFileAndField() throws Exception {
        pki.leaf("other", "ca", TestPki.KeyFormat.PKCS8_EC, false);
        pki.openssl("pkcs8", "-topk8", "-in", "server.key", "-out", "encrypted.key", "-passout", "pass:hunter2");
        String serverKey = pki.text("server.key");
        String keyBody = serverKey
                .lines()
                .filter(l -> !l.startsWith("-----"))
                .findFirst()
                .orElseThrow();
        String[][] cases = {
            {"key_file: other.key", "tls_server_config.key_file: does not belong"},
            {
                "key_file: encrypted.key",
                "tls_server_config.key_file=" + dir.resolve("encrypted.key") + ": an encrypted key"
            },
            {
                "key_file: server.crt",
                "tls_server_config.key_file=" + dir.resolve("server.crt") + ": no supported PEM private key"
            },
            {
                "key_file: missing.key",
                "tls_server_config.key_file=" + dir.resolve("missing.key") + ": not a regular file"
            },
            {
                "key_file: server.key\n  cipher_suites: [TLS_AES_128_GCM_SHA256]",
                "tls_server_config.cipher_suites: not supported"
            },
            {"key_file: server.key\n  min_version: TLS10", "tls_server_config.min_version: TLS10 is not supported"},
            {"key_file: server.key\n  client_auth_type: RequireAnyClientCert", "client_auth_type: RequireAnyClientCert"
            },
            {"key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert", "needs client_ca_file"},
        };
        for (String[] c : cases) {
            CollectorHealth fresh = new CollectorHealth();
            Path file = web("tls_server_config:\n  cert_file: server.crt\n  " + c[0] + "\n");
            try (LogCapture log = LogCapture.of(MetricsEndpoint.class)) {
                MetricsEndpoint off = new MetricsEndpoint(
                        new EndpointSettings(
                                true, "127.0.0.1", 0, "/metrics", null, null, null, LOCAL, null, null, file.toString()),
                        registry,
                        fresh);
                off.start();
                assertEquals(-1, off.port(), c[0]);
                assertFalse(fresh.configValid(), c[0]);
                assertEquals(1, log.lines().size(), log.all());
                assertTrue(log.all().startsWith("plugins.lavametrics.endpoint.webConfigFile: " + file), log.all());
                assertTrue(log.all().contains(c[1]), c[0] + " -> " + log.all());
                assertFalse(log.all().contains(keyBody) || log.all().contains("hunter2"), log.all());
                assertFalse(log.hasThrowable(), log.all());
            }
        }
    }

    @Test
    void aDeniedClientIsClosedWithoutAHandshake() throws Exception {
        endpoint = new MetricsEndpoint(
                new EndpointSettings(
                        true,
                        "127.0.0.1",
                        0,
                        "/metrics",
                        null,
                        null,
                        null,
                        List.of(Cidr.parse("127.0.0.2/32")),
                        null,
                        null,
                        web(TLS).toString()),
                registry,
                health);
        endpoint.start();
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            socket.connect(new InetSocketAddress("127.0.0.1", endpoint.port()), 2000);
            socket.setSoTimeout(10_000);
            byte[] received;
            try {
                received = socket.getInputStream().readAllBytes();
            } catch (java.net.SocketException reset) {
                received = new byte[0];
            }
            assertEquals(0, received.length, "a plain-text answer on a TLS port");
        }
    }

    // --- handshakes that stall --------------------------------------------------------------------

    /** The first flight of a real TLS client (a ClientHello), to send and then never go on. */
    private byte[] clientHello() throws Exception {
        SSLEngine engine = pki.client("ca.crt", null).createSSLEngine("127.0.0.1", endpoint.port());
        engine.setUseClientMode(true);
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        engine.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        byte[] hello = new byte[out.remaining()];
        out.get(hello);
        return hello;
    }

    private Socket stall(byte[] sent) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", endpoint.port()), 2000);
        socket.getOutputStream().write(sent);
        socket.getOutputStream().flush();
        return socket;
    }

    /** Reads (and drops) until the server closes; true when it did within {@code timeout}. */
    private static boolean closedWithin(Socket socket, Duration timeout) throws IOException {
        long end = System.nanoTime() + timeout.toNanos();
        socket.setSoTimeout(200);
        InputStream in = socket.getInputStream();
        byte[] sink = new byte[4096];
        while (System.nanoTime() < end) {
            try {
                if (in.read(sink) < 0) {
                    return true;
                }
            } catch (SocketTimeoutException stillOpen) {
                // keep waiting
            } catch (java.net.SocketException reset) {
                return true;
            }
        }
        return false;
    }

    private static final MetricsEndpoint.Limits TIGHT = new MetricsEndpoint.Limits(
            1, 1, 8, 8, 4096, 16, Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofMillis(200));

    @Test
    void aStalledHandshakeIsCutOffAtTheRequestDeadline() throws Exception {
        start(web(TLS), TIGHT);
        long started = System.nanoTime();
        try (Socket hello = stall(clientHello());
                Socket partial = stall(new byte[] {0x16, 0x03, 0x01})) {
            assertTrue(closedWithin(hello, Duration.ofSeconds(10)), "a stalled handshake was kept open");
            assertTrue(closedWithin(partial, Duration.ofSeconds(10)), "a partial ClientHello was kept open");
            double seconds = (System.nanoTime() - started) / 1e9;
            assertTrue(seconds >= TIGHT.requestDeadline().toSeconds() - 0.5, "closed early: " + seconds);
        }
        assertEquals(200, https(null).statusCode());
    }

    @Test
    void stalledHandshakesCountAsUnfinishedHeads() throws Exception {
        start(web(TLS), TIGHT); // pending = 8
        byte[] hello = clientHello();
        List<Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < 9; i++) {
                stalled.add(stall(hello));
            }
            long started = System.nanoTime();
            // The oldest is dropped by the ninth, long before the deadline.
            assertTrue(closedWithin(stalled.get(0), Duration.ofMillis(1500)), "the oldest handshake was not dropped");
            assertTrue(System.nanoTime() - started < TIGHT.requestDeadline().toNanos());
            assertEquals(200, https(null).statusCode());
        } finally {
            for (Socket socket : stalled) {
                socket.close();
            }
        }
    }

    /**
     * The reconnecting-idle-clients attack of issue 20 against a TLS endpoint: 24 clients stall in
     * the middle of the handshake (half after a whole ClientHello, so the server has done its part
     * and waits for theirs; half inside the ClientHello) and reconnect the moment they are dropped.
     * A scrape a second, with bcrypt basic auth, from the same address, for longer than the head
     * deadline: at least 9 of 10 must be served within 2 s.
     */
    @Test
    void clientsStallingMidHandshakeDoNotStarveTlsScrapes() throws Exception {
        start(web(TLS + "basic_auth_users:\n  prom: " + bcrypt("s3cret") + "\n"));
        HttpClient scraper = client(pki.client("ca.crt", null));
        assertEquals(200, get(scraper, "https", basic("prom", "s3cret")).statusCode()); // warm: JIT, bcrypt cache
        byte[] hello = clientHello();
        byte[] partial = java.util.Arrays.copyOf(hello, 40);
        int attackers = 24;
        AtomicBoolean attacking = new AtomicBoolean(true);
        CountDownLatch connected = new CountDownLatch(attackers);
        AtomicInteger reconnects = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < attackers; i++) {
            byte[] sent = i % 2 == 0 ? hello : partial;
            Thread thread = new Thread(
                    () -> {
                        boolean first = true;
                        byte[] sink = new byte[4096];
                        while (attacking.get()) {
                            try (Socket socket = stall(sent)) {
                                socket.setSoTimeout(200);
                                if (first) {
                                    // In place once the server has done its part: its flight answers a whole
                                    // ClientHello (so the scrapes measure the stalled state, not the storm of
                                    // 12 first handshakes on a cold JIT).
                                    while (sent == hello && attacking.get()) {
                                        try {
                                            if (socket.getInputStream().read(sink) != 0) {
                                                break;
                                            }
                                        } catch (SocketTimeoutException notYet) {
                                            // the server has not answered yet
                                        }
                                    }
                                    connected.countDown();
                                    first = false;
                                } else {
                                    reconnects.incrementAndGet();
                                }
                                while (attacking.get()) { // read the server's flight, never answer it
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
                    "tls-attacker-" + i);
            thread.setDaemon(true);
            thread.start();
            threads.add(thread);
        }
        try {
            assertTrue(connected.await(20, TimeUnit.SECONDS), "attackers could not connect");
            int served = 0;
            List<Long> millis = new ArrayList<>();
            long interval = Duration.ofSeconds(1).toNanos();
            long next = System.nanoTime();
            for (int i = 0; i < 10; i++) {
                long started = System.nanoTime();
                try {
                    HttpRequest request = HttpRequest.newBuilder(
                                    URI.create("https://127.0.0.1:" + endpoint.port() + "/metrics"))
                            .timeout(Duration.ofSeconds(2))
                            .header("Authorization", basic("prom", "s3cret"))
                            .build();
                    HttpResponse<String> response = scraper.send(request, HttpResponse.BodyHandlers.ofString());
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
            System.out.println("TLS under handshake-stall attack: " + served + "/10 scrapes served, latencies ms "
                    + millis + ", attacker reconnects " + reconnects.get());
            assertTrue(served >= 9, served + " of 10 TLS scrapes served on time; latencies ms " + millis);
            assertTrue(reconnects.get() >= attackers, "the attackers were never dropped: " + reconnects.get());
        } finally {
            attacking.set(false);
            for (Thread thread : threads) {
                thread.join(5000);
            }
        }
    }

    // --- reload ------------------------------------------------------------------------------------

    @Test
    void aChangedUserListAppliesAtTheNextRequest() throws Exception {
        Path file = web("basic_auth_users:\n  prom: " + bcrypt("first") + "\n");
        start(file);
        HttpClient plain = HttpClient.newHttpClient();
        assertEquals(200, get(plain, "http", basic("prom", "first")).statusCode());
        // Same size, written in place at once: only the content differs.
        Files.writeString(file, "basic_auth_users:\n  prom: " + bcrypt("second") + "\n");
        assertEquals(401, get(plain, "http", basic("prom", "first")).statusCode());
        assertEquals(200, get(plain, "http", basic("prom", "second")).statusCode());
        replace(file, "basic_auth_users:\n  prom: " + bcrypt("second") + "\n  grafana: " + bcrypt("third") + "\n");
        assertEquals(200, get(plain, "http", basic("grafana", "third")).statusCode());
        assertTrue(health.configValid());
    }

    @Test
    void aFileThatHadUsersAndBecomesEmptyOrInvalidFailsClosed() throws Exception {
        String good = "basic_auth_users:\n  prom: " + bcrypt("s3cret") + "\n";
        Path file = web(good);
        start(file);
        HttpClient plain = HttpClient.newHttpClient();
        assertEquals(200, get(plain, "http", basic("prom", "s3cret")).statusCode());
        for (String broken : new String[] {
            "", "basic_auth_users:\n  prom: hunter2-plain\n", "basic_auth_users: [\n", "basic_auth_users: {}\n"
        }) {
            try (LogCapture log = LogCapture.of(MetricsEndpoint.class)) {
                Files.writeString(file, broken);
                assertEquals(500, get(plain, "http", null).statusCode(), broken);
                assertEquals(500, get(plain, "http", basic("prom", "s3cret")).statusCode(), broken);
                assertFalse(health.configValid());
                assertEquals(1, log.lines().size(), log.all());
                assertTrue(log.all().contains("plugins.lavametrics.endpoint.webConfigFile: " + file), log.all());
                assertFalse(log.all().contains("hunter2") || log.all().contains("$2a$04$"), log.all());
            }
            Files.writeString(file, good);
            assertEquals(200, get(plain, "http", basic("prom", "s3cret")).statusCode());
            assertTrue(health.configValid());
        }
        Files.delete(file);
        assertEquals(500, get(plain, "http", basic("prom", "s3cret")).statusCode());
    }

    @Test
    void turningTlsOnOrOffOrDroppingAllUsersFailsClosed() throws Exception {
        Path file = web(TLS + "basic_auth_users:\n  prom: " + bcrypt("s3cret") + "\n");
        start(file);
        assertEquals(200, https(basic("prom", "s3cret")).statusCode());
        replace(file, TLS); // TLS still on, but no users left
        assertEquals(500, https(null).statusCode());
        replace(file, "basic_auth_users:\n  prom: " + bcrypt("s3cret") + "\n"); // TLS off
        assertEquals(500, https(basic("prom", "s3cret")).statusCode()); // over the last good TLS
        replace(file, TLS + "basic_auth_users:\n  prom: " + bcrypt("s3cret") + "\n");
        assertEquals(200, https(basic("prom", "s3cret")).statusCode());
    }

    @Test
    void aFixInAFileNotWatchedYetIsFoundWhileBroken() throws Exception {
        Path file = web(TLS);
        start(file);
        assertEquals(200, https(null).statusCode());
        // The new text names files that do not exist yet: broken, and they are not watched.
        replace(file, "tls_server_config:\n  cert_file: later.crt\n  key_file: later.key\n");
        assertEquals(500, https(null).statusCode());
        pki.leaf("later", "ca", TestPki.KeyFormat.SEC1_EC, false);
        // Broken files are tried again about once a second: wait for that, not for a fixed time.
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        int status = 500;
        while (status != 200 && System.nanoTime() < deadline) {
            status = https(null).statusCode();
        }
        assertEquals(200, status);
        assertTrue(health.configValid());
    }

    @Test
    void aRenewedCertificateIsServedFromTheNextConnection() throws Exception {
        pki.ca("ca2");
        start(web(TLS));
        assertEquals(200, https(null).statusCode());
        pki.leaf("renewed", "ca2", TestPki.KeyFormat.PKCS1_RSA, false);
        // Key first, then certificate, as a renewal writes them: in between, the pair does not
        // match, the endpoint fails closed and keeps the old certificate for handshakes.
        replace(dir.resolve("server.key"), pki.text("renewed.key"));
        assertEquals(500, https(null).statusCode());
        replace(dir.resolve("server.crt"), pki.text("renewed.crt"));
        assertEquals(
                200, get(client(pki.client("ca2.crt", null)), "https", null).statusCode());
        assertThrows(IOException.class, () -> https(null)); // the old CA no longer matches
        assertTrue(health.configValid());
    }
}
