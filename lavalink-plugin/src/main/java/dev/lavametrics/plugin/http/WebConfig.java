package dev.lavametrics.plugin.http;

import dev.lavametrics.plugin.config.LogSafe;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The exporter-toolkit web configuration file ({@code endpoint.webConfigFile}), the format
 * {@code lavametrics serve --web.config.file} and node_exporter read. The plugin's endpoint
 * supports {@code basic_auth_users} (user to bcrypt hash) and {@code tls_server_config} with
 * {@code cert_file}, {@code key_file}, {@code client_auth_type} ({@code NoClientCert},
 * {@code VerifyClientCertIfGiven}, {@code RequireAndVerifyClientCert}), {@code client_ca_file},
 * {@code min_version}/{@code max_version} ({@code TLS12}, {@code TLS13}) and
 * {@code prefer_server_cipher_suites}. The toolkit's other fields ({@code http_server_config},
 * {@code rate_limit}, inline {@code cert}/{@code key}/{@code client_ca}, {@code cipher_suites},
 * {@code curve_preferences}, {@code client_allowed_sans}) are refused with a message saying so,
 * rather than ignored: a file that asks for something must not leave the endpoint doing less.
 * Relative file names are relative to the web config file's directory, as in the toolkit.
 * Errors name the file and the field, never a hash or a key.
 */
final class WebConfig {
    private static final int MAX_BYTES = 64 * 1024;
    /** What the toolkit (Go's bcrypt) and htpasswd write: $2a$, $2b$ or $2y$, a two-digit cost, 53 characters. */
    private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$(0[4-9]|[12][0-9]|3[01])\\$[./A-Za-z0-9]{53}");

    private static final List<String> TLS_FIELDS = List.of(
            "cert_file",
            "key_file",
            "client_auth_type",
            "client_ca_file",
            "min_version",
            "max_version",
            "prefer_server_cipher_suites");
    /** The toolkit's other TLS fields: known, so refused as unsupported rather than as unknown. */
    private static final List<String> TLS_UNSUPPORTED =
            List.of("cert", "key", "client_ca", "client_allowed_sans", "cipher_suites", "curve_preferences");
    /** The toolkit's version names the JDK still enables, in order. */
    private static final Map<String, String> VERSIONS = Map.of("TLS12", "TLSv1.2", "TLS13", "TLSv1.3");

    /** The file cannot be used; the message names the file and the field, and holds no secret. */
    static final class Invalid extends Exception {
        Invalid(String message) {
            super(message, null, false, false);
        }
    }

    /** User name to bcrypt hash, in file order; empty when the file has no {@code basic_auth_users}. */
    final Map<String, String> users;
    /** The endpoint's TLS, or null when the file turns it off (no {@code tls_server_config} files). */
    final ServerTls tls;
    /** Every file this one names (certificates, key, client CAs), so a change to them is noticed too. */
    final List<Path> files;

    private WebConfig(Map<String, String> users, ServerTls tls, List<Path> files) {
        this.users = users;
        this.tls = tls;
        this.files = files;
    }

