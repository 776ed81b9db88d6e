package dev.lavametrics.standin;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import io.prometheus.client.Collector;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.GaugeMetricFamily;
import io.prometheus.client.exporter.common.TextFormat;
import io.prometheus.client.hotspot.DefaultExports;
import io.prometheus.client.logback.InstrumentedAppender;
import java.io.IOException;
import java.io.StringWriter;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.DoubleSupplier;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * Lavalink core's Prometheus surface (LavalinkServer/src/main/java/lavalink/server/metrics/ at 4.1.2 and
 * 4.2.2): JVM {@link DefaultExports}, the {@code lavalink_*} gauges, the GC pause histogram and
 * logback's {@code logback_appender_total{level}}, all in {@link CollectorRegistry#defaultRegistry}.
 *
 * <p>Served as Lavalink serves it: an MVC handler (so its authorization interceptor, here
 * {@link AuthInterceptor}, guards it and plugins' RestInterceptors see it) for GET only, answering the
 * text format 0.0.4 whatever else the client prefers (a client that accepts only OpenMetrics gets 406),
 * and honouring the {@code name[]} filter.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(prefix = "metrics.prometheus", name = "enabled", havingValue = "true")
public class MetricsConfig {
    private static final org.slf4j.Logger log = LoggerFactory.getLogger(MetricsConfig.class);

    @Bean
    public CoreStatsCollector coreStatsCollector(StatsService stats) {
        DefaultExports.initialize();
        CoreStatsCollector c = new CoreStatsCollector(stats);
        c.register(CollectorRegistry.defaultRegistry);
        return c;
    }

    @Bean(destroyMethod = "close")
    public GcPauseHistogram gcPauseHistogram() {
        return GcPauseHistogram.start(CollectorRegistry.defaultRegistry);
    }

    /** Counts every log event by level, as Lavalink's PrometheusMetrics does with the same appender. */
    @Bean(destroyMethod = "close")
    public LogbackCounter logbackCounter() {
        return new LogbackCounter();
    }

    @Bean
    public MetricsHandler prometheusMetrics(
            NodeSettings settings,
            CoreStatsCollector ignored,
            @Qualifier("requestMappingHandlerMapping") RequestMappingHandlerMapping mapping)
            throws NoSuchMethodException {
        String path = settings.getEffectivePrometheusEndpoint();
        log.info(
                "Prometheus metrics at {} ({})",
                path,
                settings.isMetricsAnonymous() ? "anonymous" : "password required");
        MetricsHandler handler = new MetricsHandler();
        mapping.registerMapping(
                RequestMappingInfo.paths(path)
                        .methods(RequestMethod.GET)
                        .produces(TextFormat.CONTENT_TYPE_004)
                        .options(mapping.getBuilderConfiguration())
                        .build(),
                handler,
                MetricsHandler.class.getMethod("scrape", String[].class));
        return handler;
    }

    /** The default registry in the text format 0.0.4, optionally only the families named in {@code name[]}. */
    public static class MetricsHandler {
        public ResponseEntity<String> scrape(@RequestParam(name = "name[]", required = false) String[] names)
                throws IOException {
            Set<String> include = names == null ? Set.of() : new HashSet<>(List.of(names));
            StringWriter out = new StringWriter();
            TextFormat.write004(out, CollectorRegistry.defaultRegistry.filteredMetricFamilySamples(include));
            return new ResponseEntity<>(out.toString(), HttpStatus.OK);
        }
    }

    /** simpleclient_logback's appender on the root logger; its counter is static, registered once per JVM. */
    public static class LogbackCounter {
        private final Logger root;
        private final InstrumentedAppender appender = new InstrumentedAppender();

        LogbackCounter() {
            LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
            root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
            appender.setContext(context);
            appender.start();
            root.addAppender(appender);
        }

        public void close() {
            root.detachAppender(appender);
            appender.stop();
        }
    }

    /** The gauges of Lavalink's LavalinkStatsCollector (names and units as core exposes them). */
    /**
     * Describable, as Lavalink's LavalinkStatsCollector is: otherwise the registry would collect() at
     * registration and take the first (0.0) cpu reading at startup, where a real node takes it at the first
     * request for its stats or metrics.
     */
    public static class CoreStatsCollector extends Collector implements Collector.Describable {
        private final StatsService stats;

        CoreStatsCollector(StatsService stats) {
            this.stats = stats;
        }

        /** Unregisters on context close so a second context in the same JVM (tests) can register again. */
        public void close() {
            CollectorRegistry.defaultRegistry.unregister(this);
        }

        @Override
        public List<MetricFamilySamples> describe() {
            return families(false);
        }

        @Override
        public List<MetricFamilySamples> collect() {
            return families(true);
        }

        /** The families, with their values read or (describe) without samples. */
        private List<MetricFamilySamples> families(boolean read) {
            StatsService.Memory mem = read ? StatsService.memory() : null;
            Gauges g = new Gauges(read);
            return List.of(
                    g.gauge("lavalink_players_total", "Total number of players", stats::players),
                    g.gauge("lavalink_playing_players_total", "Number of playing players", stats::playingPlayers),
                    g.gauge("lavalink_uptime_milliseconds", "Uptime of the node in milliseconds", stats::uptimeMillis),
                    g.gauge("lavalink_memory_free_bytes", "Free memory in bytes", () -> mem.free()),
                    g.gauge("lavalink_memory_used_bytes", "Used memory in bytes", () -> mem.used()),
                    g.gauge("lavalink_memory_allocated_bytes", "Allocated memory in bytes", () -> mem.allocated()),
                    g.gauge("lavalink_memory_reservable_bytes", "Reservable memory in bytes", () -> mem.reservable()),
                    g.gauge("lavalink_cpu_cores", "Number of CPU cores", StatsService::cores),
                    g.gauge("lavalink_cpu_system_load_percentage", "System CPU load (0..1)", stats::systemLoad),
                    g.gauge(
                            "lavalink_cpu_lavalink_load_percentage",
                            "Node process CPU load (0..1)",
                            stats::processLoad));
        }

        private record Gauges(boolean read) {
            MetricFamilySamples gauge(String name, String help, DoubleSupplier value) {
                return read
                        ? new GaugeMetricFamily(name, help, value.getAsDouble())
                        : new GaugeMetricFamily(name, help, List.of());
            }
        }
    }
}
