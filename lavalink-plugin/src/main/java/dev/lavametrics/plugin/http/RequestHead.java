package dev.lavametrics.plugin.http;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The request line and headers of one HTTP/1.x request, read with a cap on their size. A scrape
 * needs little of HTTP: the method, the path, {@code Authorization}, {@code Accept}, and whether
 * a body follows (one never should).
 *
 * @param headers lower-case name to value; each name at most once
 */
record RequestHead(String method, String path, Map<String, String> headers) {

    /** The request cannot be served as sent; {@code status} says why. */
    static final class Malformed extends Exception {
        final int status;

        Malformed(int status, String reason) {
            super(reason, null, false, false);
            this.status = status;
        }
    }

    String header(String lowerCaseName) {
        return headers.get(lowerCaseName);
    }

    boolean hasBody() {
        String length = header("content-length");
        return header("transfer-encoding") != null || (length != null && !length.equals("0"));
    }

    /**
     * Reads up to the blank line that ends the head, consuming at most {@code maxBytes} bytes.
     *
     * @throws Malformed   for what the client must be told (400, 431, 505)
     * @throws IOException when the connection fails or ends first (nothing to answer then)
     */
    static RequestHead read(InputStream in, int maxBytes, int maxHeaders) throws IOException, Malformed {
        Budget budget = new Budget(maxBytes);
        String requestLine = line(in, budget);
        // RFC 9112 2.2: a server should ignore at least one empty line before the request line.
        if (requestLine.isEmpty()) {
            requestLine = line(in, budget);
        }
        String[] parts = requestLine.split(" ", -1);
        if (parts.length != 3 || !isToken(parts[0]) || parts[1].isEmpty()) {
            throw new Malformed(400, "bad request line");
        }
        if (!parts[2].equals("HTTP/1.1") && !parts[2].equals("HTTP/1.0")) {
            throw new Malformed(parts[2].startsWith("HTTP/") ? 505 : 400, "unsupported protocol");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String header = line(in, budget); !header.isEmpty(); header = line(in, budget)) {
            if (headers.size() == maxHeaders) {
                throw new Malformed(431, "too many header fields");
            }
            int colon = header.indexOf(':');
            String name = colon < 0 ? "" : header.substring(0, colon);
            // Also refuses obsolete line folding (a line starting with white space), as RFC 9112 allows.
            if (!isToken(name)) {
                throw new Malformed(400, "bad header field");
            }
            String key = name.toLowerCase(Locale.ROOT);
            String value = header.substring(colon + 1).strip();
            String earlier = headers.putIfAbsent(key, value);
            // Two differing copies of a field that decides access or framing are ambiguous; refuse
            // rather than pick one (others, like Accept, keep the first).
            if (earlier != null
                    && !earlier.equals(value)
                    && (key.equals("authorization") || key.equals("content-length") || key.equals("host"))) {
                throw new Malformed(400, "conflicting " + key + " fields");
            }
        }
        return new RequestHead(parts[0], path(parts[1]), Map.copyOf(headers));
    }

    /** The decoded path of origin-form ({@code /metrics?x}) or absolute-form ({@code http://h/metrics}) targets. */
    private static String path(String target) throws Malformed {
        try {
            String path = new URI(target).getPath();
            return path == null || path.isEmpty() ? "/" : path;
        } catch (URISyntaxException e) {
            throw new Malformed(400, "bad request target");
        }
    }

    private static final class Budget {
        int left;

        Budget(int bytes) {
            left = bytes;
        }
    }

    /** One line without its CRLF (a bare LF is accepted too), as ISO-8859-1, the charset of HTTP's octets. */
    private static String line(InputStream in, Budget budget) throws IOException, Malformed {
        StringBuilder line = new StringBuilder(64);
        while (true) {
            if (budget.left-- == 0) {
                throw new Malformed(431, "request head too large");
            }
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed inside the request head");
            }
            if (b == '\n') {
                int end = line.length();
                if (end > 0 && line.charAt(end - 1) == '\r') {
                    line.setLength(end - 1);
                }
                return line.toString();
            }
            line.append((char) (b & 0xff));
        }
    }

    /** RFC 9110 token: the characters a method or field name may hold. */
    private static boolean isToken(String text) {
        if (text.isEmpty()) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean ok = c > 0x20 && c < 0x7f && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        // Never the headers: they hold credentials.
        return method + " " + path;
    }
}
