package dev.lavametrics.plugin.events;

import dev.arbjerg.lavalink.api.IPlayer;
import dev.arbjerg.lavalink.api.ISocketContext;
import dev.arbjerg.lavalink.api.PluginEventHandler;
import dev.lavametrics.plugin.collect.MetricCollectors;
import dev.lavametrics.plugin.collect.PlayerKey;

/**
 * Lavalink's lifecycle callbacks, turned into counter bumps. Every body is guarded: a metrics bug
 * is counted under {@code collector="events"} and never reaches the node's websocket code.
 */
public final class LavametricsEventHandler extends PluginEventHandler {
    private static final String COLLECTOR = "events";

    private final MetricCollectors metrics;
    private final OutgoingMessages messages;

    public LavametricsEventHandler(MetricCollectors metrics) {
        this.metrics = metrics;
        this.messages = new OutgoingMessages(metrics);
    }

    @Override
    public void onWebSocketOpen(ISocketContext context, boolean resumed) {
        try {
            metrics.sessions.opened(resumed);
        } catch (RuntimeException e) {
            metrics.health().recordError(COLLECTOR, e);
        }
    }

    @Override
    public void onSocketContextDestroyed(ISocketContext context) {
        try {
            metrics.sessions.closed();
            String sessionId = context.getSessionId();
            metrics.players.forgetSession(sessionId);
            metrics.voice.forgetSession(sessionId);
            metrics.filters.forgetSession(sessionId);
        } catch (RuntimeException e) {
            metrics.health().recordError(COLLECTOR, e);
        }
    }

    @Override
    public void onWebSocketMessageOut(ISocketContext context, String message) {
        try {
            messages.handle(context.getSessionId(), message);
        } catch (RuntimeException e) {
            metrics.health().recordError(COLLECTOR, e);
        }
    }

    @Override
    public void onNewPlayer(ISocketContext context, IPlayer player) {
        try {
            metrics.players.created();
        } catch (RuntimeException e) {
            metrics.health().recordError(COLLECTOR, e);
        }
    }

    @Override
    public void onDestroyPlayer(ISocketContext context, IPlayer player) {
        try {
            PlayerKey key = new PlayerKey(context.getSessionId(), player.getGuildId());
            metrics.players.destroyed(key);
            metrics.voice.forget(key);
            metrics.filters.forget(key);
        } catch (RuntimeException e) {
            metrics.health().recordError(COLLECTOR, e);
        }
    }
}
