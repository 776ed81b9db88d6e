package dev.arbjerg.lavalink.api;

import java.util.Map;

/** The node's session registry; injectable into plugin beans. */
public interface ISocketServer {
    /** Sessions by id, open or paused. */
    Map<String, ISocketContext> getSessions();

    /** The subset of sessions that are closed but may still be resumed. */
    Map<String, ISocketContext> getResumableSessions();
}
