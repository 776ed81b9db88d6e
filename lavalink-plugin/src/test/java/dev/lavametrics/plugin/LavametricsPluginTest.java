package dev.lavametrics.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.sedmelluq.discord.lavaplayer.player.AudioConfiguration;
import com.sedmelluq.discord.lavaplayer.player.AudioPlayerManager;
import com.sedmelluq.discord.lavaplayer.track.playback.AudioFrameBufferFactory;
import dev.arbjerg.lavalink.api.AudioPlayerManagerConfiguration;
import dev.arbjerg.lavalink.api.PluginEventHandler;
import dev.arbjerg.lavalink.api.RestInterceptor;
import dev.lavametrics.plugin.http.MetricsEndpoint;
import dev.lavametrics.plugin.support.LogCapture;
import io.prometheus.client.CollectorRegistry;
import jakarta.servlet.Filter;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.mock.env.MockEnvironment;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

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
            assertEquals(
                    0,
                    CollectorRegistry.defaultRegistry.getSampleValue(
                            "lavametrics_sessions", new String[] {"state"}, new String[] {"active"}));
        }
        assertNull(CollectorRegistry.defaultRegistry.getSampleValue("lavametrics_config_valid"));
    }

    @Test
    void hooksOfDisabledGroupsDoNothing() throws Exception {
        try (AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext()) {
            // rest is off by default; frames switched off here.
            context.setEnvironment(new MockEnvironment().withProperty("plugins.lavametrics.groups.frames", "false"));
            context.register(LavametricsPlugin.class);
            context.refresh();

            MockHttpServletRequest request = new MockHttpServletRequest("GET", "/v4/info");
            context.getBean(RestInterceptor.class).preHandle(request, new MockHttpServletResponse(), new Object());
            assertFalse(request.getAttributeNames().hasMoreElements(), "rest off, yet the request was timed");

            AudioConfiguration configuration = new AudioConfiguration();
            AudioFrameBufferFactory original = configuration.getFrameBufferFactory();
            AudioPlayerManager manager = (AudioPlayerManager) Proxy.newProxyInstance(
                    getClass().getClassLoader(),
                    new Class<?>[] {AudioPlayerManager.class},
                    (proxy, method, args) -> method.getName().equals("getConfiguration") ? configuration : null);
            context.getBean(AudioPlayerManagerConfiguration.class).configure(manager);
            assertSame(original, configuration.getFrameBufferFactory(), "frames off, yet every buffer is wrapped");
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return probe.getLocalPort();
        }
    }

    /** Binding Lavalink's own port first would make the web server fail to start, taking the node down. */
    @Test
    void endpointOnTheServerPortIsRefused() throws IOException {
        int port = freePort();
        try (LogCapture log = LogCapture.of(LavametricsProperties.class);
                AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext()) {
            context.setEnvironment(new MockEnvironment()
                    .withProperty("server.port", Integer.toString(port))
                    .withProperty("plugins.lavametrics.endpoint.enabled", "true")
                    .withProperty("plugins.lavametrics.endpoint.port", Integer.toString(port)));
            context.register(LavametricsPlugin.class);
            context.refresh();

            assertEquals(-1, context.getBean(MetricsEndpoint.class).port());
            assertEquals(0, CollectorRegistry.defaultRegistry.getSampleValue("lavametrics_config_valid"));
            try (ServerSocket stillFree = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
                assertEquals(port, stillFree.getLocalPort());
            }
            assertEquals(
                    1,
                    log.lines().stream()
                            .filter(line ->
                                    line.contains("plugins.lavametrics.endpoint.port") && line.contains("server.port"))
                            .count(),
                    log.all());
        }
    }

    /** Without server.port the web server takes Spring Boot's default, 8080, so that is what is kept free. */
    @Test
    void endpointOnSpringsDefaultPortIsRefusedWhenServerPortIsUnset() {
        try (AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext()) {
            context.setEnvironment(new MockEnvironment()
                    .withProperty("plugins.lavametrics.endpoint.enabled", "true")
                    .withProperty("plugins.lavametrics.endpoint.port", "8080"));
            context.register(LavametricsPlugin.class);
            context.refresh();

            assertEquals(-1, context.getBean(MetricsEndpoint.class).port());
            assertEquals(0, CollectorRegistry.defaultRegistry.getSampleValue("lavametrics_config_valid"));
        }
    }

    @Test
    void endpointOnAnotherPortServes() throws IOException {
        int port = freePort();
        try (AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext()) {
            context.setEnvironment(new MockEnvironment()
                    .withProperty("server.port", Integer.toString(freePortOtherThan(port)))
                    .withProperty("plugins.lavametrics.endpoint.enabled", "true")
                    .withProperty("plugins.lavametrics.endpoint.port", Integer.toString(port)));
            context.register(LavametricsPlugin.class);
            context.refresh();

            assertEquals(port, context.getBean(MetricsEndpoint.class).port());
            assertEquals(1, CollectorRegistry.defaultRegistry.getSampleValue("lavametrics_config_valid"));
        }
    }

    private static int freePortOtherThan(int taken) throws IOException {
        int port;
        do {
            port = freePort();
        } while (port == taken);
        return port;
    }
}
