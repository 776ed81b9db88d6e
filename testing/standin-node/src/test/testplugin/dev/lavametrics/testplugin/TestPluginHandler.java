package dev.lavametrics.testplugin;

import dev.arbjerg.lavalink.api.IPlayer;
import dev.arbjerg.lavalink.api.ISocketContext;
import dev.arbjerg.lavalink.api.ISocketServer;
import dev.arbjerg.lavalink.api.PluginEventHandler;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

@Component
public class TestPluginHandler extends PluginEventHandler {
    final AtomicInteger opens = new AtomicInteger();
    final AtomicInteger newPlayers = new AtomicInteger();
    final AtomicInteger messagesOut = new AtomicInteger();
    final AtomicInteger destroyed = new AtomicInteger();
    /**
     * Lifecycle calls as "hook state where", where is the map the session is listed in when the hook
     * runs (sessions, resumable, both or none); messages only when they carry a track event.
     */
    final List<String> lifecycle = new CopyOnWriteArrayList<>();
    private final ObjectProvider<ISocketServer> server;

    public TestPluginHandler(ObjectProvider<ISocketServer> server) {
        this.server = server;   // looked up lazily: the socket server itself needs the event handlers
    }

    private void record(String hook, ISocketContext context) {
        ISocketServer s = server.getObject();
        boolean open = s.getSessions().containsKey(context.getSessionId());
        boolean resumable = s.getResumableSessions().containsKey(context.getSessionId());
        String where = open && resumable ? "both" : open ? "sessions" : resumable ? "resumable" : "none";
        lifecycle.add(hook + " " + context.getState() + " " + where);
    }

    @Override
    public void onWebSocketOpen(ISocketContext context, boolean resumed) {
        opens.incrementAndGet();
        record(resumed ? "resumed" : "opened", context);
    }

    @Override
    public void onSocketContextPaused(ISocketContext context) {
        record("paused", context);
    }

    @Override
    public void onWebSocketMessageOut(ISocketContext context, String message) {
        messagesOut.incrementAndGet();
        if (message.contains("\"TrackEndEvent\"")) {
            record("trackEnd@" + System.identityHashCode(message), context);
        }
    }

    @Override
    public void onNewPlayer(ISocketContext context, IPlayer player) {
        newPlayers.incrementAndGet();
    }

    @Override
    public void onDestroyPlayer(ISocketContext context, IPlayer player) {
        record("destroyPlayer", context);
    }

    @Override
    public void onSocketContextDestroyed(ISocketContext context) {
        destroyed.incrementAndGet();
        record("destroyed", context);
    }
}
