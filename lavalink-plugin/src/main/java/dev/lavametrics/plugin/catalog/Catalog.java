package dev.lavametrics.plugin.catalog;

import static dev.lavametrics.plugin.catalog.Group.FILTERS;
import static dev.lavametrics.plugin.catalog.Group.FRAMES;
import static dev.lavametrics.plugin.catalog.Group.LOADS;
import static dev.lavametrics.plugin.catalog.Group.PLAYERS;
import static dev.lavametrics.plugin.catalog.Group.REST;
import static dev.lavametrics.plugin.catalog.Group.ROUTEPLANNER;
import static dev.lavametrics.plugin.catalog.Group.SELF;
import static dev.lavametrics.plugin.catalog.Group.SESSIONS;
import static dev.lavametrics.plugin.catalog.Group.TRACKS;
import static dev.lavametrics.plugin.catalog.Group.VOICE;
import static dev.lavametrics.plugin.catalog.MetricType.COUNTER;
import static dev.lavametrics.plugin.catalog.MetricType.GAUGE;
import static dev.lavametrics.plugin.catalog.MetricType.HISTOGRAM;

import dev.lavametrics.plugin.util.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one definition of every metric family and setting the plugin has. Collectors, the config
 * validator, the committed {@code lavametrics/catalog.json}, the Python side and docs/metrics.md
 * all derive from these constants, so nothing else may spell a metric name.
 *
 * <p>JDK-only on purpose: the Python side runs it as {@code java -cp <plugin jar>} in a subprocess
 * (lavametrics.javatools.run_main), with nothing but the plugin jar on the class path.
 * {@code java -cp lavametrics-plugin.jar dev.lavametrics.plugin.catalog.Catalog} prints the JSON,
 * {@code ... Catalog --markdown} the metrics reference.
 */
public final class Catalog {
    public static final String PLUGIN_NAME = "lavametrics";
    public static final String PREFIX = "lavametrics_";
    public static final int SCHEMA = 1;

    public static final Label COLLECTOR = new Label(
            "collector",
            List.of(
                    "sessions",
                    "players",
                    "tracks",
                    "loads",
                    "frames",
                    "voice",
                    "filters",
                    "rest",
                    "routeplanner",
                    "self",
                    "events",
                    "endpoint"));
    public static final Label VERSION = new Label("version", null);
    public static final Label SESSION_STATE = new Label("state", List.of("active", "paused"));
    public static final Label RESUMED = new Label("resumed", List.of("true", "false"));
    public static final Label PLAYER_STATE = new Label("state", List.of("playing", "paused", "idle", "stopped"));
    public static final Label SOURCE = new Label(
            "source",
            List.of(
                    "youtube",
                    "soundcloud",
                    "bandcamp",
                    "vimeo",
                    "twitch",
                    "http",
                    "local",
                    "nico",
                    "yandexmusic",
                    "deezer",
                    "spotify",
                    "applemusic",
                    "jiosaavn",
                    "tidal",
                    Label.OTHER));
    public static final Label END_REASON =
            new Label("reason", List.of("finished", "loadFailed", "stopped", "replaced", "cleanup", Label.OTHER));
    public static final Label SEVERITY = new Label("severity", List.of("common", "suspicious", "fault", Label.OTHER));
    public static final Label LOAD_RESULT =
            new Label("result", List.of("track", "playlist", "search", "empty", "error", Label.OTHER));
    /** Discord voice gateway close codes (plus the websocket's own 1000/1001/1006). */
    public static final Label CLOSE_CODE = new Label(
            "code",
            List.of(
                    "1000",
                    "1001",
                    "1006",
                    "4001",
                    "4002",
                    "4003",
                    "4004",
                    "4005",
                    "4006",
                    "4009",
                    "4011",
                    "4012",
                    "4014",
                    "4015",
                    "4016",
                    "4017",
                    "4020",
                    "4021",
                    "4022",
                    Label.OTHER));
    /** Lavalink v4 filter keys; {@code pluginFilters} counts as one filter named plugin. */
    public static final Label FILTER = new Label(
            "filter",
            List.of(
                    "volume",
                    "equalizer",
                    "karaoke",
                    "timescale",
                    "tremolo",
                    "vibrato",
                    "rotation",
                    "distortion",
                    "channelMix",
                    "lowPass",
                    "plugin",
                    Label.OTHER));
    /** Lavalink v4 REST route templates, never raw paths (those carry session and guild ids). */
    public static final Label ROUTE = new Label(
            "route",
            List.of(
                    "/version",
                    "/v4/info",
                    "/v4/stats",
                    "/v4/loadtracks",
                    "/v4/decodetrack",
                    "/v4/decodetracks",
                    "/v4/sessions/{sessionId}",
                    "/v4/sessions/{sessionId}/players",
                    "/v4/sessions/{sessionId}/players/{guildId}",
                    "/v4/routeplanner/status",
                    "/v4/routeplanner/free/address",
                    "/v4/routeplanner/free/all",
                    Label.OTHER));

