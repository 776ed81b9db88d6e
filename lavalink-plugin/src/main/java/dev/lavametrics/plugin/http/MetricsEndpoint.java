package dev.lavametrics.plugin.http;

import dev.lavametrics.plugin.collect.CollectorHealth;
import dev.lavametrics.plugin.config.EndpointSettings;
import dev.lavametrics.plugin.config.LogSafe;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.common.TextFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The optional own metrics port. Prometheus cannot send Lavalink's scheme-less password header,
 * so a node with a password needs this to be scraped; it speaks the usual basic/bearer auth.
 *
 * <p>A deliberately small HTTP/1.1 server on plain sockets rather than the JDK's HttpServer,
 * which reads each request on its executor's threads with no deadline: one client that stopped
 * half-way through its headers held the only thread and stalled every scrape. Here clients
 * outside {@code allow} are answered on the accepting thread before anything is read; the rest
 * are served by a few workers behind a short queue (beyond it: 503 at once), and every request
 * has a deadline for its head and one for its response, enforced by closing the socket. One
 * request per connection, no body, a capped head. No dependency is added to the node.
 */
public final class MetricsEndpoint {
    private static final Logger log = LoggerFactory.getLogger(MetricsEndpoint.class);
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final Map<Integer, String> REASONS = Map.ofEntries(
            Map.entry(200, "OK"), Map.entry(400, "Bad Request"), Map.entry(401, "Unauthorized"),
            Map.entry(403, "Forbidden"), Map.entry(404, "Not Found"), Map.entry(405, "Method Not Allowed"),
            Map.entry(408, "Request Timeout"), Map.entry(413, "Content Too Large"),
            Map.entry(431, "Request Header Fields Too Large"), Map.entry(500, "Internal Server Error"),
            Map.entry(503, "Service Unavailable"), Map.entry(505, "HTTP Version Not Supported"));

    /**
     * How much the endpoint lets its clients take.
     *
     * @param workers          threads serving admitted connections (each holds one at a time)
     * @param queued           admitted connections waiting for a worker; more are refused with 503
     * @param lingering        answered connections kept open briefly so the client reads the answer
     *                         before the close (closing on unread input makes TCP reset it); more
     *                         are closed at once
     * @param maxHeadBytes     request line plus headers
     * @param maxHeaders       header fields
     * @param requestDeadline  from accept until the head is complete, however slowly it drips in
     * @param responseDeadline from the end of collecting until the response is written, against clients
     *                         that stop reading
     * @param linger           how long an answered connection may stay open
     */
    record Limits(int workers, int queued, int lingering, int maxHeadBytes, int maxHeaders,
                  Duration requestDeadline, Duration responseDeadline, Duration linger) {
        static final Limits DEFAULT = new Limits(4, 16, 64, 16 * 1024, 64,
                Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(1));
    }

    private final EndpointSettings settings;
    private final CollectorRegistry registry;
    private final CollectorHealth health;
    private final ScrapeAccess access;
    private final Limits limits;
    /** Every accepted socket not yet closed, so stop() can close them: a blocked read ignores interrupts. */
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger lingering = new AtomicInteger();
    private ServerSocket listener;
    private ThreadPoolExecutor workers;
    private ScheduledThreadPoolExecutor timer;

    public MetricsEndpoint(EndpointSettings settings, CollectorRegistry registry, CollectorHealth health) {
        this(settings, registry, health, Limits.DEFAULT);
    }

    MetricsEndpoint(EndpointSettings settings, CollectorRegistry registry, CollectorHealth health, Limits limits) {
        this.settings = settings;
        this.registry = registry;
        this.health = health;
        this.access = new ScrapeAccess(settings);
        this.limits = limits;
    }

