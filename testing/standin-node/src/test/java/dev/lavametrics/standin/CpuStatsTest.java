package dev.lavametrics.standin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The stand-in's cpu numbers behave like a real node's: 0.0 at first, then one reading per 30 s. */
class CpuStatsTest {
    private final AtomicLong clock = new AtomicLong(1_000_000);
    private final AtomicLong cpuNanos = new AtomicLong(5_000_000_000L);
    private final CpuStats stats = new CpuStats(clock::get, cpuNanos::get, () -> 0.75, 4);

    /** The JVM spends {@code busyCores} cores for {@code millis}. */
    private void run(long millis, double busyCores) {
        clock.addAndGet(millis);
        cpuNanos.addAndGet((long) (millis * 1e6 * busyCores));
    }

    @Test
    void theFirstReadingIsZeroAndStaysForThirtySeconds() {
        CpuStats.Cpu first = stats.get();
        assertEquals(new CpuStats.Cpu(4, 0.0, 0.0), first);
        run(CpuStats.REFRESH_INTERVAL_MS, 2.0); // busy, yet the cached 0.0 is still served
        assertSame(first, stats.get());
    }

    @Test
    void aRefreshMeasuresTheCpuTimeSinceThePreviousOnePerCore() {
        stats.get();
        run(CpuStats.REFRESH_INTERVAL_MS + 1, 2.0); // 2 of 4 cores
        CpuStats.Cpu second = stats.get();
        assertEquals(0.5, second.lavalinkLoad(), 1e-3);
        assertEquals(0.75, second.systemLoad());
        run(10_000, 4.0); // all cores, but within the 30 s: the old reading
        assertSame(second, stats.get());
        run(CpuStats.REFRESH_INTERVAL_MS, 0.0); // then idle: 40 s since the last refresh, 10 of them at 4 cores
        assertEquals(0.25, stats.get().lavalinkLoad(), 1e-9);
    }

    @Test
    void aLoadIsKeptBetweenZeroAndOne() {
        stats.get();
        run(CpuStats.REFRESH_INTERVAL_MS + 1, 9.0); // more cores than there are (a clock step)
        assertEquals(1.0, stats.get().lavalinkLoad());
    }
}
