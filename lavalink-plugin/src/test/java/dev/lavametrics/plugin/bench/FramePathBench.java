package dev.lavametrics.plugin.bench;

import com.sedmelluq.discord.lavaplayer.track.playback.AudioFrameBuffer;
import com.sedmelluq.discord.lavaplayer.track.playback.MutableAudioFrame;
import dev.lavametrics.plugin.collect.CollectorHealth;
import dev.lavametrics.plugin.collect.FramesCollector;
import dev.lavametrics.plugin.collect.LiveSessions;
import dev.lavametrics.plugin.collect.MetricCollectors;
import dev.lavametrics.plugin.config.ConfigValidator;
import dev.lavametrics.plugin.support.FakeFrameBuffer;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;

/**
 * Cost of one frame pull through the plugin's counting wrapper against the bare buffer it wraps.
 * Not a test: run by hand, output recorded in docs/benchmarks.md ("Per-frame cost of frame
 * counting"). The wrapped buffer is a {@link FakeFrameBuffer} (no queue, a preallocated frame), so
 * the bare figure is just the call and the difference is what counting adds per frame. The frames
 * collector is the plugin's own, on the real {@code System::nanoTime} clock, as in the node.
 *
 * <p>Options: {@code --calls N} per round (default 5,000,000), {@code --warmup N} rounds (5),
 * {@code --rounds N} measured rounds (10).
 */
public final class FramePathBench {
    private static volatile long sink;

    private final int calls;
    private final int warmup;
    private final int rounds;
    private final com.sun.management.ThreadMXBean threads;

