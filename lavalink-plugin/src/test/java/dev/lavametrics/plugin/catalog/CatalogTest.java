package dev.lavametrics.plugin.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CatalogTest {

    @Test
    void committedJsonMatchesCatalog() throws IOException {
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("lavametrics/catalog.json")) {
            assertNotNull(in, "lavametrics/catalog.json missing from the jar resources");
            String committed = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(
                    Catalog.toJson(),
                    committed,
                    "src/main/resources/lavametrics/catalog.json is stale; regenerate it with: cd lavalink-plugin && "
                            + "mvn -q -B compile && java -cp target/classes dev.lavametrics.plugin.catalog.Catalog "
                            + "> src/main/resources/lavametrics/catalog.json");
        }
    }

    @Test
    void namesFollowPrometheusConventions() {
        Set<String> names = new HashSet<>();
        for (Family family : Catalog.FAMILIES) {
            assertTrue(names.add(family.name()), "duplicate " + family.name());
            assertTrue(family.name().startsWith(Catalog.PREFIX), family.name());
            assertTrue(family.name().matches("[a-z_]+"), family.name());
            assertEquals(family.type() == MetricType.COUNTER, family.name().endsWith("_total"), family.name());
            assertFalse(family.name().startsWith("lavalink_"), family.name());
            assertEquals(family.type() == MetricType.HISTOGRAM, family.buckets() != null, family.name());
            for (Label label : family.labels()) {
                assertFalse(label.name().matches("guild_id|session_id|user_id|instance|node"), label.name());
                if (label.values() != null && label.values().contains(Label.OTHER)) {
                    assertEquals(label.indexOf(Label.OTHER), label.indexOf("something-unexpected"));
                }
            }
        }
    }

    @Test
    void markdownDescribesEveryFamilyAndKey() {
        String markdown = Catalog.renderMarkdown();
        for (Family family : Catalog.FAMILIES) {
            assertTrue(markdown.contains("### `" + family.name() + "`"), family.name());
            assertTrue(markdown.contains(family.example()), family.example());
        }
        for (ConfigKey key : Catalog.CONFIG) {
            assertTrue(markdown.contains("| `" + key.key() + "` |"), key.key());
        }
    }
}
