package dev.lavametrics.plugin.catalog;

import java.util.Locale;

/** A switchable set of metric families; {@link #SELF} describes the plugin itself and is always on. */
public enum Group {
    SESSIONS(true, "Client websocket sessions: open and paused sessions, opens and closes."),
    PLAYERS(true, "Guild players by state, creations and destructions."),
    TRACKS(true, "Track starts, ends by reason, exceptions by severity and stuck tracks, by source."),
    LOADS(true, "Results and durations of /v4/loadtracks requests."),
    FRAMES(true, "Audio frames handed to the voice connection, missing ones and per-track loss."),
    VOICE(true, "Voice connection state, gateway ping and voice websocket close codes."),
    FILTERS(true, "How many players use each audio filter."),
    REST(
            false,
            "Lavalink REST API requests by route, method and status class (off by default: about 10 series per route clients call)."),
    ROUTEPLANNER(
            true,
            "The route planner's IP block: its size, failing addresses and bans, read at scrape time (absent when the node has no route planner)."),
    SELF(true, "The plugin's own health: version, config validity, collector timings and errors.");

    private final boolean defaultEnabled;
    private final String help;
    // computed once: every scrape of every group reads it (its collector's health is keyed by it)
    private final String key;

    Group(boolean defaultEnabled, String help) {
        this.defaultEnabled = defaultEnabled;
        this.help = help;
        this.key = name().toLowerCase(Locale.ROOT);
    }

    /** The name used in config keys, labels and the catalog. */
    public String key() {
        return key;
    }

    public boolean defaultEnabled() {
        return defaultEnabled;
    }

    public String help() {
        return help;
    }

    /** Whether operators may switch the group off ({@code groups.<key>}). */
    public boolean switchable() {
        return this != SELF;
    }
}
