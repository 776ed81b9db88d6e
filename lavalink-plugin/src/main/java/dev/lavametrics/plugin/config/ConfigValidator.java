package dev.lavametrics.plugin.config;

import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.ConfigKey;
import dev.lavametrics.plugin.catalog.Family;
import dev.lavametrics.plugin.catalog.Group;
import dev.lavametrics.plugin.util.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks the {@code plugins.lavametrics} tree against {@link Catalog#CONFIG} and derives the
 * effective config. Never throws on bad input: a node must start whatever the operator wrote,
 * so every problem is reported and its part falls back (group → default, buckets → defaults,
 * anything under endpoint → endpoint off).
 *
 * <p>These are the only rules: {@code lavametrics config validate} runs this class through
 * {@code java -cp <jar>} (see {@link #main}), and {@code lavametrics.configcheck} is a
 * line-by-line twin for machines without Java that a property test holds to the same problem
 * lists. Change both together. The rules, and why:
 * <ul>
 * <li>Key spellings: the tree arrives as an untyped map, so Spring hands over the keys as written
 *     ({@code bearer_token}, {@code REST}) and, from environment variables, lower-cased
 *     ({@code bearertoken}). A typed Spring property would accept all of them (relaxed binding
 *     ignores case, {@code -} and {@code _}), so a key matches when it equals a catalog key after
 *     dropping {@code -} and {@code _} and lower-casing ASCII letters. Two spellings of one key in
 *     one mapping are a problem: Spring gives both the first one's value, silently.</li>
 * <li>Values may arrive typed (YAML, JSON) or as strings (property sources, environment), so
 *     strings are accepted in every place, trimmed as {@link String#trim} does.</li>
 * <li>Booleans: {@code true/false}, and as strings also {@code yes/no/on/off/1/0}, ASCII
 *     case-insensitive: what Spring's own string-to-boolean conversion accepts, and so a YAML 1.1
 *     {@code yes} (a Boolean to the node's SnakeYAML) means the same as the string a YAML 1.2
 *     reader such as the CLI's makes of it.</li>
 * <li>{@code endpoint.port}: an integer 1..65535; {@code 9477.0} is refused (a typed Spring port
 *     would fail on it too). It must differ from Lavalink's {@code server.port} when that is
 *     known ({@link #validate(Map, int)}).</li>
 * <li>Buckets: 1..{@value Catalog#MAX_BUCKET_BOUNDS} finite, strictly increasing numbers, each
 *     above 0, or within 0..1 for {@code frameLossRatio}, where 0 is a useful bound (no loss).</li>
 * <li>Credentials come from one place: {@code auth.password} or {@code auth.passwordFile},
 *     {@code auth.bearerToken} or {@code auth.bearerTokenFile}, and {@code webConfigFile} excludes
 *     all of {@code auth}. Files are read when the endpoint starts, not here: the validator
 *     judges the mapping alone, the same on the node and in {@code lavametrics config validate}.</li>
 * <li>{@code endpoint.allow}: literal networks as {@link Cidr} parses them; an empty list is
 *     refused (it would lock every client out of an endpoint nobody could then scrape).</li>
 * <li>Shown values: a value is shown only when its key is a known, non-secret setting (or a
 *     node with no secret below it); everything else reads {@value #MASK}.</li>
 * </ul>
 * Problems come in a fixed order: shape problems (unknown keys, misplaced values, duplicates) in
 * input order, then one check per setting in catalog order, then the checks across settings.
 * JDK-only, like the catalog.
 */
public final class ConfigValidator {
    /** Lavalink's {@code server.port} when none is set. */
    public static final int LAVALINK_DEFAULT_PORT = 2333;

    public static final String MASK = "****";

    private static final Set<String> TRUE_WORDS = Set.of("true", "yes", "on", "1");
    private static final Set<String> FALSE_WORDS = Set.of("false", "no", "off", "0");
    private static final Pattern DIGITS = Pattern.compile("[0-9]+");
    private static final Pattern DECIMAL = Pattern.compile("[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?");
    private static final String BOOLEAN_ALLOWED = "true, false";
    private static final String PORT_ALLOWED = "1..65535";
    private static final String CIDR_ALLOWED = "IPv4 or IPv6 CIDR such as 10.0.0.0/8 or fd00::/8";
    private static final String CREDENTIAL_ALLOWED = "a non-blank string";
    private static final String FILE_ALLOWED = "a file path";

    private final Integer serverPort;
    private final List<ConfigProblem> problems = new ArrayList<>();
    /** Given values by catalog key; null values are left out (an empty YAML value means "not set"). */
    private final Map<String, Object> leaves = new LinkedHashMap<>();

    private final Map<Group, Boolean> groups = new LinkedHashMap<>();
    private final Map<String, List<Double>> buckets = new LinkedHashMap<>();
    private final Map<String, String> strings = new LinkedHashMap<>();
    private boolean endpointEnabled;
    private int port;
    private List<Cidr> allow = List.of();

    private ConfigValidator(Integer serverPort) {
        this.serverPort = serverPort;
    }

    /** The outcome: problems in the order described above and the config to run with. */
    public record Result(List<ConfigProblem> problems, LavametricsConfig config) {
        public boolean valid() {
            return problems.isEmpty();
        }
    }

    /** Validates without knowing Lavalink's port, so {@code endpoint.port} is not compared with it. */
    public static Result validate(Map<?, ?> raw) {
        return run(raw, null);
    }

    /**
     * Validates for a node whose Spring {@code server.port} is {@code serverPort} (pass
     * {@link #LAVALINK_DEFAULT_PORT} when it is not set): the own endpoint must not take it.
     */
    public static Result validate(Map<?, ?> raw, int serverPort) {
        return run(raw, serverPort);
    }

    /** Contract 2: takes the {@code plugins.lavametrics} mapping as JSON, returns {@code {"valid", "errors"}}. */
    public static String validateJson(String json) {
        return validateJson(json, null);
    }

    /** {@link #validateJson(String)} for a node listening on {@code serverPort}. */
    public static String validateJson(String json, int serverPort) {
        return validateJson(json, Integer.valueOf(serverPort));
    }

    private static String validateJson(String json, Integer serverPort) {
        List<ConfigProblem> found;
        try {
            Object tree = Json.parse(json);
            if (tree == null || tree instanceof Map) {
                found = run((Map<?, ?>) tree, serverPort).problems();
            } else {
                found = List.of(new ConfigProblem("", MASK, "must be a mapping", String.join(", ", children(""))));
            }
        } catch (IllegalArgumentException e) {
            found = List.of(new ConfigProblem("", null, e.getMessage(), null));
        }
        List<Object> errors = new ArrayList<>();
        for (ConfigProblem problem : found) {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("key", problem.key());
            error.put("value", problem.value());
            error.put("message", problem.message());
            error.put("allowed", problem.allowed());
            errors.add(error);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("valid", found.isEmpty());
        result.put("errors", errors);
        return Json.writeAscii(result);
    }

    /**
     * {@code java -cp <plugin jar> dev.lavametrics.plugin.config.ConfigValidator [--server-port N] [--lines]}:
     * reads the mapping as JSON (UTF-8) on stdin and prints {@link #validateJson} on stdout. With
     * {@code --lines} every input line is one mapping and gets one result line, so one JVM can
     * answer many questions. Exit 0 whatever the verdict; 2 for bad arguments.
     */
    public static void main(String[] args) throws IOException {
        Integer serverPort = null;
        boolean lines = false;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--lines")) {
                lines = true;
            } else if (args[i].equals("--server-port")
                    && i + 1 < args.length
                    && DIGITS.matcher(args[i + 1]).matches()
                    && args[i + 1].length() <= 5) {
                serverPort = Integer.parseInt(args[++i]);
            } else {
                System.err.println("usage: ConfigValidator [--server-port N] [--lines] < mapping.json");
                System.exit(2);
                return;
            }
        }
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        if (lines) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                out.println(validateJson(line, serverPort));
                out.flush();
            }
        } else {
            StringBuilder text = new StringBuilder();
            char[] buffer = new char[8192];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                text.append(buffer, 0, n);
            }
            out.println(validateJson(text.toString(), serverPort));
        }
        out.flush();
    }

    private static Result run(Map<?, ?> raw, Integer serverPort) {
        ConfigValidator validator = new ConfigValidator(serverPort);
        if (raw != null) {
            validator.walk("", raw);
        }
        for (ConfigKey key : Catalog.CONFIG) {
            validator.check(key);
        }
        validator.crossChecks();
        return new Result(List.copyOf(validator.problems), validator.effectiveConfig());
    }

    // --- shape ------------------------------------------------------------------------------

    private void walk(String prefix, Map<?, ?> map) {
        Map<String, String> seen = new LinkedHashMap<>(); // catalog segment -> spelling used first
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            String given = String.valueOf(entry.getKey());
            Object value = entry.getValue();
            String segment = canonicalChild(prefix, given);
            if (segment == null) {
                problems.add(new ConfigProblem(
                        prefix + camelCase(given),
                        value == null ? null : MASK,
                        "unknown key",
                        String.join(", ", children(prefix))));
                continue;
            }
            String key = prefix + segment;
            if (seen.containsKey(segment)) {
                problems.add(new ConfigProblem(
                        key,
                        display(key, value),
                        "given twice (as " + seen.get(segment) + " and " + given + "): keep one",
                        null));
                continue;
            }
            seen.put(segment, given);
            if (isLeaf(key)) {
                if (value != null) {
                    leaves.put(key, value);
                }
            } else if (value instanceof Map<?, ?> nested) {
                walk(key + ".", nested);
            } else if (value != null) {
                problems.add(new ConfigProblem(
                        key, display(key, value), "must be a mapping", String.join(", ", children(key + "."))));
            }
        }
    }

    // --- one check per setting ----------------------------------------------------------------

    private void check(ConfigKey key) {
        String name = key.key();
        if (name.startsWith("groups.")) {
            Group group = Group.valueOf(name.substring("groups.".length()).toUpperCase(Locale.ROOT));
            groups.put(group, booleanValue(name, group.defaultEnabled()));
        } else if (name.startsWith("buckets.")) {
            String bucketsKey = name.substring("buckets.".length());
            buckets.put(bucketsKey, bucketsValue(bucketFamily(bucketsKey), name));
        } else {
            switch (name) {
                case "endpoint.enabled" -> endpointEnabled = booleanValue(name, false);
                case "endpoint.port" -> port = portValue(name, Integer.parseInt(key.defaultValue()));
                case "endpoint.host" ->
                    stringValue(
                            name,
                            key.defaultValue(),
                            "an address or host name",
                            text -> text.trim().isEmpty() ? "must not be blank" : null);
                case "endpoint.path" ->
                    stringValue(
                            name,
                            key.defaultValue(),
                            "/<path>",
                            text -> text.startsWith("/") ? null : "must start with /");
                case "endpoint.auth.username", "endpoint.auth.password", "endpoint.auth.bearerToken" ->
                    stringValue(
                            name, null, CREDENTIAL_ALLOWED, text -> text.trim().isEmpty() ? "must not be blank" : null);
                case "endpoint.auth.passwordFile", "endpoint.auth.bearerTokenFile", "endpoint.webConfigFile" ->
                    stringValue(name, null, FILE_ALLOWED, text -> text.trim().isEmpty() ? "must not be blank" : null);
                case "endpoint.allow" -> allow = allowValue(name, key.defaultValue());
                default -> throw new IllegalStateException("no check for config key " + name);
            }
        }
    }

    private boolean booleanValue(String key, boolean fallback) {
        Object value = leaves.get(key);
        if (value == null) {
            return fallback;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        if (value instanceof String text) {
            String word = asciiLower(text.trim());
            if (TRUE_WORDS.contains(word) || FALSE_WORDS.contains(word)) {
                return TRUE_WORDS.contains(word);
            }
        }
        problems.add(new ConfigProblem(key, display(key, value), "must be a boolean", BOOLEAN_ALLOWED));
        return fallback;
    }

    private int portValue(String key, int fallback) {
        Object value = leaves.get(key);
        if (value == null) {
            return fallback;
        }
        BigInteger number = null;
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
            number = BigInteger.valueOf(((Number) value).longValue());
        } else if (value instanceof BigInteger big) {
            number = big;
        } else if (value instanceof String text && DIGITS.matcher(text.trim()).matches()) {
            number = new BigInteger(text.trim());
        }
        if (number != null
                && number.compareTo(BigInteger.ONE) >= 0
                && number.compareTo(BigInteger.valueOf(65535)) <= 0) {
            return number.intValue();
        }
        problems.add(new ConfigProblem(key, display(key, value), "must be an integer 1..65535", PORT_ALLOWED));
        return fallback;
    }

    private interface StringRule {
        /** The problem with this text, or null. */
        String problem(String text);
    }

    private void stringValue(String key, String fallback, String allowed, StringRule rule) {
        Object value = leaves.get(key);
        String text = fallback;
        if (value instanceof Map || value instanceof List) {
            problems.add(new ConfigProblem(key, display(key, value), "must be a string", allowed));
        } else if (value != null) {
            String given = ValueText.of(value);
            String problem = rule.problem(given);
            if (problem == null) {
                text = given;
            } else {
                problems.add(new ConfigProblem(key, display(key, value), problem, allowed));
            }
        }
        if (text != null) {
            strings.put(key, text);
        }
    }

    private List<Double> bucketsValue(Family family, String key) {
        Object value = leaves.get(key);
        if (value == null) {
            return family.buckets();
        }
        boolean ratio = family == Catalog.FRAME_LOSS;
        String shape = ratio ? "strictly increasing numbers within 0..1" : "finite, strictly increasing numbers > 0";
        String allowed = "up to " + Catalog.MAX_BUCKET_BOUNDS + " " + shape;
        List<?> items = listItems(value);
        List<Double> bounds = new ArrayList<>();
        for (Object item : items == null ? List.of() : items) {
            Double bound = number(item);
            if (bound == null) {
                break;
            }
            bounds.add(bound);
        }
        if (items == null || bounds.size() < items.size()) {
            return bucketProblem(family, key, value, "must be a list of numbers", allowed);
        }
        if (bounds.isEmpty()) {
            return bucketProblem(family, key, value, "must not be empty", allowed);
        }
        if (bounds.size() > Catalog.MAX_BUCKET_BOUNDS) {
            return bucketProblem(
                    family,
                    key,
                    value,
                    "must have at most " + Catalog.MAX_BUCKET_BOUNDS + " bounds (has " + bounds.size() + ")",
                    allowed);
        }
        for (int i = 0; i < bounds.size(); i++) {
            double bound = bounds.get(i);
            boolean inRange = ratio ? bound >= 0 && bound <= 1 : bound > 0 && !Double.isInfinite(bound);
            if (!inRange || Double.isNaN(bound) || (i > 0 && bound <= bounds.get(i - 1))) {
                return bucketProblem(family, key, value, "must be " + shape, allowed);
            }
        }
        return List.copyOf(bounds);
    }

    /** A number as given, or a decimal string; null for anything else (booleans included). */
    private static Double number(Object item) {
        if (item instanceof Boolean || !(item instanceof Number || item instanceof String)) {
            return null;
        }
        if (item instanceof Number n) {
            return n.doubleValue();
        }
        String text = ((String) item).trim();
        return DECIMAL.matcher(text).matches() ? Double.parseDouble(text) : null;
    }

    private List<Double> bucketProblem(Family family, String key, Object value, String message, String allowed) {
        problems.add(new ConfigProblem(key, display(key, value), message + "; using the defaults", allowed));
        return family.buckets();
    }

    private List<Cidr> allowValue(String key, String fallback) {
        Object value = leaves.containsKey(key) ? leaves.get(key) : fallback;
        List<?> items = listItems(value);
        if (items == null) {
            problems.add(new ConfigProblem(key, display(key, value), "must be a list of networks", CIDR_ALLOWED));
            return List.of();
        }
        List<Cidr> networks = new ArrayList<>();
        boolean bad = false;
        for (Object item : items) {
            String text = ValueText.nested(item);
            try {
                networks.add(Cidr.parse(text));
            } catch (IllegalArgumentException e) {
                problems.add(new ConfigProblem(key, text, e.getMessage(), CIDR_ALLOWED));
                bad = true;
            }
        }
        if (networks.isEmpty() && !bad) {
            problems.add(new ConfigProblem(key, display(key, value), "must list at least one network", CIDR_ALLOWED));
        }
        return List.copyOf(networks);
    }

    /**
     * A list as given, or the comma-separated string a property source or the environment
     * delivers (blank parts dropped); null for a mapping.
     */
    private static List<?> listItems(Object value) {
        if (value instanceof List<?> list) {
            return list;
        }
        if (value instanceof Map) {
            return null;
        }
        List<String> items = new ArrayList<>();
        for (String part : ValueText.of(value).split(",", -1)) {
            if (!part.trim().isEmpty()) {
                items.add(part.trim());
            }
        }
        return items;
    }

    // --- across settings ------------------------------------------------------------------------

    private void crossChecks() {
        boolean username = givenScalar("endpoint.auth.username");
        boolean passwordText = givenScalar("endpoint.auth.password");
        boolean passwordFile = givenScalar("endpoint.auth.passwordFile");
        boolean tokenText = givenScalar("endpoint.auth.bearerToken");
        boolean tokenFile = givenScalar("endpoint.auth.bearerTokenFile");
        boolean webConfig = givenScalar("endpoint.webConfigFile");
        boolean password = passwordText || passwordFile;
        boolean bearer = tokenText || tokenFile;
        if (passwordText && passwordFile) {
            problems.add(new ConfigProblem(
                    "endpoint.auth.passwordFile",
                    display("endpoint.auth.passwordFile", leaves.get("endpoint.auth.passwordFile")),
                    "password and passwordFile are exclusive",
                    "one of them"));
        }
        if (tokenText && tokenFile) {
            problems.add(new ConfigProblem(
                    "endpoint.auth.bearerTokenFile",
                    display("endpoint.auth.bearerTokenFile", leaves.get("endpoint.auth.bearerTokenFile")),
                    "bearerToken and bearerTokenFile are exclusive",
                    "one of them"));
        }
        if (webConfig && (username || password || bearer)) {
            problems.add(new ConfigProblem(
                    "endpoint.webConfigFile",
                    display("endpoint.webConfigFile", leaves.get("endpoint.webConfigFile")),
                    "webConfigFile and endpoint.auth are exclusive",
                    "either webConfigFile or endpoint.auth.*"));
        }
        if (username != password) {
            String missing = username ? "endpoint.auth.password" : "endpoint.auth.username";
            problems.add(new ConfigProblem(missing, null, "basic auth needs both username and password", null));
        }
        if (bearer && (username || password)) {
            problems.add(new ConfigProblem(
                    "endpoint.auth.bearerToken",
                    MASK,
                    "basic auth and bearer token are exclusive",
                    "either username+password or bearerToken"));
        }
        // the default port counts only once the endpoint is on: a node on 9477 with the endpoint off is fine
        String portKey = "endpoint.port";
        Object given = leaves.get(portKey);
        if (serverPort != null && port == serverPort && !hasProblemAt(portKey) && (given != null || endpointEnabled)) {
            problems.add(new ConfigProblem(
                    portKey,
                    display(portKey, given),
                    "must differ from server.port (" + serverPort + "), Lavalink's own port",
                    "1..65535 except " + serverPort));
        }
    }

    /** Whether a setting was given as a scalar (present, even if blank). */
    private boolean givenScalar(String key) {
        Object value = leaves.get(key);
        return value != null && !(value instanceof Map) && !(value instanceof List);
    }

    private LavametricsConfig effectiveConfig() {
        Set<Group> enabled = EnumSet.of(Group.SELF);
        groups.forEach((group, on) -> {
            if (on) {
                enabled.add(group);
            }
        });
        boolean endpointFaulty = problems.stream()
                .anyMatch(p -> p.key().equals("endpoint") || p.key().startsWith("endpoint."));
        EndpointSettings endpoint = new EndpointSettings(
                endpointEnabled && !endpointFaulty,
                strings.get("endpoint.host"),
                port,
                strings.get("endpoint.path"),
                strings.get("endpoint.auth.username"),
                strings.get("endpoint.auth.password"),
                strings.get("endpoint.auth.bearerToken"),
                allow,
                strings.get("endpoint.auth.passwordFile"),
                strings.get("endpoint.auth.bearerTokenFile"),
                strings.get("endpoint.webConfigFile"));
        return new LavametricsConfig(Set.copyOf(enabled), Map.copyOf(buckets), endpoint);
    }

    private boolean hasProblemAt(String key) {
        return problems.stream().anyMatch(p -> p.key().equals(key));
    }

    // --- names and shown values -----------------------------------------------------------------

    private static Family bucketFamily(String bucketsKey) {
        for (Family family : Catalog.FAMILIES) {
            if (bucketsKey.equals(family.bucketsKey())) {
                return family;
            }
        }
        throw new IllegalStateException("no histogram for buckets." + bucketsKey);
    }

    private static boolean isLeaf(String key) {
        return Catalog.CONFIG.stream().anyMatch(k -> k.key().equals(key));
    }

    /** Next path segments below {@code prefix} (which is empty or ends with a dot). */
    private static List<String> children(String prefix) {
        Set<String> names = new LinkedHashSet<>();
        for (ConfigKey key : Catalog.CONFIG) {
            if (key.key().startsWith(prefix)) {
                String rest = key.key().substring(prefix.length());
                int dot = rest.indexOf('.');
                names.add(dot < 0 ? rest : rest.substring(0, dot));
            }
        }
        return List.copyOf(names);
    }

    private static String canonicalChild(String prefix, String given) {
        String wanted = relaxed(given);
        for (String child : children(prefix)) {
            if (relaxed(child).equals(wanted)) {
                return child;
            }
        }
        return null;
    }

    /** The form two spellings of one key share (see the class comment). */
    static String relaxed(String name) {
        return asciiLower(name.replace("-", "").replace("_", ""));
    }

    private static String asciiLower(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            out.append(c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c);
        }
        return out.toString();
    }

    /** An unknown key as reported: {@code -} and {@code _} dropped, the ASCII letter after them upper-cased. */
    private static String camelCase(String name) {
        StringBuilder out = new StringBuilder();
        boolean upper = false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '-' || c == '_') {
                upper = true;
            } else {
                out.append(upper && c >= 'a' && c <= 'z' ? (char) (c - ('a' - 'A')) : c);
                upper = false;
            }
        }
        return out.toString();
    }

    /** A known key's value as shown: masked when the key is secret or has a secret below it. */
    private static String display(String key, Object value) {
        if (value == null) {
            return null;
        }
        for (ConfigKey configKey : Catalog.CONFIG) {
            if (configKey.secret()
                    && (configKey.key().equals(key) || configKey.key().startsWith(key + "."))) {
                return MASK;
            }
        }
        return ValueText.of(value);
    }
}
