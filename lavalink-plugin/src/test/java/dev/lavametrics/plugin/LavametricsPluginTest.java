package dev.lavametrics.plugin;

import dev.arbjerg.lavalink.api.AudioPlayerManagerConfiguration;
import dev.arbjerg.lavalink.api.PluginEventHandler;
import dev.arbjerg.lavalink.api.RestInterceptor;
import io.prometheus.client.CollectorRegistry;
import jakarta.servlet.Filter;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.mock.env.MockEnvironment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The plugin wiring as a host context sees it: beans present, default registry filled and cleaned up. */
class LavametricsPluginTest {

    @Test
    void wiresBeansAndRegistersInTheDefaultRegistry() {
        try (AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext()) {
            context.setEnvironment(new MockEnvironment().withProperty("plugins.lavametrics.endpoint.port", "0"));
            context.register(LavametricsPlugin.class);
            context.refresh();

            assertNotNull(context.getBean(PluginEventHandler.class));
            assertNotNull(context.getBean(RestInterceptor.class));
            assertNotNull(context.getBean(Filter.class));
            assertNotNull(context.getBean(AudioPlayerManagerConfiguration.class));
            assertEquals(0, CollectorRegistry.defaultRegistry.getSampleValue("lavametrics_config_valid"));
            assertEquals(0, CollectorRegistry.defaultRegistry.getSampleValue("lavametrics_sessions",
                    new String[] {"state"}, new String[] {"active"}));
        }
        assertNull(CollectorRegistry.defaultRegistry.getSampleValue("lavametrics_config_valid"));
    }
}
