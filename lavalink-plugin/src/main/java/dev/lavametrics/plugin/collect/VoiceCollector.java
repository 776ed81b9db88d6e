package dev.lavametrics.plugin.collect;

import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.Group;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

public final class VoiceCollector extends GroupCollector {
    private final Set<PlayerKey> connected = ConcurrentHashMap.newKeySet();
    private final HistogramArray ping;
    private final CounterArray closes = new CounterArray(Catalog.VOICE_CLOSES);

    public VoiceCollector(CollectorHealth health, List<Double> pingBuckets) {
        super(Group.VOICE, health);
        ping = new HistogramArray(Catalog.VOICE_PING, pingBuckets);
    }

    /** A player update: Lavalink reports ping -1 while it has no measurement. */
    public void updated(PlayerKey player, boolean isConnected, long pingMillis) {
        if (isConnected) {
            connected.add(player);
            if (pingMillis >= 0) {
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
        connected.removeIf(key -> key.sessionId().equals(sessionId));
    }

    @Override
    protected List<MetricFamilySamples> collectGroup() {
        return List.of(Gauges.of(Catalog.VOICE_CONNECTED, connected.size()), ping.samples(), closes.samples());
    }
}
