package dev.lavametrics.plugin.catalog;

import java.util.Locale;

/** The Prometheus metric types the plugin exports. */
public enum MetricType {
    COUNTER,
    GAUGE,
    HISTOGRAM;

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }
}
