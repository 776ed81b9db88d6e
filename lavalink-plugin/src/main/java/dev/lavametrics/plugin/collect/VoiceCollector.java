package dev.lavametrics.plugin.collect;

import com.sedmelluq.discord.lavaplayer.player.AudioPlayer;
import com.sedmelluq.discord.lavaplayer.track.AudioTrack;
import com.sedmelluq.discord.lavaplayer.track.InternalAudioTrack;
import com.sedmelluq.discord.lavaplayer.track.playback.LocalAudioTrackExecutor;
import dev.arbjerg.lavalink.api.IPlayer;
import dev.arbjerg.lavalink.api.ISocketContext;
import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.Group;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/** Voice state and connect times; a close code's series appears with its first close. */
public final class VoiceCollector extends GroupCollector {
    /**
     * Connected players, each with the last ping observed. Players report every 1-5 s, the ping
     * changes only per voice heartbeat (~41 s on Discord): observing every report would weigh the
     * histogram by the update rate, so a ping is observed only when it changes. By session, then
     * guild: a scrape looks each session up once and its players by the guild ids its own map
     * already holds, where a map keyed by {@link PlayerKey} made it build a key per player.
     */
    private final Map<String, Map<Long, Long>> connected = new ConcurrentHashMap<>();

    private final HistogramArray ping;
    private final CounterArray closes = new CounterArray(Catalog.VOICE_CLOSES);
    private final LiveSessions sessions;

    // --- voice connects (issue 22, item 3) ---
    private final HistogramArray connect;
    /** Each player's stopwatch, kept (and reused) from its first voice update until it is destroyed. */
    private final Map<PlayerKey, VoiceClock> clocks = new ConcurrentHashMap<>();

    private final LongSupplier nanoClock;

    public VoiceCollector(
            CollectorHealth health,
            List<Double> pingBuckets,
            List<Double> connectBuckets,
            LiveSessions sessions,
            LongSupplier nanoClock) {
        super(Group.VOICE, health);
        ping = new HistogramArray(Catalog.VOICE_PING, pingBuckets);
        connect = new HistogramArray(Catalog.VOICE_CONNECT, connectBuckets);
        this.sessions = sessions;
        this.nanoClock = nanoClock;
    }

    /**
     * A player PATCH carried a voice state ({@code voiceState}: a digest of its fields, compared with the
     * last one) and Lavalink accepted it: the clock runs from the request's
     * arrival ({@code arrivedNanos}, on the collectors' clock) until the first
     * frame the player's voice connection pulls. With no track playing yet, it waits for the track
     * ({@link #trackStarted}); a frame cannot come before one.
     */
    public void voiceUpdated(PlayerKey key, long arrivedNanos, int voiceState) {
        VoiceClock clock = clocks.computeIfAbsent(key, k -> new VoiceClock(connect));
        if (clock.sameStateAsBefore(voiceState) && isConnected(key)) {
            // the same voice state again while connected: Lavalink keeps the open connection
            // (PlayerRestHandler connects only for a new endpoint, token or session, or a closed
            // gateway), so there is no connect to time; a bot resending its state is not a 20 ms connect
            return;
        }
        clock.start(arrivedNanos);
        IPlayer player = sessions.player(key);
        if (player != null) {
            stopAtFirstFrame(player.getAudioPlayer(), clock);
        }
    }

    /**
     * A track started on a player whose voice update has not seen a frame yet: the clock restarts
     * now (the later of the two), so the time a bot waits between joining and playing is not counted
     * as connecting, and the new track's buffer stops it.
     */
    public void trackStarted(PlayerKey key) {
        VoiceClock clock = clocks.get(key);
        if (clock == null || !clock.running()) {
            return;
        }
        clock.start(nanoClock.getAsLong());
        IPlayer player = sessions.player(key);
        if (player != null) {
            stopAtFirstFrame(player.getAudioPlayer(), clock);
        }
    }

    /** The playing track's buffer, when it is lavaplayer's local executor's and the frames hook wraps it. */
    private static void stopAtFirstFrame(AudioPlayer audioPlayer, VoiceClock clock) {
        AudioTrack track = audioPlayer == null ? null : audioPlayer.getPlayingTrack();
        if (track instanceof InternalAudioTrack internal
                && internal.getActiveExecutor() instanceof LocalAudioTrackExecutor executor
                && executor.getAudioBuffer() instanceof VoiceTimed timed) {
            timed.stopAtNextFrame(clock);
        }
    }
    // --- end voice connects ---

    /**
     * A player update. Lavalink reports ping -1 for a player without a voice connection; with one it is
     * Koe's gateway ping, which reads 0 until the first heartbeat ACK (one heartbeat interval after the
     * handshake) and keeps its last value after a close: that 0 is observed once per connection.
     */
    public void updated(PlayerKey player, boolean isConnected, long pingMillis) {
        if (isConnected) {
            Long previous = connected
                    .computeIfAbsent(player.sessionId(), session -> new ConcurrentHashMap<>())
                    .put(player.guildId(), pingMillis);
            if (pingMillis >= 0 && (previous == null || previous != pingMillis)) {
                ping.observe(pingMillis / 1000.0);
            }
        } else {
            disconnected(player);
        }
    }

    private boolean isConnected(PlayerKey player) {
        Map<Long, Long> guilds = connected.get(player.sessionId());
        return guilds != null && guilds.containsKey(player.guildId());
    }

    private void disconnected(PlayerKey player) {
        Map<Long, Long> guilds = connected.get(player.sessionId());
        if (guilds != null) {
            guilds.remove(player.guildId());
        }
    }

    public void closed(long code) {
        closes.inc(Catalog.CLOSE_CODE.indexOf(Long.toString(code)));
    }

    public void forget(PlayerKey player) {
        disconnected(player);
        VoiceClock clock = clocks.remove(player);
        if (clock != null) {
            clock.cancel();
        }
    }

    public void forgetSession(String sessionId) {
        connected.remove(sessionId);
        clocks.entrySet().removeIf(entry -> {
            boolean gone = entry.getKey().sessionId().equals(sessionId);
            if (gone) {
                entry.getValue().cancel();
            }
            return gone;
        });
    }

    /**
     * Counts only players the node still has. Lavalink (SocketContext.kt, destroyPlayer) calls
     * onDestroyPlayer before it stops the player, so a player update already on its way can arrive
     * after the player was forgotten and would otherwise leave a connected player that no longer exists.
     */
    @Override
    protected List<MetricFamilySamples> collectGroup() {
        int live = 0;
        if (!connected.isEmpty()) {
            for (ISocketContext session : sessions.all()) {
                Map<Long, Long> guilds = connected.get(session.getSessionId());
                if (guilds == null || guilds.isEmpty()) {
                    continue;
                }
                for (Long guild : session.getPlayers().keySet()) {
                    if (guilds.containsKey(guild)) {
                        live++;
                    }
                }
            }
        }
        return List.of(Gauges.of(Catalog.VOICE_CONNECTED, live), ping.samples(), closes.samples(), connect.samples());
    }
}
