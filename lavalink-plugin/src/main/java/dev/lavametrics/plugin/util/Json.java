package dev.lavametrics.plugin.util;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal JSON reader and writer.
 *
 * <p>Hand-written because the catalog and config classes must run with nothing but the plugin
 * jar on the class path (the Python side runs them as {@code java -cp <plugin jar>} subprocesses,
 * e.g. the config validator: JSON in on stdin, JSON out); the filters hook reads the small
 * player PATCH bodies with it too. The event path (websocket messages, load answers) does not:
 * it uses the node's Jackson streaming parser, which measured 0.4-0.6x the time and a sixth (a
 * track event) to two fifths (a player update) of the allocation of {@link #parse} plus lookups
 * per message (JsonParseBenchmark; docs/benchmarks.md, "JSON on the event path"). Objects read as {@link LinkedHashMap} (key
 * order kept), arrays as {@link ArrayList}, integral numbers as {@link Long} (or
 * {@link BigInteger} beyond it), other numbers as {@link Double}. Python's {@code json} writes
 * non-finite floats as {@code NaN}, {@code Infinity} and {@code -Infinity}; those are read too,
 * so a config holding YAML's {@code .nan} reaches the validator as the number it is.
 */
public final class Json {
    private final String text;
    private int pos;

    private Json(String text) {
        this.text = text;
    }

    /** Parses one JSON value; throws {@link IllegalArgumentException} on malformed input. */
    public static Object parse(String text) {
        Json reader = new Json(text);
        reader.skipWhitespace();
        Object value = reader.readValue();
        reader.skipWhitespace();
        if (reader.pos != text.length()) {
            throw reader.error("trailing characters");
        }
        return value;
    }

    private Object readValue() {
        if (pos >= text.length()) {
            throw error("unexpected end");
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{':
                return readObject();
            case '[':
                return readArray();
            case '"':
                return readString();
            case 't':
                return readLiteral("true", Boolean.TRUE);
            case 'f':
                return readLiteral("false", Boolean.FALSE);
            case 'n':
                return readLiteral("null", null);
            case 'N':
                return readLiteral("NaN", Double.NaN);
            case 'I':
                return readLiteral("Infinity", Double.POSITIVE_INFINITY);
            case '-':
                if (text.startsWith("-Infinity", pos)) {
                    return readLiteral("-Infinity", Double.NEGATIVE_INFINITY);
                }
                return readNumber();
            default:
                return readNumber();
        }
    }

    private Map<String, Object> readObject() {
        Map<String, Object> map = new LinkedHashMap<>();
        pos++;
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a key");
            }
            String key = readString();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            map.put(key, readValue());
            skipWhitespace();
            char c = next();
            if (c == '}') {
                return map;
            }
            if (c != ',') {
                throw error("expected , or }");
            }
        }
    }

    private List<Object> readArray() {
        List<Object> list = new ArrayList<>();
        pos++;
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return list;
        }
        while (true) {
            skipWhitespace();
            list.add(readValue());
            skipWhitespace();
            char c = next();
            if (c == ']') {
                return list;
            }
            if (c != ',') {
                throw error("expected , or ]");
            }
        }
    }

    private String readString() {
        pos++;
        StringBuilder out = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') {
                return out.toString();
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char escaped = next();
            switch (escaped) {
                case 'n':
                    out.append('\n');
                    break;
                case 't':
                    out.append('\t');
                    break;
                case 'r':
                    out.append('\r');
                    break;
                case 'b':
                    out.append('\b');
                    break;
                case 'f':
                    out.append('\f');
                    break;
                case 'u':
                    if (pos + 4 > text.length()) {
                        throw error("bad unicode escape");
                    }
                    out.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                    pos += 4;
                    break;
                default:
                    out.append(escaped);
            }
        }
    }

    private Object readLiteral(String literal, Object value) {
        if (!text.startsWith(literal, pos)) {
            throw error("unknown literal");
        }
        pos += literal.length();
        return value;
    }

    private Object readNumber() {
        int start = pos;
        while (pos < text.length() && "+-0123456789.eE".indexOf(text.charAt(pos)) >= 0) {
            pos++;
        }
        String number = text.substring(start, pos);
        if (number.isEmpty()) {
            throw error("unexpected character");
        }
        try {
            if (number.indexOf('.') < 0 && number.indexOf('e') < 0 && number.indexOf('E') < 0) {
                BigInteger integer = new BigInteger(number);
                return integer.bitLength() < 64 ? (Object) integer.longValue() : integer;
            }
            return Double.parseDouble(number);
        } catch (NumberFormatException e) {
            throw error("bad number " + number);
        }
    }

    private void skipWhitespace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private char peek() {
        if (pos >= text.length()) {
            throw error("unexpected end");
        }
        return text.charAt(pos);
    }

    private char next() {
        char c = peek();
        pos++;
        return c;
    }

    private void expect(char c) {
        if (next() != c) {
            throw error("expected " + c);
        }
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("invalid JSON at offset " + pos + ": " + what);
    }

    /** Writes maps, lists, strings, numbers, booleans and null on one line. */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, -1);
        return out.toString();
    }

    /**
     * Like {@link #write} with every non-ASCII char escaped (backslash, u, four hex digits), so
     * the text survives any stdout encoding and lone surrogates arrive exactly as they were.
     */
    public static String writeAscii(Object value) {
        String text = write(value);
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                out.append(c);
            } else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        return out.toString();
    }

    /** Like {@link #write} but one entry per line, indented by two spaces, for committed files. */
    public static String writePretty(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, 0);
        return out.toString();
    }

    /** @param depth nesting depth when pretty-printing, -1 for a single line */
    private static void write(StringBuilder out, Object value, int depth) {
        if (value instanceof Map<?, ?> map && !map.isEmpty()) {
            int entryDepth = depth < 0 ? -1 : depth + 1;
            out.append('{');
            String separator = "";
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                out.append(separator);
                newline(out, entryDepth);
                quote(out, String.valueOf(entry.getKey()));
                out.append(": ");
                write(out, entry.getValue(), entryDepth);
                separator = depth < 0 ? ", " : ",";
            }
            newline(out, depth);
            out.append('}');
        } else if (value instanceof List<?> list && !list.isEmpty()) {
            boolean scalars = list.stream().noneMatch(item -> item instanceof Map || item instanceof List);
            int itemDepth = scalars || depth < 0 ? -1 : depth + 1;
            out.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    out.append(itemDepth < 0 ? ", " : ",");
                }
                newline(out, itemDepth);
                write(out, list.get(i), itemDepth);
            }
            newline(out, itemDepth < 0 ? -1 : depth);
            out.append(']');
        } else if (value instanceof Map) {
            out.append("{}");
        } else if (value instanceof List) {
            out.append("[]");
        } else if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean
                || value instanceof Long
                || value instanceof Integer
                || value instanceof BigInteger) {
            out.append(value);
        } else if (value instanceof Number number) {
            out.append(formatNumber(number.doubleValue()));
        } else {
            quote(out, value.toString());
        }
    }

    private static void newline(StringBuilder out, int depth) {
        if (depth >= 0) {
            out.append('\n').append("  ".repeat(depth));
        }
    }

    /** Shortest plain form: integral doubles without ".0" so 1.0 and 1 render alike. */
    public static String formatNumber(double number) {
        if (number == Math.rint(number) && Math.abs(number) < 1e15) {
            return Long.toString((long) number);
        }
        return Double.toString(number);
    }

    private static void quote(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    out.append("\\\"");
                    break;
                case '\\':
                    out.append("\\\\");
                    break;
                case '\n':
                    out.append("\\n");
                    break;
                case '\r':
                    out.append("\\r");
                    break;
                case '\t':
                    out.append("\\t");
                    break;
                default:
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }
}
