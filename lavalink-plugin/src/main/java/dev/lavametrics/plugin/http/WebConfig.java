package dev.lavametrics.plugin.http;

import dev.lavametrics.plugin.config.LogSafe;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The exporter-toolkit web configuration file ({@code endpoint.webConfigFile}), the format
 * {@code lavametrics serve --web.config.file} and node_exporter read. The plugin's endpoint
 * supports its {@code basic_auth_users} (user to bcrypt hash). Everything else the toolkit
 * knows ({@code tls_server_config}, {@code http_server_config}, {@code rate_limit}) is refused
 * with a message saying so, rather than ignored: a file that asks for TLS must not leave the
 * endpoint serving plain HTTP. Errors name the file and the field, never a hash.
 */
final class WebConfig {
    private static final int MAX_BYTES = 64 * 1024;
    /** What the toolkit (Go's bcrypt) and htpasswd write: $2a$, $2b$ or $2y$, a two-digit cost, 53 characters. */
    private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$(0[4-9]|[12][0-9]|3[01])\\$[./A-Za-z0-9]{53}");

    /** The file cannot be used; the message names the file and the field, and holds no secret. */
    static final class Invalid extends Exception {
        Invalid(String message) {
            super(message, null, false, false);
        }
    }

    /** User name to bcrypt hash, in file order; empty when the file has no {@code basic_auth_users}. */
    final Map<String, String> users;

    private WebConfig(Map<String, String> users) {
        this.users = users;
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
        for (Map.Entry<?, ?> entry : root.entrySet()) {
            String field = String.valueOf(entry.getKey());
            switch (field) {
                case "basic_auth_users" -> users = users(name, entry.getValue());
                case "tls_server_config", "http_server_config", "rate_limit" -> throw new Invalid(name + ": "
                        + LogSafe.text(field) + ": not supported by the plugin's endpoint (only basic_auth_users);"
                        + " terminate TLS in front of it, or scrape through lavametrics serve");
                default -> throw new Invalid(name + ": " + LogSafe.text(field)
                        + ": unknown field (allowed: basic_auth_users)");
            }
        }
        if (users.isEmpty()) {
            throw new Invalid(name + ": basic_auth_users: must list at least one user");
        }
        return new WebConfig(Map.copyOf(users));
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
            if (!(entry.getValue() instanceof String hash) || !BCRYPT.matcher(hash).matches()) {
                throw new Invalid(name + ": basic_auth_users." + LogSafe.text(user)
                        + ": must be a bcrypt hash ($2a$, $2b$ or $2y$, cost 04..31), not a password");
            }
            users.put(user, hash);
        }
        return users;
    }
}
