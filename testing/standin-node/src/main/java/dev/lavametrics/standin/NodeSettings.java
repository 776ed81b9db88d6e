package dev.lavametrics.standin;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/** The subset of Lavalink's {@code lavalink.server.*} and {@code metrics.*} settings the stand-in honours. */
@Component
public class NodeSettings {
    private final String password;
    private final int playerUpdateInterval;
    private final Map<String, Boolean> sources;
    private final boolean prometheusEnabled;
    /** The configured metrics path, or null when {@code metrics.prometheus.endpoint} is not set. */
    private final String prometheusEndpoint;

    public NodeSettings(Environment env) {
        Binder binder = Binder.get(env);
        this.password = binder.bind("lavalink.server.password", String.class).orElse(null);
        this.playerUpdateInterval = Math.max(
                1,
                binder.bind("lavalink.server.player-update-interval", Integer.class)
                        .orElse(5));
        this.sources = Collections.unmodifiableMap(
                new LinkedHashMap<>(binder.bind("lavalink.server.sources", Bindable.mapOf(String.class, Boolean.class))
                        .orElse(Map.of())));
        this.prometheusEnabled =
                binder.bind("metrics.prometheus.enabled", Boolean.class).orElse(false);
        String ep = binder.bind("metrics.prometheus.endpoint", String.class).orElse(null);
        if (ep != null && ep.isBlank()) {
            ep = null;
        }
        if (ep != null && !ep.startsWith("/")) {
            ep = "/" + ep;
        }
        this.prometheusEndpoint = ep;
    }

    public String getPassword() {
        return password;
    }

    public int getPlayerUpdateInterval() {
        return playerUpdateInterval;
    }

    /** The {@code lavalink.server.sources} map as configured (keys in the form written, e.g. {@code local}). */
    public Map<String, Boolean> getSources() {
        return sources;
    }

    public boolean isSourceEnabled(String name, boolean defaultValue) {
        Boolean b = sources.get(name);
        return b == null ? defaultValue : b;
    }

    public boolean isPrometheusEnabled() {
        return prometheusEnabled;
    }

    public String getPrometheusEndpoint() {
        return prometheusEndpoint;
    }

    /** Where metrics are served: the configured endpoint, else {@code /metrics}. */
    public String getEffectivePrometheusEndpoint() {
        return prometheusEndpoint != null ? prometheusEndpoint : "/metrics";
    }

    /** Lavalink serves the metrics endpoint anonymously only when it is configured explicitly. */
    public boolean isMetricsAnonymous() {
        return prometheusEnabled && prometheusEndpoint != null;
    }
}
