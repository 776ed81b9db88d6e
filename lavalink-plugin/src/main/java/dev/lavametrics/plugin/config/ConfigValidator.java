package dev.lavametrics.plugin.config;

import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.ConfigKey;
import dev.lavametrics.plugin.catalog.Family;
import dev.lavametrics.plugin.catalog.Group;
import dev.lavametrics.plugin.util.Json;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Checks the {@code plugins.lavametrics} tree against {@link Catalog#CONFIG} and derives the
 * effective config. Never throws on bad input: a node must start whatever the operator wrote,
 * so every problem is reported and its part falls back (group → default, buckets → defaults,
 * anything under endpoint → endpoint off).
 *
 * <p>Values may arrive typed (JSON from Python, YAML) or as strings (Spring's property sources,
 * environment variables), so both forms are accepted. JDK-only for pyjnius.
 */
public final class ConfigValidator {
    private static final String MASK = "******";

    private final List<ConfigProblem> problems = new ArrayList<>();
    private final Map<String, Object> leaves = new LinkedHashMap<>();

    private ConfigValidator() {
    }

    /** The outcome: problems in input order and the config to run with. */
    public record Result(List<ConfigProblem> problems, LavametricsConfig config) {
        public boolean valid() {
            return problems.isEmpty();
        }
    }

    /** Contract 2: takes the {@code plugins.lavametrics} mapping as JSON, returns {@code {"valid", "errors"}}. */
    public static String validateJson(String json) {
        List<ConfigProblem> problems;
        try {
            Object tree = Json.parse(json);
            if (tree == null || tree instanceof Map) {
                problems = validate((Map<?, ?>) tree).problems();
            } else {
                problems = List.of(new ConfigProblem("", shorten(json), "must be a mapping", null));
            }
        } catch (IllegalArgumentException e) {
            problems = List.of(new ConfigProblem("", shorten(json), e.getMessage(), null));
        }
        List<Object> errors = new ArrayList<>();
        for (ConfigProblem problem : problems) {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("key", problem.key());
            error.put("value", problem.value());
            error.put("message", problem.message());
            error.put("allowed", problem.allowed());
            errors.add(error);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("valid", problems.isEmpty());
        result.put("errors", errors);
        return Json.write(result);
    }

    public static Result validate(Map<?, ?> raw) {
        ConfigValidator validator = new ConfigValidator();
        if (raw != null) {
            validator.walk("", raw);
        }
        LavametricsConfig config = validator.effectiveConfig();
        return new Result(List.copyOf(validator.problems), config);
    }

    private void walk(String prefix, Map<?, ?> map) {
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            String given = String.valueOf(entry.getKey());
            String segment = canonicalChild(prefix, given);
            if (segment == null) {
                problems.add(new ConfigProblem(prefix + camelCase(given), display(null, entry.getValue()),
                        "unknown key", String.join(", ", children(prefix))));
                continue;
            }
            String key = prefix + segment;
            Object value = entry.getValue();
            if (isLeaf(key)) {
                if (value != null) {
                    leaves.put(key, value);
                }
            } else if (value instanceof Map<?, ?> nested) {
                walk(key + ".", nested);
            } else if (value != null) {
                problems.add(new ConfigProblem(key, display(null, value), "must be a mapping",
                        String.join(", ", children(key + "."))));
            }
        }
    }

    private LavametricsConfig effectiveConfig() {
        Set<Group> groups = EnumSet.noneOf(Group.class);
        for (Group group : Group.values()) {
            boolean enabled = group.switchable()
                    ? booleanValue("groups." + group.key(), group.defaultEnabled())
                    : true;
            if (enabled) {
                groups.add(group);
            }
        }
        Map<String, List<Double>> buckets = new LinkedHashMap<>();
        for (Family family : Catalog.FAMILIES) {
            if (family.bucketsKey() != null) {
                buckets.put(family.bucketsKey(), bucketsValue(family));
            }
        }
        return new LavametricsConfig(Set.copyOf(groups), Map.copyOf(buckets), endpoint());
    }

    private EndpointSettings endpoint() {
        int problemsBefore = problems.size();
        boolean enabled = booleanValue("endpoint.enabled", false);
        String host = stringValue("endpoint.host");
        if (host.isBlank()) {
            problems.add(new ConfigProblem("endpoint.host", host, "must not be blank", "an address or host name"));
        }
        int port = portValue();
        String path = stringValue("endpoint.path");
        if (!path.startsWith("/")) {
            problems.add(new ConfigProblem("endpoint.path", path, "must start with /", "/<path>"));
        }
        String username = optionalString("endpoint.auth.username");
        String password = optionalString("endpoint.auth.password");
        String bearer = optionalString("endpoint.auth.bearerToken");
        if ((username == null) != (password == null)) {
            String missing = username == null ? "endpoint.auth.username" : "endpoint.auth.password";
            problems.add(new ConfigProblem(missing, null, "basic auth needs both username and password", null));
        }
        if (bearer != null && (username != null || password != null)) {
            problems.add(new ConfigProblem("endpoint.auth.bearerToken", MASK,
                    "basic auth and bearer token are exclusive", "either username+password or bearerToken"));
        }
        List<Cidr> allow = allowValue();
        boolean endpointFaulty = problems.size() > problemsBefore || hasProblemUnder("endpoint.");
        return new EndpointSettings(enabled && !endpointFaulty, host, port, path, username, password, bearer, allow);
    }

    private boolean hasProblemUnder(String prefix) {
        return problems.stream().anyMatch(p -> p.key().startsWith(prefix));
    }

    private boolean booleanValue(String key, boolean fallback) {
        Object value = leaves.get(key);
        if (value == null) {
            return fallback;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        String text = String.valueOf(value).trim().toLowerCase(Locale.ROOT);
        if (text.equals("true") || text.equals("false")) {
            return Boolean.parseBoolean(text);
        }
        problems.add(new ConfigProblem(key, display(key, value), "must be a boolean", "true, false"));
        return fallback;
    }

    private String stringValue(String key) {
        String value = optionalString(key);
        return value == null ? Catalog.configKey(key).defaultValue() : value;
    }

    private String optionalString(String key) {
        Object value = leaves.get(key);
        if (value == null) {
            return null;
        }
        if (value instanceof Map || value instanceof List) {
            problems.add(new ConfigProblem(key, display(key, value), "must be a string", null));
            return null;
        }
        return String.valueOf(value);
    }

    private int portValue() {
        String key = "endpoint.port";
        int fallback = Integer.parseInt(Catalog.configKey(key).defaultValue());
        Object value = leaves.get(key);
        if (value == null) {
            return fallback;
        }
        try {
            double number = value instanceof Number n ? n.doubleValue() : Double.parseDouble(String.valueOf(value).trim());
            if (number == Math.rint(number) && number >= 1 && number <= 65535) {
                return (int) number;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        problems.add(new ConfigProblem(key, display(key, value), "must be an integer 1..65535", "1..65535"));
        return fallback;
    }

    private List<Double> bucketsValue(Family family) {
        String key = "buckets." + family.bucketsKey();
        Object value = leaves.get(key);
        if (value == null) {
            return family.buckets();
        }
        boolean ratio = family == Catalog.FRAME_LOSS;
        String allowed = ratio ? "strictly increasing numbers within 0..1" : "strictly increasing numbers > 0";
        List<Double> bounds = new ArrayList<>();
        try {
            for (Object item : listItems(value)) {
                bounds.add(item instanceof Number n ? n.doubleValue() : Double.parseDouble(String.valueOf(item).trim()));
            }
        } catch (NumberFormatException e) {
            return bucketProblem(family, key, value, "must be a list of numbers", allowed);
        }
        if (bounds.isEmpty()) {
            return bucketProblem(family, key, value, "must not be empty", allowed);
        }
        for (int i = 0; i < bounds.size(); i++) {
            double bound = bounds.get(i);
            boolean inRange = ratio ? bound >= 0 && bound <= 1 : bound > 0 && !Double.isInfinite(bound);
            if (!inRange || Double.isNaN(bound) || (i > 0 && bound <= bounds.get(i - 1))) {
                return bucketProblem(family, key, value, "must be " + allowed, allowed);
            }
        }
        return List.copyOf(bounds);
    }

    private List<Double> bucketProblem(Family family, String key, Object value, String message, String allowed) {
        problems.add(new ConfigProblem(key, display(key, value), message + "; using the defaults", allowed));
        return family.buckets();
    }

    private List<Cidr> allowValue() {
        String key = "endpoint.allow";
        Object value = leaves.containsKey(key) ? leaves.get(key) : Catalog.configKey(key).defaultValue();
        List<Cidr> networks = new ArrayList<>();
        for (Object item : listItems(value)) {
            try {
                networks.add(Cidr.parse(String.valueOf(item)));
            } catch (IllegalArgumentException e) {
                problems.add(new ConfigProblem(key, String.valueOf(item), e.getMessage(),
                        "IPv4 or IPv6 CIDR such as 10.0.0.0/8 or fd00::/8"));
            }
        }
        if (networks.isEmpty() && !hasProblemUnder(key)) {
            problems.add(new ConfigProblem(key, display(key, value), "must list at least one network", null));
        }
        return List.copyOf(networks);
    }

    /** A list as given, or a comma-separated string as it comes from properties or the environment. */
    private static List<?> listItems(Object value) {
        if (value instanceof List<?> list) {
            return list;
        }
        if (value instanceof Map<?, ?> indexed) {
            return new ArrayList<>(indexed.values());
        }
        List<String> items = new ArrayList<>();
        for (String part : String.valueOf(value).split(",")) {
            if (!part.isBlank()) {
                items.add(part.trim());
            }
        }
        return items;
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

    /** Matches camelCase, kebab-case and Spring's lower-case forms to the catalog spelling. */
    private static String canonicalChild(String prefix, String given) {
        String wanted = relaxed(given);
        for (String child : children(prefix)) {
            if (relaxed(child).equals(wanted)) {
                return child;
            }
        }
        return null;
    }

    private static String relaxed(String name) {
        return name.replace("-", "").replace("_", "").toLowerCase(Locale.ROOT);
    }

    private static String camelCase(String name) {
        StringBuilder out = new StringBuilder();
        boolean upper = false;
        for (char c : name.toCharArray()) {
            if (c == '-' || c == '_') {
                upper = true;
            } else {
                out.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return out.toString();
    }

    private static String display(String key, Object value) {
        if (value == null) {
            return null;
        }
        if (key != null && Catalog.configKey(key).secret()) {
            return MASK;
        }
        if (value instanceof List<?> list) {
            List<String> parts = new ArrayList<>();
            for (Object item : list) {
                parts.add(String.valueOf(item));
            }
            return String.join(",", parts);
        }
        return value instanceof Map ? Json.write(value) : String.valueOf(value);
    }

    private static String shorten(String text) {
        return text == null || text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }
}
