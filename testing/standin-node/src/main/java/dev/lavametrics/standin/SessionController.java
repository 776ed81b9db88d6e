package dev.lavametrics.standin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sedmelluq.discord.lavaplayer.tools.FriendlyException;
import com.sedmelluq.discord.lavaplayer.track.AudioPlaylist;
import com.sedmelluq.discord.lavaplayer.track.AudioTrack;
import com.sedmelluq.discord.lavaplayer.track.TrackMarker;
import com.sedmelluq.discord.lavaplayer.track.TrackMarkerHandler;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/** Sessions and players: {@code /v4/sessions/{sessionId}[/players[/{guildId}]]}. */
@RestController
public class SessionController {
    private static final List<String> VOICE_FIELDS = List.of("token", "endpoint", "sessionId", "channelId");
    /** Longer than the voice client's own connect timeout (10 s), so its error is the one reported. */
    private static final long VOICE_CONNECT_TIMEOUT_SECONDS = 15;

    private final SocketServer server;
    private final TrackCodec codec;
    private final TrackController tracks;

    public SessionController(SocketServer server, TrackCodec codec, TrackController tracks) {
        this.server = server;
        this.codec = codec;
        this.tracks = tracks;
    }

    private SocketContextImpl context(String sessionId) {
        SocketContextImpl ctx = server.getContext(sessionId);
        if (ctx == null) {
            throw new ResponseStatusException(HttpStatus.NOT_FOUND, "Session not found");
        }
        return ctx;
    }

