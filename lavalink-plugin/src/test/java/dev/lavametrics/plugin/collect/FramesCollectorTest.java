package dev.lavametrics.plugin.collect;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongPredicate;
import org.junit.jupiter.api.Test;

class FramesCollectorTest {

    @Test
    void idleSourcesAreSweptWhenTracksAreAddedWithoutAnyScrape() {
        FramesCollector frames = new FramesCollector(new CollectorHealth(), List.of(0.5), () -> 0L);
        AtomicInteger checked = new AtomicInteger();
        frames.track(source(now -> {
            checked.incrementAndGet();
            return true;
        }));
        // Nobody scrapes (or the frames family is not scraped): new tracks alone must release old ones.
        for (int i = 0; i < 1000; i++) {
            frames.track(source(now -> false));
        }
        assertTrue(checked.get() > 0, "the abandoned source was never checked");
    }

    /** A source with no frames, finished when {@code idle} says so. */
    private static FrameSource source(LongPredicate idle) {
        return new FrameSource() {
            @Override
            public void addCounts(long[] totals) {}

            @Override
            public boolean finishIfIdle(long nowNanos) {
                return idle.test(nowNanos);
            }
        };
    }
}
