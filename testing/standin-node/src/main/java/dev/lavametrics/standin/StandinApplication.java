package dev.lavametrics.standin;

import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.servlet.context.ServletWebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.EventListener;

/**
 * Entry point of the lavametrics stand-in node.
 *
 * <p>This is a test host, not Lavalink: it speaks the Lavalink v4 REST and websocket protocol,
 * runs the real lavaplayer engine and loads plugin jars the way Lavalink does; instead of Koe it has
 * a minimal Discord voice client of its own (package {@code voice}). {@code GET /version} reports {@link StandinVersion#SEMVER}.
 */
@SpringBootApplication
public class StandinApplication {
    private static final Logger log = LoggerFactory.getLogger(StandinApplication.class);

    @EventListener
    public void onReady(ApplicationReadyEvent event) {
        String where = "?";
        if (event.getApplicationContext() instanceof ServletWebServerApplicationContext web) {
            where = event.getApplicationContext().getEnvironment().getProperty("server.address", "0.0.0.0") + ":"
                    + web.getWebServer().getPort();
        }
        log.info(
                "lavametrics stand-in node {} ready on {} -- TEST HOST speaking the Lavalink v4 protocol; "
                        + "its own minimal Discord voice client (not Koe) pulls frames once a player has voice server info",
                StandinVersion.SEMVER,
                where);
    }

    public static void main(String[] args) {
        start(args);
    }

    /**
     * What the node assumes when its application.yml is silent. No {@code server.port}: like real
     * Lavalink, which has no port default of its own, it then listens on Spring Boot's 8080 (2333 is
     * only what Lavalink's example file sets), the port the plugin's validator keeps free
     * ({@code ConfigValidator.DEFAULT_SERVER_PORT}). Unlike Lavalink it binds loopback unless told
     * otherwise, because it is a test host.
     */
    static Map<String, Object> defaultProperties() {
        Map<String, Object> defaults = new HashMap<>();
        defaults.put("server.address", "127.0.0.1");
        defaults.put("server.error.include-message", "always");
        defaults.put("server.shutdown", "immediate");
        defaults.put("spring.main.banner-mode", "off");
        defaults.put("spring.mvc.pathmatch.matching-strategy", "path_pattern_parser");
        return defaults;
    }

    /** Starts the node; also used by the tests. */
    public static ConfigurableApplicationContext start(String... args) {
        // In the Spring Boot fat jar the application classes live in a launcher class loader that
        // is the thread context class loader here; plugins must see it as their parent.
        ClassLoader appLoader = Thread.currentThread().getContextClassLoader();
        if (appLoader == null) {
            appLoader = StandinApplication.class.getClassLoader();
        }
        log.info(
                "Starting lavametrics stand-in node {} -- a Lavalink v4 protocol TEST HOST, not Lavalink "
                        + "(real lavaplayer {}, minimal voice client instead of Koe)",
                StandinVersion.SEMVER,
                StandinVersion.lavaplayerVersion());

        SpringApplication app = new SpringApplication(StandinApplication.class);
        app.setDefaultProperties(defaultProperties());
        app.addInitializers(new PluginLoader(appLoader));
        return app.run(args);
    }
}
