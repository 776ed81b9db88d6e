package dev.lavametrics.plugin.collect;

import dev.arbjerg.lavalink.api.IPlayer;
import dev.arbjerg.lavalink.api.ISocketContext;
import dev.lavametrics.plugin.catalog.Catalog;
import dev.lavametrics.plugin.catalog.Group;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

public final class PlayersCollector extends GroupCollector {
    private static final int PLAYING = Catalog.PLAYER_STATE.indexOf("playing");
    private static final int PAUSED = Catalog.PLAYER_STATE.indexOf("paused");
    private static final int IDLE = Catalog.PLAYER_STATE.indexOf("idle");
    private static final int STOPPED = Catalog.PLAYER_STATE.indexOf("stopped");

    private final LiveSessions sessions;
    private final CounterArray creations = new CounterArray(Catalog.PLAYER_CREATIONS);
    private final CounterArray destructions = new CounterArray(Catalog.PLAYER_DESTRUCTIONS);
    /**
     * Guilds whose player has had a track, by session, which tells "stopped" from "idle" once the
     * track is gone. By session so a scrape looks a session up once and its players by guild,
     * where a set of {@link PlayerKey} made it build a key per trackless player per scrape.
     */
    private final Map<String, Set<Long>> played = new ConcurrentHashMap<>();

    public PlayersCollector(CollectorHealth health, LiveSessions sessions) {
        super(Group.PLAYERS, health);
        this.sessions = sessions;
    }

    public void created() {
        creations.inc();
    }

    public void destroyed(PlayerKey player) {
        destructions.inc();
        Set<Long> guilds = played.get(player.sessionId());
        if (guilds != null) {
            guilds.remove(player.guildId());
        }
    }

    public void played(PlayerKey player) {
        played.computeIfAbsent(player.sessionId(), session -> ConcurrentHashMap.newKeySet())
                .add(player.guildId());
    }

    public void forgetSession(String sessionId) {
        played.remove(sessionId);
    }

    @Override
    protected List<MetricFamilySamples> collectGroup() {
        double[] byState = new double[Catalog.PLAYER_STATE.size()];
        for (ISocketContext session : sessions.all()) {
            Set<Long> playedHere = played.get(session.getSessionId());
            Map<Long, IPlayer> players = session.getPlayers();
            // by the map's own keys, so looking a trackless player up in playedHere boxes no id
            for (Long guild : players.keySet()) {
                IPlayer player = players.get(guild);
                if (player != null) { // destroyed since the key was read
                    byState[stateOf(playedHere, guild, player)]++;
                }
            }
        }
        return List.of(Gauges.of(Catalog.PLAYERS_BY_STATE, byState), creations.samples(), destructions.samples());
    }

    private static int stateOf(Set<Long> playedHere, Long guild, IPlayer player) {
        if (player.getTrack() != null) {
            return player.getAudioPlayer().isPaused() ? PAUSED : PLAYING;
        }
        // Read only: TrackStartEvent fills played. Adding here could resurrect the key of a player
        // destroyed during this scrape, and a later player in that guild would show "stopped".
        return playedHere != null && playedHere.contains(guild) ? STOPPED : IDLE;
    }
}
