package dev.lavametrics.plugin.collect;

import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.Group;

import java.util.List;

/**
 * Track lifecycle counters; label values outside the catalog fold into {@code other}. Series
 * of a source appear with its first track start: its start count, and at 0 the ends as
 * {@code finished} and {@code loadFailed}, exceptions as {@code fault} and stuck tracks, the
 * series alerts take {@code rate()} of. Other reasons and severities appear when they happen.
 */
public final class TracksCollector extends GroupCollector {
    private final CounterArray starts = new CounterArray(Catalog.TRACK_STARTS);
    private final CounterArray ends = new CounterArray(Catalog.TRACK_ENDS);
    private final CounterArray exceptions = new CounterArray(Catalog.TRACK_EXCEPTIONS);
    private final CounterArray stuck = new CounterArray(Catalog.TRACK_STUCK);

    public TracksCollector(CollectorHealth health) {
        super(Group.TRACKS, health);
    }

    private static final int FINISHED = Catalog.END_REASON.indexOf("finished");
    private static final int LOAD_FAILED = Catalog.END_REASON.indexOf("loadFailed");
    private static final int FAULT = Catalog.SEVERITY.indexOf("fault");

    public void started(String source) {
        int index = Catalog.SOURCE.indexOf(source);
        starts.inc(index);
        ends.precreate(index, FINISHED);
        ends.precreate(index, LOAD_FAILED);
        exceptions.precreate(index, FAULT);
        stuck.precreate(index);
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
