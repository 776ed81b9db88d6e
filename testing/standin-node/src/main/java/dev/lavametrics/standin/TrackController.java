package dev.lavametrics.standin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sedmelluq.discord.lavaplayer.player.AudioLoadResultHandler;
import com.sedmelluq.discord.lavaplayer.player.AudioPlayerManager;
import com.sedmelluq.discord.lavaplayer.tools.FriendlyException;
import com.sedmelluq.discord.lavaplayer.track.AudioPlaylist;
import com.sedmelluq.discord.lavaplayer.track.AudioTrack;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/** {@code /v4/loadtracks}, {@code /v4/decodetrack}, {@code /v4/decodetracks}. */
@RestController
public class TrackController {
    private final AudioPlayerManager manager;
    private final TrackCodec codec;

    public TrackController(AudioPlayerManager manager, TrackCodec codec) {
        this.manager = manager;
        this.codec = codec;
    }

    /** Loads an identifier with lavaplayer and returns the item, or a FriendlyException, or null for no matches. */
    Object load(String identifier) {
        CompletableFuture<Object> result = new CompletableFuture<>();
        manager.loadItem(identifier, new AudioLoadResultHandler() {
            @Override
            public void trackLoaded(AudioTrack track) {
                result.complete(track);
            }

            @Override
            public void playlistLoaded(AudioPlaylist playlist) {
                result.complete(playlist);
            }

            @Override
            public void noMatches() {
                result.complete(null);
            }

            /**
             * As Lavalink 4.2.2's loading.kt: it loads with loadItemSync and wraps whatever the source
             * threw, so a load error's message and severity are always this wrapper's and the source's
             * exception is the first link of its chain (measured on real 4.2.2, docs/compat.md).
             */
            @Override
            public void loadFailed(FriendlyException exception) {
                Throwable thrown = exception.getCause() != null
                                && exception.getMessage() != null
                                && exception.getMessage().startsWith("Something went wrong when looking up the track")
                        ? exception.getCause() // lavaplayer's own wrapper of a non-friendly throwable
                        : exception;
                result.complete(new FriendlyException(
                        "Something went wrong while looking up the track.", FriendlyException.Severity.FAULT, thrown));
            }
        });
        try {
            return result.get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ResponseStatusException(HttpStatus.INTERNAL_SERVER_ERROR, "Interrupted while loading");
        } catch (ExecutionException | TimeoutException e) {
            return new FriendlyException("Loading timed out or failed", FriendlyException.Severity.FAULT, e);
        }
    }

    @GetMapping(value = "/v4/loadtracks", produces = MediaType.APPLICATION_JSON_VALUE)
    public ObjectNode loadTracks(@RequestParam String identifier) {
        Object item = load(identifier);
        ObjectNode out = codec.mapper().createObjectNode();
        if (item instanceof AudioTrack track) {
            out.put("loadType", "track");
            out.set("data", codec.trackJson(track));
        } else if (item instanceof AudioPlaylist pl && pl.isSearchResult()) {
            out.put("loadType", "search");
            ArrayNode data = out.putArray("data");
            pl.getTracks().forEach(t -> data.add(codec.trackJson(t)));
        } else if (item instanceof AudioPlaylist pl) {
            out.put("loadType", "playlist");
            ObjectNode data = out.putObject("data");
            ObjectNode info = data.putObject("info");
            info.put("name", pl.getName());
            info.put(
                    "selectedTrack",
                    pl.getSelectedTrack() == null ? -1 : pl.getTracks().indexOf(pl.getSelectedTrack()));
            data.putObject("pluginInfo");
            ArrayNode tracks = data.putArray("tracks");
            pl.getTracks().forEach(t -> tracks.add(codec.trackJson(t)));
        } else if (item instanceof FriendlyException fe) {
            out.put("loadType", "error");
            out.set("data", codec.loadErrorJson(fe));
        } else {
            out.put("loadType", "empty");
            out.putObject("data");
        }
        return out;
    }

    @GetMapping(value = "/v4/decodetrack", produces = MediaType.APPLICATION_JSON_VALUE)
    public ObjectNode decodeTrack(@RequestParam String encodedTrack) {
        return codec.trackJson(decodeOr400(encodedTrack));
    }

    @PostMapping(value = "/v4/decodetracks", produces = MediaType.APPLICATION_JSON_VALUE)
    public ArrayNode decodeTracks(@RequestBody JsonNode body) {
        if (body == null || !body.isArray()) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "Body must be an array of encoded tracks");
        }
        ArrayNode out = codec.mapper().createArrayNode();
        for (JsonNode n : body) {
            if (!n.isTextual()) {
                throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "Body must be an array of encoded tracks");
            }
            out.add(codec.trackJson(decodeOr400(n.asText())));
        }
        return out;
    }

    AudioTrack decodeOr400(String encoded) {
        try {
            return codec.decode(encoded);
        } catch (IllegalArgumentException e) {
            throw new ResponseStatusException(HttpStatus.BAD_REQUEST, e.getMessage());
        }
    }
}
