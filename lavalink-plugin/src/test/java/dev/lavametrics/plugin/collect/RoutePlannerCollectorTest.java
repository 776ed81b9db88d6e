package dev.lavametrics.plugin.collect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sedmelluq.lava.extensions.youtuberotator.planner.AbstractRoutePlanner;
import com.sedmelluq.lava.extensions.youtuberotator.planner.RotatingNanoIpRoutePlanner;
import com.sedmelluq.lava.extensions.youtuberotator.tools.ip.Ipv6Block;
import dev.lavametrics.plugin.config.ConfigValidator;
import io.prometheus.client.CollectorRegistry;
import java.net.InetAddress;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The route planner read at scrape time, through the model of lavaplayer's rotator (testing/lavalink-api). */
class RoutePlannerCollectorTest {
    private static final Pattern IPV6_OR_V4 = Pattern.compile("[0-9a-f]*:[0-9a-f:]*:|\\d+\\.\\d+\\.\\d+\\.\\d+");

    private final CollectorRegistry registry = new CollectorRegistry(true);

    private MetricCollectors collectors(Object planner) {
        MetricCollectors collectors = new MetricCollectors(
                ConfigValidator.validate(Map.of()).config(),
                new CollectorHealth(),
                new LiveSessions(() -> null),
                new AtomicLong()::get,
                "0.0.0-test",
                () -> planner);
        collectors.register(registry);
        return collectors;
    }

    private double value(String name, String... labels) {
        String[] names = new String[labels.length / 2];
        String[] values = new String[labels.length / 2];
        for (int i = 0; i < names.length; i++) {
            names[i] = labels[2 * i];
            values[i] = labels[2 * i + 1];
        }
        Double v = registry.getSampleValue(name, names, values);
        if (v == null) {
            throw new AssertionError("no sample " + name);
        }
        return v;
    }

    private static InetAddress address(int last) throws Exception {
        return InetAddress.getByName("::" + Integer.toHexString(last));
    }

    @Test
    void withoutAPlannerTheFamiliesAreAbsent() {
        collectors(null);
        assertEquals(null, registry.getSampleValue("lavametrics_route_planner_addresses"));
        assertEquals(null, registry.getSampleValue("lavametrics_route_planner_bans_total"));
        assertEquals(
                1.0,
                registry.getSampleValue(
                        "lavametrics_collector_success", new String[] {"collector"}, new String[] {"routeplanner"}));
    }

    @Test
    void blockSizeFailingAddressesBansAndClass() throws Exception {
        RotatingNanoIpRoutePlanner planner = new RotatingNanoIpRoutePlanner(new Ipv6Block("::/124"));
        planner.markFailing(address(1)); // failing before the first scrape: not a ban we saw
        collectors(planner);
        assertEquals(16, value("lavametrics_route_planner_addresses"));
        assertEquals(1, value("lavametrics_route_planner_failing_addresses"));
        assertEquals(0, value("lavametrics_route_planner_bans_total"));
        assertEquals(1, value("lavametrics_route_planner_info", "planner", "RotatingNanoIpRoutePlanner"));

        planner.markFailing(address(2));
        planner.markFailing(address(3));
        planner.markFailing(address(3)); // marked again: still one failing address
        assertEquals(3, value("lavametrics_route_planner_failing_addresses"));
        assertEquals(2, value("lavametrics_route_planner_bans_total"));

        planner.freeAllAddresses(); // an operator freed them: the count falls, bans stay
        assertEquals(0, value("lavametrics_route_planner_failing_addresses"));
        assertEquals(2, value("lavametrics_route_planner_bans_total"));
        planner.markFailing(address(4));
        value("lavametrics_route_planner_failing_addresses");
        assertEquals(3, value("lavametrics_route_planner_bans_total"));
    }

    @Test
    void anUnknownPlannerClassIsOther() {
        AbstractRoutePlanner custom = new AbstractRoutePlanner(new Ipv6Block("::/126")) {};
        collectors(custom);
        assertEquals(4, value("lavametrics_route_planner_addresses"));
        assertEquals(1, value("lavametrics_route_planner_info", "planner", "other"));
    }

    @Test
    void aBeanThatIsNoPlannerIsACollectorErrorNotABrokenScrape() {
        collectors("not a planner");
        assertEquals(null, registry.getSampleValue("lavametrics_route_planner_addresses"));
        assertEquals(
                0.0,
                registry.getSampleValue(
                        "lavametrics_collector_success", new String[] {"collector"}, new String[] {"routeplanner"}));
        assertTrue(registry.getSampleValue("lavametrics_info", new String[] {"version"}, new String[] {"0.0.0-test"})
                == 1.0);
    }

    @Test
    void noAddressEverReachesTheExposition() throws Exception {
        RotatingNanoIpRoutePlanner planner = new RotatingNanoIpRoutePlanner(new Ipv6Block("2001:db8::/124"));
        collectors(planner);
        for (int i = 0; i < 16; i++) {
            planner.markFailing(InetAddress.getByName("2001:db8::" + Integer.toHexString(i)));
            planner.markFailing(InetAddress.getByName("192.0.2." + i));
        }
        var text = new java.io.StringWriter();
        io.prometheus.client.exporter.common.TextFormat.write004(text, registry.metricFamilySamples());
        for (String line : text.toString().split("\n")) {
            if (line.startsWith("lavametrics_route_planner")) {
                assertFalse(IPV6_OR_V4.matcher(line.replaceAll("\\} .*", "}")).find(), line);
            }
        }
        assertEquals(32, value("lavametrics_route_planner_failing_addresses"));
    }
}
