package dev.lavametrics.plugin;

import dev.lavametrics.plugin.config.ConfigProblem;
import dev.lavametrics.plugin.config.ConfigValidator;
import dev.lavametrics.plugin.config.LavametricsConfig;
import dev.lavametrics.plugin.config.LogSafe;
import dev.lavametrics.plugin.util.Survival;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * The {@code plugins.lavametrics} settings as the plugin runs with them.
 *
 * <p>Deliberately not a typed {@code @ConfigurationProperties} bean: a mistyped value there makes
 * Spring fail the whole node at start-up. The raw tree is read as an untyped map instead and
 * checked by {@link ConfigValidator}, which logs one line per problem and falls back per part.
 */
public final class LavametricsProperties {
    private static final Logger log = LoggerFactory.getLogger(LavametricsProperties.class);
    private static final String PREFIX = "plugins.lavametrics";
    private static final Pattern INDEXED_KEY = Pattern.compile("(.+)\\[(\\d+)]");
    private static final int DEFAULT_SERVER_PORT = 8080;
    /** Decimal indexes compared as numbers without parsing them: no length can overflow. */
    private static final Comparator<String> BY_INDEX = Comparator.comparingInt(
                    (String index) -> withoutLeadingZeros(index).length())
            .thenComparing(LavametricsProperties::withoutLeadingZeros);

    private final LavametricsConfig config;
    private final List<ConfigProblem> problems;

    private LavametricsProperties(ConfigValidator.Result result) {
        this.config = result.config();
        this.problems = result.problems();
    }

    public static LavametricsProperties from(Environment environment) {
        int serverPort = serverPort(environment);
        try {
            Map<String, Object> raw = Binder.get(environment)
                    .bind(PREFIX, Bindable.mapOf(String.class, Object.class))
                    .orElse(Map.of());
            // The validator refuses an endpoint.port equal to server.port (and turns the endpoint off):
            // binding it first would make Lavalink's web server, and so the node, fail to start.
            ConfigValidator.Result result = serverPort > 0
                    ? ConfigValidator.validate(withLists(raw), serverPort)
                    : ConfigValidator.validate(withLists(raw));
            for (ConfigProblem problem : result.problems()) {
                log.warn("{}", problem.logLine());
            }
            return new LavametricsProperties(result);
        } catch (Throwable e) {
            Survival.survive(e);
            // Whatever the property sources hold, the node must start: fall back to the defaults.
            // Only the exception's type and the property it names are logged; its message may
            // quote a value, secrets included.
            String where = e instanceof BindException bind ? " at " + LogSafe.text(bind.getName()) : "";
            log.warn(
                    "{} could not be read{}, using defaults ({})",
                    PREFIX,
                    where,
                    e.getClass().getName());
            return new LavametricsProperties(new ConfigValidator.Result(
                    List.of(new ConfigProblem(
                            "", null, "could not be read (" + e.getClass().getName() + ")", null)),
                    ConfigValidator.validate(Map.of()).config()));
        }
    }

    /**
     * The port Lavalink's own web server takes: {@code server.port} as Spring resolved it, or
     * Spring Boot's 8080 when unset. -1 when it cannot be told (not a number, or an unresolvable
     * placeholder), and 0 for "any free port", where no fixed port can collide.
     */
    static int serverPort(Environment environment) {
        try {
            String value = environment.getProperty("server.port");
            return value == null ? DEFAULT_SERVER_PORT : Integer.parseInt(value.trim());
        } catch (RuntimeException e) {
            return -1;
        }
    }

    /**
     * Spring binds a YAML list under an untyped map as keys {@code allow[0]}, {@code allow[1]}...
     * (or, from some sources, a nested mapping {@code allow: {0: ..}}); turn those back into lists
     * so the validator sees the shape the operator wrote.
     *
     * <p>Only indexes that run 0, 1, 2... without a gap or a leading zero make a list: that is what
     * a YAML or properties list produces, and all that Spring's typed list binding accepts (it
     * fails on {@code allow[5]} without {@code allow[0..4]}). Anything else, such as
     * {@code allow[99999999999]} or {@code allow: {'99999999999': ..}}, stays a mapping from index
     * to value, which the validator refuses like any mapping where a list belongs ("must be a list
     * of networks"): the node then reports the problem, {@code lavametrics_config_valid} is 0 and
     * the setting falls back, exactly as {@code lavametrics config validate} judges the same file.
     * Indexes are never parsed as numbers, so no length can overflow or stop the node.
     */
    static Map<String, Object> withLists(Map<?, ?> tree) {
        Map<String, Object> result = new LinkedHashMap<>();
        Map<String, TreeMap<String, Object>> indexed = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : tree.entrySet()) {
            String key = String.valueOf(entry.getKey());
            Object value = entry.getValue() instanceof Map<?, ?> nested ? withLists(nested) : entry.getValue();
            Matcher index = INDEXED_KEY.matcher(key);
            if (index.matches()) {
                indexed.computeIfAbsent(index.group(1), k -> new TreeMap<>(BY_INDEX))
                        .put(index.group(2), value);
            } else if (value instanceof Map<?, ?> nested && !nested.isEmpty() && allIndexes(nested)) {
                TreeMap<String, Object> items = new TreeMap<>(BY_INDEX);
                nested.forEach((i, item) -> items.put(i.toString(), item));
                result.put(key, listOrMapping(items));
            } else {
                result.put(key, value);
            }
        }
        indexed.forEach((key, items) -> result.put(key, listOrMapping(items)));
        return result;
    }

    /** The items as a list when their indexes are exactly 0..n-1, else the index-to-value mapping as given. */
    private static Object listOrMapping(TreeMap<String, Object> items) {
        int expected = 0;
        for (String index : items.keySet()) {
            if (!index.equals(Integer.toString(expected++))) {
                return new LinkedHashMap<>(items);
            }
        }
        return new ArrayList<>(items.values());
    }

    private static boolean allIndexes(Map<?, ?> map) {
        return map.keySet().stream().allMatch(key -> key.toString().matches("\\d+"));
    }

    private static String withoutLeadingZeros(String digits) {
        int start = 0;
        while (start < digits.length() - 1 && digits.charAt(start) == '0') {
            start++;
        }
        return digits.substring(start);
    }

    public LavametricsConfig config() {
        return config;
    }

    public List<ConfigProblem> problems() {
        return problems;
    }

    public boolean valid() {
        return problems.isEmpty();
    }
}
