package dev.lavametrics.plugin.socket;

import dev.arbjerg.lavalink.api.ISocketContext;
import dev.lavametrics.plugin.catalog.Group;
import dev.lavametrics.plugin.collect.MetricCollectors;
import dev.lavametrics.plugin.collect.PlayerKey;
import dev.lavametrics.plugin.util.Json;

import java.util.Locale;
import java.util.Map;

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
        if (!(Json.parse(message) instanceof Map<?, ?> root)) {
            return;
        }
        Object op = root.get("op");
        if (update && "playerUpdate".equals(op)) {
            playerUpdate(context.getSessionId(), root);
        } else if (event && "event".equals(op)) {
            event(context.getSessionId(), root);
        }
    }

    private void playerUpdate(String sessionId, Map<?, ?> root) {
        if (root.get("state") instanceof Map<?, ?> state) {
            boolean connected = Boolean.TRUE.equals(state.get("connected"));
            long ping = state.get("ping") instanceof Number n ? n.longValue() : -1;
            metrics.voice.updated(playerKey(sessionId, root), connected, ping);
        }
    }

    private void event(String sessionId, Map<?, ?> root) {
        String source = source(root);
        switch (String.valueOf(root.get("type"))) {
            case "TrackStartEvent" -> {
                if (tracks) {
                    metrics.tracks.started(source);
                }
                if (players) {
                    metrics.players.played(playerKey(sessionId, root));
                }
            }
            case "TrackEndEvent" -> {
                if (tracks) {
                    metrics.tracks.ended(source, text(root.get("reason")));
                }
            }
            case "TrackExceptionEvent" -> {
                if (tracks) {
                    Object severity = root.get("exception") instanceof Map<?, ?> e ? e.get("severity") : null;
                    metrics.tracks.failed(source, text(severity).toLowerCase(Locale.ROOT));
                }
            }
            case "TrackStuckEvent" -> {
                if (tracks) {
                    metrics.tracks.stuck(source);
                }
            }
            case "WebSocketClosedEvent" -> {
                if (voice) {
                    metrics.voice.closed(root.get("code") instanceof Number n ? n.longValue() : -1);
                }
            }
            default -> { }
        }
    }

    private static String source(Map<?, ?> root) {
        if (root.get("track") instanceof Map<?, ?> track && track.get("info") instanceof Map<?, ?> info) {
            return text(info.get("sourceName"));
        }
        return null;
    }

    private static PlayerKey playerKey(String sessionId, Map<?, ?> root) {
        return new PlayerKey(sessionId, Long.parseLong(text(root.get("guildId"))));
    }

    private static String text(Object value) {
        return value == null ? "" : value.toString();
    }
}
