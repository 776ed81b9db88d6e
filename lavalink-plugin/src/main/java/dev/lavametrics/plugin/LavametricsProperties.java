package dev.lavametrics.plugin;

import dev.lavametrics.plugin.config.ConfigProblem;
import dev.lavametrics.plugin.config.ConfigValidator;
import dev.lavametrics.plugin.config.LavametricsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    private final LavametricsConfig config;
    private final List<ConfigProblem> problems;

    private LavametricsProperties(ConfigValidator.Result result) {
        this.config = result.config();
        this.problems = result.problems();
    }

    public static LavametricsProperties from(Environment environment) {
        Map<String, Object> raw;
        try {
            raw = Binder.get(environment).bind(PREFIX, Bindable.mapOf(String.class, Object.class)).orElse(Map.of());
        } catch (RuntimeException e) {
            log.warn("{} could not be read, using defaults: {}", PREFIX, e.toString());
            return new LavametricsProperties(new ConfigValidator.Result(
                    List.of(new ConfigProblem("", null, "could not be read: " + e, null)),
                    ConfigValidator.validate(Map.of()).config()));
        }
        ConfigValidator.Result result = ConfigValidator.validate(withLists(raw));
        for (ConfigProblem problem : result.problems()) {
            log.warn("{}", problem.logLine());
        }
        return new LavametricsProperties(result);
    }

    /**
     * Spring binds a YAML list under an untyped map as keys {@code allow[0]}, {@code allow[1]}...;
     * turn those back into lists so the validator sees the shape the operator wrote.
     */
    static Map<String, Object> withLists(Map<?, ?> tree) {
        Map<String, Object> result = new LinkedHashMap<>();
        Map<String, TreeMap<Integer, Object>> lists = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : tree.entrySet()) {
            String key = String.valueOf(entry.getKey());
            Object value = entry.getValue() instanceof Map<?, ?> nested ? withLists(nested) : entry.getValue();
            Matcher indexed = INDEXED_KEY.matcher(key);
            if (indexed.matches()) {
                lists.computeIfAbsent(indexed.group(1), k -> new TreeMap<>())
                        .put(Integer.parseInt(indexed.group(2)), value);
            } else if (value instanceof Map<?, ?> nested && !nested.isEmpty() && allIndexes(nested)) {
                TreeMap<Integer, Object> items = new TreeMap<>();
                nested.forEach((index, item) -> items.put(Integer.parseInt(index.toString()), item));
                result.put(key, new ArrayList<>(items.values()));
            } else {
                result.put(key, value);
            }
        }
        lists.forEach((key, items) -> result.put(key, new ArrayList<>(items.values())));
        return result;
    }

    private static boolean allIndexes(Map<?, ?> map) {
        return map.keySet().stream().allMatch(key -> key.toString().matches("\\d+"));
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
