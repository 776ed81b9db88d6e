package dev.lavametrics.plugin.bench;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lavametrics.plugin.socket.MessageReading;
import dev.lavametrics.plugin.util.Json;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JSON on the event path: the hand-written {@link Json#parse} (what OutgoingMessages does with
 * each counted message: a full tree of maps, then a few lookups) against the Jackson a node ships
 * (lavaplayer depends on jackson-databind), streaming ({@link JsonParser}, reading only the fields
 * the plugin counts, skipping the rest) and tree ({@link ObjectMapper#readTree}). Each variant
 * reads the same facts (checked at setup), so none can skip work the others do. The streaming
 * variant is OutgoingMessages' own reader (through {@link MessageReading}), which these results
 * led to; the messages are shaped as a Lavalink 4 node sends them (a YouTube track with its full
 * {@code info} and a typical {@code encoded} blob). Results are in docs/benchmarks.md, "JSON on
 * the event path"; EventCountingBenchmark measures the reader through the whole hook.
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

    private final ObjectMapper mapper = new ObjectMapper();

    @Setup
    public void check() throws IOException {
        for (String message : new String[] {PLAYER_UPDATE, TRACK_END}) {
            Facts a = hand(message);
            Facts b = production(message);
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
    public Object playerUpdateJacksonStreaming() {
        return MessageReading.read(PLAYER_UPDATE);
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
    public Object trackEndJacksonStreaming() {
        return MessageReading.read(TRACK_END);
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

    /** The production reader's fields (OutgoingMessages, streaming), as Facts. */
    static Facts production(String message) {
        MessageReading.Fields fields = MessageReading.fields(message);
        Facts facts = new Facts();
        if (fields != null) {
            facts.op = fields.op();
            facts.type = fields.type();
            facts.guildId = fields.guildId();
            facts.source = fields.source();
            facts.reason = fields.reason();
            facts.connected = fields.connected();
            facts.ping = fields.ping();
        }
        return facts;
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
        return a.op.equals(b.op)
                && a.type.equals(b.type)
                && a.guildId.equals(b.guildId)
                && Objects.equals(a.source, b.source)
                && a.reason.equals(b.reason)
                && a.connected == b.connected
                && a.ping == b.ping;
    }
}
