package dev.lavametrics.standin.voice;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.annotation.PreDestroy;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * The node's voice layer (what Koe is for Lavalink): creates {@link VoiceConnection}s and runs the one
 * shared sender thread that polls every connected player each 20 ms.
 *
 * <p>The sender keeps a fixed 20 ms cadence on {@link System#nanoTime()} deadlines. When a tick starts
 * late it runs the missed ticks back to back (so each player still gets 50 polls a second), but never
 * more than {@link #MAX_CATCH_UP} ticks: beyond that the backlog is dropped and counted as skipped.
 * While there is no connection the sender parks instead of ticking; {@link #connect} wakes it.
 */
@Component
public class VoiceManager {
    private static final Logger log = LoggerFactory.getLogger(VoiceManager.class);
    /** System property (tests only): connect with {@code ws://} instead of {@code wss://}. */
    public static final String INSECURE_PROPERTY = "standin.voice.insecureGateway";

    static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    static final int MAX_CATCH_UP = 10;
    /**
     * At most this many UDP IP discoveries run at once (each blocks up to 5 x 1 s); more wait in the
     * executor's queue. Enough for a burst of connects without a thread per player.
     */
    static final int DISCOVERY_THREADS = 8;

    private final ObjectMapper mapper;
    private final HttpClient http;
    private final ScheduledExecutorService gatewayScheduler;
    private final ExecutorService discoveryExecutor;
    private final Object lock = new Object();
    private volatile VoiceConnection[] connections = new VoiceConnection[0];
    private volatile Thread sender;
    private volatile boolean running = true;

    // sender statistics (written by the sender thread)
    private volatile long ticks;
    private volatile long lateTicks;
    private volatile long skippedTicks;
    private volatile long maxTickNanos;
    private volatile long totalTickNanos;
    private long windowMaxNanos;
    private long windowTicks;
    private long windowLate;
    private long windowNanos;
    private long lastReport = System.nanoTime();

    @Autowired
    public VoiceManager(ObjectMapper mapper) {
        this(
                mapper,
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build());
    }

    /** The gateway client; the default one uses the JVM's default SSLContext (javax.net.ssl.trustStore). */
    VoiceManager(ObjectMapper mapper, HttpClient http) {
        this.mapper = mapper;
        AtomicInteger n = new AtomicInteger();
        this.gatewayScheduler = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "standin-voice-gateway-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        // IP discovery blocks on a UDP receive; on the 2-thread gateway scheduler a burst of connects
        // would stall every connection's heartbeats (and so their ACK timeouts), so it gets its own pool.
        // Idle threads time out, so an idle node holds none.
        AtomicInteger d = new AtomicInteger();
        ThreadPoolExecutor discovery = new ThreadPoolExecutor(
                DISCOVERY_THREADS, DISCOVERY_THREADS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "standin-voice-discovery-" + d.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        discovery.allowCoreThreadTimeOut(true);
        this.discoveryExecutor = discovery;
        this.http = http;
    }

    public static boolean insecureGatewayAllowed() {
        return Boolean.getBoolean(INSECURE_PROPERTY);
    }

    ObjectMapper mapper() {
        return mapper;
    }

    HttpClient httpClient() {
        return http;
    }

    ScheduledExecutorService gatewayScheduler() {
        return gatewayScheduler;
    }

    ExecutorService discoveryExecutor() {
        return discoveryExecutor;
    }

    /** Opens a new voice connection; the caller closes any previous one of the same player. */
    public VoiceConnection connect(
            VoiceServerInfo info, VoiceConnection.AudioSource source, VoiceConnection.GatewayListener listener) {
        VoiceConnection c = new VoiceConnection(this, info, source, listener);
        synchronized (lock) {
            VoiceConnection[] cur = connections;
            VoiceConnection[] next = Arrays.copyOf(cur, cur.length + 1);
            next[cur.length] = c;
            connections = next;
            ensureSender();
        }
        // the sender may be parked for want of connections (an unpark before its park is kept as a permit)
        LockSupport.unpark(sender);
        c.start();
        return c;
    }

    void unregister(VoiceConnection c) {
        synchronized (lock) {
            VoiceConnection[] cur = connections;
            int i = Arrays.asList(cur).indexOf(c);
            if (i < 0) {
                return;
            }
            VoiceConnection[] next = new VoiceConnection[cur.length - 1];
            System.arraycopy(cur, 0, next, 0, i);
            System.arraycopy(cur, i + 1, next, i, cur.length - i - 1);
            connections = next;
        }
    }

    public int connectionCount() {
        return connections.length;
    }

    private void ensureSender() {
        if (sender == null && running) {
            Thread t = new Thread(this::senderLoop, "standin-voice-sender");
            t.setDaemon(true);
            t.setPriority(Thread.MAX_PRIORITY);
            sender = t;
            t.start();
        }
    }

    private void senderLoop() {
        long next = System.nanoTime();
        while (running) {
            // One read of the volatile array per tick, which the tick below uses anyway: idling costs no
            // extra work per frame.
            VoiceConnection[] conns = connections;
            if (conns.length == 0) {
                // Nothing to poll: park until connect() unparks us instead of waking 50 times a second.
                LockSupport.park(this);
                // the idle time is neither late nor skipped ticks: restart the cadence now
                next = System.nanoTime();
                continue;
            }
            long now = System.nanoTime();
            long wait = next - now;
            if (wait > 0) {
                LockSupport.parkNanos(wait);
                continue;
            }
            long behind = -wait / TICK_NANOS;
            if (behind > MAX_CATCH_UP) {
                skippedTicks += behind;
                next += behind * TICK_NANOS;
            }
            if (-wait > TICK_NANOS / 2) {
                lateTicks++;
                windowLate++;
            }
            long nowMillis = System.currentTimeMillis();
            for (VoiceConnection c : conns) {
                try {
                    c.tick(nowMillis);
                } catch (Throwable t) {
                    log.warn("Voice sender: tick failed for {}: {}", c.info().guildId(), t.toString());
                }
            }
            long took = System.nanoTime() - now;
            ticks++;
            windowTicks++;
            windowNanos += took;
            totalTickNanos += took;
            if (took > maxTickNanos) {
                maxTickNanos = took;
            }
            if (took > windowMaxNanos) {
                windowMaxNanos = took;
            }
            next += TICK_NANOS;
            report(now);
        }
    }

    private void report(long now) {
        if (now - lastReport < TimeUnit.SECONDS.toNanos(60)) {
            return;
        }
        int n = connections.length;
        if (n > 0 || windowLate > 0) {
            log.info(
                    "Voice sender: {} connections, {} ticks in the last minute (avg {} us, max {} us), "
                            + "{} late, {} skipped in total",
                    n,
                    windowTicks,
                    windowTicks == 0 ? 0 : windowNanos / windowTicks / 1000,
                    windowMaxNanos / 1000,
                    windowLate,
                    skippedTicks);
        }
        lastReport = now;
        windowTicks = 0;
        windowLate = 0;
        windowNanos = 0;
        windowMaxNanos = 0;
    }

    /** {ticks, late ticks, skipped ticks, max tick duration ns, total tick duration ns} since start. */
    public long[] senderStats() {
        return new long[] {ticks, lateTicks, skippedTicks, maxTickNanos, totalTickNanos};
    }

    @PreDestroy
    public void shutdown() {
        running = false;
        for (VoiceConnection c : connections) {
            c.close();
        }
        Thread t = sender;
        if (t != null) {
            LockSupport.unpark(t);
        }
        gatewayScheduler.shutdown();
        // interrupting a discovery closes its channel, so a pending receive ends at once
        discoveryExecutor.shutdownNow();
    }
}
