package dev.lavametrics.plugin.collect;

import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.Group;

import java.util.List;

/** Track lifecycle counters; label values outside the catalog fold into {@code other}. */
public final class TracksCollector extends GroupCollector {
    private final CounterArray starts = new CounterArray(Catalog.TRACK_STARTS);
    private final CounterArray ends = new CounterArray(Catalog.TRACK_ENDS);
    private final CounterArray exceptions = new CounterArray(Catalog.TRACK_EXCEPTIONS);
    private final CounterArray stuck = new CounterArray(Catalog.TRACK_STUCK);

    public TracksCollector(CollectorHealth health) {
        super(Group.TRACKS, health);
    }

    public void started(String source) {
        starts.inc(Catalog.SOURCE.indexOf(source));
    }

    public void ended(String source, String reason) {
        ends.inc(Catalog.SOURCE.indexOf(source), Catalog.END_REASON.indexOf(reason));
    }

    public void failed(String source, String severity) {
        exceptions.inc(Catalog.SOURCE.indexOf(source), Catalog.SEVERITY.indexOf(severity));
    }

    public void stuck(String source) {
        stuck.inc(Catalog.SOURCE.indexOf(source));
    }

    @Override
    protected List<MetricFamilySamples> collectGroup() {
        return List.of(starts.samples(), ends.samples(), exceptions.samples(), stuck.samples());
    }
}