    // --- route planner and voice connects (issue 22, items 2-3) ---
    /**
     * The classes of lavaplayer's youtube-rotator route planners that Lavalink 4 builds from its
     * {@code ratelimit.strategy} (RoutePlannerRestHandler knows exactly these); a subclass or a
     * planner of another plugin is {@code other}.
     */
    public static final Label PLANNER = new Label(
            "planner",
            List.of(
                    "RotatingIpRoutePlanner",
                    "NanoIpRoutePlanner",
                    "RotatingNanoIpRoutePlanner",
                    "BalancingIpRoutePlanner",
                    Label.OTHER));
    // --- end route planner and voice connects ---

    public static final Label METHOD =
            new Label("method", List.of("GET", "POST", "PATCH", "PUT", "DELETE", Label.OTHER));
    /** {@link Family#initial}: every label combination is exported from the start. */
    private static final List<List<String>> ALL = null;
    /** {@link Family#initial}: no series until a combination first happens. */
    private static final List<List<String>> NONE = List.of();

    public static final Label STATUS_CLASS =
            new Label("status", List.of("1xx", "2xx", "3xx", "4xx", "5xx", Label.OTHER));

    /** Collectors that run with the default config: each reports a duration and success from the start. */
    private static final List<List<String>> DEFAULT_COLLECTORS = defaultCollectors();

    public static final Family INFO = family(
            "lavametrics_info",
            GAUGE,
            SELF,
            List.of(VERSION),
            "Always 1; the version label is the plugin version.",
            "lavametrics_info",
            ALL,
            "");
    public static final Family CONFIG_VALID = family(
            "lavametrics_config_valid",
            GAUGE,
            SELF,
            List.of(),
            "1 when plugins.lavametrics validated cleanly and the endpoint (if enabled) is serving, else 0.",
            "lavametrics_config_valid == 0",
            ALL,
            "");
    public static final Family COLLECTOR_DURATION = family(
            "lavametrics_collector_duration_seconds",
            GAUGE,
            SELF,
            List.of(COLLECTOR),
            "How long the collector's last scrape took; only collectors of enabled groups report.",
            "max by (collector) (lavametrics_collector_duration_seconds)",
            DEFAULT_COLLECTORS,
            "+1 per group switched on beyond the defaults");
    public static final Family COLLECTOR_SUCCESS = family(
            "lavametrics_collector_success",
            GAUGE,
            SELF,
            List.of(COLLECTOR),
            "1 when the collector's last scrape succeeded, else 0; only collectors of enabled groups report.",
            "lavametrics_collector_success == 0",
            DEFAULT_COLLECTORS,
            "+1 per group switched on beyond the defaults");
    public static final Family COLLECTOR_ERRORS = family(
            "lavametrics_collector_errors_total",
            COUNTER,
            SELF,
            List.of(COLLECTOR),
            "Exceptions caught in a collector, event hook or the own endpoint.",
            "sum by (collector) (rate(lavametrics_collector_errors_total[5m]))",
            ALL,
            "");
    public static final Family REGISTRATION_CONFLICTS = family(
            "lavametrics_registration_conflicts",
            GAUGE,
            SELF,
            List.of(),
            "Families not exported because another collector already registered the name.",
            "lavametrics_registration_conflicts > 0",
            ALL,
            "");

