package dev.arbjerg.lavalink.api;

import java.util.Map;

/** One client session (a websocket, possibly paused while it may be resumed). */
public interface ISocketContext {
    String getSessionId();

    long getUserId();

    String getClientName();

    /** Players of this session keyed by guild id; read-only. */
    Map<Long, IPlayer> getPlayers();

    State getState();

    void closeWebSocket();

    void closeWebSocket(int closeCode);

    void closeWebSocket(int closeCode, String reason);

    enum State {
        /** The websocket is open. */
        OPEN,
        /** The websocket is closed but the session can still be resumed. */
        RESUMABLE,
        /** Closed for good. */
        DESTROYED
    }
}
