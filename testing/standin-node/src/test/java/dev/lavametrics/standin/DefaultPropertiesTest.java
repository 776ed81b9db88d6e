package dev.lavametrics.standin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

/**
 * The stand-in's defaults stay those of real Lavalink where the plugin can tell: the port the
 * plugin's validator assumes for an unset {@code server.port} (8080) must be the one the stand-in
 * listens on, or the CLI and a node would disagree about which {@code endpoint.port} collides.
 */
class DefaultPropertiesTest {
    @Test
    void anUnsetServerPortFallsToSpringBootsDefaultLikeLavalink() {
        assertFalse(
                StandinApplication.defaultProperties().containsKey("server.port"),
                "Lavalink sets no port default; 2333 is only what its example application.yml says");
    }

    @Test
    void theTestHostBindsLoopbackUnlessTold() {
        assertEquals("127.0.0.1", StandinApplication.defaultProperties().get("server.address"));
    }
}
