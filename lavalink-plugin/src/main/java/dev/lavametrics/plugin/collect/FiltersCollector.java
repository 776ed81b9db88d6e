package dev.lavametrics.plugin.collect;

import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.Group;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Which filters each player has set, as a bit per {@link Catalog#FILTER} value. */
public final class FiltersCollector extends GroupCollector {
    private final Map<PlayerKey, Integer> filterBits = new ConcurrentHashMap<>();

    public FiltersCollector(CollectorHealth health) {
        super(Group.FILTERS, health);
    }

    /** Replaces the player's filter set, as a v4 PATCH with {@code filters} does. */
    public void filtersSet(PlayerKey player, Collection<String> filterNames) {
        int bits = 0;
        for (String name : filterNames) {
            bits |= 1 << Catalog.FILTER.indexOf(name);
        }
        if (bits == 0) {
            filterBits.remove(player);
        } else {
            filterBits.put(player, bits);
        }
    }

    public void forget(PlayerKey player) {
        filterBits.remove(player);
    }

    public void forgetSession(String sessionId) {
        filterBits.keySet().removeIf(key -> key.sessionId().equals(sessionId));
    }

    @Override
    protected List<MetricFamilySamples> collectGroup() {
        double[] playersByFilter = new double[Catalog.FILTER.size()];
        for (int bits : filterBits.values()) {
            for (int i = 0; i < playersByFilter.length; i++) {
                if ((bits & (1 << i)) != 0) {
                    playersByFilter[i]++;
                }
            }
        }
        return List.of(Gauges.of(Catalog.FILTER_PLAYERS, playersByFilter));
    }
}
