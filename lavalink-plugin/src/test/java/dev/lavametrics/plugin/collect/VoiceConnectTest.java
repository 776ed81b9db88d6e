package dev.lavametrics.plugin.collect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sedmelluq.discord.lavaplayer.format.StandardAudioDataFormats;
import com.sedmelluq.discord.lavaplayer.player.AudioConfiguration;
import com.sedmelluq.discord.lavaplayer.player.AudioPlayerOptions;
import com.sedmelluq.discord.lavaplayer.track.AudioTrack;
import com.sedmelluq.discord.lavaplayer.track.InternalAudioTrack;
import com.sedmelluq.discord.lavaplayer.track.playback.AudioFrameBuffer;
import com.sedmelluq.discord.lavaplayer.track.playback.LocalAudioTrackExecutor;
import com.sedmelluq.discord.lavaplayer.track.playback.MutableAudioFrame;
import dev.lavametrics.plugin.frames.FrameCountingConfiguration;
import dev.lavametrics.plugin.support.FakeFrameBuffer;
import dev.lavametrics.plugin.support.FakePlayer;
import dev.lavametrics.plugin.support.TestMetrics;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The voice-connect histogram through the path a node takes: a player's playing track is an
 * {@link InternalAudioTrack} whose {@link LocalAudioTrackExecutor} got its buffer from the player
 * manager's factory, which the frames hook wrapped; the clock stops at the first frame pulled.
 */
class VoiceConnectTest {
    private static final String NAME = "lavametrics_voice_connect_seconds";
    private static final long MS = 1_000_000L;

    private final TestMetrics metrics = TestMetrics.allGroups();
    private final FakePlayer player = metrics.server.open("s1").player(7);
    private final PlayerKey key = new PlayerKey("s1", 7);
    private final MutableAudioFrame target = new MutableAudioFrame();

    VoiceConnectTest() {
        target.setBuffer(ByteBuffer.allocate(4096));
    }

