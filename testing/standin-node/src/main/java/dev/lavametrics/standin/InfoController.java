package dev.lavametrics.standin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sedmelluq.discord.lavaplayer.player.AudioPlayerManager;
import com.sedmelluq.discord.lavaplayer.source.AudioSourceManager;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code /version}, {@code /v4/info} and {@code /v4/stats}. */
@RestController
public class InfoController {
    static final List<String> FILTERS = List.of(
            "volume",
            "equalizer",
            "karaoke",
            "timescale",
            "tremolo",
            "vibrato",
            "distortion",
            "rotation",
            "channelMix",
            "lowPass");

    private final ObjectMapper mapper;
    private final AudioPlayerManager manager;
    private final PluginRegistry plugins;
    private final StatsService stats;
    private final long buildTime;

    public InfoController(ObjectMapper mapper, AudioPlayerManager manager, PluginRegistry plugins, StatsService stats) {
        this.mapper = mapper;
        this.manager = manager;
        this.plugins = plugins;
        this.stats = stats;
        this.buildTime = readBuildTime();
    }

    private static long readBuildTime() {
        try (InputStream in = InfoController.class.getResourceAsStream("/standin-build.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                return Instant.parse(p.getProperty("buildTime")).toEpochMilli();
            }
        } catch (Exception ignored) {
            // fall through
        }
        return 0L;
    }

    @GetMapping(value = "/version", produces = MediaType.TEXT_PLAIN_VALUE)
    public String version() {
        return StandinVersion.SEMVER;
    }

    @GetMapping(value = "/v4/info", produces = MediaType.APPLICATION_JSON_VALUE)
    public ObjectNode info() {
        ObjectNode out = mapper.createObjectNode();
        ObjectNode v = out.putObject("version");
        v.put("semver", StandinVersion.SEMVER);
        v.put("major", StandinVersion.MAJOR);
        v.put("minor", StandinVersion.MINOR);
        v.put("patch", StandinVersion.PATCH);
        v.put("preRelease", StandinVersion.PRE_RELEASE); // Lavalink's Version has no build field
        out.put("buildTime", buildTime);
        ObjectNode git = out.putObject("git");
        git.put("branch", "lavametrics-standin");
        git.put("commit", "none");
        git.put("commitTime", 0);
        out.put("jvm", System.getProperty("java.version"));
        out.put("lavaplayer", StandinVersion.lavaplayerVersion());
        ArrayNode sources = out.putArray("sourceManagers");
        for (AudioSourceManager s : manager.getSourceManagers()) {
            sources.add(s.getSourceName());
        }
        ArrayNode filters = out.putArray("filters");
        FILTERS.forEach(filters::add);
        ArrayNode pl = out.putArray("plugins");
        for (PluginRegistry.PluginInfo p : plugins.getPlugins()) {
            ObjectNode o = pl.addObject();
            o.put("name", p.name());
            o.put("version", p.version());
        }
        return out;
    }

    @GetMapping(value = "/v4/stats", produces = MediaType.APPLICATION_JSON_VALUE)
    public ObjectNode stats() {
        return stats.statsJson();
    }
}
