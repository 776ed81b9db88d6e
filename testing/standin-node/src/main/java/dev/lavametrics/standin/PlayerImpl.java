package dev.lavametrics.standin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sedmelluq.discord.lavaplayer.player.AudioPlayer;
import com.sedmelluq.discord.lavaplayer.player.event.AudioEventAdapter;
import com.sedmelluq.discord.lavaplayer.tools.FriendlyException;
import com.sedmelluq.discord.lavaplayer.track.AudioTrack;
import com.sedmelluq.discord.lavaplayer.track.AudioTrackEndReason;
import com.sedmelluq.discord.lavaplayer.track.playback.MutableAudioFrame;
import dev.arbjerg.lavalink.api.IPlayer;
import dev.arbjerg.lavalink.api.ISocketContext;
import dev.lavametrics.standin.voice.FrameCounter;
import dev.lavametrics.standin.voice.VoiceConnection;
import dev.lavametrics.standin.voice.VoiceManager;
import dev.lavametrics.standin.voice.VoiceServerInfo;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The player of one guild. Wraps a lavaplayer {@link AudioPlayer} created by the node's manager
 * (so lavaplayer's own cleanup applies) and turns its events into Lavalink v4 event messages.
 *
 * <p>Once the client sends complete voice server info ({@code voice} in a player PATCH) the player
 * gets a {@link VoiceConnection}; the voice layer's sender thread then pulls Opus frames through
 * {@code provide()} every 20 ms. Without one nobody polls the audio player: the position stays 0
 * and lavaplayer ends the track after its cleanup threshold (one minute) with reason
 * {@code cleanup}, as on a real Lavalink without voice.
 */
public class PlayerImpl extends AudioEventAdapter implements IPlayer, VoiceConnection.AudioSource {
    private final SocketContextImpl context;
    private final long guildId;
    private final AudioPlayer audioPlayer;
    private final TrackCodec codec;
    private final ScheduledExecutorService scheduler;
    private final int updateIntervalSeconds;
    private final VoiceManager voiceManager;
    private final FrameCounter frameCounter = new FrameCounter();
    private final Object voiceLock = new Object();
    private volatile VoiceConnection voice;
    private volatile boolean destroyed;

    private volatile ScheduledFuture<?> updateTask;
    /** The filters object last sent by the client. Only stored and echoed: the stand-in applies no DSP filters. */
    private volatile JsonNode filters;

    private volatile String voiceToken = "";
    private volatile String voiceEndpoint = "";
    private volatile String voiceSessionId = "";
    private volatile String voiceChannelId;
    /** The channel of the current connection (guarded by voiceLock). */
    private String connectedChannelId;

    PlayerImpl(
            SocketContextImpl context,
            long guildId,
            AudioPlayer audioPlayer,
            TrackCodec codec,
            ScheduledExecutorService scheduler,
            int updateIntervalSeconds,
            VoiceManager voiceManager) {
        this.context = context;
        this.guildId = guildId;
        this.audioPlayer = audioPlayer;
        this.codec = codec;
        this.scheduler = scheduler;
        this.updateIntervalSeconds = updateIntervalSeconds;
        this.voiceManager = voiceManager;
        this.filters = codec.mapper().createObjectNode();
        audioPlayer.addListener(this);
    }

    @Override
    public AudioPlayer getAudioPlayer() {
        return audioPlayer;
    }

    @Override
    public AudioTrack getTrack() {
        return audioPlayer.getPlayingTrack();
    }

    @Override
    public long getGuildId() {
        return guildId;
    }

    @Override
    public ISocketContext getSocketContext() {
        return context;
    }

    @Override
    public boolean isPlaying() {
        return audioPlayer.getPlayingTrack() != null && !audioPlayer.isPaused();
    }

    public JsonNode getFilters() {
        return filters;
    }

    public void setFilters(JsonNode filters) {
        this.filters = filters == null || filters.isNull() ? codec.mapper().createObjectNode() : filters.deepCopy();
    }

    /**
     * Stores the client's voice state (Lavalink 4.2 shape, with {@code channelId}) and connects when it
     * is new. The returned future completes once the voice gateway websocket is open, as Lavalink's
     * PATCH waits for it; at once when nothing had to connect.
     */
    public CompletableFuture<Void> setVoice(String token, String endpoint, String sessionId, String channelId) {
        this.voiceToken = token == null ? "" : token;
        this.voiceEndpoint = endpoint == null ? "" : endpoint;
        this.voiceSessionId = sessionId == null ? "" : sessionId;
        this.voiceChannelId = channelId;
        return updateVoiceConnection();
    }

    /**
     * Connects to the voice server last sent by the client when the info is complete and differs from
     * the current connection's (channel included, as in 4.2's PlayerRestHandler.kt) or the current one
     * has closed; a previous connection is closed silently.
     */
    private CompletableFuture<Void> updateVoiceConnection() {
        CompletableFuture<Void> nothingToDo = CompletableFuture.completedFuture(null);
        if (voiceManager == null) {
            return nothingToDo;
        }
        VoiceServerInfo info =
                new VoiceServerInfo(guildId, context.getUserId(), voiceSessionId, voiceToken, voiceEndpoint);
        if (!info.complete()) {
            return nothingToDo;
        }
        synchronized (voiceLock) {
            if (destroyed) {
                return nothingToDo;
            }
            VoiceConnection cur = voice;
            if (cur != null
                    && !cur.isClosed()
                    && cur.info().equals(info)
                    && Objects.equals(connectedChannelId, voiceChannelId)) {
                return nothingToDo;
            }
            if (cur != null) {
                cur.close();
            }
            connectedChannelId = voiceChannelId;
            voice = voiceManager.connect(info, this, gatewayListener);
            return voice.opened();
        }
    }

    private final VoiceConnection.GatewayListener gatewayListener = new VoiceConnection.GatewayListener() {
        @Override
        public void closed(VoiceConnection connection, int code, String reason, boolean byRemote) {
            if (connection != voice || destroyed) {
                return;
            }
            context.emitWebSocketClosed(guildId, code, reason, byRemote);
        }

        @Override
        public void ready(VoiceConnection connection) {
            if (connection == voice && !destroyed) {
                sendPlayerUpdate();
            }
        }
    };

    public VoiceConnection getVoiceConnection() {
        return voice;
    }

    // ---- VoiceConnection.AudioSource (called by the voice sender thread) ----

    @Override
    public boolean provide(MutableAudioFrame frame) {
        return audioPlayer.provide(frame);
    }

    @Override
    public boolean isActive() {
        return isPlaying();
    }

    @Override
    public FrameCounter counter() {
        return frameCounter;
    }

    public FrameCounter getFrameCounter() {
        return frameCounter;
    }

    void play(AudioTrack track) {
        audioPlayer.playTrack(track);
        sendPlayerUpdate();
    }

    void destroy() {
        synchronized (voiceLock) {
            destroyed = true;
            VoiceConnection v = voice;
            if (v != null) {
                v.close();
            }
        }
        cancelUpdates();
        audioPlayer.destroy();
    }

    private void cancelUpdates() {
        ScheduledFuture<?> f = updateTask;
        if (f != null) {
            f.cancel(false);
        }
    }

    public ObjectNode stateJson() {
        ObjectNode state = codec.mapper().createObjectNode();
        state.put("time", System.currentTimeMillis());
        AudioTrack t = audioPlayer.getPlayingTrack();
        state.put("position", t == null ? 0 : t.getPosition());
        // connected = the voice gateway websocket is open; ping = its heartbeat round trip.
        VoiceConnection v = voice;
        state.put("connected", v != null && v.isConnected());
        state.put("ping", v == null ? -1 : v.getPing());
        return state;
    }

    public ObjectNode toJson() {
        ObjectNode out = codec.mapper().createObjectNode();
        out.put("guildId", Long.toString(guildId));
        AudioTrack t = audioPlayer.getPlayingTrack();
        if (t == null) {
            out.putNull("track");
        } else {
            out.set("track", codec.trackJson(t));
        }
        out.put("volume", audioPlayer.getVolume());
        out.put("paused", audioPlayer.isPaused());
        out.set("state", stateJson());
        ObjectNode voice = out.putObject("voice");
        voice.put("token", voiceToken);
        voice.put("endpoint", voiceEndpoint);
        voice.put("sessionId", voiceSessionId);
        voice.put("channelId", voiceChannelId); // 4.2.x: always there, null until known
        out.set("filters", filters.deepCopy());
        return out;
    }

    /** As SocketServer.kt's sendPlayerUpdate: skipped while the session is paused, not queued. */
    public void sendPlayerUpdate() {
        if (context.isPaused()) {
            return;
        }
        ObjectNode msg = codec.mapper().createObjectNode();
        msg.put("op", "playerUpdate");
        msg.put("guildId", Long.toString(guildId));
        msg.set("state", stateJson());
        context.send(msg);
    }

    private ObjectNode event(String type, AudioTrack track) {
        ObjectNode msg = codec.mapper().createObjectNode();
        msg.put("op", "event");
        msg.put("type", type);
        msg.put("guildId", Long.toString(guildId));
        msg.set("track", codec.trackJson(track));
        return msg;
    }

    @Override
    public void onTrackStart(AudioPlayer player, AudioTrack track) {
        frameCounter.started(System.currentTimeMillis());
        context.send(event("TrackStartEvent", track));
        ScheduledFuture<?> f = updateTask;
        if (f == null || f.isCancelled() || f.isDone()) {
            updateTask = scheduler.scheduleAtFixedRate(this::safeUpdate, 0, updateIntervalSeconds, TimeUnit.SECONDS);
        }
    }

    private void safeUpdate() {
        try {
            sendPlayerUpdate();
        } catch (RuntimeException ignored) {
            // keep the schedule alive
        }
    }

    @Override
    public void onTrackEnd(AudioPlayer player, AudioTrack track, AudioTrackEndReason endReason) {
        frameCounter.stopped(System.currentTimeMillis());
        cancelUpdates();
        ObjectNode msg = event("TrackEndEvent", track);
        msg.put("reason", reasonName(endReason));
        context.send(msg);
    }

    @Override
    public void onPlayerPause(AudioPlayer player) {
        frameCounter.stopped(System.currentTimeMillis());
    }

    @Override
    public void onPlayerResume(AudioPlayer player) {
        frameCounter.started(System.currentTimeMillis());
    }

    static String reasonName(AudioTrackEndReason r) {
        return switch (r) {
            case FINISHED -> "finished";
            case LOAD_FAILED -> "loadFailed";
            case STOPPED -> "stopped";
            case REPLACED -> "replaced";
            case CLEANUP -> "cleanup";
        };
    }

    @Override
    public void onTrackException(AudioPlayer player, AudioTrack track, FriendlyException exception) {
        ObjectNode msg = event("TrackExceptionEvent", track);
        msg.set("exception", codec.exceptionJson(exception));
        context.send(msg);
    }

    @Override
    public void onTrackStuck(AudioPlayer player, AudioTrack track, long thresholdMs) {
        ObjectNode msg = event("TrackStuckEvent", track);
        msg.put("thresholdMs", thresholdMs);
        context.send(msg);
    }
}
