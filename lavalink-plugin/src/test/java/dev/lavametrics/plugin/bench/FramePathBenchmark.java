package dev.lavametrics.plugin.bench;

import com.sedmelluq.discord.lavaplayer.track.playback.AudioFrameBuffer;
import com.sedmelluq.discord.lavaplayer.track.playback.MutableAudioFrame;
import dev.lavametrics.plugin.collect.CollectorHealth;
import dev.lavametrics.plugin.collect.LiveSessions;
import dev.lavametrics.plugin.collect.MetricCollectors;
import dev.lavametrics.plugin.config.ConfigValidator;
import dev.lavametrics.plugin.support.FakeFrameBuffer;
import dev.lavametrics.plugin.support.FakeSocketServer;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The per-frame path: what a voice connection's pull of one 20 ms frame costs with the frames
 * group's counting wrapper, against the same pull on the bare buffer. The buffer is test
 * support (one preallocated frame, or nothing), so "bare" is only its own volatile read; the
 * clock is the real {@code System::nanoTime}. Run with {@code -prof gc}: the counting path
 * allocates nothing (also FramePathAllocationTest, which does not depend on timing).
 * {@code @Threads(2)} runs show two audio threads counting at once (each into its own track's
 * tally: nothing they write is shared).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class FramePathBenchmark {
    private AudioFrameBuffer bare;
    private AudioFrameBuffer counting;
    private AudioFrameBuffer countingStarved;
    private final MutableAudioFrame target = new MutableAudioFrame();

    /**
     * One collector set per benchmark trial, shared by all threads as the node's is, on the
     * real clock (TestMetrics' clock is a counter the tests move by hand).
     */
    @State(Scope.Benchmark)
    public static class Node {
        final MetricCollectors collectors = new MetricCollectors(
                ConfigValidator.validate(Map.of()).config(),
                new CollectorHealth(),
                new LiveSessions(FakeSocketServer::new),
                System::nanoTime,
                "bench");
    }

    @Setup
    public void setUp(Node node) {
        target.setBuffer(ByteBuffer.allocate(4096));
        bare = FakeFrameBuffer.playing();
        counting = FakeFrameBuffer.counting(node.collectors.frames, FakeFrameBuffer.playing());
        countingStarved = FakeFrameBuffer.counting(node.collectors.frames, FakeFrameBuffer.starved());
    }

    @Benchmark
    public boolean frameSentBare() {
        return bare.provide(target);
    }

    @Benchmark
    public boolean frameSentCounting() {
        return counting.provide(target);
    }

    @Benchmark
    public boolean frameNulledCounting() {
        return countingStarved.provide(target);
    }

    /** The clock read the counting path makes once per pull, for scale. */
    @Benchmark
    public long nanoTime() {
        return System.nanoTime();
    }
}
