package dev.lavametrics.plugin.support;

import dev.arbjerg.lavalink.api.IPlayer;
import dev.arbjerg.lavalink.api.ISocketContext;
import java.util.LinkedHashMap;
import java.util.Map;

public final class FakeSession implements ISocketContext {
    private final String sessionId;
    public final Map<Long, IPlayer> players = new LinkedHashMap<>();
    public State state = State.OPEN;

    public FakeSession(String sessionId) {
        this.sessionId = sessionId;
    }

    public FakePlayer player(long guildId) {
        FakePlayer player = new FakePlayer(this, guildId);
        players.put(guildId, player);
        return player;
    }

    @Override
    public String getSessionId() {
        return sessionId;
    }

    @Override
    public long getUserId() {
        return 1;
    }

    @Override
    public String getClientName() {
        return "test";
    }

    @Override
    public Map<Long, IPlayer> getPlayers() {
        return players;
    }

    @Override
    public State getState() {
        return state;
    }

    @Override
    public void closeWebSocket() {}

    @Override
    public void closeWebSocket(int closeCode) {}

    @Override
    public void closeWebSocket(int closeCode, String reason) {}
}
