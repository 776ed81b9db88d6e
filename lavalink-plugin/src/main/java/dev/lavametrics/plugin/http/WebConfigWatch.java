package dev.lavametrics.plugin.http;

import dev.lavametrics.plugin.collect.CollectorHealth;
import dev.lavametrics.plugin.config.EndpointSettings;
import dev.lavametrics.plugin.config.LogSafe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may scrape, kept current with the web config file (and the certificate, key and client CA
 * files it names), as {@code lavametrics serve} and the exporter-toolkit do: a renewed
 * certificate, a new user or a removed one takes effect at the next connection, no restart.
 *
 * <p>{@link #refresh} runs on the endpoint's I/O thread before it accepts: one {@code stat} per
 * file, and a read only when one changed (or was written in the last {@value #SETTLING_MILLIS}
 * ms, since a second write within the file system's timestamp granularity that keeps the size
 * would not change the stat). Reading and parsing a changed file takes a few milliseconds and
 * no bcrypt run ({@link ScrapeAccess#fromWebConfig}), so it may block that thread briefly.
 *
 * <p>A change never weakens the endpoint. A file that becomes unusable (emptied for a moment by an
 * editor or {@code >}, a typo, a missing key file), that had {@code basic_auth_users} and has none
 * left, or that turns TLS on or off (the scheme scrapers use cannot change under them) makes the
 * endpoint <b>fail closed</b>: every request gets 500 until the file is fixed, handshakes keep
 * the last good certificate, one line says why, and {@code lavametrics_config_valid} is 0 meanwhile.
 * With no web config (credentials in the settings or secret files), nothing is watched.
 */
final class WebConfigWatch {
    private static final Logger log = LoggerFactory.getLogger(MetricsEndpoint.class);
    private static final long SETTLING_MILLIS = 2000;
    /** While broken, how often the file is tried again even without a visible change (see {@link #refresh}). */
    private static final long RETRY_NANOS = 1_000_000_000L;

    private final EndpointSettings settings;
    private final CollectorHealth health;
    private final Path file;
    private final boolean tlsAtStart;
    private boolean hadUsers;
    /** The last usable access; its TLS serves handshakes even while the file is broken. */
    private ScrapeAccess current;
    /** Why every request is refused, or null while the file is usable. */
    private String failure;
    /** What the files looked like when last read: a stat each, and a digest of their bytes. */
    private List<Object> stamps;

    private byte[] digest;
    private List<Path> watched;
    private long lastAttempt;

    private WebConfigWatch(EndpointSettings settings, CollectorHealth health, ScrapeAccess access, List<Path> watched) {
        this.settings = settings;
        this.health = health;
        this.file = settings.webConfigFile() == null ? null : ScrapeAccess.webConfigPath(settings);
        this.current = access;
        this.tlsAtStart = access.tls() != null;
        this.hadUsers = access.hasUsers();
        this.watched = watched;
        this.stamps = stamps(watched);
        this.digest = digest(watched);
    }

    /** Loads what the settings name; an unusable file keeps the endpoint off (the caller logs it). */
    static WebConfigWatch load(EndpointSettings settings, CollectorHealth health) throws ScrapeAccess.Unusable {
        if (settings.webConfigFile() == null) {
            return new WebConfigWatch(settings, health, ScrapeAccess.load(settings), List.of());
        }
        WebConfig web = ScrapeAccess.readWebConfig(settings);
        return new WebConfigWatch(settings, health, ScrapeAccess.fromWebConfig(settings, web), files(settings, web));
    }

    /** The access to judge requests by (the last usable one). */
    ScrapeAccess access() {
        return current;
    }

    /** Whether the file turned unusable: every request is then answered 500. */
    boolean failedClosed() {
        return failure != null;
    }

    /** Re-reads the files when they changed; on the I/O thread, before accepting. */
    void refresh() {
        if (file == null) {
            return;
        }
        List<Object> now = stamps(watched);
        // While broken, the fix may be in a file not watched yet (a key file the new text names
        // that did not exist then): try again now and then, whatever the stamps say.
        boolean retry = failure != null && System.nanoTime() - lastAttempt >= RETRY_NANOS;
        if (now.equals(stamps) && !settling(now) && !retry) {
            return;
        }
        byte[] bytes = digest(watched);
        stamps = now;
        if (Arrays.equals(bytes, digest) && !retry) {
            return; // touched, not changed
        }
        digest = bytes;
        lastAttempt = System.nanoTime();
        WebConfig web;
        try {
            web = ScrapeAccess.readWebConfig(settings);
        } catch (ScrapeAccess.Unusable e) {
            fail(e.getMessage());
            return;
        }
        // Watch what the new file names from now on (a renamed key file, an added client CA).
        List<Path> named = files(settings, web);
        if (!named.equals(watched)) {
            watched = named;
            stamps = stamps(named);
            digest = digest(named);
        }
        String where = "plugins.lavametrics.endpoint.webConfigFile: " + LogSafe.text(file.toString()) + ": ";
        if ((web.tls != null) != tlsAtStart) {
            fail(where + "tls_server_config: turning TLS " + (tlsAtStart ? "off" : "on") + " needs a restart");
            return;
        }
        if (hadUsers && web.users.isEmpty()) {
            fail(where + "basic_auth_users: the file had users and has none left; turning auth off needs a restart");
            return;
        }
        current = ScrapeAccess.fromWebConfig(settings, web);
        hadUsers |= current.hasUsers();
        if (failure != null) {
            health.markWebConfigValid(true);
        }
        failure = null;
        log.info(
                "plugins.lavametrics.endpoint.webConfigFile: {} changed and was reloaded",
                LogSafe.text(file.toString()));
    }

    private void fail(String why) {
        if (why.equals(failure)) {
            return; // the retry found the same fault: said already
        }
        failure = why;
        health.markWebConfigValid(false);
        // Once per change: the stamps stay as read, so an unchanged broken file is not read again.
        log.warn("{}; every request is refused with 500 until the file is fixed", why);
    }

    private static List<Path> files(EndpointSettings settings, WebConfig web) {
        List<Path> files = new ArrayList<>();
        files.add(ScrapeAccess.webConfigPath(settings));
        files.addAll(web.files);
        return List.copyOf(files);
    }

    /** A stat per file (size, modification time, inode), or its error class: cheap enough for every accept. */
    private static List<Object> stamps(List<Path> files) {
        List<Object> stamps = new ArrayList<>();
        for (Path path : files) {
            try {
                BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
                stamps.add(List.of(
                        attributes.size(),
                        attributes.lastModifiedTime().toMillis(),
                        Objects.toString(attributes.fileKey())));
            } catch (IOException | RuntimeException e) {
                stamps.add(e.getClass().getName());
            }
        }
        return stamps;
    }

    private static boolean settling(List<Object> stamps) {
        long now = System.currentTimeMillis();
        for (Object stamp : stamps) {
            if (stamp instanceof List<?> list && now - (Long) list.get(1) < SETTLING_MILLIS) {
                return true;
            }
        }
        return false;
    }

    /** SHA-256 over the files' bytes (at most {@link Pem#MAX_BYTES} each; an unreadable file counts as empty). */
    private static byte[] digest(List<Path> files) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Path path : files) {
                byte[] bytes;
                try {
                    bytes = Files.isRegularFile(path) && Files.size(path) <= Pem.MAX_BYTES
                            ? Files.readAllBytes(path)
                            : new byte[0];
                } catch (IOException | RuntimeException e) {
                    bytes = new byte[0];
                }
                sha.update(Integer.toString(bytes.length).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                sha.update((byte) 0);
                sha.update(bytes);
            }
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
