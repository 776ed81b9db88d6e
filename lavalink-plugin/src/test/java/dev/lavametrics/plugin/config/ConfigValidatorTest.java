package dev.lavametrics.plugin.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.Group;
import dev.lavametrics.plugin.util.Json;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.mock.env.MockEnvironment;

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
        ConfigValidator.Result result =
                validate("{\"groups\": {\"rest\": \"true\"}, \"endpoint\": {\"enabled\": \"true\", \"port\": \"9100\","
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
        assertEquals(
                "endpoint.fooBar",
                onlyProblem(validate("{\"endpoint\": {\"foo-bar\": 1}}")).key());
    }

    @Test
    void badBucketsFallBackToDefaults() {
        for (String buckets : List.of("[0.5, 0.1]", "[0, 1]", "[]", "[\"a\"]", "[-1, 2]", "[1, 1]")) {
            ConfigValidator.Result result = validate("{\"buckets\": {\"restDurationSeconds\": " + buckets + "}}");
            assertEquals("buckets.restDurationSeconds", onlyProblem(result).key(), buckets);
            assertEquals(Catalog.REST_DURATION.buckets(), result.config().buckets(Catalog.REST_DURATION));
        }
        assertTrue(validate("{\"buckets\": {\"frameLossRatio\": [0, 0.5, 1]}}").valid());
        assertEquals(
                "buckets.frameLossRatio",
                onlyProblem(validate("{\"buckets\": {\"frameLossRatio\": [0.5, 1.5]}}"))
                        .key());
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
        ConfigValidator.Result result =
                validate("{\"endpoint\": {\"enabled\": true, \"port\": \"http\", \"path\": \"metrics\"}}");
        assertEquals(2, result.problems().size());
        assertFalse(result.config().endpoint().enabled());
        assertTrue(validate("{\"endpoint\": {\"enabled\": true}}")
                .config()
                .endpoint()
                .enabled());
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

    /** Problems as key|value|message|allowed, the fields contract 2 carries. */
    private static List<String> rows(String json) {
        return rows(validate(json));
    }

    private static List<String> rows(ConfigValidator.Result result) {
        List<String> rows = new ArrayList<>();
        for (ConfigProblem p : result.problems()) {
            rows.add(p.key() + "|" + p.value() + "|" + p.message() + "|" + p.allowed());
        }
        return rows;
    }

    private static final String CIDR = "IPv4 or IPv6 CIDR such as 10.0.0.0/8 or fd00::/8";

    @Test
    void edgeInputsOfIssue10AreDecided() {
        // allowlist notations one side of the project accepted and the other refused
        assertEquals(
                List.of("endpoint.allow|::ffff:10.0.0.0/104|IPv4-mapped IPv6 address: write the IPv4 network instead|"
                        + CIDR),
                rows("{\"endpoint\": {\"allow\": [\"::ffff:10.0.0.0/104\"]}}"));
        assertEquals(
                List.of("endpoint.allow|fe80::1%eth0/64|zone ids (%...) are not allowed in a network|" + CIDR),
                rows("{\"endpoint\": {\"allow\": [\"fe80::1%eth0/64\"]}}"));
        assertEquals(
                List.of("endpoint.allow|10.0.0.0/255.0.0.0|prefix length must be a number 0..32|" + CIDR),
                rows("{\"endpoint\": {\"allow\": [\"10.0.0.0/255.0.0.0\"]}}"));
        assertEquals(
                List.of("endpoint.allow||must list at least one network|" + CIDR),
                rows("{\"endpoint\": {\"allow\": []}}"));
        // non-finite bounds, as Python's json writes YAML's .nan and .inf
        String positive = "up to 30 finite, strictly increasing numbers > 0";
        assertEquals(
                List.of(
                        "buckets.voicePingSeconds|.nan|must be finite, strictly increasing numbers > 0; using the defaults|"
                                + positive),
                rows("{\"buckets\": {\"voicePingSeconds\": [NaN]}}"));
        assertEquals(
                List.of(
                        "buckets.voicePingSeconds|1,.inf|must be finite, strictly increasing numbers > 0; using the defaults|"
                                + positive),
                rows("{\"buckets\": {\"voicePingSeconds\": [1, Infinity]}}"));
        // 0 is a useful ratio bound: the tracks that lost nothing
        assertEquals(List.of(), rows("{\"buckets\": {\"frameLossRatio\": [0, 0.5]}}"));
        // a float port is refused (Spring's Integer conversion refuses it too) and shown as given
        assertEquals(
                List.of("endpoint.port|9477.0|must be an integer 1..65535|1..65535"),
                rows("{\"endpoint\": {\"port\": 9477.0}}"));
        assertEquals(List.of(), rows("{\"endpoint\": {\"enabled\": \" true\"}}"));
        assertEquals(
                List.of(), rows("{\"endpoint\": {\"auth\": {\"bearer_token\": \"t\"}}, \"groups\": {\"REST\": true}}"));
    }

    @Test
    void unknownKeysNeverShowTheirValue() {
        assertEquals(
                List.of("endpoint.passwrd|****|unknown key|enabled, host, port, path, auth, webConfigFile, allow"),
                rows("{\"endpoint\": {\"passwrd\": \"hunter2\"}}"));
        // a node with a secret below it is masked too; one without is shown
        assertEquals(
                List.of(
                        "endpoint.auth|****|must be a mapping|username, password, bearerToken, passwordFile, bearerTokenFile"),
                rows("{\"endpoint\": {\"auth\": \"hunter2\"}}"));
        assertEquals(
                List.of(
                        "groups|true|must be a mapping|sessions, players, tracks, loads, frames, voice, filters, rest, routeplanner"),
                rows("{\"groups\": true}"));
        assertEquals(
                "{\"valid\": false, \"errors\": [{\"key\": \"\", \"value\": \"****\", \"message\": \"must be a mapping\","
                        + " \"allowed\": \"groups, buckets, endpoint\"}]}",
                ConfigValidator.validateJson("\"hunter2\""));
    }

    @Test
    void endpointPortMustNotBeLavalinksOwn() {
        Map<?, ?> explicit = (Map<?, ?>) Json.parse("{\"endpoint\": {\"enabled\": true, \"port\": 2333}}");
        ConfigValidator.Result clash = ConfigValidator.validate(explicit, 2333);
        assertEquals(
                List.of(
                        "endpoint.port|2333|must differ from server.port (2333), Lavalink's own port|1..65535 except 2333"),
                rows(clash));
        assertFalse(clash.config().endpoint().enabled());
        assertTrue(ConfigValidator.validate(explicit, 8080).valid());
        assertTrue(ConfigValidator.validate(explicit).valid(), "without a server port there is nothing to compare");
        assertTrue(ConfigValidator.validate(explicit, -1).valid(), "a port that cannot be told compares nothing");
        assertTrue(ConfigValidator.validate(explicit, 0).valid(), "nor does 'any free port'");
        // the default port clashes only once the endpoint is on
        Map<?, ?> on = (Map<?, ?>) Json.parse("{\"endpoint\": {\"enabled\": \"yes\"}}");
        assertEquals(
                List.of(
                        "endpoint.port|null|must differ from server.port (9477), Lavalink's own port|1..65535 except 9477"),
                rows(ConfigValidator.validate(on, 9477)));
        assertTrue(ConfigValidator.validate(Map.of(), 9477).valid());
        assertEquals(
                "{\"valid\": false, \"errors\": [{\"key\": \"endpoint.port\", \"value\": \"2333\", \"message\":"
                        + " \"must differ from server.port (2333), Lavalink's own port\", \"allowed\": \"1..65535 except 2333\"}]}",
                ConfigValidator.validateJson("{\"endpoint\": {\"port\": 2333}}", 2333));
    }

    /** server.port as written: unset is Spring Boot's default, as on the running node; no port compares nothing. */
    @Test
    void serverPortIsReadFromItsSetting() {
        assertEquals(8080, ConfigValidator.serverPort(null));
        assertEquals(2333, ConfigValidator.serverPort(" 2333 "));
        assertEquals(0, ConfigValidator.serverPort("0"));
        assertEquals(-1, ConfigValidator.serverPort("${PORT:2333}"));
        assertEquals(-1, ConfigValidator.serverPort("70000"));
        assertEquals(-1, ConfigValidator.serverPort("-5"));
        assertEquals(-1, ConfigValidator.serverPort("99999999999999999999"));
    }

    @Test
    void bucketListsAreCapped() {
        StringBuilder many = new StringBuilder("[");
        for (int i = 1; i <= 5000; i++) {
            many.append(i == 1 ? "" : ", ").append(i);
        }
        ConfigValidator.Result result = validate("{\"buckets\": {\"restDurationSeconds\": " + many + "]}}");
        ConfigProblem problem = onlyProblem(result);
        assertEquals("must have at most 30 bounds (has 5000); using the defaults", problem.message());
        assertEquals(Catalog.REST_DURATION.buckets(), result.config().buckets(Catalog.REST_DURATION));
        String thirty = many.substring(0, many.indexOf(", 31")) + "]";
        assertTrue(validate("{\"buckets\": {\"restDurationSeconds\": " + thirty + "}}")
                .valid());
    }

    @Test
    void twoSpellingsOfOneKeyAreAProblem() {
        assertEquals(
                List.of("endpoint.auth.bearerToken|****|given twice (as bearerToken and bearer-token): keep one|null"),
                rows("{\"endpoint\": {\"auth\": {\"bearerToken\": \"a\", \"bearer-token\": \"b\"}}}"));
        ConfigValidator.Result result = validate("{\"groups\": {\"rest\": true, \"REST\": false}}");
        assertEquals(List.of("groups.rest|false|given twice (as rest and REST): keep one|null"), rows(result));
        assertTrue(result.config().enabled(Group.REST), "the first spelling counts, as in Spring");
    }

    @Test
    void stringFormsFollowSpringsBooleanWordsAndTrim() {
        ConfigValidator.Result result =
                validate("{\"groups\": {\"rest\": \" ON \", \"tracks\": \"no\", \"loads\": \"0\"},"
                        + " \"endpoint\": {\"port\": \" 9100\\t\"}}");
        assertTrue(result.valid(), result.problems().toString());
        assertTrue(result.config().enabled(Group.REST));
        assertFalse(result.config().enabled(Group.TRACKS));
        assertFalse(result.config().enabled(Group.LOADS));
        assertEquals(9100, result.config().endpoint().port());
        assertEquals(List.of("groups.rest|1|must be a boolean|true, false"), rows("{\"groups\": {\"rest\": 1}}"));
        assertEquals(
                List.of(
                        "endpoint.host|  |must not be blank|an address or host name",
                        "endpoint.port|+80|must be an integer 1..65535|1..65535",
                        "endpoint.auth.password|****|must not be blank|a non-blank string"),
                rows(
                        "{\"endpoint\": {\"auth\": {\"username\": \"u\", \"password\": \" \"}, \"port\": \"+80\", \"host\": \"  \"}}"));
    }

    @Test
    void problemsComeInCatalogOrderAfterShapeProblems() {
        assertEquals(
                List.of(
                        "colour|****|unknown key|groups, buckets, endpoint",
                        "groups.rest|maybe|must be a boolean|true, false",
                        "buckets.loadDurationSeconds|a|must be a list of numbers; using the defaults|up to 30 finite, strictly increasing numbers > 0",
                        "buckets.frameLossRatio|2|must be strictly increasing numbers within 0..1; using the defaults|up to 30 strictly increasing numbers within 0..1",
                        "endpoint.port|0|must be an integer 1..65535|1..65535",
                        "endpoint.auth.password|null|basic auth needs both username and password|null"),
                rows(
                        "{\"endpoint\": {\"auth\": {\"username\": \"u\"}, \"port\": 0}, \"buckets\": {\"frameLossRatio\": [2],"
                                + " \"loadDurationSeconds\": \"a\"}, \"groups\": {\"rest\": \"maybe\"}, \"colour\": \"blue\"}"));
    }

    /**
     * The spellings Spring really hands over when the tree is bound as an untyped map, as the
     * plugin binds it: keys as written in YAML and properties, lower-cased from the environment.
     * Each must be accepted, because a typed Spring property would be.
     */
    @Test
    void acceptsTheKeySpellingsSpringDelivers() {
        StandardEnvironment environment = new StandardEnvironment();
        environment
                .getPropertySources()
                .addFirst(new MapPropertySource(
                        "yaml",
                        Map.of(
                                "plugins.lavametrics.endpoint.auth.bearer_token", "t0ken",
                                "plugins.lavametrics.groups.REST", true,
                                "plugins.lavametrics.groups.Tracks", "false",
                                "plugins.lavametrics.buckets.load-duration-seconds", "0.5,5")));
        environment
                .getPropertySources()
                .addFirst(new SystemEnvironmentPropertySource(
                        StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                        Map.of(
                                "PLUGINS_LAVAMETRICS_ENDPOINT_ENABLED",
                                "TRUE",
                                "PLUGINS_LAVAMETRICS_ENDPOINT_PORT",
                                "9100")));
        Map<String, Object> raw = Binder.get(environment)
                .bind("plugins.lavametrics", Bindable.mapOf(String.class, Object.class))
                .get();
        assertEquals(
                Map.of("bearer_token", "t0ken"),
                ((Map<?, ?>) ((Map<?, ?>) raw.get("endpoint")).get("auth")),
                "Spring keeps the underscore spelling: " + raw);
        ConfigValidator.Result result = ConfigValidator.validate(raw);
        assertTrue(result.valid(), result.problems() + " for " + raw);
        assertEquals("t0ken", result.config().endpoint().bearerToken());
        assertTrue(result.config().enabled(Group.REST));
        assertFalse(result.config().enabled(Group.TRACKS));
        assertTrue(result.config().endpoint().enabled());
        assertEquals(9100, result.config().endpoint().port());
        assertEquals(List.of(0.5, 5.0), result.config().buckets(Catalog.LOAD_DURATION));
        assertNull(new MockEnvironment().getProperty("plugins.lavametrics.endpoint.port"));
    }

    @Test
    void cidrGrammar() {
        Map<String, String> refused = new LinkedHashMap<>();
        refused.put("010.0.0.1", "not an IP address");
        refused.put("1.2.3.4.", "not an IP address");
        refused.put("1.2.3", "not an IP address");
        refused.put("example.com", "not an IP address");
        refused.put("", "not an IP address");
        refused.put("1:2:3:4:5:6:7:8:9", "not an IP address");
        refused.put("1::2::3", "not an IP address");
        refused.put("12345::", "not an IP address");
        refused.put("::1.2.3.256", "not an IP address");
        refused.put("10.0.0.0/8/8", "prefix length must be a number 0..32");
        refused.put("10.0.0.0/+8", "prefix length must be a number 0..32");
        refused.put("::/129", "prefix length must be a number 0..128");
        refused.put("::ffff:0:0/96", "IPv4-mapped IPv6 address: write the IPv4 network instead");
        refused.forEach((text, message) -> {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                    IllegalArgumentException.class, () -> Cidr.parse(text), text);
            assertEquals(message, e.getMessage(), text);
        });
        for (String ok : List.of(
                "0.0.0.0/0",
                "::/0",
                "1:2:3:4:5:6:7::",
                "::1.2.3.4",
                "64:ff9b::192.0.2.1/96",
                "1:2:3:4:5:6:7:8",
                " 10.1.2.3/8 ",
                "10.0.0.1/08")) {
            Cidr.parse(ok);
        }
    }

    @Test
    void cidrWithEmbeddedIpv4Matches() throws Exception {
        assertTrue(Cidr.parse("64:ff9b::/96").contains(InetAddress.getByName("64:ff9b::c000:201")));
        assertTrue(Cidr.parse("64:ff9b::192.0.2.1").contains(InetAddress.getByName("64:ff9b::c000:201")));
        assertTrue(Cidr.parse("10.0.0.1/8").contains(InetAddress.getByName("10.200.0.1")));
    }

    @Test
    void valuesReadAsPythonShowsThem() {
        // expected texts are Python's repr() of the same floats
        Map<Double, String> cases = new LinkedHashMap<>();
        cases.put(9477.0, "9477.0");
        cases.put(0.1, "0.1");
        cases.put(1e16, "1e+16");
        cases.put(1e15, "1000000000000000.0");
        cases.put(1e-4, "0.0001");
        cases.put(1e-5, "1e-05");
        cases.put(-2.5, "-2.5");
        cases.put(-0.0, "-0.0");
        cases.put(5e-324, "5e-324");
        cases.put(1.7976931348623157e308, "1.7976931348623157e+308");
        cases.put(2.82879384806159e17, "2.82879384806159e+17");
        cases.put(1.0 / 3, "0.3333333333333333");
        cases.put(123456789012345.67, "123456789012345.67");
        cases.put(Double.NaN, ".nan");
        cases.put(Double.NEGATIVE_INFINITY, "-.inf");
        cases.forEach((value, text) -> assertEquals(text, ValueText.number(value), String.valueOf(value)));
        assertEquals("1,[2, null],{a: true}", ValueText.of(Json.parse("[1, [2, null], {\"a\": true}]")));
        assertEquals("123456789012345678901234567890", ValueText.of(Json.parse("123456789012345678901234567890")));
    }

    /** Issue 20: secrets from files and the exporter-toolkit web config; one source of credentials. */
    @Test
    void credentialsFromFilesAndTheWebConfigFile() {
        ConfigValidator.Result files = validate("{\"endpoint\":{\"enabled\":true,\"auth\":{\"username\":\"u\","
                + "\"passwordFile\":\"/run/secrets/pw\"}}}");
        assertTrue(files.valid(), files.problems().toString());
        assertTrue(files.config().endpoint().enabled());
        assertEquals("/run/secrets/pw", files.config().endpoint().passwordFile());
        assertNull(files.config().endpoint().password());

        ConfigValidator.Result web = validate("{\"endpoint\":{\"enabled\":true,\"web-config-file\":\"web.yml\"}}");
        assertTrue(web.valid(), web.problems().toString());
        assertEquals("web.yml", web.config().endpoint().webConfigFile());

        ConfigProblem both = onlyProblem(validate("{\"endpoint\":{\"enabled\":true,\"auth\":{\"bearerToken\":\"t\","
                + "\"bearerTokenFile\":\"/run/t\"}}}"));
        assertEquals("endpoint.auth.bearerTokenFile", both.key());
        ConfigValidator.Result mixed = validate("{\"endpoint\":{\"enabled\":true,\"webConfigFile\":\"web.yml\","
                + "\"auth\":{\"username\":\"u\",\"password\":\"hunter2\"}}}");
        assertEquals("endpoint.webConfigFile", onlyProblem(mixed).key());
        assertFalse(mixed.config().endpoint().enabled());
        assertFalse(mixed.problems().toString().contains("hunter2"));
    }
}
