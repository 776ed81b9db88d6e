package dev.lavametrics.plugin.rest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.lavametrics.plugin.catalog.FailureCauses;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.springframework.web.util.ContentCachingResponseWrapper;

/**
 * The {@code loadType} of a {@code /v4/loadtracks} answer, and for an {@code error} the cause of
 * the failure. A playlist answer can be megabytes, and Lavalink writes {@code loadType} as its first
 * key, so the cached body is streamed in place (no copy of it) through Jackson's streaming parser
 * and reading stops at the top-level {@code loadType}: in Lavalink's answers, right after the first
 * key. Only an error (small: an exception's texts) or a body shaped otherwise is read further,
 * skipping values token by token without building them. jackson-core is on every Lavalink 4 node's
 * class path (lavaplayer and Spring MVC depend on it); see OutgoingMessages.
 */
final class LoadTypeReader {
    private static final JsonFactory JSON = new JsonFactory();

    /**
     * @param loadType the top-level {@code loadType} as text, or null
     * @param cause for {@code loadType=error}, the classified cause of {@code data}; else null
     */
    record Answer(String loadType, String cause) {}

    private LoadTypeReader() {}

    /**
     * The top-level {@code loadType} (null when the body is not an object or has none; a nested
     * {@code loadType} is never taken for it) and an error's cause. Throws on malformed JSON
     * before what it needs.
     */
    static Answer read(ContentCachingResponseWrapper response) {
        try (InputStream in = response.getContentInputStream();
                JsonParser parser = JSON.createParser(in)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return new Answer(null, null);
            }
            String loadType = null;
            String[] error = null; // message, cause, causeStackTrace of a data object seen so far
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (name.equals("loadType") && value.isScalarValue() && loadType == null) {
                    loadType = value == JsonToken.VALUE_NULL ? null : parser.getText();
                    if (!"error".equals(loadType)) {
                        return new Answer(loadType, null);
                    }
                    if (error != null) {
                        break;
                    }
                } else if (name.equals("data") && value == JsonToken.START_OBJECT) {
                    error = exceptionTexts(parser);
                    if (loadType != null) {
                        break;
                    }
                } else {
                    parser.skipChildren();
                }
            }
            if (loadType == null || !loadType.equals("error")) {
                return new Answer(loadType, null);
            }
            String[] texts = error == null ? new String[3] : error;
            return new Answer(loadType, FailureCauses.classify(texts[0], texts[1], texts[2]));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An error's {@code message}, {@code cause} and {@code causeStackTrace}; others are skipped. */
    private static String[] exceptionTexts(JsonParser parser) throws IOException {
        String[] texts = new String[3];
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            int slot = switch (name) {
                case "message" -> 0;
                case "cause" -> 1;
                case "causeStackTrace" -> 2;
                default -> -1;
            };
            if (slot >= 0 && value == JsonToken.VALUE_STRING) {
                texts[slot] = parser.getText();
            } else {
                parser.skipChildren();
            }
        }
        return texts;
    }
}
