package dev.lavametrics.standin;

import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.GaugeMetricFamily;
import io.prometheus.client.hotspot.DefaultExports;
import io.prometheus.client.servlet.jakarta.exporter.MetricsServlet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.mvc.ServletWrappingController;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.List;

/**
 * Lavalink core's Prometheus surface: JVM {@link DefaultExports} plus the {@code lavalink_*}
 * gauges, all in {@link CollectorRegistry#defaultRegistry}, served by simpleclient's servlet
 * (text 0.0.4 and OpenMetrics by Accept header).
 *
 * <p>The servlet is reached through a Spring MVC mapping, not a servlet registration of its own: in
 * Lavalink the endpoint is an MVC controller, so its authorization interceptor (here
 * {@link AuthInterceptor}) guards it and plugins' RestInterceptors see it; a separate servlet would
 * bypass both.
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

    /**
     * simpleclient's MetricsServlet, initialised and destroyed as a bean, mapped (every method, as the
     * servlet registration was) into the MVC handler mapping the interceptors apply to.
     */
    @Bean
    public ServletWrappingController prometheusServlet(NodeSettings settings, CoreStatsCollector ignored,
                                                       @Qualifier("requestMappingHandlerMapping")
                                                       RequestMappingHandlerMapping mapping)
            throws NoSuchMethodException {
        String path = settings.getEffectivePrometheusEndpoint();
        log.info("Prometheus metrics at {} ({})", path,
                settings.isMetricsAnonymous() ? "anonymous" : "password required");
        ServletWrappingController servlet = new ServletWrappingController();
        servlet.setServletClass(MetricsServlet.class);
        servlet.setServletName("prometheusMetrics");
        servlet.setSupportedMethods((String[]) null); // the servlet answers every method itself, as before
        mapping.registerMapping(RequestMappingInfo.paths(path).options(mapping.getBuilderConfiguration()).build(),
                servlet, ServletWrappingController.class.getMethod("handleRequest",
                        HttpServletRequest.class, HttpServletResponse.class));
        return servlet;
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
            StatsService.Memory mem = StatsService.memory();
            return List.of(
                    gauge("lavalink_players_total", "Total number of players", stats.players()),
                    gauge("lavalink_playing_players_total", "Number of playing players", stats.playingPlayers()),
                    gauge("lavalink_uptime_milliseconds", "Uptime of the node in milliseconds", stats.uptimeMillis()),
                    gauge("lavalink_memory_free_bytes", "Free memory in bytes", mem.free()),
                    gauge("lavalink_memory_used_bytes", "Used memory in bytes", mem.used()),
                    gauge("lavalink_memory_allocated_bytes", "Allocated memory in bytes", mem.allocated()),
                    gauge("lavalink_memory_reservable_bytes", "Reservable memory in bytes", mem.reservable()),
                    gauge("lavalink_cpu_cores", "Number of CPU cores", StatsService.cores()),
                    gauge("lavalink_cpu_system_load_percentage", "System CPU load (0..1)", stats.systemLoad()),
                    gauge("lavalink_cpu_lavalink_load_percentage", "Node process CPU load (0..1)", stats.processLoad()));
        }
    }
}
