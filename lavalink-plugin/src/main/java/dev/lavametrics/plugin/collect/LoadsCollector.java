package dev.lavametrics.plugin.collect;

import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.Group;
import java.util.List;

/**
 * Load results and durations. Series of a result appear with its first load, except the
 * {@code error} count the catalog has exported as 0 from the start, for alerts on failing loads,
 * and the failures by cause, every cause from 0 for the same reason.
 */
public final class LoadsCollector extends GroupCollector {
    private final CounterArray loads = new CounterArray(Catalog.LOADS_BY_RESULT);
    private final CounterArray failures = new CounterArray(Catalog.LOAD_FAILURES);
    private final HistogramArray durations;

    public LoadsCollector(CollectorHealth health, List<Double> durationBuckets) {
        super(Group.LOADS, health);
        durations = new HistogramArray(Catalog.LOAD_DURATION, durationBuckets);
    }

    /** @param loadType the response's loadType; unknown values count as other */
    public void loaded(String loadType, double seconds) {
        int result = Catalog.LOAD_RESULT.indexOf(loadType);
        loads.inc(result);
        durations.observe(result, seconds);
    }

    /** A load answered loadType=error, for this cause (one of {@code FailureCauses.NAMES}). */
    public void failed(String cause) {
        failures.inc(Catalog.CAUSE.indexOf(cause));
    }

    @Override
    protected List<MetricFamilySamples> collectGroup() {
        return List.of(loads.samples(), durations.samples(), failures.samples());
    }
}
