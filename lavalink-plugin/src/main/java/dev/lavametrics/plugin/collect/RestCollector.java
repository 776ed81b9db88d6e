package dev.lavametrics.plugin.collect;

import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.Group;
import java.util.List;

/**
 * REST requests; a (route, method, status) series and a route's duration histogram appear
 * with the first such request, so the group costs what the node's clients actually call.
 */
public final class RestCollector extends GroupCollector {
    private final CounterArray requests = new CounterArray(Catalog.REST_REQUESTS);
    private final HistogramArray durations;

    public RestCollector(CollectorHealth health, List<Double> durationBuckets) {
        super(Group.REST, health);
        durations = new HistogramArray(Catalog.REST_DURATION, durationBuckets);
    }

    /** @param routeTemplate the matched handler pattern; anything not in the catalog counts as other */
    public void handled(String routeTemplate, String method, int status, double seconds) {
        int route = Catalog.ROUTE.indexOf(routeTemplate);
        requests.inc(route, Catalog.METHOD.indexOf(method), Catalog.STATUS_CLASS.indexOf(statusClass(status)));
        durations.observe(route, seconds);
    }

    private static String statusClass(int status) {
        return status >= 100 && status < 600 ? (status / 100) + "xx" : "other";
    }

    @Override
    protected List<MetricFamilySamples> collectGroup() {
        return List.of(requests.samples(), durations.samples());
    }
}
