package dev.lavametrics.plugin.rest;

import dev.lavametrics.plugin.util.Json;
import org.springframework.web.util.ContentCachingResponseWrapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The {@code loadType} of a {@code /v4/loadtracks} answer. A playlist answer can be megabytes,
 * and Lavalink writes {@code loadType} as its first key, so the first bytes are read in place
 * (no copy of the body); only an answer shaped otherwise is parsed in full.
 */
final class LoadTypeReader {
    private static final byte[] KEY = "\"loadType\"".getBytes(StandardCharsets.US_ASCII);
    /** Room for {@code {"loadType":"playlist"} with generous whitespace. */
    private static final int HEAD_BYTES = 64;

    private LoadTypeReader() {
    }

    static String read(ContentCachingResponseWrapper response) {
        String leading = leading(head(response));
        if (leading != null) {
            return leading;
        }
        Object body = Json.parse(new String(response.getContentAsByteArray(), StandardCharsets.UTF_8));
        Object loadType = body instanceof Map<?, ?> root ? root.get("loadType") : null;
        return loadType == null ? null : loadType.toString();
    }

    private static byte[] head(ContentCachingResponseWrapper response) {
        try (InputStream in = response.getContentInputStream()) {
            return in.readNBytes(HEAD_BYTES);
        } catch (IOException e) {
            return new byte[0];   // an in-memory stream; should it ever fail, the full parse decides
        }
    }

    /**
     * The value when {@code loadType} is the object's first key with a plain string value, else
     * null. Only the first key counts: a nested {@code loadType} must not be mistaken for it.
     */
    static String leading(byte[] head) {
        int i = skipSpace(head, 0);
        if (i >= head.length || head[i] != '{') {
            return null;
        }
        i = skipSpace(head, i + 1);
        for (byte b : KEY) {
            if (i >= head.length || head[i++] != b) {
                return null;
            }
        }
        i = skipSpace(head, i);
        if (i >= head.length || head[i] != ':') {
            return null;
        }
        i = skipSpace(head, i + 1);
        if (i >= head.length || head[i] != '"') {
            return null;
        }
        int start = ++i;
        while (i < head.length && head[i] != '"') {
            if (head[i] == '\\') {
                return null;
            }
            i++;
        }
        return i < head.length ? new String(head, start, i - start, StandardCharsets.UTF_8) : null;
    }

    private static int skipSpace(byte[] bytes, int from) {
        int i = from;
        while (i < bytes.length && (bytes[i] == ' ' || bytes[i] == '\n' || bytes[i] == '\r' || bytes[i] == '\t')) {
            i++;
        }
        return i;
    }
}
