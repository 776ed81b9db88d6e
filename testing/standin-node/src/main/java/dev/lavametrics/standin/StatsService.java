package dev.lavametrics.standin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lavametrics.standin.voice.FrameCounter;
import dev.lavametrics.standin.voice.VoiceConnection;
import java.lang.management.ManagementFactory;
import java.util.function.ToLongFunction;
import org.springframework.stereotype.Component;

/** The numbers of Lavalink's {@code /v4/stats}, websocket {@code stats} op and core gauges. */
@Component
public class StatsService {
    private final ObjectMapper mapper;
    private volatile SocketServer socketServer;
    // cached 30 s like a real node's (CpuStats): loadtest and the benchmarks read the JVM from /proc instead
    private final CpuStats cpu = CpuStats.ofThisJvm();

    public StatsService(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    void setSocketServer(SocketServer server) {
        this.socketServer = server;
    }

    public long players() {
        return sumOverSessions(c -> c.players().size());
    }

    public long playingPlayers() {
        return sumOverSessions(SocketContextImpl::playingPlayerCount);
    }

    private long sumOverSessions(ToLongFunction<SocketContextImpl> count) {
        long n = 0;
        SocketServer s = socketServer;
        if (s != null) {
            for (SocketContextImpl c : s.contexts()) {
                n += count.applyAsLong(c);
            }
        }
        return n;
    }

    /** The memory numbers of both {@code /v4/stats} and the {@code lavalink_memory_*} gauges, from one reading. */
    public record Memory(long free, long used, long allocated, long reservable) {}

    public static Memory memory() {
        Runtime rt = Runtime.getRuntime();
        long free = rt.freeMemory();
        long allocated = rt.totalMemory();
        return new Memory(free, allocated - free, allocated, rt.maxMemory());
    }

    public static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    public long uptimeMillis() {
        return ManagementFactory.getRuntimeMXBean().getUptime();
    }

    public double systemLoad() {
        return cpu.get().systemLoad();
    }

    public double processLoad() {
        return cpu.get().lavalinkLoad();
    }

    /**
     * Lavalink's frameStats of one session (StatsCollector.kt, {@code retrieveStats(context)}): over its
     * players that are connected and whose last complete minute was covered by continuous playback, the
     * average frames sent and nulled in that minute and the average deficit (3000 expected minus both).
     * Null when no player qualifies.
     */
    ObjectNode frameStatsJson(SocketContextImpl context) {
        long now = System.currentTimeMillis();
        long players = 0;
        long sent = 0;
        long nulled = 0;
        for (PlayerImpl p : context.players().values()) {
            VoiceConnection v = p.getVoiceConnection();
            FrameCounter fc = p.getFrameCounter();
            if (v == null || !v.isConnected() || !fc.usable(now)) {
                continue;
            }
            players++;
            sent += fc.lastMinuteSent();
            nulled += fc.lastMinuteNulled();
        }
        if (players == 0) {
            return null;
        }
        long deficit = players * FrameCounter.EXPECTED_PER_MINUTE - (sent + nulled);
        ObjectNode out = mapper.createObjectNode();
        out.put("sent", sent / players);
        out.put("nulled", nulled / players);
        out.put("deficit", deficit / players);
        return out;
    }

    /** {@code /v4/stats}: frameStats is always null there, Lavalink computes it only for a session. */
    public ObjectNode statsJson() {
        return statsJson(null);
    }

    /**
     * The stats of the {@code stats} op of {@code context}, or of /v4/stats when null:
     * {frameStats (null when no player qualifies), players, playingPlayers, uptime, memory, cpu}. The key
     * is there even when null, in both (measured on 4.1.2; StatsEvent's frameStats has no default).
     */
    public ObjectNode statsJson(SocketContextImpl context) {
        ObjectNode out = mapper.createObjectNode();
        ObjectNode frames = context == null ? null : frameStatsJson(context);
        if (frames == null) {
            out.putNull("frameStats");
        } else {
            out.set("frameStats", frames);
        }
        out.put("players", players());
        out.put("playingPlayers", playingPlayers());
        out.put("uptime", uptimeMillis());
        Memory m = memory();
        ObjectNode mem = out.putObject("memory");
        mem.put("free", m.free());
        mem.put("used", m.used());
        mem.put("allocated", m.allocated());
        mem.put("reservable", m.reservable());
        CpuStats.Cpu c = cpu.get();
        ObjectNode cpuJson = out.putObject("cpu");
        cpuJson.put("cores", c.cores());
        cpuJson.put("systemLoad", c.systemLoad());
        cpuJson.put("lavalinkLoad", c.lavalinkLoad());
        return out;
    }
}
