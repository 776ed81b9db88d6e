package dev.lavametrics.plugin.socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.arbjerg.lavalink.api.ISocketContext;
import dev.lavametrics.plugin.catalog.FailureCauses;
import dev.lavametrics.plugin.support.FakePlayer;
import dev.lavametrics.plugin.support.FakeSession;
import dev.lavametrics.plugin.support.Messages;
import dev.lavametrics.plugin.support.TestMetrics;
import java.lang.reflect.Proxy;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The sessions, players, tracks and voice collectors as fed by the plugin event handler. */
class EventCollectorsTest {
    private final TestMetrics metrics = TestMetrics.allGroups();
    private final LavametricsEventHandler handler = new LavametricsEventHandler(metrics.collectors);

    @Test
    void sessionsCountOpensClosesAndStates() {
        FakeSession open = metrics.server.open("a");
        FakeSession paused = metrics.server.open("b");
        paused.state = ISocketContext.State.RESUMABLE;
        handler.onWebSocketOpen(open, false);
        handler.onWebSocketOpen(paused, true);
        handler.onSocketContextDestroyed(open);

        assertEquals(1, metrics.value("lavametrics_sessions", "state", "active"));
        assertEquals(1, metrics.value("lavametrics_sessions", "state", "paused"));
        assertEquals(1, metrics.value("lavametrics_session_opens_total", "resumed", "true"));
        assertEquals(1, metrics.value("lavametrics_session_opens_total", "resumed", "false"));
        assertEquals(1, metrics.value("lavametrics_session_closes_total"));
    }

    /**
     * Real Lavalink (4.1.2 and 4.2.2, SocketServer.afterConnectionClosed): the closed socket makes the
     * context read DESTROYED while it is still listed with its players; then it is removed, then its
     * players are destroyed, then onSocketContextDestroyed fires. Every scrape along the way must agree
     * with the sessions gauge, and the close is counted once, by the event.
     */
    @Test
    void aClosingSessionOnRealLavalinkReadsGoneAtEveryStep() {
        FakeSession session = metrics.server.open("s");
        FakePlayer player = session.player(1).playing();
        handler.onWebSocketOpen(session, false);
        handler.onNewPlayer(session, player);
        assertEquals(1, metrics.value("lavametrics_players", "state", "playing"));

        session.state = ISocketContext.State.DESTROYED; // socket closed, still listed
        assertEquals(0, metrics.value("lavametrics_sessions", "state", "active"));
        assertEquals(0, metrics.value("lavametrics_players", "state", "playing"));
        metrics.server.sessions.remove("s"); // sessions.remove(...)
        assertEquals(0, metrics.value("lavametrics_players", "state", "playing"));
        assertEquals(0, metrics.value("lavametrics_session_closes_total"));
        handler.onDestroyPlayer(session, player); // shutdown(): players first ...
        session.players.remove(1L);
        handler.onSocketContextDestroyed(session); // ... then the event

        assertEquals(1, metrics.value("lavametrics_session_closes_total"));
        assertEquals(1, metrics.value("lavametrics_player_destructions_total"));
        assertEquals(0, metrics.value("lavametrics_sessions", "state", "active"));
    }

    /** The other order (the event before the session leaves the map) ends the same way. */
    @Test
    void aCloseIsCountedOnceWhicheverComesFirstEventOrRemoval() {
        FakeSession session = metrics.server.open("s");
        handler.onWebSocketOpen(session, false);
        handler.onSocketContextDestroyed(session);
        session.state = ISocketContext.State.DESTROYED;
        assertEquals(1, metrics.value("lavametrics_session_closes_total"));
        assertEquals(0, metrics.value("lavametrics_sessions", "state", "active"));
        metrics.server.sessions.remove("s");
        assertEquals(1, metrics.value("lavametrics_session_closes_total"));
        assertEquals(0, metrics.value("lavametrics_sessions", "state", "active"));
    }

