package dev.arbjerg.lavalink.api;

/**
 * Lifecycle callbacks a plugin receives when it exposes a subclass as a Spring bean.
 * Every method is a no-op by default so a plugin overrides only what it needs.
 */
public abstract class PluginEventHandler {
    /** A websocket opened; {@code resumed} is true when an earlier session was resumed. */
    public void onWebSocketOpen(ISocketContext context, boolean resumed) {}

    /** The websocket closed while resuming is configured: the session may come back. */
    public void onSocketContextPaused(ISocketContext context) {}

    /** The session is gone for good (closed without resuming, or the resume window ran out). */
    public void onSocketContextDestroyed(ISocketContext context) {}

    /** A JSON message is about to be sent to the client. */
    public void onWebSocketMessageOut(ISocketContext context, String message) {}

    /** A player was created for a guild. */
    public void onNewPlayer(ISocketContext context, IPlayer player) {}

    /** A player is about to be destroyed. */
    public void onDestroyPlayer(ISocketContext context, IPlayer player) {}
}
