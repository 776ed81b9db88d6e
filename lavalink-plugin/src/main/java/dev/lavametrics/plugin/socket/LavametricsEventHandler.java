package dev.lavametrics.plugin.socket;

import dev.arbjerg.lavalink.api.IPlayer;
import dev.arbjerg.lavalink.api.ISocketContext;
import dev.arbjerg.lavalink.api.PluginEventHandler;
import dev.lavametrics.plugin.catalog.Group;
import dev.lavametrics.plugin.collect.MetricCollectors;
import dev.lavametrics.plugin.collect.PlayerKey;
import dev.lavametrics.plugin.util.Survival;

/**
 * Lavalink's lifecycle callbacks, turned into counter bumps. Every body is guarded: a metrics bug
 * (or a {@link LinkageError} against another plugin-api 4.x) is counted under
 * {@code collector="events"} and never reaches the node's websocket code (what is survived:
 * {@link Survival}). Which groups are fed is
 * decided once, here: a disabled group's collector is never called.
 */
public final class LavametricsEventHandler extends PluginEventHandler {
    private static final String COLLECTOR = "events";

    private final MetricCollectors metrics;
    private final OutgoingMessages messages;
    private final ReplayedMessages replays = new ReplayedMessages();
    private final boolean sessions;
    private final boolean players;
    private final boolean voice;
    private final boolean filters;

    public LavametricsEventHandler(MetricCollectors metrics) {
        this.metrics = metrics;
        this.messages = new OutgoingMessages(metrics);
        this.sessions = metrics.enabled(Group.SESSIONS);
        this.players = metrics.enabled(Group.PLAYERS);
        this.voice = metrics.enabled(Group.VOICE);
        this.filters = metrics.enabled(Group.FILTERS);
    }

    @Override
    public void onWebSocketOpen(ISocketContext context, boolean resumed) {
        try {
            if (resumed) {
                replays.forget(context.getSessionId()); // Lavalink has replayed the queue by now
            }
            if (sessions) {
                metrics.sessions.opened(resumed);
            }
        } catch (Throwable e) {
            metrics.health().recordError(COLLECTOR, Survival.survive(e));
        }
    }

    @Override
    public void onSocketContextDestroyed(ISocketContext context) {
        try {
            replays.forget(context.getSessionId());
            if (sessions) {
                metrics.sessions.closed();
            }
            if (players || voice || filters) {
                String sessionId = context.getSessionId();
                if (players) {
                    metrics.players.forgetSession(sessionId);
                }
                if (voice) {
                    metrics.voice.forgetSession(sessionId);
                }
                if (filters) {
                    metrics.filters.forgetSession(sessionId);
                }
            }
        } catch (Throwable e) {
            metrics.health().recordError(COLLECTOR, Survival.survive(e));
        }
    }

    @Override
    public void onWebSocketMessageOut(ISocketContext context, String message) {
        try {
            if (!replays.isReplay(context, message)) {
                messages.handle(context, message);
            }
        } catch (Throwable e) {
            metrics.health().recordError(COLLECTOR, Survival.survive(e));
        }
    }

    @Override
    public void onNewPlayer(ISocketContext context, IPlayer player) {
        if (!players) {
            return;
        }
        try {
            metrics.players.created();
        } catch (Throwable e) {
            metrics.health().recordError(COLLECTOR, Survival.survive(e));
        }
    }

    @Override
    public void onDestroyPlayer(ISocketContext context, IPlayer player) {
        if (!(players || voice || filters)) {
            return;
        }
        try {
            PlayerKey key = new PlayerKey(context.getSessionId(), player.getGuildId());
            if (players) {
                metrics.players.destroyed(key);
            }
            if (voice) {
                metrics.voice.forget(key);
            }
            if (filters) {
                metrics.filters.forget(key);
            }
        } catch (Throwable e) {
            metrics.health().recordError(COLLECTOR, Survival.survive(e));
        }
    }
}
