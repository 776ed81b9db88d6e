package dev.lavametrics.plugin.config;

import java.util.List;

/**
 * The own metrics endpoint as it will run. At most one source of credentials is set: basic auth
 * (username + password or passwordFile), a bearer token (or tokenFile), or an exporter-toolkit
 * web config file; with none, only the allowlist guards it. Files are named here and read when
 * the endpoint starts.
 */
public record EndpointSettings(
        boolean enabled,
        String host,
        int port,
        String path,
        String username,
        String password,
        String bearerToken,
        List<Cidr> allow,
        String passwordFile,
        String bearerTokenFile,
        String webConfigFile) {

    /** Credentials given in the config itself (the simple path), no files. */
    public EndpointSettings(
            boolean enabled,
            String host,
            int port,
            String path,
            String username,
            String password,
            String bearerToken,
            List<Cidr> allow) {
        this(enabled, host, port, path, username, password, bearerToken, allow, null, null, null);
    }

    public boolean basicAuth() {
        return username != null;
    }

    public boolean bearerAuth() {
        return bearerToken != null || bearerTokenFile != null;
    }

    /** Without the secrets, should the settings ever end up in a log or an error message. */
    @Override
    public String toString() {
        return "EndpointSettings[enabled=" + enabled + ", host=" + host + ", port=" + port + ", path=" + path
                + ", username=" + username + ", password=" + (password == null ? null : LogSafe.MASK)
                + ", bearerToken=" + (bearerToken == null ? null : LogSafe.MASK) + ", allow=" + allow
                + ", passwordFile=" + passwordFile + ", bearerTokenFile=" + bearerTokenFile
                + ", webConfigFile=" + webConfigFile + "]";
    }
}