    private FramePathBench(int calls, int warmup, int rounds) {
        this.calls = calls;
        this.warmup = warmup;
        this.rounds = rounds;
        if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean mx)
                || !mx.isThreadAllocatedMemorySupported()) {
            throw new IllegalStateException("needs HotSpot's per-thread allocation counter");
        }
        mx.setThreadAllocatedMemoryEnabled(true);
        this.threads = mx;
    }

    public static void main(String[] args) throws Exception {
        int calls = 5_000_000;
        int warmup = 5;
        int rounds = 10;
        for (int i = 0; i + 1 < args.length; i += 2) {
            int value = Integer.parseInt(args[i + 1]);
            switch (args[i]) {
                case "--calls" -> calls = value;
                case "--warmup" -> warmup = value;
                case "--rounds" -> rounds = value;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        new FramePathBench(calls, warmup, rounds).run();
    }

    private static FramesCollector frames() {
        return new MetricCollectors(ConfigValidator.validate(Map.of()).config(), new CollectorHealth(),
                new LiveSessions(() -> null), System::nanoTime, "bench").frames;
    }

    private void run() throws Exception {
        System.out.printf(Locale.ROOT, "FramePathBench: %,d calls per round, %d warm-up + %d measured rounds%n",
                calls, warmup, rounds);
        System.out.printf(Locale.ROOT, "JVM: %s %s, %d CPUs, %s %s%n", System.getProperty("java.vm.name"),
                System.getProperty("java.vm.version"), Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"), System.getProperty("os.arch"));
        System.out.printf(Locale.ROOT, "%-58s %8s %7s %7s %7s %11s %11s%n",
                "", "ns/call", "sd", "min", "max", "bytes/call", "bytes total");

        FramesCollector frames = frames();
        MutableAudioFrame target = target();
        AudioFrameBuffer playing = FakeFrameBuffer.playing();
        AudioFrameBuffer starved = FakeFrameBuffer.starved();
        AudioFrameBuffer countedPlaying = FakeFrameBuffer.counting(frames, FakeFrameBuffer.playing());
        AudioFrameBuffer countedStarved = FakeFrameBuffer.counting(frames, FakeFrameBuffer.starved());

        // 1 thread: the variants interleaved round by round, so drift hits all of them alike.
        Result[] single = new Result[4];
        for (int i = 0; i < single.length; i++) {
            single[i] = new Result(rounds);
        }
        for (int round = -warmup; round < rounds; round++) {
            measure(single[0], round, () -> pullMutable(playing, target));
            measure(single[1], round, () -> pullMutable(countedPlaying, target));
            measure(single[2], round, () -> pullPlain(starved));
            measure(single[3], round, () -> pullPlain(countedStarved));
        }
        single[0].print("1 thread   provide(MutableAudioFrame) -> true  bare");
        single[1].print("1 thread   provide(MutableAudioFrame) -> true  counting");
        single[2].print("1 thread   provide() -> null (nulled)          bare");
        single[3].print("1 thread   provide() -> null (nulled)          counting");
        System.out.printf(Locale.ROOT, "counting overhead, 1 thread: %.1f ns (frame sent), %.1f ns (nulled)%n",
                single[1].mean() - single[0].mean(), single[3].mean() - single[2].mean());

        // The tally reads the clock once per pull; how much of the overhead that is on this machine.
        Result clock = new Result(rounds);
        for (int round = -warmup; round < rounds; round++) {
            measure(clock, round, this::readClock);
        }
        clock.print("1 thread   System.nanoTime() alone");

        // 2 threads, each on its own buffer, both counting into the one frames collector (as the
        // node's audio threads do), started together each round.
        Result[] bare = twoThreads(new AudioFrameBuffer[] {FakeFrameBuffer.playing(), FakeFrameBuffer.playing()});
        Result[] counted = twoThreads(new AudioFrameBuffer[] {
                FakeFrameBuffer.counting(frames, FakeFrameBuffer.playing()),
                FakeFrameBuffer.counting(frames, FakeFrameBuffer.playing())});
        for (int t = 0; t < 2; t++) {
            bare[t].print("2 threads  provide(MutableAudioFrame), thread " + t + "  bare");
            counted[t].print("2 threads  provide(MutableAudioFrame), thread " + t + "  counting");
        }
        System.out.printf(Locale.ROOT, "counting overhead, 2 threads: %.1f ns per call per thread%n",
                (counted[0].mean() + counted[1].mean() - bare[0].mean() - bare[1].mean()) / 2);
    }

    private Result[] twoThreads(AudioFrameBuffer[] buffers) throws Exception {
        Result[] results = {new Result(rounds), new Result(rounds)};
        CyclicBarrier start = new CyclicBarrier(2);
        Thread[] workers = new Thread[2];
        Throwable[] failure = new Throwable[2];
        for (int t = 0; t < 2; t++) {
            int index = t;
            workers[t] = new Thread(() -> {
                try {
                    MutableAudioFrame target = target();
                    for (int round = -warmup; round < rounds; round++) {
                        start.await();
                        measure(results[index], round, () -> pullMutable(buffers[index], target));
                    }
                } catch (Throwable e) {
                    failure[index] = e;
                }
            }, "bench-" + t);
            workers[t].start();
        }
        for (int t = 0; t < 2; t++) {
            workers[t].join();
            if (failure[t] != null) {
                throw new IllegalStateException(failure[t]);
            }
        }
        return results;
    }

    private static MutableAudioFrame target() {
        MutableAudioFrame target = new MutableAudioFrame();
        target.setBuffer(ByteBuffer.allocate(4096));
        return target;
    }

    private interface Loop {
        long run();
    }

    /** Times one round of {@code calls} pulls on the current thread; warm-up rounds (< 0) are dropped. */
    private void measure(Result result, int round, Loop loop) {
        long bytesBefore = threads.getCurrentThreadAllocatedBytes();
        long start = System.nanoTime();
        long provided = loop.run();
        long elapsed = System.nanoTime() - start;
        long bytes = threads.getCurrentThreadAllocatedBytes() - bytesBefore;
        sink += provided;
        if (round >= 0) {
            result.nanosPerCall[round] = (double) elapsed / calls;
            result.bytes += bytes;
            result.calls += calls;
        }
    }

    private long pullMutable(AudioFrameBuffer buffer, MutableAudioFrame target) {
        long provided = 0;
        for (int i = 0; i < calls; i++) {
            if (buffer.provide(target)) {
                provided++;
            }
        }
        return provided;
    }

    private long readClock() {
        long sum = 0;
        for (int i = 0; i < calls; i++) {
            sum += System.nanoTime();
        }
        return sum;
    }

    private long pullPlain(AudioFrameBuffer buffer) {
        long provided = 0;
        for (int i = 0; i < calls; i++) {
            if (buffer.provide() != null) {
                provided++;
            }
        }
        return provided;
    }

    private static final class Result {
        final double[] nanosPerCall;
        long bytes;
        long calls;

        Result(int rounds) {
            nanosPerCall = new double[rounds];
        }

        double mean() {
            double sum = 0;
            for (double value : nanosPerCall) {
                sum += value;
            }
            return sum / nanosPerCall.length;
        }

        void print(String label) {
            double mean = mean();
            double squares = 0;
            double min = Double.MAX_VALUE;
            double max = 0;
            for (double value : nanosPerCall) {
                squares += (value - mean) * (value - mean);
                min = Math.min(min, value);
                max = Math.max(max, value);
            }
            double sd = nanosPerCall.length > 1 ? Math.sqrt(squares / (nanosPerCall.length - 1)) : 0;
            System.out.printf(Locale.ROOT, "%-58s %8.2f %7.2f %7.2f %7.2f %11.4f %11d%n",
                    label, mean, sd, min, max, (double) bytes / calls, bytes);
        }
    }
}