    public static final Family SESSIONS_OPEN = family(
            "lavametrics_sessions",
            GAUGE,
            SESSIONS,
            List.of(SESSION_STATE),
            "Client sessions: active (websocket open) or paused (closed, may still resume).",
            "sum by (state) (lavametrics_sessions)",
            ALL,
            "");
    public static final Family SESSION_OPENS = family(
            "lavametrics_session_opens_total",
            COUNTER,
            SESSIONS,
            List.of(RESUMED),
            "Client websockets opened; resumed=true when an earlier session was resumed.",
            "sum by (resumed) (rate(lavametrics_session_opens_total[5m]))",
            ALL,
            "");
    public static final Family SESSION_CLOSES = family(
            "lavametrics_session_closes_total",
            COUNTER,
            SESSIONS,
            List.of(),
            "Client sessions destroyed for good.",
            "rate(lavametrics_session_closes_total[5m])",
            ALL,
            "");

    public static final Family PLAYERS_BY_STATE = family(
            "lavametrics_players",
            GAUGE,
            PLAYERS,
            List.of(PLAYER_STATE),
            "Players by state: playing, paused, stopped (no track, played one before), idle (never played).",
            "sum by (state) (lavametrics_players)",
            ALL,
            "");
    public static final Family PLAYER_CREATIONS = family(
            "lavametrics_player_creations_total",
            COUNTER,
            PLAYERS,
            List.of(),
            "Players created.",
            "rate(lavametrics_player_creations_total[5m])",
            ALL,
            "");
    public static final Family PLAYER_DESTRUCTIONS = family(
            "lavametrics_player_destructions_total",
            COUNTER,
            PLAYERS,
            List.of(),
            "Players destroyed.",
            "rate(lavametrics_player_destructions_total[5m])",
            ALL,
            "");

    public static final Family TRACK_STARTS = family(
            "lavametrics_track_starts_total",
            COUNTER,
            TRACKS,
            List.of(SOURCE),
            "Tracks started, by source manager.",
            "sum by (source) (rate(lavametrics_track_starts_total[5m]))",
            NONE,
            "+1 per source that started a track");
    public static final Family TRACK_ENDS = family(
            "lavametrics_track_ends_total",
            COUNTER,
            TRACKS,
            List.of(SOURCE, END_REASON),
            "Tracks ended, by source and end reason.",
            "sum by (reason) (rate(lavametrics_track_ends_total[5m]))",
            NONE,
            "+2 per source that started a track (finished and loadFailed, from 0), +1 per other reason seen for it");
    public static final Family TRACK_EXCEPTIONS = family(
            "lavametrics_track_exceptions_total",
            COUNTER,
            TRACKS,
            List.of(SOURCE, SEVERITY),
            "Track exceptions, by source and lavaplayer severity.",
            "sum by (source, severity) (rate(lavametrics_track_exceptions_total[5m]))",
            NONE,
            "+3 per source that started a track (common, suspicious and fault, from 0), +1 if other is seen for it");
    public static final Family TRACK_STUCK = family(
            "lavametrics_track_stuck_total",
            COUNTER,
            TRACKS,
            List.of(SOURCE),
            "Tracks that got stuck (no audio for the stuck threshold), by source.",
            "sum by (source) (increase(lavametrics_track_stuck_total[15m]))",
            NONE,
            "+1 per source that started a track (from 0)");