    /**
     * Starts serving if enabled. A failure (port taken, bad host or path; Lavalink's own port is refused by the validator) is logged
     * once, marks the config invalid and leaves the endpoint off with its port free; it never stops the node.
     */
    public synchronized void start() {
        if (!settings.enabled() || listener != null) {
            return;
        }
        if (!settings.path().startsWith("/")) {
            health.markConfigInvalid();
            log.warn("plugins.lavametrics.endpoint.path={}: must start with /, endpoint disabled",
                    LogSafe.configValue("endpoint.path", settings.path()));
            return;
        }
        ServerSocket created = null;
        try {
            created = new ServerSocket();
            created.bind(new InetSocketAddress(settings.host(), settings.port()), 64);
            ScheduledThreadPoolExecutor clock =
                    new ScheduledThreadPoolExecutor(1, threads("lavametrics-endpoint-timer", false));
            clock.setRemoveOnCancelPolicy(true);
            timer = clock;
            ThreadPoolExecutor pool = new ThreadPoolExecutor(limits.workers(), limits.workers(), 60, TimeUnit.SECONDS,
                    new ArrayBlockingQueue<>(limits.queued()), threads("lavametrics-endpoint", true));
            pool.allowCoreThreadTimeOut(true); // an endpoint nobody scrapes holds no worker threads
            workers = pool;
            lingering.set(0);
            ServerSocket server = created;
            threads("lavametrics-endpoint-accept", false).newThread(() -> acceptLoop(server, pool, clock)).start();
            listener = created;
            log.info("lavametrics endpoint serving http://{}:{}{}",
                    LogSafe.configValue("endpoint.host", settings.host()), port(),
                    LogSafe.configValue("endpoint.path", settings.path()));
        } catch (IOException | RuntimeException | LinkageError e) {
            health.markConfigInvalid();
            log.warn("plugins.lavametrics.endpoint.port={} (endpoint.host={}): cannot listen, endpoint disabled: {}",
                    settings.port(), LogSafe.configValue("endpoint.host", settings.host()), LogSafe.text(e));
            closeQuietly(created);
            listener = null;
            shutDownThreads();
        }
    }

    /** The bound port (useful when configured as an ephemeral port in tests), or -1 when not serving. */
    public synchronized int port() {
        return listener == null ? -1 : listener.getLocalPort();
    }

    public synchronized void stop() {
        if (listener == null) {
            return;
        }
        closeQuietly(listener);
        listener = null;
        shutDownThreads();
        for (Socket socket : open) {
            closeQuietly(socket);
        }
        open.clear();
    }

    private void shutDownThreads() {
        if (workers != null) {
            workers.shutdownNow();
            workers = null;
        }
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
    }

