package dev.lavametrics.plugin.frames;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sedmelluq.discord.lavaplayer.track.playback.AudioFrameBuffer;
import com.sedmelluq.discord.lavaplayer.track.playback.MutableAudioFrame;
import dev.lavametrics.plugin.support.FakeFrameBuffer;
import dev.lavametrics.plugin.support.TestMetrics;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * The per-frame path (counting wrapper, {@link FrameTally#pulled}, the frames collector's adders)
 * allocates nothing. Not timed: only the bytes the calling thread allocated are checked, which do
 * not depend on how fast or loaded the machine is. Cost in time is in docs/benchmarks.md.
 */
class FramePathAllocationTest {
    private static final int ITERATIONS = 200_000;
    private static final int CALLS_PER_ITERATION = 4;
    private static final int WARMUP_ROUNDS = 3;
    private static final long FRAME = 20_000_000L;

    /**
     * Total for all {@code ITERATIONS * CALLS_PER_ITERATION} (800,000) measured calls. The path
     * creates no objects, so the expected figure is 0; the slack is for one-off allocations the VM
     * may charge to this thread while it runs (deoptimization rematerializing objects, a compiled
     * method being swapped in). One 16-byte object (the smallest there is) per call would be
     * 12.8 MB, so the bound still catches any allocation per frame, or even per 64 frames.
     */
    private static final long MAX_BYTES = 16 * 1024;

    private final TestMetrics metrics = TestMetrics.allGroups();

    @Test
    void pullingFramesAllocatesNothing() {
        com.sun.management.ThreadMXBean threads = allocationCounter();
        AudioFrameBuffer playing = FakeFrameBuffer.counting(metrics.collectors.frames, FakeFrameBuffer.playing());
        AudioFrameBuffer starved = FakeFrameBuffer.counting(metrics.collectors.frames, FakeFrameBuffer.starved());
        MutableAudioFrame target = new MutableAudioFrame();
        target.setBuffer(ByteBuffer.allocate(4096));

        for (int round = 0; round < WARMUP_ROUNDS; round++) {
            pull(playing, starved, target);
        }
        double deficitBefore = metrics.value("lavametrics_frames_deficit_total");

        long before = threads.getCurrentThreadAllocatedBytes();
        long provided = pull(playing, starved, target);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertTrue(
                allocated < MAX_BYTES,
                "the per-frame path allocated " + allocated + " bytes over " + ITERATIONS * CALLS_PER_ITERATION
                        + " calls (bound " + MAX_BYTES + ")");
        // The measured loop really went through the counting path, all of it.
        assertEquals(2L * ITERATIONS, provided);
        long totalPerBuffer = 2L * ITERATIONS * (WARMUP_ROUNDS + 1);
        assertEquals(totalPerBuffer, metrics.value("lavametrics_frames_sent_total"));
        assertEquals(totalPerBuffer, metrics.value("lavametrics_frames_nulled_total"));
        assertTrue(
                metrics.value("lavametrics_frames_deficit_total") > deficitBefore,
                "the measured loop should also take the deficit branch");
    }

    /**
     * One measured unit of work: every pull kind through the wrapper, the clock a frame further on
     * each call. Each buffer is pulled every other frame, so the deficit branch runs too.
     *
     * @return how many pulls handed out a frame
     */
    private long pull(AudioFrameBuffer playing, AudioFrameBuffer starved, MutableAudioFrame target) {
        long provided = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            if (playing.provide(target)) { // sent
                provided++;
            }
            metrics.nanos.addAndGet(FRAME);
            if (starved.provide(target)) { // nulled
                provided++;
            }
            metrics.nanos.addAndGet(FRAME);
            if (playing.provide() != null) { // sent
                provided++;
            }
            metrics.nanos.addAndGet(FRAME);
            if (starved.provide() != null) { // nulled
                provided++;
            }
            metrics.nanos.addAndGet(FRAME);
        }
        return provided;
    }

    private static com.sun.management.ThreadMXBean allocationCounter() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        if (!(threads instanceof com.sun.management.ThreadMXBean)
                || !((com.sun.management.ThreadMXBean) threads).isThreadAllocatedMemorySupported()) {
            fail("this JVM (" + System.getProperty("java.vm.name") + ") cannot count per-thread allocation "
                    + "(com.sun.management.ThreadMXBean#getThreadAllocatedBytes); run the tests on HotSpot");
        }
        com.sun.management.ThreadMXBean counter = (com.sun.management.ThreadMXBean) threads;
        if (!counter.isThreadAllocatedMemoryEnabled()) {
            counter.setThreadAllocatedMemoryEnabled(true);
        }
        return counter;
    }
}