    /** A track as lavaplayer plays it: the executor's buffer comes from the (wrapped) factory. */
    private AudioFrameBuffer play(FakeFrameBuffer delegate) {
        AudioConfiguration configuration = new AudioConfiguration();
        configuration.setFrameBufferFactory((duration, format, stopping) -> delegate);
        new FrameCountingConfiguration(metrics.collectors.frames).configure(FakeFrameBuffer.managerOf(configuration));
        AtomicReference<LocalAudioTrackExecutor> executor = new AtomicReference<>();
        AudioTrack track = (AudioTrack) Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {InternalAudioTrack.class},
                (proxy, method, args) -> method.getName().equals("getActiveExecutor") ? executor.get() : null);
        executor.set(new LocalAudioTrackExecutor(
                (InternalAudioTrack) track, configuration, new AudioPlayerOptions(), false, 400));
        player.playingTrack = track;
        return executor.get().getAudioBuffer();
    }

    @Test
    void existsEmptyBeforeAnyConnect() {
        assertEquals(0, metrics.value(NAME + "_count"));
        assertEquals(0, metrics.value(NAME + "_bucket", "le", "+Inf"));
    }

    @Test
    void timedFromTheVoiceUpdateToTheFirstFrameSent() {
        FakeFrameBuffer delegate = FakeFrameBuffer.starved();
        AudioFrameBuffer buffer = play(delegate);
        metrics.collectors.voice.voiceUpdated(key, metrics.nanos.get(), 1);
        metrics.nanos.addAndGet(700 * MS);
        buffer.provide(target); // connected, but the track has nothing buffered yet: not a frame sent
        assertEquals(0, metrics.value(NAME + "_count"));
        metrics.nanos.addAndGet(600 * MS);
        delegate.providing(true);
        buffer.provide(target);
        buffer.provide(target); // later frames do not observe again
        assertEquals(1, metrics.value(NAME + "_count"));
        assertEquals(1.3, metrics.value(NAME + "_sum"), 1e-9);
        assertEquals(0, metrics.value(NAME + "_bucket", "le", "1.0"));
        assertEquals(1, metrics.value(NAME + "_bucket", "le", "2.5"));
    }

    @Test
    void aVoiceUpdateBeforeTheTrackIsTimedFromTheTrackStart() {
        metrics.collectors.voice.voiceUpdated(key, metrics.nanos.get(), 1);
        metrics.nanos.addAndGet(60_000 * MS); // the bot joined a minute before anyone played
        AudioFrameBuffer buffer = play(FakeFrameBuffer.playing());
        metrics.collectors.voice.trackStarted(key);
        metrics.nanos.addAndGet(300 * MS);
        buffer.provide(target);
        assertEquals(1, metrics.value(NAME + "_count"));
        assertEquals(0.3, metrics.value(NAME + "_sum"), 1e-9);
    }

    @Test
    void aTrackStartWithoutAPendingVoiceUpdateIsNotAConnect() {
        AudioFrameBuffer buffer = play(FakeFrameBuffer.playing());
        metrics.collectors.voice.trackStarted(key);
        buffer.provide(target);
        assertEquals(0, metrics.value(NAME + "_count"));
        // and after one connect was observed, the next track is not another connect
        metrics.collectors.voice.voiceUpdated(key, metrics.nanos.get(), 1);
        buffer.provide(target);
        AudioFrameBuffer next = play(FakeFrameBuffer.playing());
        metrics.collectors.voice.trackStarted(key);
        next.provide(target);
        assertEquals(1, metrics.value(NAME + "_count"));
    }

    @Test
    void theSameVoiceStateAgainWhileConnectedIsNoConnect() {
        FakeFrameBuffer delegate = FakeFrameBuffer.playing();
        AudioFrameBuffer buffer = play(delegate);
        metrics.collectors.voice.voiceUpdated(key, metrics.nanos.get(), 42);
        metrics.nanos.addAndGet(800 * MS);
        buffer.provide(target);
        metrics.collectors.voice.updated(key, true, 0); // the node reports the gateway connected
        // the bot sends the same state again: Lavalink keeps the connection, frames keep flowing
        metrics.collectors.voice.voiceUpdated(key, metrics.nanos.get(), 42);
        buffer.provide(target);
        assertEquals(1, metrics.value(NAME + "_count"));
        // a new voice server (a region move) is a connect, and so is the same state after a close
        metrics.collectors.voice.voiceUpdated(key, metrics.nanos.get(), 43);
        metrics.nanos.addAndGet(500 * MS);
        buffer.provide(target);
        metrics.collectors.voice.updated(key, false, -1);
        metrics.collectors.voice.voiceUpdated(key, metrics.nanos.get(), 43);
        metrics.nanos.addAndGet(1500 * MS);
        buffer.provide(target);
        assertEquals(3, metrics.value(NAME + "_count"));
        assertEquals(0.8 + 0.5 + 1.5, metrics.value(NAME + "_sum"), 1e-9);
    }

    @Test
    void aDestroyedPlayerStopsItsClock() {
        FakeFrameBuffer delegate = FakeFrameBuffer.starved();
        AudioFrameBuffer buffer = play(delegate);
        metrics.collectors.voice.voiceUpdated(key, metrics.nanos.get(), 1);
        metrics.collectors.voice.forget(key);
        delegate.providing(true);
        buffer.provide(target);
        assertEquals(0, metrics.value(NAME + "_count"));
    }

    /**
     * The audio thread's share (a frame pulled while a clock waits on the buffer: one volatile read,
     * a compare-and-set and a histogram observation) allocates nothing, checked as
     * FramePathAllocationTest checks the counting path: bytes this thread allocated, not time.
     */
    @Test
    void stoppingTheClockOnTheAudioThreadAllocatesNothing() {
        AudioFrameBuffer buffer = play(FakeFrameBuffer.playing());
        VoiceTimed timed = (VoiceTimed) buffer;
        VoiceClock clock = new VoiceClock(new HistogramArray(
                dev.lavametrics.plugin.catalog.Catalog.VOICE_CONNECT,
                dev.lavametrics.plugin.catalog.Catalog.VOICE_CONNECT.buckets()));
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        int rounds = 100_000;
        for (int warm = 0; warm < 3; warm++) {
            connects(timed, clock, buffer, rounds);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        connects(timed, clock, buffer, rounds);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        // one 16-byte object per connect would be 1.6 MB: the bound catches any allocation per frame
        org.junit.jupiter.api.Assertions.assertTrue(
                allocated < 16 * 1024, "stopping voice clocks allocated " + allocated + " bytes");
    }

    private void connects(VoiceTimed timed, VoiceClock clock, AudioFrameBuffer buffer, int rounds) {
        for (int i = 0; i < rounds; i++) {
            clock.start(metrics.nanos.addAndGet(MS));
            timed.stopAtNextFrame(clock);
            metrics.nanos.addAndGet(20 * MS);
            buffer.provide(target);
            buffer.provide(target);
        }
    }

    @Test
    void aPlayerTheNodeNoLongerHasIsIgnored() {
        metrics.collectors.voice.voiceUpdated(new PlayerKey("gone", 1), metrics.nanos.get(), 1);
        metrics.collectors.voice.trackStarted(new PlayerKey("gone", 1));
        assertEquals(0, metrics.value(NAME + "_count"));
        assertEquals(StandardAudioDataFormats.DISCORD_OPUS.channelCount, 2);
    }
}