    private static long guild(String guildId) {
        try {
            return Long.parseUnsignedLong(guildId);
        } catch (NumberFormatException e) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "Invalid guild id");
        }
    }

    @GetMapping(value = "/v4/sessions/{sessionId}/players", produces = MediaType.APPLICATION_JSON_VALUE)
    public ArrayNode players(@PathVariable("sessionId") String sessionId) {
        SocketContextImpl ctx = context(sessionId);
        ArrayNode out = codec.mapper().createArrayNode();
        ctx.players().values().forEach(p -> out.add(p.toJson()));
        return out;
    }

    @GetMapping(value = "/v4/sessions/{sessionId}/players/{guildId}", produces = MediaType.APPLICATION_JSON_VALUE)
    public ObjectNode player(@PathVariable("sessionId") String sessionId, @PathVariable("guildId") String guildId) {
        PlayerImpl p = context(sessionId).getPlayer(guild(guildId));
        if (p == null) {
            throw new ResponseStatusException(HttpStatus.NOT_FOUND, "Player not found");
        }
        return p.toJson();
    }

    @DeleteMapping("/v4/sessions/{sessionId}/players/{guildId}")
    public ResponseEntity<Void> destroyPlayer(
            @PathVariable("sessionId") String sessionId, @PathVariable("guildId") String guildId) {
        context(sessionId).destroyPlayer(guild(guildId));
        return ResponseEntity.noContent().build();
    }

    @PatchMapping(value = "/v4/sessions/{sessionId}", produces = MediaType.APPLICATION_JSON_VALUE)
    public ObjectNode updateSession(
            @PathVariable("sessionId") String sessionId, @RequestBody(required = false) JsonNode body) {
        SocketContextImpl ctx = context(sessionId);
        Boolean resuming = null;
        Long timeout = null;
        if (body != null && body.isObject()) {
            if (body.hasNonNull("resuming")) {
                resuming = body.get("resuming").asBoolean();
            }
            if (body.hasNonNull("timeout")) {
                timeout = body.get("timeout").asLong();
                if (timeout < 0) {
                    throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "Timeout must be non-negative");
                }
            }
        }
        ctx.configureResuming(resuming, timeout);
        ObjectNode out = codec.mapper().createObjectNode();
        out.put("resuming", ctx.isResuming());
        out.put("timeout", ctx.getResumeTimeoutSeconds());
        return out;
    }

    @PatchMapping(value = "/v4/sessions/{sessionId}/players/{guildId}", produces = MediaType.APPLICATION_JSON_VALUE)
    public ObjectNode updatePlayer(
            @PathVariable("sessionId") String sessionId,
            @PathVariable("guildId") String guildId,
            @RequestParam(value = "noReplace", defaultValue = "false") boolean noReplace,
            @RequestBody(required = false) JsonNode body) {
        if (body == null || body.isNull()) {
            body = codec.mapper().createObjectNode();
        }
        if (!body.isObject()) {
            throw unreadableBody();
        }
        // Lavalink deserializes the body before the handler runs, so a malformed voice state is a 400
        // even for an unknown session
        JsonNode voice = readableVoice(body.get("voice"));
        SocketContextImpl ctx = context(sessionId);
        long gid = guild(guildId);

        // Which track change was requested, if any: track{encoded|identifier} or the deprecated
        // top-level encodedTrack / identifier.
        JsonNode trackObj = body.get("track");
        boolean hasEncoded = false;
        boolean hasIdentifier = false;
        JsonNode encoded = null;
        String identifier = null;
        JsonNode userData = null;
        if (trackObj != null && !trackObj.isNull()) {
            if (!trackObj.isObject()) {
                throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "track must be an object");
            }
            if (body.has("encodedTrack") || body.has("identifier")) {
                throw new ResponseStatusException(
                        HttpStatus.BAD_REQUEST, "Cannot specify both track and encodedTrack/identifier");
            }
            hasEncoded = trackObj.has("encoded");
            hasIdentifier = trackObj.hasNonNull("identifier");
            encoded = trackObj.get("encoded");
            identifier = hasIdentifier ? trackObj.get("identifier").asText() : null;
            userData = trackObj.get("userData");
            if (userData != null && !userData.isNull() && !userData.isObject()) {
                throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "userData must be an object");
            }
        } else {
            hasEncoded = body.has("encodedTrack");
            hasIdentifier = body.hasNonNull("identifier");
            encoded = body.get("encodedTrack");
            identifier = hasIdentifier ? body.get("identifier").asText() : null;
        }
        if (hasEncoded && hasIdentifier) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "Cannot specify both encoded and identifier");
        }
        Integer volume = null;
        if (body.hasNonNull("volume")) {
            volume = body.get("volume").asInt();
            if (volume < 0 || volume > 1000) {
                throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "Volume must be between 0 and 1000");
            }
        }
        Long position = body.hasNonNull("position") ? body.get("position").asLong() : null;
        boolean hasEndTime = body.has("endTime");
        Long endTime = body.hasNonNull("endTime") ? body.get("endTime").asLong() : null;
        Boolean paused = body.hasNonNull("paused") ? body.get("paused").asBoolean() : null;

        // Resolve the new track before touching the player so a bad request changes nothing.
        AudioTrack newTrack = null;
        boolean stop = false;
        if (hasEncoded) {
            if (encoded == null || encoded.isNull()) {
                stop = true;
            } else {
                newTrack = tracks.decodeOr400(encoded.asText());
            }
        } else if (hasIdentifier) {
            newTrack = resolveIdentifier(identifier);
        }

        if (voice != null
                && VOICE_FIELDS.stream()
                        .anyMatch(f -> text(voice, f) == null || text(voice, f).isBlank())) {
            throw new ResponseStatusException(
                    HttpStatus.BAD_REQUEST, "token, endpoint, sessionId and channelId must be provided in voice state");
        }

        PlayerImpl player = ctx.getOrCreatePlayer(gid);

        if (voice != null) {
            // as 4.2.2 (PlayerRestHandler.kt, channelId!!.toLong()) after the player exists: a 500
            Long.parseLong(text(voice, "channelId"));
            awaitVoiceGateway(player.setVoice(
                    text(voice, "token"), text(voice, "endpoint"), text(voice, "sessionId"), text(voice, "channelId")));
        }
        if (body.has("filters")) {
            // Stored and echoed only; the stand-in applies no DSP filters (lavadsp is not on Maven Central).
            player.setFilters(body.get("filters"));
        }
        if (volume != null) {
            player.getAudioPlayer().setVolume(volume);
        }

        boolean replace = !noReplace || player.getTrack() == null;
        if (stop && replace) {
            player.getAudioPlayer().stopTrack();
        } else if (newTrack != null && replace) {
            if (userData != null && userData.isObject()) {
                newTrack.setUserData(userData.deepCopy());
            }
            if (position != null) {
                newTrack.setPosition(position);
            }
            if (endTime != null && endTime > 0) {
                newTrack.setMarker(new TrackMarker(endTime, endMarker(player)));
            }
            player.play(newTrack);
        } else {
            AudioTrack current = player.getTrack();
            if (current != null) {
                if (userData != null && userData.isObject() && !hasEncoded && !hasIdentifier) {
                    current.setUserData(userData.deepCopy());
                }
                if (position != null) {
                    current.setPosition(position);
                }
                if (hasEndTime) {
                    current.setMarker(
                            endTime != null && endTime > 0 ? new TrackMarker(endTime, endMarker(player)) : null);
                }
            }
        }
        if (paused != null) {
            player.getAudioPlayer().setPaused(paused);
        }
        return player.toJson();
    }

    /**
     * The voice state as Lavalink 4.2.2 reads it (protocol/.../v4/player.kt, {@code VoiceState}): token,
     * endpoint and sessionId strings and a channelId key (null allowed) must all be there, or the body
     * does not deserialize and the answer is a plain 400; 4.1.x had no channelId. Null when absent.
     */
    private static JsonNode readableVoice(JsonNode voice) {
        if (voice == null) {
            return null;
        }
        if (!voice.isObject()
                || !voice.has("channelId")
                || !(voice.get("channelId").isTextual()
                        || voice.get("channelId").isNull())) {
            throw unreadableBody();
        }
        for (String field : List.of("token", "endpoint", "sessionId")) {
            if (!voice.path(field).isTextual()) {
                throw unreadableBody();
            }
        }
        return voice;
    }

    /** What a body that does not deserialize gets on Lavalink: 400 with the bare reason phrase as message. */
    private static ResponseStatusException unreadableBody() {
        return new ResponseStatusException(HttpStatus.BAD_REQUEST);
    }

    /** Lavalink's PATCH answers once the voice gateway websocket is open (PlayerRestHandler.kt joins it). */
    private static void awaitVoiceGateway(CompletableFuture<Void> opened) {
        try {
            opened.get(VOICE_CONNECT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ResponseStatusException(HttpStatus.INTERNAL_SERVER_ERROR, "Failed to connect to voice server");
        } catch (ExecutionException | TimeoutException e) {
            // Lavalink's own answer when Koe's connect fails; where Koe never completes (a refused TCP
            // connect) Lavalink's request hangs instead, which a test host should not copy
            throw new ResponseStatusException(HttpStatus.INTERNAL_SERVER_ERROR, "Failed to connect to voice server");
        }
    }

    private static TrackMarkerHandler endMarker(PlayerImpl player) {
        return state -> {
            if (state == TrackMarkerHandler.MarkerState.REACHED || state == TrackMarkerHandler.MarkerState.BYPASSED) {
                player.getAudioPlayer().stopTrack();
            }
        };
    }

    private AudioTrack resolveIdentifier(String identifier) {
        Object item = tracks.load(identifier);
        if (item instanceof AudioTrack t) {
            return t;
        }
        if (item instanceof AudioPlaylist pl) {
            if (pl.getSelectedTrack() != null) {
                return pl.getSelectedTrack();
            }
            if (pl.isSearchResult() && !pl.getTracks().isEmpty()) {
                return pl.getTracks().get(0);
            }
            throw new ResponseStatusException(
                    HttpStatus.BAD_REQUEST, "The identifier resolved to a playlist, not a track");
        }
        if (item instanceof FriendlyException fe) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "Failed to load identifier: " + fe.getMessage());
        }
        throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "No matches found for identifier");
    }

    private static String text(JsonNode obj, String field) {
        JsonNode n = obj.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }
}
