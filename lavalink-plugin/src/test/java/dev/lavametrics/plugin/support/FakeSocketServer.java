package dev.lavametrics.plugin.support;

import dev.arbjerg.lavalink.api.ISocketContext;
import dev.arbjerg.lavalink.api.ISocketServer;
import java.util.LinkedHashMap;
import java.util.Map;

public final class FakeSocketServer implements ISocketServer {
    public final Map<String, ISocketContext> sessions = new LinkedHashMap<>();

    public FakeSession open(String sessionId) {
        FakeSession session = new FakeSession(sessionId);
        sessions.put(sessionId, session);
        return session;
    }

    @Override
    public Map<String, ISocketContext> getSessions() {
        return sessions;
    }

    @Override
    public Map<String, ISocketContext> getResumableSessions() {
        Map<String, ISocketContext> resumable = new LinkedHashMap<>();
        sessions.forEach((id, session) -> {
            if (session.getState() == ISocketContext.State.RESUMABLE) {
                resumable.put(id, session);
            }
        });
        return resumable;
    }
}
