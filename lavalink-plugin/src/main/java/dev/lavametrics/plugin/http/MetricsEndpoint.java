package dev.lavametrics.plugin.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.lavametrics.plugin.collect.CollectorHealth;
import dev.lavametrics.plugin.config.EndpointSettings;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.common.TextFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The optional own metrics port. Prometheus cannot send Lavalink's scheme-less password header,
 * so a node with a password needs this to be scraped; it speaks the usual basic/bearer auth.
 * Runs on the JDK's HTTP server so the plugin adds no dependency to the node.
 */
public final class MetricsEndpoint {
    private static final Logger log = LoggerFactory.getLogger(MetricsEndpoint.class);

    private final EndpointSettings settings;
    private final CollectorRegistry registry;
    private final CollectorHealth health;
    private final ScrapeAccess access;
    private HttpServer server;
    private ExecutorService executor;

    public MetricsEndpoint(EndpointSettings settings, CollectorRegistry registry, CollectorHealth health) {
        this.settings = settings;
        this.registry = registry;
        this.health = health;
        this.access = new ScrapeAccess(settings);
    }

    /**
     * Starts serving if enabled. A failure (port taken, bad host or path) is logged once, marks
     * the config invalid and leaves the endpoint off with its port free; it never stops the node.
     */
    public synchronized void start() {
        if (!settings.enabled() || server != null) {
            return;
        }
        HttpServer created = null;
        try {
            // Created unbound and bound last: whatever fails while configuring holds no port. (On
            // JDK 17, stop() of a server that never started does not close its listening socket.)
            created = HttpServer.create();
            created.createContext(settings.path(), this::handle);
            executor = Executors.newSingleThreadExecutor(runnable -> {
                Thread thread = new Thread(runnable, "lavametrics-endpoint");
                thread.setDaemon(true);
                return thread;
            });
            created.setExecutor(executor);
            created.bind(new InetSocketAddress(settings.host(), settings.port()), 0);
            created.start();
            server = created;
            log.info("lavametrics endpoint serving http://{}:{}{}", settings.host(), port(), settings.path());
        } catch (IOException | RuntimeException | LinkageError e) {
            health.markConfigInvalid();
            log.warn("plugins.lavametrics.endpoint.port={} (endpoint.host={}): cannot listen, endpoint disabled: {}",
                    settings.port(), settings.host(), e.toString());
            // Frees what the server holds as far as the JDK can for a server that never started.
            if (created != null) {
                created.stop(0);
            }
            if (executor != null) {
                executor.shutdownNow();
                executor = null;
            }
        }
    }

    /** The bound port (useful when configured as an ephemeral port in tests), or -1 when not serving. */
    public synchronized int port() {
        return server == null ? -1 : server.getAddress().getPort();
    }

    public synchronized void stop() {
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
            server = null;
            executor = null;
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            switch (access.decide(exchange.getRemoteAddress().getAddress(),
                    exchange.getRequestHeaders().getFirst("Authorization"))) {
                case FORBIDDEN -> respond(exchange, 403, "text/plain; charset=utf-8", "forbidden\n");
                case UNAUTHORIZED -> {
                    exchange.getResponseHeaders().set("WWW-Authenticate", access.challenge());
                    respond(exchange, 401, "text/plain; charset=utf-8", "unauthorized\n");
                }
                case ALLOWED -> serveMetrics(exchange);
            }
        } catch (IOException | RuntimeException | LinkageError e) {
            health.recordError("endpoint", e);
        }
    }

    private void serveMetrics(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            exchange.getResponseHeaders().set("Allow", "GET, HEAD");
            respond(exchange, 405, "text/plain; charset=utf-8", "method not allowed\n");
            return;
        }
        String contentType = TextFormat.chooseContentType(exchange.getRequestHeaders().getFirst("Accept"));
        ByteArrayOutputStream body = new ByteArrayOutputStream(16 * 1024);
        try (Writer writer = new OutputStreamWriter(body, StandardCharsets.UTF_8)) {
            TextFormat.writeFormat(contentType, writer, registry.metricFamilySamples());
        } catch (RuntimeException | LinkageError e) {
            // A collector outside our guard (another plugin's, or core's) threw: say so with a
            // status Prometheus reports, rather than closing the connection without a reply.
            health.recordError("endpoint", e);
            respond(exchange, 500, "text/plain; charset=utf-8", "collecting metrics failed\n");
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", contentType);
        if (method.equals("HEAD")) {
            exchange.sendResponseHeaders(200, -1);
            return;
        }
        exchange.sendResponseHeaders(200, body.size());
        try (OutputStream out = exchange.getResponseBody()) {
            body.writeTo(out);
        }
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
