package dev.lavametrics.standin.support;

import dev.lavametrics.standin.StandinApplication;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.springframework.context.ConfigurableApplicationContext;

/** A stand-in node started on a free loopback port for a test class, and HTTP helpers against it. */
public final class TestNode implements AutoCloseable {
    private final ConfigurableApplicationContext context;
    private final int port;
    private final String password;
    public final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TestNode(ConfigurableApplicationContext context, int port, String password) {
        this.context = context;
        this.port = port;
        this.password = password;
    }

    /** Plugins are loaded from {@code work/plugins}; {@code extraArgs} are further command-line properties. */
    public static TestNode start(Path work, String password, String... extraArgs) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> args = new ArrayList<>(List.of(
                "--server.port=" + port,
                "--server.address=127.0.0.1",
                "--lavalink.pluginsDir=" + work.resolve("plugins"),
                "--lavalink.server.password=" + password));
        args.addAll(List.of(extraArgs));
        // start-up swaps in the plugin class loader; the test thread must not keep it
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        try {
            return new TestNode(StandinApplication.start(args.toArray(String[]::new)), port, password);
        } finally {
            Thread.currentThread().setContextClassLoader(before);
        }
    }

    @Override
    public void close() {
        context.close();
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    public URI websocketUri() {
        return URI.create("ws://127.0.0.1:" + port + "/v4/websocket");
    }

    /** A plain GET; {@code auth} is the Authorization header, none when null. */
    public HttpResponse<String> get(String path, String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).GET();
        if (auth != null) {
            b.header("Authorization", auth);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** An authorized JSON request; {@code body} null sends none. */
    public HttpResponse<String> request(String method, String path, String body) throws Exception {
        HttpRequest r = HttpRequest.newBuilder(uri(path))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Authorization", password)
                .header("Content-Type", "application/json")
                .build();
        return http.send(r, HttpResponse.BodyHandlers.ofString());
    }

    /** Opens {@code /v4/websocket} with the password, the User-Id and any further header name/value pairs. */
    public LavalinkTestClient connect(String userId, String... headers) throws Exception {
        LavalinkTestClient client = new LavalinkTestClient();
        WebSocket.Builder b =
                http.newWebSocketBuilder().header("Authorization", password).header("User-Id", userId);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        client.ws = b.buildAsync(websocketUri(), client.listener()).get(10, TimeUnit.SECONDS);
        return client;
    }
}