    /**
     * Lavalink 4.1.2/4.2.2 (SocketContext.kt, send and resume) passes a message to onWebSocketMessageOut
     * when it queues it for a paused session, and again, the same String, when it replays the queue on
     * resume. Measured on real 4.1.2: one track end during a pause counted twice without this.
     */
    @Test
    void aMessageReplayedAfterAResumeIsCountedOnce() {
        FakeSession session = metrics.server.open("s");
        handler.onWebSocketOpen(session, false);
        session.state = ISocketContext.State.RESUMABLE;
        String ended = Messages.trackEnd(1, "local", "finished");
        handler.onWebSocketMessageOut(session, ended); // queued while paused
        session.state = ISocketContext.State.OPEN;
        handler.onWebSocketMessageOut(session, Messages.ready(true));
        handler.onWebSocketMessageOut(session, ended); // the replay: the same object
        handler.onWebSocketOpen(session, true);
        assertEquals(1, metrics.value("lavametrics_track_ends_total", "source", "local", "reason", "finished"));

        // a new event with equal text is a new event
        handler.onWebSocketMessageOut(session, new String(ended));
        handler.onWebSocketMessageOut(session, ended);
        assertEquals(3, metrics.value("lavametrics_track_ends_total", "source", "local", "reason", "finished"));
    }

    @Test
    void playersByState() {
        FakeSession session = metrics.server.open("s");
        FakePlayer playing = session.player(1).playing();
        FakePlayer paused = session.player(2).playing();
        paused.paused = true;
        FakePlayer stopped = session.player(3);
        FakePlayer idle = session.player(4);
        for (FakePlayer player : new FakePlayer[] {playing, paused, stopped, idle}) {
            handler.onNewPlayer(session, player);
        }
        handler.onWebSocketMessageOut(session, Messages.trackStart(3, "http"));
        FakePlayer gone = session.player(5);
        handler.onNewPlayer(session, gone);
        handler.onDestroyPlayer(session, gone);
        session.players.remove(5L);

        assertEquals(1, metrics.value("lavametrics_players", "state", "playing"));
        assertEquals(1, metrics.value("lavametrics_players", "state", "paused"));
        assertEquals(1, metrics.value("lavametrics_players", "state", "stopped"));
        assertEquals(1, metrics.value("lavametrics_players", "state", "idle"));
        assertEquals(5, metrics.value("lavametrics_player_creations_total"));
        assertEquals(1, metrics.value("lavametrics_player_destructions_total"));
    }

    @Test
    void trackEventsBySourceReasonAndSeverity() {
        FakeSession session = metrics.server.open("s");
        handler.onWebSocketMessageOut(session, Messages.trackStart(1, "youtube"));
        handler.onWebSocketMessageOut(session, Messages.trackStart(1, "mystery"));
        handler.onWebSocketMessageOut(session, Messages.trackEnd(1, "http", "loadFailed"));
        handler.onWebSocketMessageOut(session, Messages.trackEnd(1, "http", "weird"));
        handler.onWebSocketMessageOut(session, Messages.trackException(1, "soundcloud", "SUSPICIOUS"));
        handler.onWebSocketMessageOut(session, Messages.trackException(1, "soundcloud", "fault"));
        handler.onWebSocketMessageOut(session, Messages.trackStuck(1, "local"));
        handler.onWebSocketMessageOut(session, Messages.stats());

        assertEquals(1, metrics.value("lavametrics_track_starts_total", "source", "youtube"));
        assertEquals(1, metrics.value("lavametrics_track_starts_total", "source", "other"));
        assertEquals(1, metrics.value("lavametrics_track_ends_total", "source", "http", "reason", "loadFailed"));
        assertEquals(1, metrics.value("lavametrics_track_ends_total", "source", "http", "reason", "other"));
        assertEquals(
                1,
                metrics.value("lavametrics_track_exceptions_total", "source", "soundcloud", "severity", "suspicious"));
        assertEquals(
                1, metrics.value("lavametrics_track_exceptions_total", "source", "soundcloud", "severity", "fault"));
        assertEquals(1, metrics.value("lavametrics_track_stuck_total", "source", "local"));
        assertEquals(0, metrics.value("lavametrics_collector_errors_total", "collector", "events"));
    }

