package dev.lavametrics.plugin.socket;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.arbjerg.lavalink.api.ISocketContext;
import dev.lavametrics.plugin.catalog.Group;
import dev.lavametrics.plugin.collect.MetricCollectors;
import dev.lavametrics.plugin.collect.PlayerKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * Reads track and voice facts from the v4 websocket messages Lavalink sends to clients: the one
 * place they are available through the plugin API on every Lavalink 4 release. Throws on
 * malformed input; the caller counts that.
 */
final class OutgoingMessages {
    private final MetricCollectors metrics;
    private final boolean tracks;
    private final boolean voice;
    private final boolean players;
    private final boolean wantEvents;

    OutgoingMessages(MetricCollectors metrics) {
        this.metrics = metrics;
        this.tracks = metrics.enabled(Group.TRACKS);
        this.voice = metrics.enabled(Group.VOICE);
        this.players = metrics.enabled(Group.PLAYERS);
        this.wantEvents = tracks || voice || players;
    }

    /**
     * The session id is read only for a message that is used: the context is the node's object,
     * and most messages (stats, ready, groups switched off) are skipped unparsed.
     */
    void handle(ISocketContext context, String message) {
        boolean event = wantEvents && message.contains("\"event\"");
        boolean update = voice && message.contains("\"playerUpdate\"");
        if (!(event || update)) {
            return;
        }
        Message read = Message.read(message);
        if (read == null) {
            return;
        }
        if (update && "playerUpdate".equals(read.op)) {
            playerUpdate(context.getSessionId(), read);
        } else if (event && "event".equals(read.op)) {
            event(context.getSessionId(), read);
        }
    }

    private void playerUpdate(String sessionId, Message message) {
        if (message.state) {
            metrics.voice.updated(playerKey(sessionId, message), message.connected, message.ping);
        }
    }

    private void event(String sessionId, Message message) {
        String source = message.source;
        switch (message.type) {
            case "TrackStartEvent" -> {
                if (tracks) {
                    metrics.tracks.started(source);
                }
                if (players) {
                    metrics.players.played(playerKey(sessionId, message));
                }
                if (voice) {
                    metrics.voice.trackStarted(playerKey(sessionId, message));
                }
            }
            case "TrackEndEvent" -> {
                if (tracks) {
                    metrics.tracks.ended(source, message.reason);
                }
            }
            case "TrackExceptionEvent" -> {
                if (tracks) {
                    metrics.tracks.failed(source, message.severity.toLowerCase(Locale.ROOT));
                }
            }
            case "TrackStuckEvent" -> {
                if (tracks) {
                    metrics.tracks.stuck(source);
                }
            }
            case "WebSocketClosedEvent" -> {
                if (voice) {
                    metrics.voice.closed(message.code);
                }
            }
            default -> {}
        }
    }

    private static PlayerKey playerKey(String sessionId, Message message) {
        return new PlayerKey(sessionId, Long.parseLong(message.guildId));
    }

    /**
     * The fields of one message the plugin counts, read with Jackson's streaming parser (jackson-core
     * is on every Lavalink 4 node's class path: lavaplayer and Spring MVC depend on it). Only these
     * fields are materialised; every other value, such as a track's {@code encoded} blob, is skipped
     * token by token: 0.4-0.6x the time of the hand-written full tree it replaced, and 976 instead of
     * ~5,700 B for a track end, 776 instead of 2,000 B for a player update (docs/benchmarks.md,
     * "JSON on the event path"). The whole message is still read to its end,
     * so a truncated or malformed one throws, as before, and is counted by the caller. Text fields
     * read as "" when absent or null; {@link #source} is null when the message carries no track info.
     * Only streaming API present since Jackson 2.10 is used, older than any Lavalink 4 ships.
     */
    static final class Message {
        private static final JsonFactory JSON = new JsonFactory();

        String op = "";
        String type = "";
        String guildId = "";
        String reason = "";
        String severity = "";
        String source;
        long code = -1;
        boolean state;
        boolean connected;
        long ping = -1;

        /** The message's fields, or null when it is not a JSON object; throws on malformed JSON. */
        static Message read(String text) {
            try (JsonParser parser = JSON.createParser(text)) {
                if (parser.nextToken() != JsonToken.START_OBJECT) {
                    return null;
                }
                Message message = new Message();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String name = parser.currentName();
                    JsonToken value = parser.nextToken();
                    switch (name) {
                        case "op" -> message.op = text(parser, value);
                        case "type" -> message.type = text(parser, value);
                        case "guildId" -> message.guildId = text(parser, value);
                        case "reason" -> message.reason = text(parser, value);
                        case "code" -> message.code = value.isNumeric() ? parser.getLongValue() : skip(parser, -1);
                        case "track" -> message.track(parser, value);
                        case "exception" -> message.exception(parser, value);
                        case "state" -> message.state(parser, value);
                        default -> parser.skipChildren();
                    }
                }
                if (parser.nextToken() != null) {
                    throw new IllegalArgumentException("trailing characters after the message");
                }
                return message;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void track(JsonParser parser, JsonToken value) throws IOException {
            source = null; // the last track key wins, as in a map
            if (value != JsonToken.START_OBJECT) {
                parser.skipChildren();
                return;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken inner = parser.nextToken();
                if (name.equals("info") && inner == JsonToken.START_OBJECT) {
                    source = "";
                    while (parser.nextToken() == JsonToken.FIELD_NAME) {
                        String key = parser.currentName();
                        JsonToken field = parser.nextToken();
                        if (key.equals("sourceName")) {
                            source = text(parser, field);
                        } else {
                            parser.skipChildren();
                        }
                    }
                } else {
                    if (name.equals("info")) {
                        source = null; // likewise the last info key
                    }
                    parser.skipChildren();
                }
            }
        }

        private void exception(JsonParser parser, JsonToken value) throws IOException {
            severity = "";
            if (value != JsonToken.START_OBJECT) {
                parser.skipChildren();
                return;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken field = parser.nextToken();
                if (name.equals("severity")) {
                    severity = text(parser, field);
                } else {
                    parser.skipChildren();
                }
            }
        }

        private void state(JsonParser parser, JsonToken value) throws IOException {
            state = value == JsonToken.START_OBJECT;
            connected = false;
            ping = -1;
            if (!state) {
                parser.skipChildren();
                return;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken field = parser.nextToken();
                if (name.equals("connected")) {
                    connected = field == JsonToken.VALUE_TRUE;
                } else if (name.equals("ping")) {
                    ping = field.isNumeric() ? parser.getLongValue() : skip(parser, -1);
                } else {
                    parser.skipChildren();
                }
            }
        }

        /** A scalar's text ("" for null); an object or array where text belongs is skipped, as "". */
        private static String text(JsonParser parser, JsonToken value) throws IOException {
            if (value.isStructStart()) {
                parser.skipChildren();
                return "";
            }
            return value == JsonToken.VALUE_NULL ? "" : parser.getText();
        }

        private static long skip(JsonParser parser, long result) throws IOException {
            parser.skipChildren();
            return result;
        }
    }
}
