package dev.lavametrics.standin;

import dev.arbjerg.lavalink.api.IPlayer;
import dev.arbjerg.lavalink.api.ISocketContext;
import dev.arbjerg.lavalink.api.PluginEventHandler;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/** Fans lifecycle calls out to every {@link PluginEventHandler} bean; exceptions there are only logged. */
@Component
public class PluginEvents {
    private static final Logger log = LoggerFactory.getLogger(PluginEvents.class);
    private final ObjectProvider<PluginEventHandler> provider;
    private volatile List<PluginEventHandler> handlers;

    public PluginEvents(ObjectProvider<PluginEventHandler> provider) {
        this.provider = provider;
    }

    private List<PluginEventHandler> handlers() {
        List<PluginEventHandler> h = handlers;
        if (h == null) {
            h = provider.orderedStream().toList();
            handlers = h;
        }
        return h;
    }

    private void each(String what, Consumer<PluginEventHandler> call) {
        for (PluginEventHandler h : handlers()) {
            try {
                call.accept(h);
            } catch (Throwable t) {
                log.error("Plugin event handler {} threw in {}", h.getClass().getName(), what, t);
            }
        }
    }

    public void onWebSocketOpen(ISocketContext ctx, boolean resumed) {
        each("onWebSocketOpen", h -> h.onWebSocketOpen(ctx, resumed));
    }

    public void onSocketContextPaused(ISocketContext ctx) {
        each("onSocketContextPaused", h -> h.onSocketContextPaused(ctx));
    }

    public void onSocketContextDestroyed(ISocketContext ctx) {
        each("onSocketContextDestroyed", h -> h.onSocketContextDestroyed(ctx));
    }

    public void onWebSocketMessageOut(ISocketContext ctx, String message) {
        each("onWebSocketMessageOut", h -> h.onWebSocketMessageOut(ctx, message));
    }

    public void onNewPlayer(ISocketContext ctx, IPlayer player) {
        each("onNewPlayer", h -> h.onNewPlayer(ctx, player));
    }

    public void onDestroyPlayer(ISocketContext ctx, IPlayer player) {
        each("onDestroyPlayer", h -> h.onDestroyPlayer(ctx, player));
    }
}
