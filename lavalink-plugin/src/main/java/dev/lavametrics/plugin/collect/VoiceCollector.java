package dev.lavametrics.plugin.collect;

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

    public VoiceCollector(CollectorHealth health, List<Double> pingBuckets) {
        super(Group.VOICE, health);
        ping = new HistogramArray(Catalog.VOICE_PING, pingBuckets);
    }

    /** A player update: Lavalink reports ping -1 while it has no measurement. */
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

    @Override
    protected List<MetricFamilySamples> collectGroup() {
        return List.of(Gauges.of(Catalog.VOICE_CONNECTED, connected.size()), ping.samples(), closes.samples());
    }
}
