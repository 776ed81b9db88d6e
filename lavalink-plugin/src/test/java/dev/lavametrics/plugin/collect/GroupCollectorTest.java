package dev.lavametrics.plugin.collect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.Group;
import java.util.List;
import org.junit.jupiter.api.Test;

class GroupCollectorTest {

    @Test
    void linkageErrorIsCountedAndTheScrapeGoesOn() {
        CollectorHealth health = new CollectorHealth();
        GroupCollector broken = new GroupCollector(Group.TRACKS, health) {
            @Override
            protected List<MetricFamilySamples> collectGroup() {
                // What a plugin-api 4.x without a method we call looks like at run time.
                throw new NoSuchMethodError("ISocketContext.getPlayers()");
            }
        };
        assertEquals(List.of(), broken.collect());
        int tracks = Catalog.COLLECTOR.indexOf("tracks");
        assertEquals(1, health.errors(tracks));
        assertEquals(0, health.success(tracks));
    }

    @Test
    void theJvmsOwnFailurePassesThroughUncounted() {
        CollectorHealth health = new CollectorHealth();
        OutOfMemoryError oom = new OutOfMemoryError("Java heap space");
        GroupCollector starved = new GroupCollector(Group.TRACKS, health) {
            @Override
            protected List<MetricFamilySamples> collectGroup() {
                throw oom;
            }
        };
        assertSame(oom, assertThrows(OutOfMemoryError.class, starved::collect));
        assertEquals(0, health.errors(Catalog.COLLECTOR.indexOf("tracks")));
    }
}
