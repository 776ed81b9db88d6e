package dev.lavametrics.standin.voice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sedmelluq.discord.lavaplayer.track.playback.MutableAudioFrame;
import dev.lavametrics.standin.support.ToneWav;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Load check of the shared sender: N connections (default 200) fed synthetic 120-byte Opus frames for
 * a few seconds into one UDP sink. Not part of the normal build:
 * {@code mvn -pl testing/standin-node test -Dtest=VoiceSenderLoadTest -Dstandin.voice.loadTest=true}.
 */
@EnabledIfSystemProperty(named = "standin.voice.loadTest", matches = "true")
class VoiceSenderLoadTest {
    @Test
    void manyConnectionsKeepTheCadence() throws Exception {
        System.setProperty(VoiceManager.INSECURE_PROPERTY, "true");
        int n = Integer.getInteger("standin.voice.loadTest.players", 200);
        int seconds = Integer.getInteger("standin.voice.loadTest.seconds", 10);
        VoiceManager manager = new VoiceManager(new ObjectMapper());
        try (FakeVoiceServer server = new FakeVoiceServer()) {
            server.heartbeatInterval = 5000;
            byte[] frameData = new byte[120];
            VoiceConnection.AudioSource source = new VoiceConnection.AudioSource() {
                @Override
                public boolean provide(MutableAudioFrame frame) {
                    frame.store(frameData, 0, frameData.length);
                    return true;
                }

                @Override
                public boolean isActive() {
                    return true;
                }
            };
            List<VoiceConnection> conns = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                conns.add(manager.connect(
                        new VoiceServerInfo(1000 + i, 1, "s", "t", server.endpoint()),
                        source,
                        (c, code, reason, byRemote) -> {}));
            }
            long deadline = System.currentTimeMillis() + 20_000;
            while (conns.stream().anyMatch(c -> !c.isReady()) && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(conns.stream().allMatch(VoiceConnection::isReady), "all ready");
            server.packets.clear();
            long[] before = manager.senderStats();
            long t0 = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            long[] after = manager.senderStats();
            double elapsed = (System.nanoTime() - t0) / 1e9;
            List<FakeVoiceServer.Datagram> got = new ArrayList<>();
            server.packets.drainTo(got);
            // per connection (ssrc): packet count and the largest gap between consecutive arrivals
            Map<Integer, long[]> bySsrc = new HashMap<>(); // {count, lastNanos, maxGapNanos}
            for (FakeVoiceServer.Datagram d : got) {
                byte[] p = d.data();
                int ssrc = (p[8] & 0xff) << 24 | (p[9] & 0xff) << 16 | (p[10] & 0xff) << 8 | (p[11] & 0xff);
                long[] st = bySsrc.computeIfAbsent(ssrc, k -> new long[] {0, d.nanos(), 0});
                st[0]++;
                st[2] = Math.max(st[2], d.nanos() - st[1]);
                st[1] = d.nanos();
            }
            long minCount = bySsrc.values().stream().mapToLong(a -> a[0]).min().orElse(0);
            double maxGapMs =
                    bySsrc.values().stream().mapToLong(a -> a[2]).max().orElse(0) / 1e6;
            long ticks = after[0] - before[0];
            double expected = n * 50.0 * elapsed;
            System.out.printf(
                    "LOAD: %d connections, %.2f s, %d packets received (%.1f%% of %d expected), "
                            + "%d ticks (%.1f/s), late %d, skipped %d, avg tick %.3f ms, max tick %.2f ms; "
                            + "%d ssrcs, min %d packets each, max gap %.1f ms%n",
                    n,
                    elapsed,
                    got.size(),
                    100.0 * got.size() / expected,
                    (long) expected,
                    ticks,
                    ticks / elapsed,
                    after[1] - before[1],
                    after[2] - before[2],
                    (after[4] - before[4]) / 1e6 / ticks,
                    after[3] / 1e6,
                    bySsrc.size(),
                    minCount,
                    maxGapMs);
            assertEquals(n, bySsrc.size());
            assertTrue(ticks >= 49 * elapsed, "ticks " + ticks);
            assertEquals(0, after[2] - before[2], "skipped ticks");
            assertTrue(got.size() >= expected * 0.97, "received " + got.size());
            conns.forEach(VoiceConnection::close);
        } finally {
            manager.shutdown();
        }
    }

    /** Same with real lavaplayer players decoding a local WAV (PCM -> Opus encoding is the real cost). */
    @Test
    void realLavaplayerPlayers() throws Exception {
        System.setProperty(VoiceManager.INSECURE_PROPERTY, "true");
        int n = Integer.getInteger("standin.voice.loadTest.players", 200);
        int seconds = Integer.getInteger("standin.voice.loadTest.seconds", 10);
        java.nio.file.Path wav = ToneWav.write(java.nio.file.Files.createTempFile("load", ".wav"), seconds + 5);
        var apm = new com.sedmelluq.discord.lavaplayer.player.DefaultAudioPlayerManager();
        apm.registerSourceManager(new com.sedmelluq.discord.lavaplayer.source.local.LocalAudioSourceManager());
        var track = (com.sedmelluq.discord.lavaplayer.track.AudioTrack)
                apm.loadItemSync(new com.sedmelluq.discord.lavaplayer.track.AudioReference(wav.toString(), null));
        VoiceManager manager = new VoiceManager(new ObjectMapper());
        java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong nulled = new java.util.concurrent.atomic.AtomicLong();
        try (FakeVoiceServer server = new FakeVoiceServer()) {
            server.heartbeatInterval = 5000;
            List<VoiceConnection> conns = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                var player = apm.createPlayer();
                player.playTrack(track.makeClone());
                conns.add(manager.connect(
                        new VoiceServerInfo(1000 + i, 1, "s", "t", server.endpoint()),
                        new VoiceConnection.AudioSource() {
                            @Override
                            public boolean provide(MutableAudioFrame frame) {
                                boolean ok = player.provide(frame);
                                (ok ? sent : nulled).incrementAndGet();
                                return ok;
                            }

                            @Override
                            public boolean isActive() {
                                return player.getPlayingTrack() != null;
                            }
                        },
                        (c, code, reason, byRemote) -> {}));
            }
            long deadline = System.currentTimeMillis() + 20_000;
            while (conns.stream().anyMatch(c -> !c.isReady()) && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            Thread.sleep(2000);
            server.packets.clear();
            sent.set(0);
            nulled.set(0);
            long[] before = manager.senderStats();
            long t0 = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            long[] after = manager.senderStats();
            double elapsed = (System.nanoTime() - t0) / 1e9;
            long ticks = after[0] - before[0];
            System.out.printf(
                    "LOAD-REAL: %d lavaplayer players, %.2f s, %d packets (%.1f%% of expected), "
                            + "provided %d, nulled %d, ticks %.1f/s, late %d, skipped %d, avg tick %.3f ms, max %.2f ms%n",
                    n,
                    elapsed,
                    server.packets.size(),
                    100.0 * server.packets.size() / (n * 50.0 * elapsed),
                    sent.get(),
                    nulled.get(),
                    ticks / elapsed,
                    after[1] - before[1],
                    after[2] - before[2],
                    (after[4] - before[4]) / 1e6 / ticks,
                    after[3] / 1e6);
            conns.forEach(VoiceConnection::close);
        } finally {
            manager.shutdown();
            apm.shutdown();
            java.nio.file.Files.deleteIfExists(wav);
        }
    }
}
