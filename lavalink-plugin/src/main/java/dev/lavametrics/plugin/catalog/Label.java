package dev.lavametrics.plugin.catalog;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A label and its complete set of allowed values. Values outside the set fold into
 * {@code other}, which keeps every family's series count bounded whatever clients send.
 */
public final class Label {
    public static final String OTHER = "other";

    private final String name;
    private final List<String> values;
    private final Map<String, Integer> indexByValue = new HashMap<>();

    /** @param values the allowed values, or null when the value is free (only {@code version}) */
    public Label(String name, List<String> values) {
        this.name = name;
        this.values = values;
        if (values != null) {
            for (int i = 0; i < values.size(); i++) {
                indexByValue.put(values.get(i), i);
            }
        }
    }

    public String name() {
        return name;
    }

    /** The allowed values in catalog order, or null for a free value. */
    public List<String> values() {
        return values;
    }

    public int size() {
        return values == null ? 1 : values.size();
    }

    /** Index of {@code value}, or of {@code other} when it is not allowed (-1 if there is no other). */
    public int indexOf(String value) {
        Integer index = value == null ? null : indexByValue.get(value);
        if (index != null) {
            return index;
        }
        Integer other = indexByValue.get(OTHER);
        return other == null ? -1 : other;
    }

    public String valueAt(int index) {
        return values.get(index);
    }
}
