package dev.lavametrics.plugin.http;

import at.favre.lib.crypto.bcrypt.BCrypt;
import dev.lavametrics.plugin.config.Cidr;
import dev.lavametrics.plugin.config.EndpointSettings;
import dev.lavametrics.plugin.config.LogSafe;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who may scrape the own endpoint: the address allowlist first, then credentials from one of
 * three sources: basic auth or a bearer token in the config (the simple path), the same with the
 * secret read from a file ({@code auth.passwordFile}, {@code auth.bearerTokenFile}), or the
 * bcrypt {@code basic_auth_users} of an exporter-toolkit web config file. Secret files are read
 * once, when the endpoint starts; the web config (and its TLS) is re-read when it changes, by
 * {@link WebConfigWatch}, which makes a new instance.
 */
final class ScrapeAccess {
    /** How a request's credentials were judged without waiting. */
    enum Verdict {
        ALLOWED,
        DENIED,
        VERIFY
    }

    /** Secret files are a line or two; anything much larger is a wrong path. */
    private static final int MAX_SECRET_BYTES = 4096;
    /** Verdicts remembered for bcrypt users; cleared when full, so a flood of guesses cannot grow it. */
    private static final int CACHE_LIMIT = 1024;

    /** A file named in the settings cannot be used; the message names key and file, never a secret. */
    static final class Unusable extends Exception {
        Unusable(String message) {
            super(message, null, false, false);
        }
    }

    private final EndpointSettings settings;
    private final byte[] expectedAuthorization;
    private final Map<String, String> users;
    private final String decoyHash;
    private final Map<String, Boolean> verdicts = new ConcurrentHashMap<>();
    private final ServerTls tls;

    private ScrapeAccess(
            EndpointSettings settings,
            byte[] expectedAuthorization,
            Map<String, String> users,
            String decoyHash,
            ServerTls tls) {
        this.settings = settings;
        this.expectedAuthorization = expectedAuthorization;
        this.users = users;
        this.decoyHash = decoyHash;
        this.tls = tls;
    }

    /** The endpoint's TLS, or null for plain HTTP. */
    ServerTls tls() {
        return tls;
    }

    /** Whether bcrypt users guard the endpoint. */
    boolean hasUsers() {
        return !users.isEmpty();
    }

    /** Reads what the settings name (secret files, the web config) and checks them. */
    static ScrapeAccess load(EndpointSettings settings) throws Unusable {
        if (settings.webConfigFile() != null) {
            return fromWebConfig(settings, readWebConfig(settings));
        }
        String expected = null;
        if (settings.basicAuth()) {
            String password = settings.password() != null
                    ? settings.password()
                    : secret("endpoint.auth.passwordFile", settings.passwordFile());
            String credentials = settings.username() + ":" + password;
            expected = "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
        } else if (settings.bearerAuth()) {
            String token = settings.bearerToken() != null
                    ? settings.bearerToken()
                    : secret("endpoint.auth.bearerTokenFile", settings.bearerTokenFile());
            expected = "Bearer " + token;
        }
        return new ScrapeAccess(
                settings, expected == null ? null : expected.getBytes(StandardCharsets.UTF_8), Map.of(), null, null);
    }

    /** The web config file the settings name, read and checked (certificates and key included). */
    static WebConfig readWebConfig(EndpointSettings settings) throws Unusable {
        try {
            return WebConfig.read(webConfigPath(settings));
        } catch (WebConfig.Invalid e) {
            throw new Unusable("plugins.lavametrics.endpoint.webConfigFile: " + e.getMessage());
        } catch (RuntimeException e) { // an unusable path string
            throw new Unusable("plugins.lavametrics.endpoint.webConfigFile: cannot be read ("
                    + e.getClass().getSimpleName() + ")");
        }
    }

    static Path webConfigPath(EndpointSettings settings) {
        return Path.of(settings.webConfigFile());
    }

    /**
     * Access as a web config grants it. Unknown users are checked against the costliest hash in
     * the file (with a password that cannot match, see {@link #verify}), so a 401 takes as long
     * whether or not the user exists; no hash is computed here, so loading (and reloading, on
     * the I/O thread) costs no bcrypt run.
     */
    static ScrapeAccess fromWebConfig(EndpointSettings settings, WebConfig web) {
        String decoy = null;
        for (String hash : web.users.values()) {
            if (decoy == null || Integer.parseInt(hash.substring(4, 6)) > Integer.parseInt(decoy.substring(4, 6))) {
                decoy = hash;
            }
        }
        return new ScrapeAccess(settings, null, web.users, decoy, web.tls);
    }

