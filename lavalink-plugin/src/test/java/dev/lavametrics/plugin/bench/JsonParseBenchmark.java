package dev.lavametrics.plugin.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lavametrics.plugin.util.Json;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * JSON on the event path: the hand-written {@link Json#parse} (what OutgoingMessages does with
 * each counted message: a full tree of maps, then a few lookups) against the Jackson a node ships
 * (lavaplayer depends on jackson-databind), streaming ({@link JsonParser}, reading only the fields
 * the plugin counts, skipping the rest) and tree ({@link ObjectMapper#readTree}). Each variant
 * returns the same facts, so none can skip work the others do. The messages are shaped as a
 * Lavalink 4 node sends them (a YouTube track with its full {@code info} and a typical
 * {@code encoded} blob); results are in docs/benchmarks.md, "JSON on the event path". They led
 * OutgoingMessages to its streaming reader, which follows {@link #streaming} here;
 * EventCountingBenchmark measures that production path through the whole hook.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class JsonParseBenchmark {
    static final String PLAYER_UPDATE = "{\"op\":\"playerUpdate\",\"guildId\":\"817327181659111454\","
            + "\"state\":{\"time\":1700000000000,\"position\":60000,\"connected\":true,\"ping\":42}}";
    static final String TRACK_END = "{\"op\":\"event\",\"type\":\"TrackEndEvent\",\"guildId\":\"817327181659111454\","
            + "\"track\":{\"encoded\":\"QAAA6AMAJVJpY2sgQXN0bGV5IC0gTmV2ZXIgR29ubmEgR2l2ZSBZb3UgVXAADlJpY2tBc3RsZXlW"
            + "RVZPAAAAAAADPCAAC2RRdzR3OVdnWGNRAAEAK2h0dHBzOi8vd3d3LnlvdXR1YmUuY29tL3dhdGNoP3Y9ZFF3NHc5V2dYY1EBADRo"
            + "dHRwczovL2kueXRpbWcuY29tL3ZpL2RRdzR3OVdnWGNRL21heHJlc2RlZmF1bHQuanBnAAAHeW91dHViZQAAAAAAAAAA\","
            + "\"info\":{\"identifier\":\"dQw4w9WgXcQ\",\"isSeekable\":true,\"author\":\"RickAstleyVEVO\","
            + "\"length\":212000,\"isStream\":false,\"position\":0,"
            + "\"title\":\"Rick Astley - Never Gonna Give You Up (Official Music Video)\","
            + "\"uri\":\"https://www.youtube.com/watch?v=dQw4w9WgXcQ\","
            + "\"artworkUrl\":\"https://i.ytimg.com/vi/dQw4w9WgXcQ/maxresdefault.jpg\",\"isrc\":null,"
            + "\"sourceName\":\"youtube\"},\"pluginInfo\":{},\"userData\":{}},\"reason\":\"finished\"}";

    /** What the plugin reads from a message; every variant fills it the same way. */
    public static final class Facts {
        String op = "";
        String type = "";
        String guildId = "";
        String source;
        String reason = "";
        boolean connected;
        long ping = -1;
    }

    private final JsonFactory factory = new JsonFactory();
    private final ObjectMapper mapper = new ObjectMapper();

    @Setup
    public void check() throws IOException {
        for (String message : new String[] {PLAYER_UPDATE, TRACK_END}) {
            Facts a = hand(message);
            Facts b = streaming(factory, message);
            Facts c = tree(mapper, message);
            if (!same(a, b) || !same(a, c)) {
                throw new IllegalStateException("the variants read different facts from " + message);
            }
        }
    }

    @Benchmark
    public Facts playerUpdateHand() {
        return hand(PLAYER_UPDATE);
    }

    @Benchmark
    public Facts playerUpdateJacksonStreaming() throws IOException {
        return streaming(factory, PLAYER_UPDATE);
    }

    @Benchmark
    public Facts playerUpdateJacksonTree() throws IOException {
        return tree(mapper, PLAYER_UPDATE);
    }

    @Benchmark
    public Facts trackEndHand() {
        return hand(TRACK_END);
    }

    @Benchmark
    public Facts trackEndJacksonStreaming() throws IOException {
        return streaming(factory, TRACK_END);
    }

    @Benchmark
    public Facts trackEndJacksonTree() throws IOException {
        return tree(mapper, TRACK_END);
    }

    /** As OutgoingMessages reads a message today. */
    static Facts hand(String message) {
        Facts facts = new Facts();
        if (!(Json.parse(message) instanceof Map<?, ?> root)) {
            return facts;
        }
        facts.op = text(root.get("op"));
        facts.type = text(root.get("type"));
        facts.guildId = text(root.get("guildId"));
        facts.reason = text(root.get("reason"));
        if (root.get("track") instanceof Map<?, ?> track && track.get("info") instanceof Map<?, ?> info) {
            facts.source = text(info.get("sourceName"));
        }
        if (root.get("state") instanceof Map<?, ?> state) {
            facts.connected = Boolean.TRUE.equals(state.get("connected"));
            facts.ping = state.get("ping") instanceof Number n ? n.longValue() : -1;
        }
        return facts;
    }

    /** Only the counted fields are materialised; every other value is skipped token by token. */
    static Facts streaming(JsonFactory factory, String message) throws IOException {
        Facts facts = new Facts();
        try (JsonParser parser = factory.createParser(message)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return facts;
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (name) {
                    case "op" -> facts.op = scalar(parser, value);
                    case "type" -> facts.type = scalar(parser, value);
                    case "guildId" -> facts.guildId = scalar(parser, value);
                    case "reason" -> facts.reason = scalar(parser, value);
                    case "track" -> readTrack(parser, value, facts);
                    case "state" -> readState(parser, value, facts);
                    default -> parser.skipChildren();
                }
            }
        }
        return facts;
    }

    private static void readTrack(JsonParser parser, JsonToken value, Facts facts) throws IOException {
        if (value != JsonToken.START_OBJECT) {
            parser.skipChildren();
            return;
        }
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken inner = parser.nextToken();
            if (name.equals("info") && inner == JsonToken.START_OBJECT) {
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String key = parser.currentName();
                    JsonToken field = parser.nextToken();
                    if (key.equals("sourceName")) {
                        facts.source = scalar(parser, field);
                    } else {
                        parser.skipChildren();
                    }
                }
            } else {
                parser.skipChildren();
            }
        }
    }

    private static void readState(JsonParser parser, JsonToken value, Facts facts) throws IOException {
        if (value != JsonToken.START_OBJECT) {
            parser.skipChildren();
            return;
        }
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken field = parser.nextToken();
            if (name.equals("connected")) {
                facts.connected = field == JsonToken.VALUE_TRUE;
            } else if (name.equals("ping") && field.isNumeric()) {
                facts.ping = parser.getLongValue();
            } else {
                parser.skipChildren();
            }
        }
    }

    private static String scalar(JsonParser parser, JsonToken value) throws IOException {
        if (value.isStructStart()) {
            parser.skipChildren();
            return "";
        }
        return value == JsonToken.VALUE_NULL ? "" : parser.getText();
    }

    static Facts tree(ObjectMapper mapper, String message) throws IOException {
        Facts facts = new Facts();
        JsonNode root = mapper.readTree(message);
        if (!root.isObject()) {
            return facts;
        }
        facts.op = root.path("op").asText("");
        facts.type = root.path("type").asText("");
        facts.guildId = root.path("guildId").asText("");
        facts.reason = root.path("reason").asText("");
        JsonNode info = root.path("track").path("info");
        if (info.isObject()) {
            facts.source = info.path("sourceName").asText("");
        }
        JsonNode state = root.path("state");
        if (state.isObject()) {
            facts.connected = state.path("connected").asBoolean(false);
            facts.ping = state.path("ping").isNumber() ? state.path("ping").asLong() : -1;
        }
        return facts;
    }

    private static String text(Object value) {
        return value == null ? "" : value.toString();
    }

    private static boolean same(Facts a, Facts b) {
        return a.op.equals(b.op) && a.type.equals(b.type) && a.guildId.equals(b.guildId)
                && Objects.equals(a.source, b.source) && a.reason.equals(b.reason)
                && a.connected == b.connected && a.ping == b.ping;
    }
}
