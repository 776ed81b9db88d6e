package dev.lavametrics.plugin.collect;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertTrue;

class FramesCollectorTest {

    @Test
    void idleSourcesAreSweptWhenTracksAreAddedWithoutAnyScrape() {
        FramesCollector frames = new FramesCollector(new CollectorHealth(), List.of(0.5), () -> 0L);
        AtomicInteger checked = new AtomicInteger();
        frames.track(now -> {
            checked.incrementAndGet();
            return true;
        });
        // Nobody scrapes (or the frames family is not scraped): new tracks alone must release old ones.
        for (int i = 0; i < 1000; i++) {
            frames.track(now -> false);
        }
        assertTrue(checked.get() > 0, "the abandoned source was never checked");
    }
}
