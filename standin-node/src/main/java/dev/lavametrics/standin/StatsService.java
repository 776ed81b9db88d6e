package dev.lavametrics.standin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.springframework.stereotype.Component;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/** The numbers of Lavalink's {@code /v4/stats}, websocket {@code stats} op and core gauges. */
@Component
public class StatsService {
    private final ObjectMapper mapper;
    private volatile SocketServer socketServer;

    public StatsService(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    void setSocketServer(SocketServer server) {
        this.socketServer = server;
    }

    public long players() {
        long n = 0;
        SocketServer s = socketServer;
        if (s != null) {
            for (SocketContextImpl c : s.contexts()) {
                n += c.players().size();
            }
        }
        return n;
    }

    public long playingPlayers() {
        long n = 0;
        SocketServer s = socketServer;
        if (s != null) {
            for (SocketContextImpl c : s.contexts()) {
                n += c.playingPlayerCount();
            }
        }
        return n;
    }

    public long uptimeMillis() {
        return ManagementFactory.getRuntimeMXBean().getUptime();
    }

    public double systemLoad() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            double v = sun.getCpuLoad();
            return v < 0 ? 0 : v;
        }
        return 0;
    }

    public double processLoad() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            double v = sun.getProcessCpuLoad();
            return v < 0 ? 0 : v;
        }
        return 0;
    }

    /** {players, playingPlayers, uptime, memory, cpu, frameStats}; frameStats is always null (no frames are sent). */
    public ObjectNode statsJson() {
        Runtime rt = Runtime.getRuntime();
        ObjectNode out = mapper.createObjectNode();
        out.put("players", players());
        out.put("playingPlayers", playingPlayers());
        out.put("uptime", uptimeMillis());
        ObjectNode mem = out.putObject("memory");
        long free = rt.freeMemory();
        long allocated = rt.totalMemory();
        mem.put("free", free);
        mem.put("used", allocated - free);
        mem.put("allocated", allocated);
        mem.put("reservable", rt.maxMemory());
        ObjectNode cpu = out.putObject("cpu");
        cpu.put("cores", rt.availableProcessors());
        cpu.put("systemLoad", systemLoad());
        cpu.put("lavalinkLoad", processLoad());
        out.putNull("frameStats");
        return out;
    }
}