    @Test
    void trackExceptionsAreCountedByTheirClassifiedCause() {
        FakeSession session = metrics.server.open("s");
        handler.onWebSocketMessageOut(session, Messages.trackStart(1, "youtube"));
        // the refusal causes exist at 0 with the source's first start, for the source-refused alert
        for (String cause : FailureCauses.REFUSALS) {
            assertEquals(0, metrics.value("lavametrics_track_failures_total", "source", "youtube", "cause", cause));
        }
        // lavaplayer PersistentHttpStream's 403 under LocalAudioTrackExecutor's wrapper, as Lavalink sends it
        handler.onWebSocketMessageOut(
                session,
                Messages.trackException(
                        1,
                        "youtube",
                        "FAULT",
                        "Something broke when playing the track.",
                        "java.lang.RuntimeException: Not success status code: 403",
                        "java.lang.RuntimeException: Not success status code: 403\n\tat com.sedmelluq.discord"
                                + ".lavaplayer.tools.io.PersistentHttpStream.validateStatusCode(PersistentHttpStream.java:88)\n"));
        handler.onWebSocketMessageOut(session, Messages.trackException(1, "youtube", "COMMON"));
        assertEquals(1, metrics.value("lavametrics_track_failures_total", "source", "youtube", "cause", "forbidden"));
        assertEquals(1, metrics.value("lavametrics_track_failures_total", "source", "youtube", "cause", "other"));
        assertEquals(1, metrics.value("lavametrics_track_exceptions_total", "source", "youtube", "severity", "fault"));
        assertEquals(0, metrics.value("lavametrics_collector_errors_total", "collector", "events"));
    }

    /** An exception's texts reach no label: addresses, ids and URLs in them stay out of the exposition. */
    @Test
    void hostileExceptionTextsNeverReachTheExposition() {
        FakeSession session = metrics.server.open("s");
        String hostile = "Sign in from 203.0.113.7 guild 123456789012345678 https://evil.example/?v=dQw4w9WgXcQ"
                + " cause=\"x\"} 1\n# HELP lavametrics_info evil";
        handler.onWebSocketMessageOut(session, Messages.trackStart(1, "youtube"));
        handler.onWebSocketMessageOut(
                session,
                Messages.trackException(
                        1, "youtube", "FAULT", hostile, "java.lang.RuntimeException: " + hostile, hostile));
        String text = metrics.exposition();
        for (String secret : List.of("203.0.113.7", "123456789012345678", "evil.example", "dQw4w9WgXcQ", "Sign in")) {
            assertFalse(text.contains(secret), secret);
        }
        assertEquals(1, metrics.value("lavametrics_track_failures_total", "source", "youtube", "cause", "other"));
    }

    @Test
    void voiceStateFromPlayerUpdatesAndCloses() {
        FakeSession session = metrics.server.open("s");
        FakePlayer one = session.player(1);
        session.player(2);
        session.player(3);
        handler.onWebSocketMessageOut(session, Messages.playerUpdate(1, true, 42));
        handler.onWebSocketMessageOut(session, Messages.playerUpdate(2, true, -1));
        handler.onWebSocketMessageOut(session, Messages.playerUpdate(3, false, -1));
        handler.onWebSocketMessageOut(session, Messages.voiceClosed(1, 4006));
        handler.onWebSocketMessageOut(session, Messages.voiceClosed(1, 4999));
        assertEquals(2, metrics.value("lavametrics_voice_connected_players"));
        handler.onDestroyPlayer(session, one);
        session.players.remove(1L);
        assertEquals(1, metrics.value("lavametrics_voice_connected_players"));

        assertEquals(1, metrics.value("lavametrics_voice_ping_seconds_count"));
        assertEquals(0.042, metrics.value("lavametrics_voice_ping_seconds_sum"), 1e-9);
        assertEquals(1, metrics.value("lavametrics_voice_closes_total", "code", "4006"));
        assertEquals(1, metrics.value("lavametrics_voice_closes_total", "code", "other"));
        handler.onSocketContextDestroyed(session);
        assertEquals(0, metrics.value("lavametrics_voice_connected_players"));
    }

