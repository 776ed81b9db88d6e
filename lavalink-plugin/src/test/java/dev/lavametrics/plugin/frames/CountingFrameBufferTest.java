package dev.lavametrics.plugin.frames;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sedmelluq.discord.lavaplayer.format.StandardAudioDataFormats;
import com.sedmelluq.discord.lavaplayer.player.AudioConfiguration;
import com.sedmelluq.discord.lavaplayer.track.playback.AudioFrameBuffer;
import com.sedmelluq.discord.lavaplayer.track.playback.ImmutableAudioFrame;
import com.sedmelluq.discord.lavaplayer.track.playback.MutableAudioFrame;
import dev.lavametrics.plugin.support.FakeFrameBuffer;
import dev.lavametrics.plugin.support.TestMetrics;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class CountingFrameBufferTest {
    private static final long FRAME = 20_000_000L;
    private final TestMetrics metrics = TestMetrics.allGroups();

    private AudioFrameBuffer buffer() {
        return buffer(new AtomicBoolean());
    }

    /** @param stopping lavaplayer's per-track flag, set when the track is stopped, replaced or cleaned up */
    private AudioFrameBuffer buffer(AtomicBoolean stopping) {
        AudioConfiguration configuration = new AudioConfiguration();
        FrameCountingConfiguration hook = new FrameCountingConfiguration(metrics.collectors.frames);
        var manager = FakeFrameBuffer.managerOf(configuration);
        hook.configure(manager);
        hook.configure(manager);
        return configuration.getFrameBufferFactory().create(400, StandardAudioDataFormats.DISCORD_OPUS, stopping);
    }

    private static void fill(AudioFrameBuffer buffer, int frames) throws InterruptedException {
        for (int i = 0; i < frames; i++) {
            buffer.consume(
                    new ImmutableAudioFrame(i * 20L, new byte[] {1, 2, 3}, 100, StandardAudioDataFormats.DISCORD_OPUS));
        }
    }

    @Test
    void countsSentNulledAndDeficit() throws Exception {
        AudioFrameBuffer buffer = buffer();
        assertSame(CountingFrameBuffer.class, buffer.getClass());
        fill(buffer, 3);
        MutableAudioFrame target = new MutableAudioFrame();
        target.setBuffer(ByteBuffer.allocate(4096));
        buffer.provide(target);
        metrics.nanos.addAndGet(FRAME);
        buffer.provide();
        metrics.nanos.addAndGet(5 * FRAME); // four pulls missed
        buffer.provide();
        metrics.nanos.addAndGet(FRAME);
        buffer.provide(); // empty: nulled
        metrics.nanos.addAndGet(10 * FRAME * 10); // 2 s: a pause, not a deficit
        buffer.provide();

        assertEquals(3, metrics.value("lavametrics_frames_sent_total"));
        assertEquals(2, metrics.value("lavametrics_frames_nulled_total"));
        assertEquals(4, metrics.value("lavametrics_frames_deficit_total"));

        buffer.setTerminateOnEmpty();
        buffer.provide();
        assertEquals(1, metrics.value("lavametrics_player_frame_loss_ratio_count"));
        assertEquals(6.0 / 9.0, metrics.value("lavametrics_player_frame_loss_ratio_sum"), 1e-9);
    }

    @Test
    void aFinishedTrackKeepsItsCountsExactlyOnce() throws Exception {
        AudioFrameBuffer first = buffer();
        AudioFrameBuffer second = buffer();
        fill(first, 2);
        fill(second, 1);
        first.provide();
        first.provide();
        first.provide(); // nulled
        second.provide();
        assertEquals(3, metrics.value("lavametrics_frames_sent_total")); // both live: read from the tallies
        assertEquals(1, metrics.value("lavametrics_frames_nulled_total"));

        first.setTerminateOnEmpty();
        first.provide(); // the terminator: first's counts move into the collector
        assertEquals(3, metrics.value("lavametrics_frames_sent_total"));
        assertEquals(1, metrics.value("lavametrics_frames_nulled_total"));
        second.provide(); // nulled, on the track still live
        assertEquals(2, metrics.value("lavametrics_frames_nulled_total"));
    }

    @Test
    void countersNeverGoDownWhileTracksPlayAndFinish() throws Exception {
        // Audio threads count and finish tracks while a scrape reads: every read must be at least
        // the one before, and the end total exact.
        int tracks = 40;
        int rounds = 50;
        int framesPerRound = 10;
        Thread[] audio = new Thread[2];
        for (int t = 0; t < audio.length; t++) {
            audio[t] = new Thread(() -> {
                MutableAudioFrame target = new MutableAudioFrame();
                target.setBuffer(ByteBuffer.allocate(64));
                try {
                    for (int k = 0; k < tracks / audio.length; k++) {
                        AudioFrameBuffer buffer = buffer();
                        for (int r = 0; r < rounds; r++) {
                            fill(buffer, framesPerRound);
                            for (int i = 0; i < framesPerRound; i++) {
                                buffer.provide(target);
                            }
                        }
                        buffer.setTerminateOnEmpty();
                        buffer.provide(target); // the terminator: the track leaves
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            audio[t].start();
        }
        double last = 0;
        while (audio[0].isAlive() || audio[1].isAlive()) {
            double now = metrics.value("lavametrics_frames_sent_total");
            assertTrue(now >= last, "frames sent went down: " + last + " -> " + now);
            last = now;
        }
        for (Thread thread : audio) {
            thread.join();
        }
        assertEquals((double) tracks * rounds * framesPerRound, metrics.value("lavametrics_frames_sent_total"));
        assertEquals(tracks, metrics.value("lavametrics_player_frame_loss_ratio_count"));
    }

    @Test
    void burstsAreNotADeficit() throws Exception {
        AudioFrameBuffer buffer = buffer();
        fill(buffer, 20);
        for (int burst = 0; burst < 2; burst++) {
            for (int i = 0; i < 10; i++) {
                buffer.provide();
            }
            metrics.nanos.addAndGet(10 * FRAME);
        }
        assertEquals(20, metrics.value("lavametrics_frames_sent_total"));
        assertEquals(0, metrics.value("lavametrics_frames_deficit_total"));
    }

    @Test
    void abandonedBuffersFinishAtScrape() throws Exception {
        AtomicBoolean stopped = new AtomicBoolean();
        AudioFrameBuffer buffer = buffer(stopped);
        fill(buffer, 1);
        buffer.provide();
        buffer(stopped); // never pulled: dropped without an observation
        stopped.set(true); // lavaplayer's executor.stop(): stopped, replaced or cleaned up
        metrics.nanos.addAndGet(61_000_000_000L);
        metrics.exposition();
        assertEquals(1, metrics.value("lavametrics_player_frame_loss_ratio_count"));
        assertEquals(0, metrics.value("lavametrics_player_frame_loss_ratio_sum"));
    }

    @Test
    void aPausedTrackIsNotFinishedByTheIdleSweep() throws Exception {
        AudioFrameBuffer buffer = buffer(new AtomicBoolean(false));
        fill(buffer, 2);
        buffer.provide();
        metrics.nanos.addAndGet(120_000_000_000L); // paused for two minutes, track still alive
        metrics.exposition();
        assertEquals(0, metrics.value("lavametrics_player_frame_loss_ratio_count"));

        buffer.provide(); // resumed: the rest of the track still counts
        metrics.nanos.addAndGet(FRAME);
        buffer.provide(); // nulled
        buffer.setTerminateOnEmpty();
        buffer.provide();
        assertEquals(1, metrics.value("lavametrics_player_frame_loss_ratio_count"));
        assertEquals(1.0 / 3.0, metrics.value("lavametrics_player_frame_loss_ratio_sum"), 1e-9);
    }

    @Test
    void aDroppedBufferIsCollectableAndItsTrackStillObserved() throws Exception {
        WeakReference<AudioFrameBuffer> dropped = new WeakReference<>(pulledOnce());
        for (int i = 0; i < 100 && dropped.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertNull(dropped.get(), "the tracking set keeps lavaplayer's buffer (and its frames) alive");
        metrics.nanos.addAndGet(61_000_000_000L);
        metrics.exposition();
        assertEquals(1, metrics.value("lavametrics_player_frame_loss_ratio_count"));
    }

    private AudioFrameBuffer pulledOnce() throws Exception {
        AudioFrameBuffer buffer = buffer();
        fill(buffer, 3);
        buffer.provide();
        return buffer;
    }
}
