package dev.lavametrics.testplugin;

import dev.arbjerg.lavalink.api.IPlayer;
import dev.arbjerg.lavalink.api.ISocketContext;
import dev.arbjerg.lavalink.api.PluginEventHandler;
import org.springframework.stereotype.Component;

import java.util.concurrent.atomic.AtomicInteger;

@Component
public class TestPluginHandler extends PluginEventHandler {
    final AtomicInteger opens = new AtomicInteger();
    final AtomicInteger newPlayers = new AtomicInteger();
    final AtomicInteger messagesOut = new AtomicInteger();
    final AtomicInteger destroyed = new AtomicInteger();

    @Override
    public void onWebSocketOpen(ISocketContext context, boolean resumed) {
        opens.incrementAndGet();
    }

    @Override
    public void onWebSocketMessageOut(ISocketContext context, String message) {
        messagesOut.incrementAndGet();
    }

    @Override
    public void onNewPlayer(ISocketContext context, IPlayer player) {
        newPlayers.incrementAndGet();
    }

    @Override
    public void onSocketContextDestroyed(ISocketContext context) {
        destroyed.incrementAndGet();
    }
}