    public static final Family LOADS_BY_RESULT = family(
            "lavametrics_loads_total",
            COUNTER,
            LOADS,
            List.of(LOAD_RESULT),
            "Successful /v4/loadtracks responses, by loadType.",
            // all from 0: the load-failure alert divides increase() of error by increase() of all,
            // and a result born at 1 would hide its first load from either side
            "sum by (result) (rate(lavametrics_loads_total[5m]))",
            ALL,
            "");
    public static final Family LOAD_DURATION = histogram(
            "lavametrics_load_duration_seconds",
            LOADS,
            List.of(LOAD_RESULT),
            "Time to answer /v4/loadtracks, by loadType.",
            List.of(0.025, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            "loadDurationSeconds",
            "histogram_quantile(0.95, sum by (le) (rate(lavametrics_load_duration_seconds_bucket[5m])))",
            NONE,
            "+%d (one histogram) per load result seen");

    public static final Family FRAMES_SENT = family(
            "lavametrics_frames_sent_total",
            COUNTER,
            FRAMES,
            List.of(),
            "Audio frames handed to voice connections.",
            "rate(lavametrics_frames_sent_total[5m])",
            ALL,
            "");
    public static final Family FRAMES_NULLED = family(
            "lavametrics_frames_nulled_total",
            COUNTER,
            FRAMES,
            List.of(),
            "Frame requests from voice connections that found no audio ready.",
            "rate(lavametrics_frames_nulled_total[5m])",
            ALL,
            "");
    public static final Family FRAMES_DEFICIT = family(
            "lavametrics_frames_deficit_total",
            COUNTER,
            FRAMES,
            List.of(),
            "Frames voice connections should have requested (one per 20 ms while playing) but did not.",
            "rate(lavametrics_frames_deficit_total[5m])",
            ALL,
            "");
    public static final Family FRAME_LOSS = histogram(
            "lavametrics_player_frame_loss_ratio",
            FRAMES,
            List.of(),
            "Per played track: (nulled + deficit) / expected frames, observed when the track's buffer finishes.",
            List.of(0.001, 0.01, 0.02, 0.05, 0.1, 0.25),
            "frameLossRatio",
            "histogram_quantile(0.9, sum by (le) (rate(lavametrics_player_frame_loss_ratio_bucket[15m])))",
            ALL,
            "");

    public static final Family VOICE_CONNECTED = family(
            "lavametrics_voice_connected_players",
            GAUGE,
            VOICE,
            List.of(),
            "Players whose last player update reported a connected voice gateway.",
            "lavametrics_voice_connected_players",
            ALL,
            "");
    public static final Family VOICE_PING = histogram(
            "lavametrics_voice_ping_seconds",
            VOICE,
            List.of(),
            "Voice gateway ping of connected players, observed each time a player update reports a new value.",
            List.of(0.02, 0.05, 0.1, 0.2, 0.5, 1.0),
            "voicePingSeconds",
            "histogram_quantile(0.95, sum by (le) (rate(lavametrics_voice_ping_seconds_bucket[5m])))",
            ALL,
            "");
    public static final Family VOICE_CLOSES = family(
            "lavametrics_voice_closes_total",
            COUNTER,
            VOICE,
            List.of(CLOSE_CODE),
            "Voice websocket closes, by close code.",
            "sum by (code) (rate(lavametrics_voice_closes_total[5m]))",
            // every code starts at 0: the voice-close alert takes increase() over each code but
            // 1000, and a series born at 1 would hide its first close
            ALL,
            "");

    // --- voice connects (issue 22, item 3) ---
    public static final Family VOICE_CONNECT = histogram(
            "lavametrics_voice_connect_seconds",
            VOICE,
            List.of(),
            "Time from a player's voice update (or the start of its track, when that comes later) to the first"
                    + " audio frame its voice connection pulled.",
            List.of(0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            "voiceConnectSeconds",
            "histogram_quantile(0.95, sum by (le) (rate(lavametrics_voice_connect_seconds_bucket[10m])))",
            ALL,
            "");
    // --- end voice connects ---

    // --- route planner (issue 22, item 2) ---
    public static final Family ROUTE_PLANNER_INFO = family(
            "lavametrics_route_planner_info",
            GAUGE,
            ROUTEPLANNER,
            List.of(PLANNER),
            "Always 1 while the node has a route planner; the planner label is its class. Absent without one.",
            "lavametrics_route_planner_info",
            NONE,
            "+1 when the node has a route planner (ratelimit.ipBlocks configured)");
    public static final Family ROUTE_PLANNER_ADDRESSES = family(
            "lavametrics_route_planner_addresses",
            GAUGE,
            ROUTEPLANNER,
            List.of(),
            "Addresses in the route planner's IP block (all blocks combined). Absent without a route planner.",
            "lavametrics_route_planner_addresses",
            NONE,
            "+1 when the node has a route planner");
    public static final Family ROUTE_PLANNER_FAILING = family(
            "lavametrics_route_planner_failing_addresses",
            GAUGE,
            ROUTEPLANNER,
            List.of(),
            "Addresses the route planner currently marks as failing (banned), as /v4/routeplanner/status lists them.",
            "lavametrics_route_planner_failing_addresses / lavametrics_route_planner_addresses",
            NONE,
            "+1 when the node has a route planner");
    public static final Family ROUTE_PLANNER_BANS = family(
            "lavametrics_route_planner_bans_total",
            COUNTER,
            ROUTEPLANNER,
            List.of(),
            "Rises of the failing-address count seen between two scrapes: addresses newly marked failing."
                    + " A ban freed again before the next scrape is not seen. 0 from the first scrape with a planner.",
            "increase(lavametrics_route_planner_bans_total[1h])",
            NONE,
            "+1 when the node has a route planner");
    // --- end route planner ---

    public static final Family FILTER_PLAYERS = family(
            "lavametrics_filter_players",
            GAUGE,
            FILTERS,
            List.of(FILTER),
            "Players with the filter set by their last player update.",
            "sum by (filter) (lavametrics_filter_players)",
            ALL,
            "");

    public static final Family REST_REQUESTS = family(
            "lavametrics_rest_requests_total",
            COUNTER,
            REST,
            List.of(ROUTE, METHOD, STATUS_CLASS),
            "REST requests, by route template, method and status class.",
            "sum by (route, status) (rate(lavametrics_rest_requests_total[5m]))",
            NONE,
            "+1 per (route, method, status class) seen");
    public static final Family REST_DURATION = histogram(
            "lavametrics_rest_request_duration_seconds",
            REST,
            List.of(ROUTE),
            "REST request handling time, by route template.",
            List.of(0.001, 0.005, 0.025, 0.1, 0.5, 2.5),
            "restDurationSeconds",
            "histogram_quantile(0.99, sum by (le, route) (rate(lavametrics_rest_request_duration_seconds_bucket[5m])))",
            NONE,
            "+%d (one histogram) per route seen");

    public static final List<Family> FAMILIES = List.of(
            INFO,
            CONFIG_VALID,
            COLLECTOR_DURATION,
            COLLECTOR_SUCCESS,
            COLLECTOR_ERRORS,
            REGISTRATION_CONFLICTS,
            SESSIONS_OPEN,
            SESSION_OPENS,
            SESSION_CLOSES,
            PLAYERS_BY_STATE,
            PLAYER_CREATIONS,
            PLAYER_DESTRUCTIONS,
            TRACK_STARTS,
            TRACK_ENDS,
            TRACK_EXCEPTIONS,
            TRACK_STUCK,
            LOADS_BY_RESULT,
            LOAD_DURATION,
            FRAMES_SENT,
            FRAMES_NULLED,
            FRAMES_DEFICIT,
            FRAME_LOSS,
            VOICE_CONNECTED,
            VOICE_PING,
            VOICE_CLOSES,
            VOICE_CONNECT,
            ROUTE_PLANNER_INFO,
            ROUTE_PLANNER_ADDRESSES,
            ROUTE_PLANNER_FAILING,
            ROUTE_PLANNER_BANS,
            FILTER_PLAYERS,
            REST_REQUESTS,
            REST_DURATION);

    /**
     * The most upper bounds a {@code buckets.*} setting may list. Each bound is one more series per
     * label combination (5,000 bounds on the REST histogram would be tens of thousands of series);
     * 30 is three times the defaults and plenty for any latency distribution.
     */
    public static final int MAX_BUCKET_BOUNDS = 30;

    public static final List<ConfigKey> CONFIG = configKeys();

    /**
     * Series the plugin may export per node with the default config, in a steady workload:
     * what {@code SeriesBudgetTest} holds it to, and what docs/metrics.md states.
     */
    public static final int SERIES_BUDGET = 250;

    private Catalog() {}

    private static Family family(
            String name,
            MetricType type,
            Group group,
            List<Label> labels,
            String help,
            String example,
            List<List<String>> initial,
            String growth) {
        return new Family(name, type, help, group, labels, null, null, example, initial, growth);
    }

    private static Family histogram(
            String name,
            Group group,
            List<Label> labels,
            String help,
            List<Double> buckets,
            String bucketsKey,
            String example,
            List<List<String>> initial,
            String growth) {
        return new Family(name, HISTOGRAM, help, group, labels, buckets, bucketsKey, example, initial, growth);
    }

    private static List<List<String>> defaultCollectors() {
        List<List<String>> collectors = new ArrayList<>();
        for (Group group : Group.values()) {
            if (group.defaultEnabled()) {
                collectors.add(List.of(group.key()));
            }
        }
        return List.copyOf(collectors);
    }

    private static List<ConfigKey> configKeys() {
        List<ConfigKey> keys = new ArrayList<>();
        for (Group group : Group.values()) {
            if (group.switchable()) {
                keys.add(new ConfigKey(
                        "groups." + group.key(),
                        "boolean",
                        Boolean.toString(group.defaultEnabled()),
                        "Export the " + group.key() + " group. " + group.help(),
                        false));
            }
        }
        for (Family family : List.of(LOAD_DURATION, REST_DURATION, VOICE_PING, VOICE_CONNECT, FRAME_LOSS)) {
            keys.add(new ConfigKey(
                    "buckets." + family.bucketsKey(),
                    "number-list",
                    joinNumbers(family.buckets()),
                    "Histogram upper bounds for " + family.name() + ": up to " + MAX_BUCKET_BOUNDS
                            + " strictly increasing numbers" + (family == FRAME_LOSS ? " within 0..1." : ", each > 0."),
                    false));
        }
        keys.add(new ConfigKey(
                "endpoint.enabled",
                "boolean",
                "false",
                "Serve the metrics on an own HTTP port (for Prometheus when Lavalink's password blocks /metrics).",
                false));
        keys.add(new ConfigKey("endpoint.host", "string", "127.0.0.1", "Address the own endpoint binds to.", false));
        keys.add(new ConfigKey(
                "endpoint.port",
                "integer",
                "9477",
                "Port of the own endpoint, 1..65535; not Lavalink's server.port (Spring Boot's 8080 when unset).",
                false));
        keys.add(new ConfigKey(
                "endpoint.path", "string", "/metrics", "Path of the own endpoint; starts with /.", false));
        keys.add(new ConfigKey(
                "endpoint.auth.username",
                "string",
                null,
                "Basic auth user name; set together with endpoint.auth.password.",
                false));
        keys.add(new ConfigKey("endpoint.auth.password", "string", null, "Basic auth password.", true));
        keys.add(new ConfigKey(
                "endpoint.auth.bearerToken", "string", null, "Bearer token; exclusive with basic auth.", true));
        keys.add(new ConfigKey(
                "endpoint.auth.passwordFile",
                "string",
                null,
                "File holding the basic auth password (surrounding white space dropped); instead of endpoint.auth.password.",
                false));
        keys.add(new ConfigKey(
                "endpoint.auth.bearerTokenFile",
                "string",
                null,
                "File holding the bearer token (surrounding white space dropped); instead of endpoint.auth.bearerToken.",
                false));
        keys.add(new ConfigKey(
                "endpoint.webConfigFile",
                "string",
                null,
                "An exporter-toolkit web configuration file (bcrypt basic_auth_users, tls_server_config), re-read when it changes; exclusive with endpoint.auth.",
                false));
        keys.add(new ConfigKey(
                "endpoint.allow",
                "cidr-list",
                "127.0.0.1/32,::1/128",
                "Client networks (IPv4/IPv6 CIDR) allowed to scrape; checked before auth.",
                false));
        return List.copyOf(keys);
    }

    private static String joinNumbers(List<Double> numbers) {
        List<String> parts = new ArrayList<>();
        for (Double number : numbers) {
            parts.add(Json.formatNumber(number));
        }
        return String.join(",", parts);
    }

    public static ConfigKey configKey(String key) {
        for (ConfigKey configKey : CONFIG) {
            if (configKey.key().equals(key)) {
                return configKey;
            }
        }
        throw new IllegalArgumentException("no config key " + key);
    }

    public static List<Family> familiesOf(Group group) {
        return FAMILIES.stream().filter(f -> f.group() == group).toList();
    }

    /** The plugin version, from the descriptor Maven filters into the jar. */
    public static String pluginVersion() {
        try (var in = Catalog.class.getClassLoader().getResourceAsStream("lavalink-plugins/lavametrics.properties")) {
            var properties = new java.util.Properties();
            if (in != null) {
                properties.load(in);
            }
            return properties.getProperty("version", "unknown");
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    /** The upper bound of series the plugin can expose with default buckets and every group on. */
    public static int maxSeries() {
        int total = 0;
        for (Family family : FAMILIES) {
            total += family.maxSeries();
        }
        return total;
    }

    /** Series exported before any event with the default config (and default buckets). */
    public static int initialSeries() {
        int total = 0;
        for (Family family : FAMILIES) {
            if (family.group().defaultEnabled()) {
                total += family.initialSeries();
            }
        }
        return total;
    }

    public static String toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema", SCHEMA);
        root.put("plugin", ordered("name", PLUGIN_NAME, "version", pluginVersion()));
        root.put("prefix", PREFIX);
        List<Object> groups = new ArrayList<>();
        for (Group group : Group.values()) {
            groups.add(ordered("name", group.key(), "defaultEnabled", group.defaultEnabled(), "help", group.help()));
        }
        root.put("groups", groups);
        List<Object> families = new ArrayList<>();
        for (Family family : FAMILIES) {
            List<Object> labels = new ArrayList<>();
            for (Label label : family.labels()) {
                labels.add(ordered("name", label.name(), "values", label.values()));
            }
            families.add(ordered(
                    "name",
                    family.name(),
                    "type",
                    family.type().key(),
                    "help",
                    family.help(),
                    "group",
                    family.group().key(),
                    "labels",
                    labels,
                    "buckets",
                    family.buckets(),
                    "example",
                    family.example()));
        }
        root.put("families", families);
        List<Object> config = new ArrayList<>();
        for (ConfigKey key : CONFIG) {
            Map<String, Object> entry =
                    ordered("key", key.key(), "type", key.type(), "default", key.defaultValue(), "help", key.help());
            if (key.secret()) {
                entry.put("secret", true);
            }
            config.add(entry);
        }
        root.put("config", config);
        return Json.writePretty(root) + "\n";
    }

    /** The body of docs/metrics.md. */
    public static String renderMarkdown() {
        StringBuilder md = new StringBuilder();
        md.append("# lavametrics metrics\n\n")
                .append("Generated from `dev.lavametrics.plugin.catalog.Catalog` (`java -cp lavametrics-plugin-")
                .append(pluginVersion())
                .append(".jar dev.lavametrics.plugin.catalog.Catalog --markdown`); ")
                .append("do not edit by hand.\n\n")
                .append("Label values outside the listed set are exported as `other`. ")
                .append("Histograms have no `_created` samples.\n");
        renderSeries(md);
        for (Group group : Group.values()) {
            md.append("\n## Group `")
                    .append(group.key())
                    .append("`")
                    .append(
                            group.switchable()
                                    ? " (default " + (group.defaultEnabled() ? "on" : "off") + ")"
                                    : " (always on)")
                    .append("\n\n")
                    .append(group.help())
                    .append("\n");
            for (Family family : familiesOf(group)) {
                md.append("\n### `")
                        .append(family.name())
                        .append("`\n\n")
                        .append("- type: ")
                        .append(family.type().key())
                        .append("\n")
                        .append("- meaning: ")
                        .append(family.help())
                        .append("\n");
                if (family.labels().isEmpty()) {
                    md.append("- labels: none\n");
                }
                for (Label label : family.labels()) {
                    md.append("- label `")
                            .append(label.name())
                            .append("`: ")
                            .append(label.values() == null ? "free (the plugin version)" : code(label.values()))
                            .append("\n");
                }
                md.append("- series: ").append(family.initialSeries()).append(" at start");
                if (!family.growth().isEmpty()) {
                    md.append(", ").append(family.growthText());
                }
                md.append("; at most ").append(family.maxSeries()).append("\n");
                if (family.buckets() != null) {
                    md.append("- default buckets: ")
                            .append(joinNumbers(family.buckets()))
                            .append(" (config `buckets.")
                            .append(family.bucketsKey())
                            .append("`)\n");
                }
                md.append("- example: `").append(family.example()).append("`\n");
            }
        }
        md.append("\n## Configuration (`plugins.lavametrics`)\n\n")
                .append("Keys are camelCase; every spelling Spring binds is accepted (`bearer-token`, `bearer_token`, ")
                .append("`BEARERTOKEN`), one per key. A bad value is logged and only the part it ")
                .append("belongs to falls back (bad buckets use the defaults, a bad endpoint stays off); ")
                .append("`lavametrics_config_valid` then reads 0.\n\n")
                .append("| key | type | default | meaning |\n|---|---|---|---|\n");
        for (ConfigKey key : CONFIG) {
            md.append("| `")
                    .append(key.key())
                    .append("` | ")
                    .append(key.type())
                    .append(" | ")
                    .append(key.defaultValue() == null ? "(unset)" : "`" + key.defaultValue() + "`")
                    .append(" | ")
                    .append(key.help())
                    .append(key.secret() ? " Secret." : "")
                    .append(" |\n");
        }
        return md.toString();
    }

    private static void renderSeries(StringBuilder md) {
        md.append("\n## Series per node\n\n")
                .append("What a node exports with the default buckets: before any event, and at most (every allowed ")
                .append("label combination having happened). Label combinations of tracks, load durations and ")
                .append("REST requests are created when they first happen; every counter series an alert takes ")
                .append("`increase()` of is exported at 0 before its first event (a series born at 1 would hide it); ")
                .append("a histogram adds its buckets, `+Inf`, `_count` and `_sum` per label combination. ")
                .append("Budget with the default config: at most ")
                .append(SERIES_BUDGET)
                .append(" series in a steady workload (`SeriesBudgetTest`; measured counts in ")
                .append("[benchmarks](benchmarks.md)).\n\n")
                .append("| group | default | at start | grows with | at most |\n|---|---|---|---|---|\n");
        int defaultStart = 0;
        int defaultMax = 0;
        for (Group group : Group.values()) {
            int start = 0;
            int max = 0;
            List<String> growth = new ArrayList<>();
            for (Family family : familiesOf(group)) {
                start += family.initialSeries();
                max += family.maxSeries();
                if (!family.growth().isEmpty()) {
                    growth.add("`" + family.name().substring(PREFIX.length()) + "` " + family.growthText());
                }
            }
            if (group.defaultEnabled()) {
                defaultStart += start;
                defaultMax += max;
            }
            md.append("| `")
                    .append(group.key())
                    .append("` | ")
                    .append(group.switchable() ? (group.defaultEnabled() ? "on" : "off") : "always")
                    .append(" | ")
                    .append(start)
                    .append(" | ")
                    .append(growth.isEmpty() ? "fixed" : String.join("; ", growth))
                    .append(" | ")
                    .append(max)
                    .append(" |\n");
        }
        md.append("| all default groups |  | ")
                .append(defaultStart)
                .append(" |  | ")
                .append(defaultMax)
                .append(" |\n");
    }

    private static String code(List<String> values) {
        List<String> quoted = new ArrayList<>();
        for (String value : values) {
            quoted.add("`" + value + "`");
        }
        return String.join(", ", quoted);
    }

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    public static void main(String[] args) {
        boolean markdown = args.length > 0 && args[0].equals("--markdown");
        System.out.print(markdown ? renderMarkdown() : toJson());
    }
}
