package dev.lavametrics.plugin.config;

import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.Group;
import dev.lavametrics.plugin.util.Json;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigValidatorTest {

    private static ConfigValidator.Result validate(String json) {
        return ConfigValidator.validate((Map<?, ?>) Json.parse(json));
    }

    private static ConfigProblem onlyProblem(ConfigValidator.Result result) {
        assertEquals(1, result.problems().size(), result.problems().toString());
        return result.problems().get(0);
    }

    @Test
    void emptyConfigIsValidWithDefaults() {
        ConfigValidator.Result result = validate("{}");
        assertTrue(result.valid());
        LavametricsConfig config = result.config();
        assertTrue(config.enabled(Group.TRACKS));
        assertFalse(config.enabled(Group.REST));
        assertTrue(config.enabled(Group.SELF));
        assertFalse(config.endpoint().enabled());
        assertEquals(9477, config.endpoint().port());
        assertEquals("/metrics", config.endpoint().path());
        assertEquals(Catalog.LOAD_DURATION.buckets(), config.buckets(Catalog.LOAD_DURATION));
        assertEquals(2, config.endpoint().allow().size());
    }

    @Test
    void validateJsonFollowsTheContract() {
        String out = ConfigValidator.validateJson("{\"endpoint\": {\"port\": 99999}}");
        Map<?, ?> result = (Map<?, ?>) Json.parse(out);
        assertEquals(false, result.get("valid"));
        Map<?, ?> error = (Map<?, ?>) ((List<?>) result.get("errors")).get(0);
        assertEquals("endpoint.port", error.get("key"));
        assertEquals("99999", error.get("value"));
        assertEquals("must be an integer 1..65535", error.get("message"));
        assertEquals("1..65535", error.get("allowed"));
        assertEquals("{\"valid\": true, \"errors\": []}", ConfigValidator.validateJson("{}"));
        assertEquals(false, ((Map<?, ?>) Json.parse(ConfigValidator.validateJson("{not json"))).get("valid"));
    }

    @Test
    void unknownKeyListsTheKnownOnes() {
        ConfigProblem problem = onlyProblem(validate("{\"groups\": {\"track\": false}}"));
        assertEquals("groups.track", problem.key());
        assertEquals("unknown key", problem.message());
        assertTrue(problem.allowed().contains("tracks"));
        assertTrue(problem.allowed().contains("rest"));
    }

    @Test
    void wrongTypeFallsBackToDefault() {
        ConfigValidator.Result result = validate("{\"groups\": {\"tracks\": \"maybe\"}}");
        assertEquals("groups.tracks", onlyProblem(result).key());
        assertEquals("must be a boolean", onlyProblem(result).message());
        assertTrue(result.config().enabled(Group.TRACKS));
    }

    @Test
    void stringFormsFromPropertySourcesAreAccepted() {
        ConfigValidator.Result result = validate(
                "{\"groups\": {\"rest\": \"true\"}, \"endpoint\": {\"enabled\": \"true\", \"port\": \"9100\","
                        + " \"allow\": \"10.0.0.0/8, fd00::/8\"}, \"buckets\": {\"voicePingSeconds\": \"0.1,0.2\"}}");
        assertTrue(result.valid(), result.problems().toString());
        assertTrue(result.config().enabled(Group.REST));
        assertEquals(9100, result.config().endpoint().port());
        assertEquals(2, result.config().endpoint().allow().size());
        assertEquals(List.of(0.1, 0.2), result.config().buckets(Catalog.VOICE_PING));
    }

    @Test
    void kebabCaseIsAcceptedAndReportedInCamelCase() {
        ConfigValidator.Result ok = validate(
                "{\"endpoint\": {\"auth\": {\"bearer-token\": \"t\"}}, \"buckets\": {\"load-duration-seconds\": [1, 2]}}");
        assertTrue(ok.valid(), ok.problems().toString());
        assertEquals("t", ok.config().endpoint().bearerToken());
        assertEquals(List.of(1.0, 2.0), ok.config().buckets(Catalog.LOAD_DURATION));

        ConfigProblem problem = onlyProblem(validate("{\"buckets\": {\"frame-loss-ratio\": [0.5, 2]}}"));
        assertEquals("buckets.frameLossRatio", problem.key());
        assertEquals("endpoint.fooBar", onlyProblem(validate("{\"endpoint\": {\"foo-bar\": 1}}")).key());
    }

    @Test
    void badBucketsFallBackToDefaults() {
        for (String buckets : List.of("[0.5, 0.1]", "[0, 1]", "[]", "[\"a\"]", "[-1, 2]", "[1, 1]")) {
            ConfigValidator.Result result = validate("{\"buckets\": {\"restDurationSeconds\": " + buckets + "}}");
            assertEquals("buckets.restDurationSeconds", onlyProblem(result).key(), buckets);
            assertEquals(Catalog.REST_DURATION.buckets(), result.config().buckets(Catalog.REST_DURATION));
        }
        assertTrue(validate("{\"buckets\": {\"frameLossRatio\": [0, 0.5, 1]}}").valid());
        assertEquals("buckets.frameLossRatio", onlyProblem(validate("{\"buckets\": {\"frameLossRatio\": [0.5, 1.5]}}")).key());
    }

    @Test
    void badCidrDisablesTheEndpoint() {
        ConfigValidator.Result result = validate(
                "{\"endpoint\": {\"enabled\": true, \"allow\": [\"10.0.0.0/8\", \"10.0.0.300/8\", \"example.com\","
                        + " \"::1/129\"]}}");
        assertEquals(3, result.problems().size(), result.problems().toString());
        assertTrue(result.problems().stream().allMatch(p -> p.key().equals("endpoint.allow")));
        assertEquals("10.0.0.300/8", result.problems().get(0).value());
        assertFalse(result.config().endpoint().enabled());
    }

    @Test
    void basicAndBearerAreExclusive() {
        ConfigValidator.Result result = validate("{\"endpoint\": {\"enabled\": true, \"auth\": {\"username\": \"u\","
                + " \"password\": \"secret\", \"bearerToken\": \"token\"}}}");
        ConfigProblem problem = onlyProblem(result);
        assertEquals("endpoint.auth.bearerToken", problem.key());
        assertFalse(problem.toString().contains("token\""));
        assertFalse(result.config().endpoint().enabled());
    }

    @Test
    void basicAuthNeedsBothParts() {
        ConfigProblem problem = onlyProblem(validate("{\"endpoint\": {\"auth\": {\"username\": \"u\"}}}"));
        assertEquals("endpoint.auth.password", problem.key());
    }

    @Test
    void secretsAreMaskedInProblems() {
        ConfigProblem problem = onlyProblem(validate("{\"endpoint\": {\"auth\": {\"bearerToken\": [\"hunter2\"]}}}"));
        assertFalse(problem.logLine().contains("hunter2"), problem.logLine());
    }

    @Test
    void badPortAndPathDisableTheEndpoint() {
        ConfigValidator.Result result = validate("{\"endpoint\": {\"enabled\": true, \"port\": \"http\", \"path\": \"metrics\"}}");
        assertEquals(2, result.problems().size());
        assertFalse(result.config().endpoint().enabled());
        assertTrue(validate("{\"endpoint\": {\"enabled\": true}}").config().endpoint().enabled());
    }

    @Test
    void cidrMatchesIpv4AndIpv6() throws Exception {
        assertTrue(Cidr.parse("10.1.0.0/16").contains(InetAddress.getByName("10.1.255.3")));
        assertFalse(Cidr.parse("10.1.0.0/16").contains(InetAddress.getByName("10.2.0.1")));
        assertTrue(Cidr.parse("fd00::/8").contains(InetAddress.getByName("fd12::1")));
        assertFalse(Cidr.parse("fd00::/8").contains(InetAddress.getByName("10.0.0.1")));
        assertTrue(Cidr.parse("192.168.1.7").contains(InetAddress.getByName("192.168.1.7")));
        assertTrue(Cidr.parse("10.0.0.0/9").contains(InetAddress.getByName("10.127.0.1")));
        assertFalse(Cidr.parse("10.0.0.0/9").contains(InetAddress.getByName("10.128.0.1")));
    }
}
