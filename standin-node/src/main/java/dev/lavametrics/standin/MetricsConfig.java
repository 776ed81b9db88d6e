package dev.lavametrics.standin;

import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.GaugeMetricFamily;
import io.prometheus.client.hotspot.DefaultExports;
import io.prometheus.client.servlet.jakarta.exporter.MetricsServlet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.util.List;

/**
 * Lavalink core's Prometheus surface: JVM {@link DefaultExports} plus the {@code lavalink_*}
 * gauges, all in {@link CollectorRegistry#defaultRegistry}, served by simpleclient's servlet
 * (text 0.0.4 and OpenMetrics by Accept header).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(prefix = "metrics.prometheus", name = "enabled", havingValue = "true")
public class MetricsConfig {
    private static final Logger log = LoggerFactory.getLogger(MetricsConfig.class);

    @Bean
    public CoreStatsCollector coreStatsCollector(StatsService stats) {
        DefaultExports.initialize();
        CoreStatsCollector c = new CoreStatsCollector(stats);
        c.register(CollectorRegistry.defaultRegistry);
        return c;
    }

    @Bean
    public ServletRegistrationBean<MetricsServlet> prometheusServlet(NodeSettings settings, CoreStatsCollector ignored) {
        String path = settings.getEffectivePrometheusEndpoint();
        log.info("Prometheus metrics at {} ({})", path,
                settings.isMetricsAnonymous() ? "anonymous" : "password required");
        ServletRegistrationBean<MetricsServlet> reg =
                new ServletRegistrationBean<>(new MetricsServlet(CollectorRegistry.defaultRegistry), path);
        reg.setName("prometheusMetrics");
        return reg;
    }

    /** The gauges of Lavalink's LavalinkStatsCollector (names and units as core exposes them). */
    public static class CoreStatsCollector extends Collector {
        private final StatsService stats;

        CoreStatsCollector(StatsService stats) {
            this.stats = stats;
        }

        /** Unregisters on context close so a second context in the same JVM (tests) can register again. */
        public void close() {
            CollectorRegistry.defaultRegistry.unregister(this);
        }

        private static MetricFamilySamples gauge(String name, String help, double value) {
            return new GaugeMetricFamily(name, help, value);
        }

        @Override
        public List<MetricFamilySamples> collect() {
            Runtime rt = Runtime.getRuntime();
            long free = rt.freeMemory();
            long allocated = rt.totalMemory();
            return List.of(
                    gauge("lavalink_players_total", "Total number of players", stats.players()),
                    gauge("lavalink_playing_players_total", "Number of playing players", stats.playingPlayers()),
                    gauge("lavalink_uptime_milliseconds", "Uptime of the node in milliseconds", stats.uptimeMillis()),
                    gauge("lavalink_memory_free_bytes", "Free memory in bytes", free),
                    gauge("lavalink_memory_used_bytes", "Used memory in bytes", allocated - free),
                    gauge("lavalink_memory_allocated_bytes", "Allocated memory in bytes", allocated),
                    gauge("lavalink_memory_reservable_bytes", "Reservable memory in bytes", rt.maxMemory()),
                    gauge("lavalink_cpu_cores", "Number of CPU cores", rt.availableProcessors()),
                    gauge("lavalink_cpu_system_load_percentage", "System CPU load (0..1)", stats.systemLoad()),
                    gauge("lavalink_cpu_lavalink_load_percentage", "Node process CPU load (0..1)", stats.processLoad()));
        }
    }
}
