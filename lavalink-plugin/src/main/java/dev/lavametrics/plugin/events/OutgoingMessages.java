package dev.lavametrics.plugin.events;

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
    private final boolean wanted;

    OutgoingMessages(MetricCollectors metrics) {
        this.metrics = metrics;
        this.wanted = metrics.enabled(Group.TRACKS) || metrics.enabled(Group.VOICE) || metrics.enabled(Group.PLAYERS);
    }

    void handle(String sessionId, String message) {
        // Stats and ready messages are frequent and carry nothing we export: skip them unparsed.
        if (!wanted || !(message.contains("\"event\"") || message.contains("\"playerUpdate\""))) {
            return;
        }
        if (!(Json.parse(message) instanceof Map<?, ?> root)) {
            return;
        }
        Object op = root.get("op");
        if ("playerUpdate".equals(op)) {
            playerUpdate(sessionId, root);
        } else if ("event".equals(op)) {
            event(sessionId, root);
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
                metrics.tracks.started(source);
                metrics.players.played(playerKey(sessionId, root));
            }
            case "TrackEndEvent" -> metrics.tracks.ended(source, text(root.get("reason")));
            case "TrackExceptionEvent" -> {
                Object severity = root.get("exception") instanceof Map<?, ?> exception ? exception.get("severity") : null;
                metrics.tracks.failed(source, text(severity).toLowerCase(Locale.ROOT));
            }
            case "TrackStuckEvent" -> metrics.tracks.stuck(source);
            case "WebSocketClosedEvent" -> {
                long code = root.get("code") instanceof Number n ? n.longValue() : -1;
                metrics.voice.closed(code);
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
