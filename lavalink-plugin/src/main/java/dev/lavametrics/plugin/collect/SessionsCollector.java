package dev.lavametrics.plugin.collect;

import dev.arbjerg.lavalink.api.ISocketContext;
import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.Group;
import java.util.List;

public final class SessionsCollector extends GroupCollector {
    private static final int ACTIVE = Catalog.SESSION_STATE.indexOf("active");
    private static final int PAUSED = Catalog.SESSION_STATE.indexOf("paused");

    private final LiveSessions sessions;
    private final CounterArray opens = new CounterArray(Catalog.SESSION_OPENS);
    private final CounterArray closes = new CounterArray(Catalog.SESSION_CLOSES);

    public SessionsCollector(CollectorHealth health, LiveSessions sessions) {
        super(Group.SESSIONS, health);
        this.sessions = sessions;
    }

    public void opened(boolean resumed) {
        opens.inc(Catalog.RESUMED.indexOf(Boolean.toString(resumed)));
    }

    public void closed() {
        closes.inc();
    }

    @Override
    protected List<MetricFamilySamples> collectGroup() {
        double[] byState = new double[Catalog.SESSION_STATE.size()];
        for (ISocketContext session : sessions.all()) {
            switch (session.getState()) {
                case OPEN -> byState[ACTIVE]++;
                case RESUMABLE -> byState[PAUSED]++;
                default -> {}
            }
        }
        return List.of(Gauges.of(Catalog.SESSIONS_OPEN, byState), opens.samples(), closes.samples());
    }
}
