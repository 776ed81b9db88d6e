package dev.lavametrics.plugin;

import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.Group;
import org.junit.jupiter.api.Test;
import org.springframework.mock.env.MockEnvironment;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LavametricsPropertiesTest {

    @Test
    void readsTheTreeFromTheEnvironment() {
        MockEnvironment environment = new MockEnvironment()
                .withProperty("plugins.lavametrics.groups.rest", "true")
                .withProperty("plugins.lavametrics.endpoint.enabled", "true")
                .withProperty("plugins.lavametrics.endpoint.auth.bearer-token", "t0ken")
                .withProperty("plugins.lavametrics.endpoint.allow[0]", "10.0.0.0/8")
                .withProperty("plugins.lavametrics.endpoint.allow[1]", "::1/128")
                .withProperty("plugins.lavametrics.buckets.loadDurationSeconds[0]", "0.5")
                .withProperty("plugins.lavametrics.buckets.loadDurationSeconds[1]", "5");
        LavametricsProperties properties = LavametricsProperties.from(environment);
        assertTrue(properties.valid(), properties.problems().toString());
        assertTrue(properties.config().enabled(Group.REST));
        assertTrue(properties.config().endpoint().enabled());
        assertEquals("t0ken", properties.config().endpoint().bearerToken());
        assertEquals(2, properties.config().endpoint().allow().size());
        assertEquals(List.of(0.5, 5.0), properties.config().buckets(Catalog.LOAD_DURATION));
    }

    @Test
    void badValuesNeverThrow() {
        MockEnvironment environment = new MockEnvironment()
                .withProperty("plugins.lavametrics.endpoint.port", "lots")
                .withProperty("plugins.lavametrics.endpoint.enabled", "true")
                .withProperty("plugins.lavametrics.nonsense", "1");
        LavametricsProperties properties = LavametricsProperties.from(environment);
        assertEquals(2, properties.problems().size(), properties.problems().toString());
        assertFalse(properties.config().endpoint().enabled());
    }

    @Test
    void missingTreeMeansDefaults() {
        LavametricsProperties properties = LavametricsProperties.from(new MockEnvironment());
        assertTrue(properties.valid());
        assertFalse(properties.config().enabled(Group.REST));
    }
}