    /** The file's text without surrounding white space (a trailing newline is normal), never empty. */
    private static String secret(String key, String file) throws Unusable {
        String where = "plugins.lavametrics." + key + "=" + LogSafe.text(file) + ": ";
        try {
            Path path = Path.of(file);
            if (!Files.isRegularFile(path)) {
                throw new Unusable(where + "not a regular file");
            }
            if (Files.size(path) > MAX_SECRET_BYTES) {
                throw new Unusable(where + "larger than " + MAX_SECRET_BYTES + " bytes");
            }
            String text = Files.readString(path, StandardCharsets.UTF_8).strip();
            if (text.isEmpty()) {
                throw new Unusable(where + "empty");
            }
            return text;
        } catch (IOException | RuntimeException e) {
            throw new Unusable(where + "cannot be read (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** Checked on the accepting thread, before a byte of the request is read. */
    boolean admits(InetAddress client) {
        for (Cidr network : settings.allow()) {
            if (network.contains(client)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Judges {@code authorization} (the header as received, its octets as ISO-8859-1 chars, or
     * null) without waiting: configured credentials are compared at once; bcrypt users answer
     * from the verdict cache or ask for {@link #verify} on another thread (bcrypt takes tens of
     * milliseconds, too long for the I/O thread).
     */
    Verdict check(String authorization) {
        if (!users.isEmpty()) {
            if (basicCredentials(authorization) == null) {
                return Verdict.DENIED;
            }
            Boolean known = verdicts.get(cacheKey(authorization));
            return known == null ? Verdict.VERIFY : known ? Verdict.ALLOWED : Verdict.DENIED;
        }
        return authorized(authorization) ? Verdict.ALLOWED : Verdict.DENIED;
    }

    /** The slow half of {@link #check} for bcrypt users; remembers the verdict. */
    boolean verify(String authorization) {
        String[] credentials = basicCredentials(authorization);
        if (credentials == null) {
            return false;
        }
        String hash = users.get(credentials[0]);
        // An unknown user costs one run against the decoy, whose verdict is ignored: the same time
        // as a known user of the highest cost, and never a pass.
        boolean ok = BCrypt.verifyer()
                        .verify(
                                credentials[1].getBytes(StandardCharsets.UTF_8),
                                (hash == null ? decoyHash : hash).getBytes(StandardCharsets.UTF_8))
                        .verified
                && hash != null;
        if (verdicts.size() >= CACHE_LIMIT) {
            verdicts.clear();
        }
        verdicts.put(cacheKey(authorization), ok);
        return ok;
    }

    /** Whether configured (non-bcrypt) credentials match; true when none are configured. */
    boolean authorized(String authorization) {
        if (expectedAuthorization == null) {
            return users.isEmpty();
        }
        byte[] given = authorization == null ? new byte[0] : authorization.getBytes(StandardCharsets.ISO_8859_1);
        // Constant-time, so response timing does not reveal how much of a guess was right.
        return MessageDigest.isEqual(given, expectedAuthorization);
    }

    /** user and password of a Basic header (UTF-8), or null when it is not one. */
    private static String[] basicCredentials(String authorization) {
        if (authorization == null
                || authorization.length() < 6
                || !authorization.substring(0, 6).toLowerCase(Locale.ROOT).equals("basic ")) {
            return null;
        }
        try {
            byte[] decoded =
                    Base64.getDecoder().decode(authorization.substring(6).strip());
            String text = new String(decoded, StandardCharsets.UTF_8);
            int colon = text.indexOf(':');
            return colon < 0 ? null : new String[] {text.substring(0, colon), text.substring(colon + 1)};
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The cache holds a digest of the header, never the credentials themselves. */
    private static String cacheKey(String authorization) {
        try {
            byte[] digest =
                    MessageDigest.getInstance("SHA-256").digest(authorization.getBytes(StandardCharsets.ISO_8859_1));
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The challenge sent with 401, naming the scheme the endpoint expects. */
    String challenge() {
        return settings.bearerAuth()
                ? "Bearer realm=\"lavametrics\""
                : "Basic realm=\"lavametrics\", charset=\"UTF-8\"";
    }
}
