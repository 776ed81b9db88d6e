package dev.lavametrics.plugin;

import dev.arbjerg.lavalink.api.AudioPlayerManagerConfiguration;
import dev.arbjerg.lavalink.api.ISocketServer;
import dev.arbjerg.lavalink.api.PluginEventHandler;
import dev.arbjerg.lavalink.api.RestInterceptor;
import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.Group;
import dev.lavametrics.plugin.collect.CollectorHealth;
import dev.lavametrics.plugin.collect.LiveSessions;
import dev.lavametrics.plugin.collect.MetricCollectors;
import dev.lavametrics.plugin.collect.RoutePlannerCollector;
import dev.lavametrics.plugin.frames.FrameCountingConfiguration;
import dev.lavametrics.plugin.http.MetricsEndpoint;
import dev.lavametrics.plugin.rest.RequestBodyMetricsFilter;
import dev.lavametrics.plugin.rest.RestMetricsInterceptor;
import dev.lavametrics.plugin.socket.LavametricsEventHandler;
import io.prometheus.client.CollectorRegistry;
import jakarta.servlet.Filter;
import java.util.function.Supplier;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The plugin's root: Lavalink component-scans {@code dev.lavametrics.plugin} and finds this.
 * Collectors go into simpleclient's default registry, which Lavalink's own /metrics serves.
 */
@Configuration(proxyBeanMethods = false)
public class LavametricsPlugin {

    @Bean
    public LavametricsProperties lavametricsProperties(Environment environment) {
        return LavametricsProperties.from(environment);
    }

    @Bean(destroyMethod = "unregister")
    public MetricCollectors lavametricsCollectors(
            LavametricsProperties properties, ObjectProvider<ISocketServer> socketServer, ListableBeanFactory beans) {
        CollectorHealth health = new CollectorHealth();
        if (!properties.valid()) {
            health.markConfigInvalid();
        }
        MetricCollectors collectors = new MetricCollectors(
                properties.config(),
                health,
                new LiveSessions(socketServer::getIfAvailable),
                System::nanoTime,
                Catalog.pluginVersion(),
                routePlanner(beans));
        collectors.register(CollectorRegistry.defaultRegistry);
        return collectors;
    }

    /**
     * The node's route planner, looked up at the first scrape by its lavaplayer type (Lavalink's
     * {@code routePlanner} bean, null without {@code ratelimit.ipBlocks}: Spring then holds a null bean,
     * which {@code getIfAvailable} answers as null). A node without lavaplayer's youtube-rotator on
     * its class path has no planner.
     */
    static Supplier<Object> routePlanner(ListableBeanFactory beans) {
        Class<?> type;
        try {
            type = Class.forName(
                    RoutePlannerCollector.ABSTRACT_PLANNER, false, LavametricsPlugin.class.getClassLoader());
        } catch (ClassNotFoundException absent) {
            return () -> null;
        }
        ObjectProvider<?> provider = beans.getBeanProvider(type);
        return provider::getIfAvailable;
    }

    @Bean(initMethod = "start", destroyMethod = "stop")
    public MetricsEndpoint lavametricsEndpoint(LavametricsProperties properties, MetricCollectors collectors) {
        return new MetricsEndpoint(
                properties.config().endpoint(), CollectorRegistry.defaultRegistry, collectors.health());
    }

    @Bean
    public PluginEventHandler lavametricsEventHandler(MetricCollectors collectors) {
        return new LavametricsEventHandler(collectors);
    }

    /**
     * With {@code rest} off (the default) the node gets an interceptor that does nothing, decided
     * here once: no request is timed only for the result to be thrown away. A bean is still
     * returned so the node's set of interceptors does not depend on our config.
     */
    @Bean
    public RestInterceptor lavametricsRestInterceptor(MetricCollectors collectors) {
        if (!collectors.enabled(Group.REST)) {
            return new RestInterceptor() {};
        }
        return new RestMetricsInterceptor(collectors.rest, collectors.health(), System::nanoTime);
    }

    @Bean
    public Filter lavametricsRequestBodyFilter(MetricCollectors collectors) {
        return new RequestBodyMetricsFilter(collectors, System::nanoTime);
    }

    /** With {@code frames} off the player manager is left untouched: no buffer is wrapped or tracked. */
    @Bean
    public AudioPlayerManagerConfiguration lavametricsFrameCounting(MetricCollectors collectors) {
        if (!collectors.enabled(Group.FRAMES)) {
            return manager -> manager;
        }
        return new FrameCountingConfiguration(collectors.frames);
    }
}