    static WebConfig read(Path file) throws Invalid {
        String name = LogSafe.text(file.toString());
        String text;
        try {
            if (!Files.isRegularFile(file)) {
                throw new Invalid(name + ": not a regular file");
            }
            if (Files.size(file) > MAX_BYTES) {
                throw new Invalid(name + ": larger than " + MAX_BYTES + " bytes");
            }
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            throw new Invalid(name + ": cannot be read (" + e.getClass().getSimpleName() + ")");
        }
        Object tree;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setMaxAliasesForCollections(10);
            options.setAllowDuplicateKeys(false);
            tree = new Yaml(new SafeConstructor(options)).load(text);
        } catch (RuntimeException e) {
            // SnakeYAML's messages quote the input: only the type is shown.
            throw new Invalid(name + ": not valid YAML (" + e.getClass().getSimpleName() + ")");
        }
        if (tree == null) {
            // An empty file would mean "no auth": refused, so emptying the file fails closed.
            throw new Invalid(name + ": empty; an endpoint without auth needs no webConfigFile");
        }
        if (!(tree instanceof Map<?, ?> root)) {
            throw new Invalid(name + ": must be a mapping");
        }
        Map<String, String> users = new LinkedHashMap<>();
        Map<?, ?> tlsSection = null;
        for (Map.Entry<?, ?> entry : root.entrySet()) {
            String field = String.valueOf(entry.getKey());
            switch (field) {
                case "basic_auth_users" -> users = users(name, entry.getValue());
                case "tls_server_config" -> {
                    if (!(entry.getValue() instanceof Map<?, ?> section)) {
                        throw new Invalid(name + ": tls_server_config: must be a mapping");
                    }
                    tlsSection = section;
                }
                case "http_server_config", "rate_limit" ->
                    throw new Invalid(name + ": "
                            + LogSafe.text(field) + ": not supported by the plugin's endpoint (basic_auth_users and"
                            + " tls_server_config are); scrape through lavametrics serve for it");
                default ->
                    throw new Invalid(name + ": " + LogSafe.text(field)
                            + ": unknown field (allowed: basic_auth_users, tls_server_config)");
            }
        }
        List<Path> files = new ArrayList<>();
        ServerTls tls = tlsSection == null ? null : tls(name, file, tlsSection, files);
        if (users.isEmpty() && tls == null) {
            throw new Invalid(name + ": basic_auth_users: must list at least one user (or give tls_server_config"
                    + " cert_file and key_file)");
        }
        return new WebConfig(Map.copyOf(users), tls, List.copyOf(files));
    }

    private static ServerTls tls(String name, Path file, Map<?, ?> section, List<Path> files) throws Invalid {
        String p = name + ": tls_server_config.";
        Map<String, String> values = new LinkedHashMap<>();
        Boolean prefer = null;
        for (Map.Entry<?, ?> entry : section.entrySet()) {
            String field = String.valueOf(entry.getKey());
            if (TLS_UNSUPPORTED.contains(field)) {
                throw new Invalid(p + LogSafe.text(field) + ": not supported by the plugin's endpoint (allowed: "
                        + String.join(", ", TLS_FIELDS) + ")");
            }
            if (!TLS_FIELDS.contains(field)) {
                throw new Invalid(
                        p + LogSafe.text(field) + ": unknown field (allowed: " + String.join(", ", TLS_FIELDS) + ")");
            }
            Object value = entry.getValue();
            if (value == null) {
                continue; // as in the toolkit: an empty value is the default
            }
            if (field.equals("prefer_server_cipher_suites")) {
                if (!(value instanceof Boolean b)) {
                    throw new Invalid(p + field + ": must be true or false");
                }
                prefer = b;
            } else if (!(value instanceof String text) || text.isBlank()) {
                throw new Invalid(p + field + ": must be a non-empty string");
            } else {
                values.put(field, text);
            }
        }
        // The toolkit's rule: TLS is on when a certificate, a key or client auth is named; the
        // version fields alone change nothing.
        if (!values.containsKey("cert_file")
                && !values.containsKey("key_file")
                && !values.containsKey("client_ca_file")
                && !values.containsKey("client_auth_type")) {
            return null;
        }
        if (!values.containsKey("cert_file")) {
            throw new Invalid(p + "cert_file: missing (the certificate chain, PEM)");
        }
        if (!values.containsKey("key_file")) {
            throw new Invalid(p + "key_file: missing (the private key, PEM)");
        }
        ServerTls.ClientAuth clientAuth = switch (values.getOrDefault("client_auth_type", "NoClientCert")) {
            case "NoClientCert" -> ServerTls.ClientAuth.NO_CLIENT_CERT;
            case "VerifyClientCertIfGiven" -> ServerTls.ClientAuth.VERIFY_CLIENT_CERT_IF_GIVEN;
            case "RequireAndVerifyClientCert" -> ServerTls.ClientAuth.REQUIRE_AND_VERIFY_CLIENT_CERT;
            case "RequestClientCert", "RequireAnyClientCert", "RequireClientCert" ->
                throw new Invalid(p
                        + "client_auth_type: " + LogSafe.text(values.get("client_auth_type"))
                        + " is not supported (a certificate asked for is verified): use VerifyClientCertIfGiven or"
                        + " RequireAndVerifyClientCert");
            default ->
                throw new Invalid(p + "client_auth_type: " + LogSafe.text(values.get("client_auth_type"))
                        + " is unknown (allowed: NoClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert)");
        };
        boolean hasCa = values.containsKey("client_ca_file");
        if (hasCa && clientAuth == ServerTls.ClientAuth.NO_CLIENT_CERT) {
            throw new Invalid(p + "client_ca_file: client CAs are configured without a client_auth_type");
        }
        if (!hasCa && clientAuth != ServerTls.ClientAuth.NO_CLIENT_CERT) {
            throw new Invalid(p + "client_auth_type: needs client_ca_file (the CA that signs client certificates)");
        }
        String min = values.getOrDefault("min_version", "TLS12");
        String max = values.getOrDefault("max_version", "TLS13");
        for (String[] version : new String[][] {{"min_version", min}, {"max_version", max}}) {
            if (!VERSIONS.containsKey(version[1])) {
                throw new Invalid(p + version[0] + ": " + LogSafe.text(version[1])
                        + " is not supported (allowed: TLS12," + " TLS13; the JDK disables TLS 1.0 and 1.1)");
            }
        }
        if (min.compareTo(max) > 0) {
            throw new Invalid(p + "min_version: is above max_version");
        }
        List<String> protocols = new ArrayList<>();
        for (String version : List.of("TLS12", "TLS13")) {
            if (version.compareTo(min) >= 0 && version.compareTo(max) <= 0) {
                protocols.add(VERSIONS.get(version));
            }
        }
        Path cert = resolve(file, values.get("cert_file"), p + "cert_file");
        Path key = resolve(file, values.get("key_file"), p + "key_file");
        Path ca = hasCa ? resolve(file, values.get("client_ca_file"), p + "client_ca_file") : null;
        files.add(cert);
        files.add(key);
        if (ca != null) {
            files.add(ca);
        }
        return ServerTls.load(name + ": ", cert, key, ca, clientAuth, protocols, prefer == null || prefer);
    }

    /** As the toolkit does: a relative name is relative to the web config file's directory. */
    private static Path resolve(Path webConfig, String name, String where) throws Invalid {
        try {
            Path path = Path.of(name);
            if (path.isAbsolute()) {
                return path;
            }
            Path dir = webConfig.toAbsolutePath().getParent();
            return dir == null ? path : dir.resolve(path);
        } catch (RuntimeException e) {
            throw new Invalid(where + ": not a usable path (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static Map<String, String> users(String name, Object value) throws Invalid {
        if (!(value instanceof Map<?, ?> map)) {
            throw new Invalid(name + ": basic_auth_users: must be a mapping of user names to bcrypt hashes");
        }
        Map<String, String> users = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            if (!(entry.getKey() instanceof String user) || user.isEmpty() || user.indexOf(':') >= 0) {
                throw new Invalid(name + ": basic_auth_users: user names must be non-empty strings without ':'");
            }
            if (!(entry.getValue() instanceof String hash)
                    || !BCRYPT.matcher(hash).matches()) {
                throw new Invalid(name + ": basic_auth_users." + LogSafe.text(user)
                        + ": must be a bcrypt hash ($2a$, $2b$ or $2y$, cost 04..31), not a password");
            }
            users.put(user, hash);
        }
        return users;
    }
}
