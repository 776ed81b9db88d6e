package dev.lavametrics.standin;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * The {@code cpu} numbers as a real Lavalink 4 node gives them (measured on 4.1.2 and 4.2.2): one reading,
 * refreshed on demand at most every {@value #REFRESH_INTERVAL_MS} ms and shared by {@code /v4/stats}, the
 * websocket {@code stats} op and the {@code lavalink_cpu_*} gauges. The node's own load is its CPU time
 * between two refreshes over the wall time between them, per core; the first refresh has nothing to measure
 * from, so both loads read 0.0 until the second one, 30 s or more later. A client that samples every second
 * sees a number up to 30 s old, and 0.0 through the first half minute after its first request.
 */
public final class CpuStats {
    public static final long REFRESH_INTERVAL_MS = 30_000;

    public record Cpu(int cores, double systemLoad, double lavalinkLoad) {}

    private final LongSupplier clockMillis;
    private final LongSupplier processCpuNanos;
    private final DoubleSupplier systemLoad;
    private final int cores;

    private Cpu cached;
    private long cachedAt;
    private boolean hasBaseline;
    private long baselineAt;
    private long baselineCpuNanos;

    CpuStats(LongSupplier clockMillis, LongSupplier processCpuNanos, DoubleSupplier systemLoad, int cores) {
        this.clockMillis = clockMillis;
        this.processCpuNanos = processCpuNanos;
        this.systemLoad = systemLoad;
        this.cores = cores;
    }

    /** This JVM's readings. */
    static CpuStats ofThisJvm() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        com.sun.management.OperatingSystemMXBean sun =
                os instanceof com.sun.management.OperatingSystemMXBean s ? s : null;
        return new CpuStats(
                System::currentTimeMillis,
                () -> sun == null ? 0 : Math.max(0, sun.getProcessCpuTime()),
                // a negative value means "no reading yet"
                () -> sun == null ? 0 : Math.max(0, sun.getCpuLoad()),
                Runtime.getRuntime().availableProcessors());
    }

    public synchronized Cpu get() {
        long now = clockMillis.getAsLong();
        if (cached != null && now - cachedAt <= REFRESH_INTERVAL_MS) {
            return cached;
        }
        long cpuNanos = processCpuNanos.getAsLong();
        double process = 0;
        double system = 0;
        if (hasBaseline && now > baselineAt) {
            process = (cpuNanos - baselineCpuNanos) / 1e6 / (now - baselineAt) / cores;
            system = systemLoad.getAsDouble();
        }
        hasBaseline = true;
        baselineAt = now;
        baselineCpuNanos = cpuNanos;
        cached = new Cpu(cores, clamp(system), clamp(process));
        cachedAt = now;
        return cached;
    }

    private static double clamp(double v) {
        return Double.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
    }
}