    /**
     * Lavalink's destroyPlayer (SocketContext.kt) calls onDestroyPlayer before it stops the player: a
     * player update on its way arrives after the plugin forgot the player (seen on the stand-in, which
     * keeps that order). The gauge counts only players the node still has.
     */
    @Test
    void aPlayerUpdateAfterTheDestroyDoesNotResurrectAConnectedPlayer() {
        FakeSession session = metrics.server.open("s");
        FakePlayer player = session.player(1);
        handler.onWebSocketMessageOut(session, Messages.playerUpdate(1, true, 42));
        session.players.remove(1L);
        handler.onDestroyPlayer(session, player);
        handler.onWebSocketMessageOut(session, Messages.playerUpdate(1, true, 42)); // late
        assertEquals(0, metrics.value("lavametrics_voice_connected_players"));
    }

    /**
     * The streaming reader takes only the top-level fields and track.info.sourceName: the same names
     * nested elsewhere (pluginInfo, userData) are skipped, key order does not matter, and escapes
     * and numbers where text belongs read as their text.
     */
    @Test
    void onlyTheCountedFieldsAreReadWhereverTheyStand() {
        FakeSession session = metrics.server.open("s");
        session.player(5);
        handler.onWebSocketMessageOut(
                session,
                "{\"reason\":\"load\\u0046ailed\",\"track\":{\"pluginInfo\":"
                        + "{\"info\":{\"sourceName\":\"spotify\"},\"reason\":\"stopped\"},\"userData\":[{\"op\":\"x\"}],"
                        + "\"info\":{\"title\":\"t\",\"sourceName\":\"youtube\",\"chapters\":[[1,2],{}]}},"
                        + "\"guildId\":5,\"type\":\"TrackEndEvent\",\"op\":\"event\"}");
        handler.onWebSocketMessageOut(
                session,
                "{\"op\":\"playerUpdate\",\"state\":{\"ping\":7,"
                        + "\"extra\":{\"connected\":false},\"connected\":true},\"guildId\":\"5\"}");
        assertEquals(1, metrics.value("lavametrics_track_ends_total", "source", "youtube", "reason", "loadFailed"));
        assertEquals(1, metrics.value("lavametrics_voice_connected_players"));
        assertEquals(0, metrics.value("lavametrics_collector_errors_total", "collector", "events"));

        // trailing characters after the object are malformed, as a truncated message is
        handler.onWebSocketMessageOut(session, Messages.trackEnd(5, "youtube", "finished") + "{}");
        assertEquals(1, metrics.value("lavametrics_collector_errors_total", "collector", "events"));
    }

    @Test
    void brokenMessagesAreCountedNeverThrown() {
        FakeSession session = metrics.server.open("s");
        handler.onWebSocketMessageOut(session, "{\"op\":\"event\",\"type\":\"TrackStartEvent\"");
        handler.onWebSocketMessageOut(session, "{\"op\":\"playerUpdate\",\"guildId\":\"not-a-number\",\"state\":{}}");
        handler.onWebSocketOpen(null, false);
        handler.onSocketContextDestroyed(null);
        assertEquals(3, metrics.value("lavametrics_collector_errors_total", "collector", "events"));
    }