    private void acceptLoop(ServerSocket server, ThreadPoolExecutor pool, ScheduledThreadPoolExecutor clock) {
        while (!server.isClosed()) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                if (server.isClosed()) {
                    return;
                }
                // Most likely out of file descriptors: count it, and do not spin while it lasts.
                health.recordError("endpoint", e);
                if (!pause()) {
                    return;
                }
                continue;
            }
            try {
                admit(socket, pool, clock);
            } catch (RuntimeException | Error e) {
                close(socket);
                if (!clock.isShutdown()) { // not just stop() racing this accept
                    health.recordError("endpoint", rethrowIfFatal(e));
                }
            }
        }
    }

    private static boolean pause() {
        try {
            Thread.sleep(100);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Runs on the accepting thread, so it must never block: a refusal is a few hundred bytes
     * written to a fresh socket, which fit its send buffer whatever the client does.
     */
    private void admit(Socket socket, ThreadPoolExecutor pool, ScheduledThreadPoolExecutor clock) {
        open.add(socket);
        if (!access.admits(socket.getInetAddress())) {
            refuse(socket, clock, 403, "forbidden\n");
            return;
        }
        Exchange exchange = new Exchange(socket, clock);
        try {
            pool.execute(exchange);
        } catch (RejectedExecutionException busy) {
            exchange.deadline.cancel(false);
            if (pool.isShutdown()) {
                close(socket);
            } else {
                refuse(socket, clock, 503, "too many connections, try again\n");
            }
        }
    }

    private void refuse(Socket socket, ScheduledThreadPoolExecutor clock, int status, String text) {
        try {
            socket.getOutputStream().write(response(status, TEXT, text.getBytes(StandardCharsets.UTF_8), false,
                    status == 503 ? "Retry-After: 1\r\n" : ""));
            linger(socket, clock);
        } catch (IOException gone) {
            close(socket);
        }
    }

    /** One admitted connection: its request, its response, and the deadlines on both. */
    private final class Exchange implements Runnable {
        private static final int READING = 0;
        private static final int RESPONDING = 1;
        private static final int CUT = 2;

        private final Socket socket;
        private final ScheduledThreadPoolExecutor clock;
        private final AtomicInteger phase = new AtomicInteger(READING);
        private volatile ScheduledFuture<?> deadline;

        Exchange(Socket socket, ScheduledThreadPoolExecutor clock) {
            this.socket = socket;
            this.clock = clock;
            // Counted from accept, so time spent in the queue counts too.
            deadline = clock.schedule(this::requestTooSlow, limits.requestDeadline().toMillis(), TimeUnit.MILLISECONDS);
        }

        /** On the timer: the head is still incomplete. Nothing was written yet, so the 408 cannot block. */
        private void requestTooSlow() {
            if (phase.compareAndSet(READING, CUT)) {
                try {
                    socket.getOutputStream().write(response(408, TEXT,
                            "request not received in time\n".getBytes(StandardCharsets.UTF_8), false, ""));
                    socket.shutdownOutput();
                } catch (IOException ignored) {
                    // closed below either way
                }
                close(socket);
            }
        }

        @Override
        public void run() {
            boolean answered = false;
            try {
                if (socket.isClosed()) {
                    return; // its deadline passed while it waited in the queue
                }
                // Only a fallback: the timer's deadline on the whole head comes first and answers 408.
                socket.setSoTimeout((int) Math.max(1, 2 * limits.requestDeadline().toMillis()));
                InputStream in = new BufferedInputStream(socket.getInputStream(), 4096);
                RequestHead request = null;
                byte[] answer = null;
                try {
                    request = RequestHead.read(in, limits.maxHeadBytes(), limits.maxHeaders());
                } catch (RequestHead.Malformed e) {
                    answer = response(e.status, TEXT, (e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8),
                            false, "");
                }
                // Before collecting: the request deadline is on the client sending its head, and
                // a collection slower than what is left of it must not turn into a 408.
                if (!phase.compareAndSet(READING, RESPONDING)) {
                    return; // cut off by the request deadline meanwhile
                }
                deadline.cancel(false);
                if (request != null) {
                    answer = answer(request);
                }
                // A client that stops reading would block this write forever; the timer closes the socket instead.
                deadline = clock.schedule(() -> close(socket), limits.responseDeadline().toMillis(),
                        TimeUnit.MILLISECONDS);
                OutputStream out = socket.getOutputStream();
                out.write(answer);
                out.flush();
                answered = true;
            } catch (IOException clientGone) {
                // The client went away, timed out or was cut off: its problem, not an endpoint error.
            } catch (RuntimeException | Error e) {
                health.recordError("endpoint", rethrowIfFatal(e));
            } finally {
                deadline.cancel(false);
                if (answered) {
                    linger(socket, clock);
                } else {
                    close(socket);
                }
            }
        }
    }

    /** The whole response to an admitted, well-formed request. */
    private byte[] answer(RequestHead request) {
        // The answer to HEAD is GET's without its body, whatever the status (RFC 9110 9.3.2).
        boolean head = request.method().equals("HEAD");
        if (!request.path().equals(settings.path())) {
            return response(404, TEXT, "not found\n".getBytes(StandardCharsets.UTF_8), head, "");
        }
        if (!access.authorized(request.header("authorization"))) {
            return response(401, TEXT, "unauthorized\n".getBytes(StandardCharsets.UTF_8), head,
                    "WWW-Authenticate: " + access.challenge() + "\r\n");
        }
        if (!head && !request.method().equals("GET")) {
            return response(405, TEXT, "method not allowed\n".getBytes(StandardCharsets.UTF_8), false,
                    "Allow: GET, HEAD\r\n");
        }
        if (request.hasBody()) {
            // A scrape has none; not reading one keeps a client from making a worker wait for it.
            return response(413, TEXT, "a request body is not accepted\n".getBytes(StandardCharsets.UTF_8), head, "");
        }
        String contentType = TextFormat.chooseContentType(request.header("accept"));
        ByteArrayOutputStream body = new ByteArrayOutputStream(16 * 1024);
        try (Writer writer = new OutputStreamWriter(body, StandardCharsets.UTF_8)) {
            TextFormat.writeFormat(contentType, writer, registry.metricFamilySamples());
        } catch (IOException | RuntimeException | Error e) {
            // A collector outside our guard (another plugin's, or core's) threw: say so with a
            // status Prometheus reports, rather than closing the connection without a reply.
            health.recordError("endpoint", rethrowIfFatal(e));
            return response(500, TEXT, "collecting metrics failed\n".getBytes(StandardCharsets.UTF_8), head, "");
        }
        return response(200, contentType, body.toByteArray(), head, "");
    }

    private static byte[] response(int status, String contentType, byte[] body, boolean headOnly, String extraHeaders) {
        String head = "HTTP/1.1 " + status + " " + REASONS.get(status) + "\r\n"
                + "Content-Type: " + contentType + "\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + extraHeaders
                + "Connection: close\r\n\r\n";
        byte[] headBytes = head.getBytes(StandardCharsets.ISO_8859_1);
        if (headOnly) {
            return headBytes;
        }
        byte[] all = new byte[headBytes.length + body.length];
        System.arraycopy(headBytes, 0, all, 0, headBytes.length);
        System.arraycopy(body, 0, all, headBytes.length, body.length);
        return all;
    }

    /**
     * Ends an answered connection: send FIN now, close a little later. Closing a socket that still
     * has unread input (a request not read, a body refused) makes TCP send a reset, which can
     * destroy the answer before the client reads it.
     */
    private void linger(Socket socket, ScheduledThreadPoolExecutor clock) {
        try {
            socket.shutdownOutput();
        } catch (IOException e) {
            close(socket);
            return;
        }
        if (lingering.incrementAndGet() > limits.lingering()) {
            lingering.decrementAndGet();
            close(socket);
            return;
        }
        try {
            clock.schedule(() -> {
                try {
                    drain(socket);
                } finally {
                    lingering.decrementAndGet();
                    close(socket);
                }
            }, limits.linger().toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopping) {
            lingering.decrementAndGet();
            close(socket);
        }
    }

    /** Reads what already arrived, without waiting for more, so the close is a FIN rather than a reset. */
    private static void drain(Socket socket) {
        try {
            InputStream in = socket.getInputStream();
            int budget = 64 * 1024;
            for (int ready = in.available(); ready > 0 && budget > 0; ready = in.available()) {
                budget -= (int) in.skip(Math.min(ready, budget));
            }
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private void close(Socket socket) {
        closeQuietly(socket);
        open.remove(socket);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception ignored) {
            // nothing left to release
        }
    }

    /**
     * What a caught throwable may be survived: all but the JVM's own failures (out of memory and
     * the like), where going on would hide the real trouble. A stack overflow is unwound by now.
     */
    private static Throwable rethrowIfFatal(Throwable error) {
        if (error instanceof VirtualMachineError fatal && !(error instanceof StackOverflowError)) {
            throw fatal;
        }
        return error;
    }

    private static ThreadFactory threads(String name, boolean numbered) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, numbered ? name + "-" + count.incrementAndGet() : name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
