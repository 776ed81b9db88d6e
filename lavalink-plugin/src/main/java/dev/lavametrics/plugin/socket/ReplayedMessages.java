package dev.lavametrics.plugin.socket;

import dev.arbjerg.lavalink.api.ISocketContext;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Tells a message Lavalink replays after a resume from a new one, so every event is counted once.
 *
 * <p>In Lavalink 4.1.2 and 4.2.2 ({@code LavalinkServer/src/main/java/lavalink/server/io/SocketContext.kt},
 * {@code send} and {@code resume}) every outgoing message passes {@code onWebSocketMessageOut} before
 * it is queued for a paused session, and on resume the queue is replayed through the same
 * {@code send}, so the plugin sees each queued message a second time. The replay hands over the very
 * String object it queued, so a message is a replay exactly when it is the same object as the oldest
 * one seen while the session was paused. References only: Lavalink's queue holds the same strings.
 */
final class ReplayedMessages {
    private final Map<String, Queue<String>> pausedMessages = new ConcurrentHashMap<>();

    /** True when {@code message} is Lavalink re-sending one it queued (already counted); false for a new one. */
    boolean isReplay(ISocketContext context, String message) {
        String sessionId = context.getSessionId();
        if (context.getState() == ISocketContext.State.RESUMABLE) {
            pausedMessages
                    .computeIfAbsent(sessionId, id -> new ConcurrentLinkedQueue<>())
                    .add(message);
            return false;
        }
        Queue<String> queued = pausedMessages.get(sessionId);
        if (queued == null || queued.peek() != message) {
            return false;
        }
        queued.poll();
        return true;
    }

    /** The replay is over (Lavalink calls onWebSocketOpen after it), or the session is gone. */
    void forget(String sessionId) {
        pausedMessages.remove(sessionId);
    }
}
