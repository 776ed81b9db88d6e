package dev.lavametrics.standin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sedmelluq.discord.lavaplayer.player.AudioPlayerManager;
import com.sedmelluq.discord.lavaplayer.tools.FriendlyException;
import com.sedmelluq.discord.lavaplayer.tools.io.MessageInput;
import com.sedmelluq.discord.lavaplayer.tools.io.MessageOutput;
import com.sedmelluq.discord.lavaplayer.track.AudioTrack;
import com.sedmelluq.discord.lavaplayer.track.AudioTrackInfo;
import com.sedmelluq.discord.lavaplayer.track.DecodedTrackHolder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Base64;
import org.springframework.stereotype.Component;

/** Base64 track encoding (lavaplayer's message format) and the Lavalink v4 JSON shapes built from tracks. */
@Component
public class TrackCodec {
    private final AudioPlayerManager manager;
    private final ObjectMapper mapper;

    public TrackCodec(AudioPlayerManager manager, ObjectMapper mapper) {
        this.manager = manager;
        this.mapper = mapper;
    }

    public ObjectMapper mapper() {
        return mapper;
    }

    public String encode(AudioTrack track) {
        try {
            ByteArrayOutputStream baos = new ByteArrayOutputStream();
            manager.encodeTrack(new MessageOutput(baos), track);
            return Base64.getEncoder().encodeToString(baos.toByteArray());
        } catch (IOException e) {
            throw new IllegalStateException("Failed to encode track", e);
        }
    }

    /** Decodes a base64 track; throws IllegalArgumentException when it cannot be decoded. */
    public AudioTrack decode(String encoded) {
        try {
            byte[] bytes = Base64.getDecoder().decode(encoded);
            DecodedTrackHolder holder = manager.decodeTrack(new MessageInput(new ByteArrayInputStream(bytes)));
            if (holder == null || holder.decodedTrack == null) {
                throw new IllegalArgumentException("Failed to decode track (unknown source or bad data)");
            }
            return holder.decodedTrack;
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae
                    && iae.getMessage() != null
                    && iae.getMessage().startsWith("Failed to decode")) {
                throw iae;
            }
            throw new IllegalArgumentException("Failed to decode track: " + e, e);
        }
    }

    /** The v4 Track object: {encoded, info, pluginInfo, userData}. */
    public ObjectNode trackJson(AudioTrack track) {
        ObjectNode out = mapper.createObjectNode();
        out.put("encoded", encode(track));
        AudioTrackInfo i = track.getInfo();
        ObjectNode info = out.putObject("info");
        info.put("identifier", i.identifier);
        info.put("isSeekable", track.isSeekable());
        info.put("author", i.author);
        info.put("length", track.getDuration());
        info.put("isStream", i.isStream);
        info.put("position", track.getPosition());
        info.put("title", i.title);
        info.put("uri", i.uri);
        info.put("artworkUrl", i.artworkUrl);
        info.put("isrc", i.isrc);
        info.put(
                "sourceName",
                track.getSourceManager() != null ? track.getSourceManager().getSourceName() : "unknown");
        out.putObject("pluginInfo");
        Object userData = track.getUserData();
        if (userData instanceof JsonNode node && node.isObject()) {
            out.set("userData", node.deepCopy());
        } else {
            out.putObject("userData");
        }
        return out;
    }

    /** The v4 Exception object: {message, severity, cause, causeStackTrace}. */
    /**
     * A load error's {@code data}, as Lavalink 4.2.2 writes it ({@code Exception.fromFriendlyException}
     * in util.kt): the exception's own toString and its whole stack trace, every cause included.
     */
    public ObjectNode loadErrorJson(FriendlyException e) {
        return exceptionJson(e, e);
    }

    /**
     * A {@code TrackExceptionEvent}'s {@code exception}, as Lavalink 4.2.2 writes it
     * ({@code EventEmitter.onTrackException}): the root cause's toString and stack trace only.
     */
    public ObjectNode trackExceptionJson(FriendlyException e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return exceptionJson(e, root);
    }

    private ObjectNode exceptionJson(FriendlyException e, Throwable cause) {
        ObjectNode out = mapper.createObjectNode();
        out.put("message", e.getMessage());
        out.put("severity", e.severity == null ? "fault" : e.severity.name().toLowerCase());
        out.put("cause", cause.toString());
        StringWriter sw = new StringWriter();
        cause.printStackTrace(new PrintWriter(sw));
        out.put("causeStackTrace", sw.toString());
        return out;
    }
}
