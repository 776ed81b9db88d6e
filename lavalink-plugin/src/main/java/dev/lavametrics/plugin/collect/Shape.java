package dev.lavametrics.plugin.collect;

import dev.lavametrics.plugin.catalog.Family;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A family's names as simpleclient wants them, computed once rather than on every scrape: the
 * name without the counter suffix, the label names and, per label combination, its values.
 * A scrape used to rebuild all of these (a stream for the label names, a string for the base
 * name, a list per series), a third of what collecting our families allocated; that garbage is
 * what brings a node's next collection forward, and a scrape that meets it waits for it.
 *
 * <p>Lists are built on first use and kept in a plain array: they are immutable, so a scrape
 * that races another one to build the same list only builds it twice.
 */
final class Shape {
    private static final ConcurrentHashMap<String, Shape> SHAPES = new ConcurrentHashMap<>();

    final Family family;
    final String name;
    final String baseName;
    final List<String> labelNames;
    private final int[] sizes;
    private final List<String>[] labelValues;

    @SuppressWarnings("unchecked")
    private Shape(Family family) {
        this.family = family;
        this.name = family.name();
        this.baseName = family.baseName();
        this.labelNames = family.labelNames();
        this.sizes = CounterArray.sizes(family.labels());
        this.labelValues = new List[family.combinations()];
    }

    /** The shape of a catalog family (one per family name, shared by every collector). */
    static Shape of(Family family) {
        Shape shape = SHAPES.get(family.name());
        if (shape == null) {
            shape = SHAPES.computeIfAbsent(family.name(), name -> new Shape(family));
        }
        // a family of the same name but another definition (only tests make those) is not cached
        return shape.family == family ? shape : new Shape(family);
    }

    int[] sizes() {
        return sizes;
    }

    /** Label values of combination {@code index}, row-major (the last label varies fastest). */
    List<String> labelValues(int index) {
        List<String> values = labelValues[index];
        if (values == null) {
            values = CounterArray.labelValues(family.labels(), sizes, index);
            labelValues[index] = values;
        }
        return values;
    }
}
