package dev.lavametrics.plugin.config;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How a config value reads in a problem, and the text a scalar stands for when a string is
 * wanted. {@code lavametrics.configcheck.render} is the Python twin and must give the same text
 * for the same value (a property test compares the two), so the rules are spelled out here
 * rather than left to {@code String.valueOf}: floats read as Python's {@code repr} (shortest
 * round-trip digits, {@code 9477.0}, {@code 1e+16}), non-finite ones as YAML writes them
 * ({@code .nan}, {@code .inf}, {@code -.inf}), a top-level list as the comma-separated form
 * an operator could have written, nested lists and mappings as {@code [a, b]} and {@code {k: v}}.
 */
public final class ValueText {
    private ValueText() {}

    /** The text of a value; null stays null (not set). */
    public static String of(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof List<?> list) {
            List<String> parts = new ArrayList<>();
            for (Object item : list) {
                parts.add(nested(item));
            }
            return String.join(",", parts);
        }
        return nested(value);
    }

    /** The text of one list item or nested value; a null inside a list reads {@code null}. */
    static String nested(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof Map<?, ?> map) {
            List<String> parts = new ArrayList<>();
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                parts.add(nested(entry.getKey()) + ": " + nested(entry.getValue()));
            }
            return "{" + String.join(", ", parts) + "}";
        }
        if (value instanceof List<?> list) {
            List<String> parts = new ArrayList<>();
            for (Object item : list) {
                parts.add(nested(item));
            }
            return "[" + String.join(", ", parts) + "]";
        }
        if (value instanceof Double || value instanceof Float) {
            return number(((Number) value).doubleValue());
        }
        if (value instanceof BigDecimal decimal) {
            return number(decimal.doubleValue());
        }
        return String.valueOf(value);
    }

    /** A double as Python's {@code repr} writes it, with YAML's spelling for non-finite values. */
    public static String number(double value) {
        if (Double.isNaN(value)) {
            return ".nan";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? ".inf" : "-.inf";
        }
        String sign = (value < 0 || (value == 0 && 1 / value < 0)) ? "-" : "";
        if (value == 0) {
            return sign + "0.0";
        }
        BigDecimal shortest = shortest(Math.abs(value));
        String digits = shortest.unscaledValue().toString();
        // strip trailing zeros the rounding may leave ("10" at two digits is "1" at one)
        int end = digits.length();
        while (end > 1 && digits.charAt(end - 1) == '0') {
            end--;
        }
        int decimalPoint = digits.length() - shortest.scale(); // value = 0.<digits> * 10^decimalPoint
        digits = digits.substring(0, end);
        return sign + layout(digits, decimalPoint);
    }

    /** Python's float_repr_style "short": exponent form below 1e-4 and from 1e16 on. */
    private static String layout(String digits, int decimalPoint) {
        if (decimalPoint > -4 && decimalPoint <= 16) {
            if (decimalPoint <= 0) {
                return "0." + "0".repeat(-decimalPoint) + digits;
            }
            if (decimalPoint >= digits.length()) {
                return digits + "0".repeat(decimalPoint - digits.length()) + ".0";
            }
            return digits.substring(0, decimalPoint) + "." + digits.substring(decimalPoint);
        }
        int exponent = decimalPoint - 1;
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        String exp = Integer.toString(Math.abs(exponent));
        return mantissa + "e" + (exponent < 0 ? "-" : "+") + (exp.length() < 2 ? "0" + exp : exp);
    }

    /**
     * The decimal with the fewest significant digits that reads back as {@code value}, the
     * closest such one when several qualify. (Java 17's {@code Double.toString} is not always
     * shortest, so it cannot stand in for Python's repr.)
     */
    private static BigDecimal shortest(double value) {
        BigDecimal exact = new BigDecimal(value);
        for (int precision = 1; precision <= 17; precision++) {
            BigDecimal rounded = exact.round(new MathContext(precision, RoundingMode.HALF_EVEN));
            BigDecimal step = new BigDecimal(BigInteger.ONE, rounded.scale()); // one unit in the last digit
            BigDecimal best = null;
            for (BigDecimal candidate : List.of(rounded, rounded.subtract(step), rounded.add(step))) {
                if (candidate.signum() > 0
                        && candidate.doubleValue() == value
                        && (best == null
                                || candidate
                                                .subtract(exact)
                                                .abs()
                                                .compareTo(best.subtract(exact).abs())
                                        < 0)) {
                    best = candidate;
                }
            }
            if (best != null) {
                return best;
            }
        }
        return exact; // unreachable: 17 significant digits always round-trip
    }
}
