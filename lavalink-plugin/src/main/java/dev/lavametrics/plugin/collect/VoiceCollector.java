package dev.lavametrics.plugin.collect;

import dev.arbjerg.lavalink.api.IPlayer;
import dev.arbjerg.lavalink.api.ISocketContext;
import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.Group;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Voice state; a close code's series appears with its first close. */
public final class VoiceCollector extends GroupCollector {
    /**
     * Connected players, each with the last ping observed. Players report every 1-5 s, the ping
     * changes only per voice heartbeat (~41 s on Discord): observing every report would weigh the
     * histogram by the update rate, so a ping is observed only when it changes.
     */
    private final Map<PlayerKey, Long> connected = new ConcurrentHashMap<>();

    private final HistogramArray ping;
    private final CounterArray closes = new CounterArray(Catalog.VOICE_CLOSES);
    private final LiveSessions sessions;

    public VoiceCollector(CollectorHealth health, List<Double> pingBuckets, LiveSessions sessions) {
        super(Group.VOICE, health);
        ping = new HistogramArray(Catalog.VOICE_PING, pingBuckets);
        this.sessions = sessions;
    }

    /**
     * A player update. Lavalink reports ping -1 for a player without a voice connection; with one it is
     * Koe's gateway ping, which reads 0 until the first heartbeat ACK (one heartbeat interval after the
     * handshake) and keeps its last value after a close: that 0 is observed once per connection.
     */
    public void updated(PlayerKey player, boolean isConnected, long pingMillis) {
        if (isConnected) {
            Long previous = connected.put(player, pingMillis);
            if (pingMillis >= 0 && (previous == null || previous != pingMillis)) {
                ping.observe(pingMillis / 1000.0);
            }
        } else {
            connected.remove(player);
        }
    }

    public void closed(long code) {
        closes.inc(Catalog.CLOSE_CODE.indexOf(Long.toString(code)));
    }

    public void forget(PlayerKey player) {
        connected.remove(player);
    }

    public void forgetSession(String sessionId) {
        connected.keySet().removeIf(key -> key.sessionId().equals(sessionId));
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
                String sessionId = session.getSessionId();
                for (IPlayer player : session.getPlayers().values()) {
                    if (connected.containsKey(new PlayerKey(sessionId, player.getGuildId()))) {
                        live++;
                    }
                }
            }
        }
        return List.of(Gauges.of(Catalog.VOICE_CONNECTED, live), ping.samples(), closes.samples());
    }
}
