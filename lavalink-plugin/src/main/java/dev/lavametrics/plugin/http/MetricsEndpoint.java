package dev.lavametrics.plugin.http;

import dev.lavametrics.plugin.collect.CollectorHealth;
import dev.lavametrics.plugin.config.EndpointSettings;
import dev.lavametrics.plugin.config.LogSafe;
import dev.lavametrics.plugin.util.Survival;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.common.TextFormat;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The optional own metrics port. Prometheus cannot send Lavalink's scheme-less password header,
 * so a node with a password needs this to be scraped; it speaks the usual basic/bearer auth.
 *
 * <p>A deliberately small HTTP/1.1 server, one request per connection, no body, a capped head.
 * Nothing is added to the node's classpath (bcrypt is shaded into our jar). Its one rule: <b>a client that has not proven it may scrape
 * holds no thread and cannot crowd out one that has</b>. Clients that are allowlisted but send
 * no (or wrong) credentials used to starve it: each connection sat on one of 4 worker threads
 * while its head trickled in, so 4 idle connections delayed a scrape by the head deadline, 20
 * got it a 503, and 24 that reconnected when dropped kept every scrape out. Now:
 * <ul>
 * <li>One selector thread accepts, reads every request head and writes every answer, all
 *     non-blocking: an idle or dripping client costs a socket and at most
 *     {@link Limits#maxHeadBytes} of buffer, never a thread.</li>
 * <li>Clients outside {@code allow} get 403 before a byte is read.</li>
 * <li>At most {@link Limits#pending} connections may be waiting for their head to complete.
 *     When one more arrives, the oldest of them is dropped: a scraper sends its whole head the
 *     moment it connects, so it is always among the newest and an attacker would have to open
 *     {@code pending} connections within the scraper's round trip to push it out. This works
 *     without looking at addresses, which matters on loopback, where every peer is 127.0.0.1 and
 *     a per-address cap could only shut out the scraper together with the attacker. Each head
 *     also has a deadline ({@link Limits#requestDeadline}, 408).</li>
 * <li>As soon as a head is complete, the request is judged on the selector thread: wrong path,
 *     missing or wrong credentials, another method or a body are answered at once (404, 401,
 *     405, 413). bcrypt credentials not seen before (a web config's {@code basic_auth_users}) are
 *     checked on one verifier thread, at most {@value #VERIFYING} at once (beyond: 503), and the
 *     verdict is cached. Only authorised scrapes reach the {@link Limits#workers} worker threads, which
 *     only collect; at most {@code workers + queued} of them may be in hand (collecting or being
 *     written) at once, more get 503 at once.</li>
 * <li>With a web config's {@code tls_server_config}, each connection gets an {@link javax.net.ssl.SSLEngine}
 *     driven by the same loop ({@link TlsIo}): the handshake is part of receiving the head, so a
 *     client that stalls in it is an unfinished head like any other (the cap drops the oldest,
 *     the deadline closes it; there is no channel for a 408 before the handshake completes). A
 *     client outside {@code allow} is closed without a handshake.</li>
 * <li>The web config is re-read when it (or a file it names) changes, before the next accept
 *     ({@link WebConfigWatch}); a file turned unusable makes every request a 500, never an
 *     endpoint with less protection than before.</li>
 * <li>Writing an answer to a client that stops reading is cut off at
 *     {@link Limits#responseDeadline}; answered connections linger briefly (at most
 *     {@link Limits#lingering} of them) so the close is a FIN rather than a reset.</li>
 * </ul>
 * Every failure is contained: a broken client is closed, anything unexpected is counted as an
 * {@code endpoint} collector error; neither the endpoint nor the node goes down whatever clients do.
 */
public final class MetricsEndpoint {
    private static final Logger log = LoggerFactory.getLogger(MetricsEndpoint.class);
    private static final String TEXT = "text/plain; charset=utf-8";
    private static final Map<Integer, String> REASONS = Map.ofEntries(
            Map.entry(200, "OK"),
            Map.entry(400, "Bad Request"),
            Map.entry(401, "Unauthorized"),
            Map.entry(403, "Forbidden"),
            Map.entry(404, "Not Found"),
            Map.entry(405, "Method Not Allowed"),
            Map.entry(408, "Request Timeout"),
            Map.entry(413, "Content Too Large"),
            Map.entry(431, "Request Header Fields Too Large"),
            Map.entry(500, "Internal Server Error"),
            Map.entry(503, "Service Unavailable"),
            Map.entry(505, "HTTP Version Not Supported"));
    /** Accepts per wake-up, so a connection storm cannot keep the selector from reading heads. */
    private static final int ACCEPTS_PER_ROUND = 64;
    /** What a lingering connection may still send us before it is closed anyway. */
    private static final int DRAIN_BUDGET = 1024 * 1024;

    /**
     * How much the endpoint lets its clients take.
     *
     * @param workers          threads collecting for authorised scrapes
     * @param queued           authorised scrapes that may wait for a worker (or be written) beyond
     *                         {@code workers}; more are refused with 503
     * @param pending          connections whose request head is not complete yet; one more drops
     *                         the oldest of them
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
    record Limits(
            int workers,
            int queued,
            int pending,
            int lingering,
            int maxHeadBytes,
            int maxHeaders,
            Duration requestDeadline,
            Duration responseDeadline,
            Duration linger) {
        static final Limits DEFAULT = new Limits(
                4, 16, 64, 64, 16 * 1024, 64, Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(1));
    }

    private final EndpointSettings settings;
    private final CollectorRegistry registry;
    private final CollectorHealth health;
    /** Who may scrape, and the TLS to speak; re-read when the web config file changes. */
    private WebConfigWatch watch;

    private final Limits limits;
    /** bcrypt checks of credentials not seen before: one thread, at most {@link #VERIFYING} waiting or running. */
    private ThreadPoolExecutor verifier;

    private static final int VERIFYING = 4;
    private ServerSocketChannel listener;
    private Selector selector;
    private Thread loop;
    private ThreadPoolExecutor workers;
    private volatile boolean running;

    // --- owned by the selector thread ---
    /** Connections still sending their head, oldest first. */
    private final LinkedHashSet<Connection> pending = new LinkedHashSet<>();

    private final Set<Connection> all = new HashSet<>();
    private int inHand;
    private int lingeringNow;
    private long acceptPausedUntil;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(8192);
    /** Answers computed by workers, for the selector thread to write. */
    private final Queue<Connection> collected = new ConcurrentLinkedQueue<>();
    /** Connections whose credentials the verifier has judged, for the selector thread to go on with. */
    private final Queue<Connection> verified = new ConcurrentLinkedQueue<>();

    private int verifyingNow;

    public MetricsEndpoint(EndpointSettings settings, CollectorRegistry registry, CollectorHealth health) {
        this(settings, registry, health, Limits.DEFAULT);
    }

    MetricsEndpoint(EndpointSettings settings, CollectorRegistry registry, CollectorHealth health, Limits limits) {
        this.settings = settings;
        this.registry = registry;
        this.health = health;
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
            log.warn(
                    "plugins.lavametrics.endpoint.path={}: must start with /, endpoint disabled",
                    LogSafe.configValue("endpoint.path", settings.path()));
            return;
        }
        try {
            watch = WebConfigWatch.load(settings, health);
        } catch (ScrapeAccess.Unusable e) {
            health.markConfigInvalid();
            log.warn("{}, endpoint disabled", e.getMessage());
            return;
        } catch (Throwable e) {
            Survival.survive(e);
            health.markConfigInvalid();
            log.warn(
                    "plugins.lavametrics.endpoint: credentials cannot be loaded ({}), endpoint disabled",
                    e.getClass().getName());
            return;
        }
        ServerSocketChannel created = null;
        Selector opened = null;
        try {
            created = ServerSocketChannel.open();
            created.bind(new InetSocketAddress(settings.host(), settings.port()), 64);
            created.configureBlocking(false);
            opened = Selector.open();
            created.register(opened, SelectionKey.OP_ACCEPT);
            ThreadPoolExecutor pool = new ThreadPoolExecutor(
                    limits.workers(),
                    limits.workers(),
                    60,
                    TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(),
                    threads("lavametrics-endpoint", true));
            pool.allowCoreThreadTimeOut(true); // an endpoint nobody scrapes holds no worker threads
            workers = pool;
            ThreadPoolExecutor checks = new ThreadPoolExecutor(
                    1,
                    1,
                    60,
                    TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(),
                    threads("lavametrics-endpoint-auth", false));
            checks.allowCoreThreadTimeOut(true);
            verifier = checks;
            selector = opened;
            listener = created;
            running = true;
            ServerSocketChannel server = created;
            Selector chosen = opened;
            loop = threads("lavametrics-endpoint-io", false).newThread(() -> run(server, chosen, pool));
            loop.start();
            log.info(
                    "lavametrics endpoint serving {}://{}:{}{}",
                    watch.access().tls() == null ? "http" : "https",
                    LogSafe.configValue("endpoint.host", settings.host()),
                    port(),
                    LogSafe.configValue("endpoint.path", settings.path()));
        } catch (Throwable e) {
            Survival.survive(e);
            health.markConfigInvalid();
            log.warn(
                    "plugins.lavametrics.endpoint.port={} (endpoint.host={}): cannot listen, endpoint disabled: {}",
                    settings.port(),
                    LogSafe.configValue("endpoint.host", settings.host()),
                    LogSafe.text(e));
            running = false;
            closeQuietly(created);
            closeQuietly(opened);
            listener = null;
            selector = null;
            if (workers != null) {
                workers.shutdownNow();
                workers = null;
            }
            if (verifier != null) {
                verifier.shutdownNow();
                verifier = null;
            }
        }
    }

    /** The bound port (useful when configured as an ephemeral port in tests), or -1 when not serving. */
    public synchronized int port() {
        return listener == null ? -1 : listener.socket().getLocalPort();
    }

    /** Stops serving: every connection is closed and the port is free when this returns. */
    public synchronized void stop() {
        if (listener == null) {
            return;
        }
        running = false;
        selector.wakeup();
        try {
            loop.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(listener); // normally closed by the loop already; this covers a loop that did not end
        closeQuietly(selector);
        workers.shutdownNow();
        verifier.shutdownNow();
        verifier = null;
        listener = null;
        selector = null;
        workers = null;
        loop = null;
    }

    // --- the selector thread ----------------------------------------------------------------------

    private void run(ServerSocketChannel server, Selector selector, ThreadPoolExecutor pool) {
        try {
            while (running) {
                try {
                    round(server, selector, pool);
                } catch (Throwable e) {
                    // Never let the loop die: count it, and do not spin should it repeat.
                    health.recordError("endpoint", Survival.survive(e));
                    if (!pause()) {
                        return;
                    }
                }
            }
        } finally {
            for (Connection connection : all) {
                closeQuietly(connection.channel);
            }
            all.clear();
            pending.clear();
            collected.clear();
            verified.clear();
            closeQuietly(server);
            closeQuietly(selector);
        }
    }

    private void round(ServerSocketChannel server, Selector selector, ThreadPoolExecutor pool) throws IOException {
        long now = System.nanoTime();
        long next = Long.MAX_VALUE;
        for (Connection connection : all) {
            next = Math.min(next, connection.deadline);
        }
        if (acceptPausedUntil != 0) {
            next = Math.min(next, acceptPausedUntil);
        }
        long waitMillis = next == Long.MAX_VALUE ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(next - now) + 1);
        selector.select(waitMillis);
        if (!running) {
            return;
        }
        for (Connection done; (done = collected.poll()) != null; ) {
            if (done.state == State.COLLECTING) {
                byte[] answer = done.answer;
                done.answer = null;
                if (answer == null) {
                    done.state = State.WRITING;
                    close(done);
                } else {
                    write(done, answer, limits.responseDeadline());
                }
            } else {
                release(done); // closed while its worker collected (stop, or the client gone)
            }
        }
        for (Connection judged; (judged = verified.poll()) != null; ) {
            verifyingNow--;
            if (judged.state == State.VERIFYING) {
                try {
                    if (watch.failedClosed()) {
                        answer(judged, failedClosed(judged.request));
                    } else if (judged.authorised) {
                        authorised(judged, judged.request, pool);
                    } else {
                        answer(judged, unauthorized(judged.request));
                    }
                } catch (IOException clientGone) {
                    close(judged);
                }
            }
        }
        Set<SelectionKey> ready = selector.selectedKeys();
        for (SelectionKey key : ready) {
            if (!key.isValid()) {
                continue;
            }
            if (key.attachment() == null) {
                acceptSome(server, key, pool);
                continue;
            }
            Connection connection = (Connection) key.attachment();
            try {
                if (key.isReadable() || (key.isWritable() && connection.state == State.HEAD)) {
                    readable(connection, pool); // in HEAD, writable means a TLS handshake can go on
                } else if (key.isWritable()) {
                    flush(connection);
                }
            } catch (IOException | CancelledKeyException clientGone) {
                close(connection); // the client went away or was cut off: its problem, not an endpoint error
            } catch (Throwable e) {
                close(connection);
                health.recordError("endpoint", Survival.survive(e));
            }
        }
        ready.clear();
        now = System.nanoTime();
        if (acceptPausedUntil != 0 && now - acceptPausedUntil >= 0) {
            acceptPausedUntil = 0;
            server.keyFor(selector).interestOps(SelectionKey.OP_ACCEPT);
        }
        for (Connection connection : List.copyOf(all)) {
            if (now - connection.deadline >= 0) {
                expired(connection);
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

    private void acceptSome(ServerSocketChannel server, SelectionKey key, ThreadPoolExecutor pool) {
        try {
            watch.refresh(); // once per round: a changed web config applies from the next connection on
        } catch (Throwable e) {
            health.recordError("endpoint", Survival.survive(e));
        }
        for (int i = 0; i < ACCEPTS_PER_ROUND; i++) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (IOException e) {
                // Most likely out of file descriptors: count it, and stop accepting for a moment.
                health.recordError("endpoint", e);
                key.interestOps(0);
                acceptPausedUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100) | 1;
                return;
            }
            if (channel == null) {
                return;
            }
            try {
                admit(channel);
            } catch (IOException clientGone) {
                closeQuietly(channel);
            }
        }
    }

    private void admit(SocketChannel channel) throws IOException {
        channel.configureBlocking(false);
        Connection connection = new Connection(channel);
        connection.key = channel.register(selector, 0, connection);
        all.add(connection);
        InetSocketAddress peer = (InetSocketAddress) channel.getRemoteAddress();
        ScrapeAccess access = watch.access();
        if (peer == null || !access.admits(peer.getAddress())) {
            if (access.tls() != null) {
                // A plain-text 403 means nothing to a TLS client, and a handshake for a client that
                // may not scrape would be work done for it: it is closed at once.
                close(connection);
                return;
            }
            answer(connection, response(403, TEXT, "forbidden\n".getBytes(StandardCharsets.UTF_8), false, ""));
            return;
        }
        if (access.tls() != null) {
            connection.tls = new TlsIo(access.tls().engine());
        }
        if (pending.size() >= limits.pending()) {
            // The oldest unfinished head goes: see the class comment for why this keeps scrapes served.
            close(pending.iterator().next());
        }
        pending.add(connection);
        connection.deadline = System.nanoTime() + limits.requestDeadline().toNanos();
        connection.key.interestOps(SelectionKey.OP_READ);
    }

    private void readable(Connection connection, ThreadPoolExecutor pool) throws IOException {
        if (connection.state == State.LINGERING) {
            drain(connection);
            return;
        }
        if (connection.state != State.HEAD) {
            connection.key.interestOps(0); // bytes beyond the head are not read until the answer is out
            return;
        }
        int read;
        if (connection.tls != null) {
            // The handshake, then the decrypted head; at most one TLS record (16 KiB) beyond the
            // head's cap is taken before "too large" is noticed below.
            read = connection.tls.read(connection.channel, connection::append);
            if (read >= 0) {
                connection.key.interestOps(connection.tls.wantsWrite() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
            }
        } else {
            readBuffer.clear();
            int room = limits.maxHeadBytes() - connection.length;
            readBuffer.limit(Math.min(readBuffer.capacity(), room + 1)); // one byte beyond tells "too large"
            read = connection.channel.read(readBuffer);
            if (read > 0) {
                connection.append(readBuffer.array(), read);
            }
        }
        if (read < 0) {
            close(connection); // gone before its head was complete: nothing to answer
            return;
        }
        int end = connection.headEnd();
        if (end < 0) {
            if (connection.length > limits.maxHeadBytes()) {
                pending.remove(connection);
                answer(
                        connection,
                        response(431, TEXT, "request head too large\n".getBytes(StandardCharsets.UTF_8), false, ""));
            }
            return;
        }
        pending.remove(connection);
        RequestHead request;
        try {
            request = RequestHead.read(
                    new ByteArrayInputStream(connection.head, 0, end), limits.maxHeadBytes(), limits.maxHeaders());
        } catch (RequestHead.Malformed e) {
            answer(
                    connection,
                    response(e.status, TEXT, (e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8), false, ""));
            return;
        }
        connection.head = null; // the credentials in it are not needed any more
        if (watch.failedClosed()) {
            answer(connection, failedClosed(request));
            return;
        }
        ScrapeAccess access = watch.access();
        if (!request.path().equals(settings.path())) {
            answer(
                    connection,
                    response(
                            404,
                            TEXT,
                            "not found\n".getBytes(StandardCharsets.UTF_8),
                            request.method().equals("HEAD"),
                            ""));
            return;
        }
        switch (access.check(request.header("authorization"))) {
            case ALLOWED -> authorised(connection, request, pool);
            case DENIED -> answer(connection, unauthorized(request));
            case VERIFY -> verifyLater(connection, request, access);
        }
    }

    /** The web config turned unusable (see {@link WebConfigWatch}): nothing is served until it is fixed. */
    private static byte[] failedClosed(RequestHead request) {
        return response(
                500,
                TEXT,
                "the endpoint's web config file is unusable; see the node's log\n".getBytes(StandardCharsets.UTF_8),
                request.method().equals("HEAD"),
                "");
    }

    /**
     * Credentials not seen before, for a bcrypt user: checked on the verifier thread. Only a few
     * may wait (beyond: 503), so guesses cannot pile up; a scraper's own credentials are checked
     * once and then answered from the cache on this thread.
     */
    private void verifyLater(Connection connection, RequestHead request, ScrapeAccess access) throws IOException {
        if (verifyingNow >= VERIFYING) {
            answer(
                    connection,
                    response(
                            503,
                            TEXT,
                            "too many credential checks at once, try again\n".getBytes(StandardCharsets.UTF_8),
                            false,
                            "Retry-After: 1\r\n"));
            return;
        }
        connection.state = State.VERIFYING;
        connection.deadline = Long.MAX_VALUE;
        connection.request = request;
        connection.key.interestOps(0);
        verifyingNow++;
        Selector wake = selector;
        String authorization = request.header("authorization");
        try {
            verifier.execute(() -> {
                try {
                    connection.authorised = access.verify(authorization);
                } finally {
                    verified.add(connection);
                    wake.wakeup();
                }
            });
        } catch (RejectedExecutionException stopping) {
            verifyingNow--;
            connection.state = State.WRITING;
            close(connection);
        }
    }

    private byte[] unauthorized(RequestHead request) {
        return response(
                401,
                TEXT,
                "unauthorized\n".getBytes(StandardCharsets.UTF_8),
                request.method().equals("HEAD"),
                "WWW-Authenticate: " + watch.access().challenge() + "\r\n");
    }

    /** An authorised request: refused for its method or body, else collected by a worker. */
    private void authorised(Connection connection, RequestHead request, ThreadPoolExecutor pool) throws IOException {
        connection.request = null;
        byte[] refusal = refusal(request);
        if (refusal != null) {
            answer(connection, refusal);
            return;
        }
        if (inHand >= limits.workers() + limits.queued()) {
            answer(
                    connection,
                    response(
                            503,
                            TEXT,
                            "too many scrapes at once, try again\n".getBytes(StandardCharsets.UTF_8),
                            false,
                            "Retry-After: 1\r\n"));
            return;
        }
        // Collecting is the endpoint's own time: no deadline runs while a worker collects.
        connection.state = State.COLLECTING;
        connection.deadline = Long.MAX_VALUE;
        connection.key.interestOps(0);
        connection.counted = true;
        inHand++;
        Selector wake = selector;
        try {
            pool.execute(() -> {
                try {
                    connection.answer = collect(request);
                } finally { // even after a fatal error, so the share is released
                    collected.add(connection);
                    wake.wakeup();
                }
            });
        } catch (RejectedExecutionException stopping) {
            connection.state = State.WRITING; // no answer will come: let close() release its share
            close(connection);
        }
    }

    /** An answer decided on the selector thread (a refusal, 408, 431...): small, so it is written at once. */
    private void answer(Connection connection, byte[] bytes) throws IOException {
        write(connection, bytes, limits.responseDeadline());
    }

    private void write(Connection connection, byte[] bytes, Duration deadline) throws IOException {
        connection.state = State.WRITING;
        connection.out = ByteBuffer.wrap(bytes);
        connection.deadline = System.nanoTime() + deadline.toNanos();
        try {
            flush(connection);
        } catch (IOException clientGone) {
            close(connection);
        }
    }

    private void flush(Connection connection) throws IOException {
        boolean done;
        if (connection.tls != null) {
            done = connection.tls.write(connection.channel, connection.out);
        } else {
            connection.channel.write(connection.out);
            done = !connection.out.hasRemaining();
        }
        if (!done) {
            connection.key.interestOps(SelectionKey.OP_WRITE);
            return;
        }
        connection.out = null;
        release(connection);
        linger(connection);
    }

    /**
     * Ends an answered connection: send FIN now, close a little later. Closing a socket that still
     * has unread input (a request not read, a body refused) makes TCP send a reset, which can
     * destroy the answer before the client reads it.
     */
    private void linger(Connection connection) throws IOException {
        connection.channel.shutdownOutput();
        if (lingeringNow >= limits.lingering()) {
            close(connection);
            return;
        }
        lingeringNow++;
        connection.state = State.LINGERING;
        connection.deadline = System.nanoTime() + limits.linger().toNanos();
        connection.key.interestOps(SelectionKey.OP_READ);
    }

    /** Reads what arrives while lingering, so the close is a FIN rather than a reset; ends at the client's FIN. */
    private void drain(Connection connection) throws IOException {
        readBuffer.clear();
        int read = connection.channel.read(readBuffer);
        connection.drained += Math.max(0, read);
        if (read < 0 || connection.drained > DRAIN_BUDGET) {
            close(connection);
        }
    }

    private void expired(Connection connection) {
        try {
            switch (connection.state) {
                case HEAD -> {
                    if (connection.tls != null && !connection.tls.handshaken()) {
                        close(connection); // stalled in the handshake: no channel to answer on
                        return;
                    }
                    // Nothing was written yet, so the 408 fits the socket's buffer.
                    pending.remove(connection);
                    answer(
                            connection,
                            response(
                                    408,
                                    TEXT,
                                    "request not received in time\n".getBytes(StandardCharsets.UTF_8),
                                    false,
                                    ""));
                }
                default -> close(connection); // a client that stopped reading, or a linger that ran out
            }
        } catch (IOException | RuntimeException e) {
            close(connection);
        }
    }

    /** An authorised scrape leaves the workers' share once its answer is written or its connection closed. */
    private void release(Connection connection) {
        if (connection.counted) {
            connection.counted = false;
            inHand--;
        }
    }

    private void close(Connection connection) {
        closeQuietly(connection.channel);
        if (all.remove(connection)) {
            pending.remove(connection);
            if (connection.state == State.COLLECTING || connection.state == State.VERIFYING) {
                // Its worker still collects (or checks): the share is released when that answer arrives.
                connection.state = State.CLOSED;
                return;
            }
            release(connection);
            if (connection.state == State.LINGERING) {
                lingeringNow--;
            }
            connection.state = State.CLOSED;
        }
    }

    private enum State {
        HEAD,
        VERIFYING,
        COLLECTING,
        WRITING,
        LINGERING,
        CLOSED
    }

    /** One accepted connection, touched only by the selector thread (and its answer by one worker). */
    private static final class Connection {
        final SocketChannel channel;
        /** The connection's TLS, or null for plain HTTP; chosen at accept by the web config then. */
        TlsIo tls;

        SelectionKey key;
        State state = State.HEAD;
        long deadline = Long.MAX_VALUE;
        byte[] head = new byte[512];
        int length;
        int scanned;
        volatile byte[] answer;
        RequestHead request;
        volatile boolean authorised;
        boolean counted;
        ByteBuffer out;
        long drained;

        Connection(SocketChannel channel) {
            this.channel = channel;
        }

        void append(byte[] bytes, int count) {
            if (length + count > head.length) {
                head = Arrays.copyOf(head, Math.max(head.length * 2, length + count));
            }
            System.arraycopy(bytes, 0, head, length, count);
            length += count;
        }

        /**
         * Where the head ends (just past its blank line), or -1 while it is incomplete. One empty
         * line before the request line is skipped, as {@link RequestHead} does. Resumes where the
         * last call stopped, so a head dripping in byte by byte is scanned once, not once per byte.
         */
        int headEnd() {
            int first = length > 0 && head[0] == '\n' ? 1 : length > 1 && head[0] == '\r' && head[1] == '\n' ? 2 : 0;
            for (int i = Math.max(scanned, first); i < length; i++) {
                if (head[i] != '\n') {
                    continue;
                }
                if (i + 1 < length && head[i + 1] == '\n') {
                    return i + 2;
                }
                if (i + 2 < length && head[i + 1] == '\r' && head[i + 2] == '\n') {
                    return i + 3;
                }
                if (i + 2 >= length) {
                    scanned = i; // the end may be arriving: look at this newline again next time
                    return -1;
                }
            }
            scanned = Math.max(first, length);
            return -1;
        }
    }

    /**
     * The answer to an authorised request that needs no collecting (another method, a body), or
     * null for a scrape. Cheap: it runs on the selector thread. (RFC 9110 9.3.2: the answer to
     * HEAD is GET's without its body, whatever the status.)
     */
    private byte[] refusal(RequestHead request) {
        if (!request.method().equals("HEAD") && !request.method().equals("GET")) {
            return response(
                    405, TEXT, "method not allowed\n".getBytes(StandardCharsets.UTF_8), false, "Allow: GET, HEAD\r\n");
        }
        if (request.hasBody()) {
            // A scrape has none; not reading one keeps a client from making us wait for it.
            return response(
                    413,
                    TEXT,
                    "a request body is not accepted\n".getBytes(StandardCharsets.UTF_8),
                    request.method().equals("HEAD"),
                    "");
        }
        return null;
    }

    /** The response to an authorised scrape; runs on a worker. */
    private byte[] collect(RequestHead request) {
        boolean head = request.method().equals("HEAD");
        try {
            String contentType = TextFormat.chooseContentType(request.header("accept"));
            ByteArrayOutputStream body = new ByteArrayOutputStream(16 * 1024);
            try (Writer writer = new OutputStreamWriter(body, StandardCharsets.UTF_8)) {
                TextFormat.writeFormat(contentType, writer, registry.metricFamilySamples());
            }
            return response(200, contentType, body.toByteArray(), head, "");
        } catch (Throwable e) {
            // A collector outside our guard (another plugin's, or core's) threw: say so with a
            // status Prometheus reports, rather than closing the connection without a reply.
            health.recordError("endpoint", Survival.survive(e));
            return response(500, TEXT, "collecting metrics failed\n".getBytes(StandardCharsets.UTF_8), head, "");
        }
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

    private static ThreadFactory threads(String name, boolean numbered) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, numbered ? name + "-" + count.incrementAndGet() : name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