    @Test
    void pingIsObservedOnlyWhenItChanges() {
        // playerUpdate comes every few seconds, the ping changes only per voice heartbeat.
        FakeSession session = metrics.server.open("s");
        session.player(1);
        session.player(2);
        handler.onWebSocketMessageOut(session, Messages.playerUpdate(1, true, 42));
        handler.onWebSocketMessageOut(session, Messages.playerUpdate(1, true, 42));
        handler.onWebSocketMessageOut(session, Messages.playerUpdate(1, true, 42));
        handler.onWebSocketMessageOut(session, Messages.playerUpdate(1, true, 50));
        handler.onWebSocketMessageOut(session, Messages.playerUpdate(2, true, 42));

        assertEquals(3, metrics.value("lavametrics_voice_ping_seconds_count"));
        assertEquals(0.134, metrics.value("lavametrics_voice_ping_seconds_sum"), 1e-9);
        assertEquals(2, metrics.value("lavametrics_voice_connected_players"));
    }

    @Test
    void linkageErrorsInHooksAreCountedNeverThrown() {
        // What a plugin-api 4.x with a different signature looks like at run time.
        ISocketContext broken = throwingContext(new NoSuchMethodError("getSessionId"));
        handler.onSocketContextDestroyed(broken);
        handler.onWebSocketMessageOut(broken, Messages.playerUpdate(1, true, 42));
        handler.onDestroyPlayer(broken, metrics.server.open("s").player(1));
        assertEquals(3, metrics.value("lavametrics_collector_errors_total", "collector", "events"));
    }

    /** The hooks follow {@code Survival}: a bug's error is counted, the JVM's own failure passes. */
    @Test
    void hooksSurviveABugButNotTheJvmFailing() {
        handler.onSocketContextDestroyed(throwingContext(new AssertionError("a broken invariant")));
        assertEquals(1, metrics.value("lavametrics_collector_errors_total", "collector", "events"));

        OutOfMemoryError oom = new OutOfMemoryError("Java heap space");
        assertSame(
                oom,
                assertThrows(OutOfMemoryError.class, () -> handler.onSocketContextDestroyed(throwingContext(oom))));
        assertEquals(1, metrics.value("lavametrics_collector_errors_total", "collector", "events"));
    }

    /** A session whose every method throws {@code error} (a proxy passes errors through unwrapped). */
    private ISocketContext throwingContext(Error error) {
        return (ISocketContext) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {ISocketContext.class}, (proxy, method, args) -> {
                    throw error;
                });
    }

    @Test
    void stoppedIsToldApartPerSessionAndForgottenWithItsSession() {
        FakeSession a = metrics.server.open("a");
        FakeSession b = metrics.server.open("b");
        FakePlayer inA = a.player(3);
        FakePlayer inB = b.player(3); // the same guild through another session (another bot)
        handler.onNewPlayer(a, inA);
        handler.onNewPlayer(b, inB);
        handler.onWebSocketMessageOut(a, Messages.trackStart(3, "http"));

        assertEquals(1, metrics.value("lavametrics_players", "state", "stopped"));
        assertEquals(1, metrics.value("lavametrics_players", "state", "idle"));

        metrics.server.sessions.remove("a");
        handler.onSocketContextDestroyed(a);
        FakeSession again = metrics.server.open("a"); // a session id is never reused; its guilds are forgotten
        handler.onNewPlayer(again, again.player(3));

        assertEquals(0, metrics.value("lavametrics_players", "state", "stopped"));
        assertEquals(2, metrics.value("lavametrics_players", "state", "idle"));
    }

    @Test
    void aScrapeDoesNotResurrectADestroyedPlayer() {
        FakeSession session = metrics.server.open("s");
        FakePlayer player = session.player(7).playing();
        handler.onNewPlayer(session, player);
        // Destroyed while a scrape still sees it in the session's map.
        handler.onDestroyPlayer(session, player);
        metrics.exposition();
        session.players.remove(7L);
        handler.onNewPlayer(session, session.player(7));

        assertEquals(1, metrics.value("lavametrics_players", "state", "idle"));
        assertEquals(0, metrics.value("lavametrics_players", "state", "stopped"));
    }
}
