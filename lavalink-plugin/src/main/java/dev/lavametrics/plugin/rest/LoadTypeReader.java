package dev.lavametrics.plugin.rest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.springframework.web.util.ContentCachingResponseWrapper;

/**
 * The {@code loadType} of a {@code /v4/loadtracks} answer. A playlist answer can be megabytes,
 * and Lavalink writes {@code loadType} as its first key, so the cached body is streamed in place
 * (no copy of it) through Jackson's streaming parser and reading stops at the top-level
 * {@code loadType}: in Lavalink's answers, right after the first key. Only a body shaped otherwise
 * is read further, skipping values token by token without building them. jackson-core is on every
 * Lavalink 4 node's class path (lavaplayer and Spring MVC depend on it); see OutgoingMessages.
 */
final class LoadTypeReader {
    private static final JsonFactory JSON = new JsonFactory();

    private LoadTypeReader() {}

    /**
     * The top-level {@code loadType} as text, or null when the body is not an object or has none
     * (a nested {@code loadType} is never taken for it). Throws on malformed JSON before it.
     */
    static String read(ContentCachingResponseWrapper response) {
        try (InputStream in = response.getContentInputStream();
                JsonParser parser = JSON.createParser(in)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                boolean wanted = parser.currentName().equals("loadType");
                JsonToken value = parser.nextToken();
                if (wanted && value.isScalarValue()) {
                    return value == JsonToken.VALUE_NULL ? null : parser.getText();
                }
                parser.skipChildren();
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
