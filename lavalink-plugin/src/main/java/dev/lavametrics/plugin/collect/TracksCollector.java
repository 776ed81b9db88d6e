package dev.lavametrics.plugin.collect;

import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.FailureCauses;
import dev.lavametrics.plugin.catalog.Group;
import dev.lavametrics.plugin.catalog.Label;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Track lifecycle counters; label values outside the catalog fold into {@code other}. Series
 * of a source appear with its first track start: its start count, and at 0 the ends as
 * {@code finished} and {@code loadFailed}, exceptions of every known severity and stuck tracks,
 * the series alerts take {@code increase()} of (a series born at 1 would hide its first event).
 * Other end reasons appear when they happen; so do failure causes, but the refusal causes,
 * which the source-refused alert reads, start at 0 with the source. The start count itself is born with the first
 * start: no earlier event tells the source exists, and the track-problem alert reads it only as
 * the ratio's denominator, where a missed first start errs towards paging.
 */
public final class TracksCollector extends GroupCollector {
    private final CounterArray starts = new CounterArray(Catalog.TRACK_STARTS);
    private final CounterArray ends = new CounterArray(Catalog.TRACK_ENDS);
    private final CounterArray exceptions = new CounterArray(Catalog.TRACK_EXCEPTIONS);
    private final CounterArray stuck = new CounterArray(Catalog.TRACK_STUCK);
    private final CounterArray causes = new CounterArray(Catalog.TRACK_FAILURES);

    public TracksCollector(CollectorHealth health) {
        super(Group.TRACKS, health);
    }

    private static final int FINISHED = Catalog.END_REASON.indexOf("finished");
    private static final int LOAD_FAILED = Catalog.END_REASON.indexOf("loadFailed");
    /** Every severity lavaplayer reports (all but the {@code other} fold). */
    private static final int[] SEVERITIES = IntStream.range(0, Catalog.SEVERITY.size())
            .filter(i -> !Catalog.SEVERITY.values().get(i).equals(Label.OTHER))
            .toArray();
    /** The causes the source-refused alert takes increase() of: at 0 with the source's first start. */
    private static final int[] REFUSALS =
            FailureCauses.REFUSALS.stream().mapToInt(Catalog.CAUSE::indexOf).toArray();

    public void started(String source) {
        int index = Catalog.SOURCE.indexOf(source);
        starts.inc(index);
        ends.precreate(index, FINISHED);
        ends.precreate(index, LOAD_FAILED);
        for (int severity : SEVERITIES) {
            exceptions.precreate(index, severity);
        }
        stuck.precreate(index);
        for (int cause : REFUSALS) {
            causes.precreate(index, cause);
        }
    }

    public void ended(String source, String reason) {
        ends.inc(Catalog.SOURCE.indexOf(source), Catalog.END_REASON.indexOf(reason));
    }

    /** @param cause one of {@link FailureCauses#NAMES}, from {@link FailureCauses#classify} */
    public void failed(String source, String severity, String cause) {
        int index = Catalog.SOURCE.indexOf(source);
        exceptions.inc(index, Catalog.SEVERITY.indexOf(severity));
        causes.inc(index, Catalog.CAUSE.indexOf(cause));
    }

    public void stuck(String source) {
        stuck.inc(Catalog.SOURCE.indexOf(source));
    }

    @Override
    protected List<MetricFamilySamples> collectGroup() {
        return List.of(starts.samples(), ends.samples(), exceptions.samples(), stuck.samples(), causes.samples());
    }
}
