package dev.lavametrics.plugin.collect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.lavametrics.plugin.catalog.Catalog;
import io.prometheus.client.Collector.MetricFamilySamples;
import io.prometheus.client.Collector.MetricFamilySamples.Sample;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A scrape reuses the names and label values of the one before: it allocates only the samples. */
class ShapeTest {
    @Test
    void counterLabelValuesAreBuiltOnceAcrossScrapes() {
        CounterArray ends = new CounterArray(Catalog.TRACK_ENDS);
        ends.inc(1, 2);
        List<Sample> first = ends.samples().samples;
        List<Sample> second = ends.samples().samples;
        assertEquals(first.size(), second.size());
        for (int i = 0; i < first.size(); i++) {
            assertSame(first.get(i).labelValues, second.get(i).labelValues);
            assertSame(first.get(i).labelNames, second.get(i).labelNames);
            assertEquals(first.get(i).labelValues, second.get(i).labelValues);
        }
        int[] sizes = CounterArray.sizes(Catalog.TRACK_ENDS.labels());
        List<String> counted = CounterArray.labelValues(Catalog.TRACK_ENDS.labels(), sizes, sizes[1] + 2);
        assertEquals(
                1, first.stream().filter(s -> s.labelValues.equals(counted)).count());
    }

    @Test
    void histogramBucketLabelsAreBuiltOnceAcrossScrapes() {
        HistogramArray loads = new HistogramArray(Catalog.LOAD_DURATION, Catalog.LOAD_DURATION.buckets());
        loads.observe(0, 0.2);
        MetricFamilySamples first = loads.samples();
        loads.observe(0, 5.0);
        MetricFamilySamples second = loads.samples();
        assertEquals(first.samples.size(), second.samples.size());
        for (int i = 0; i < first.samples.size(); i++) {
            assertSame(first.samples.get(i).name, second.samples.get(i).name);
            assertSame(first.samples.get(i).labelValues, second.samples.get(i).labelValues);
        }
        // the values still move: +Inf counted both observations
        Sample inf = second.samples.stream()
                .filter(s -> s.name.endsWith("_bucket") && s.labelValues.contains("+Inf"))
                .findFirst()
                .orElseThrow();
        assertEquals(2.0, inf.value);
    }

    @Test
    void gaugesShareTheShapeOfTheirFamily() {
        MetricFamilySamples first = Gauges.of(Catalog.PLAYERS_BY_STATE, 1, 2, 3, 4);
        MetricFamilySamples second = Gauges.of(Catalog.PLAYERS_BY_STATE, 4, 3, 2, 1);
        assertSame(first.samples.get(2).labelValues, second.samples.get(2).labelValues);
        assertEquals(List.of(Catalog.PLAYER_STATE.valueAt(2)), second.samples.get(2).labelValues);
        assertEquals(2.0, second.samples.get(2).value);
        assertSame(Shape.of(Catalog.PLAYERS_BY_STATE), Shape.of(Catalog.PLAYERS_BY_STATE));
    }
}
