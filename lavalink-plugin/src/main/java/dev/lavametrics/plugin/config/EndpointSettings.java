package dev.lavametrics.plugin.config;

import java.util.List;

/**
 * The own metrics endpoint as it will run. At most one of basic auth (username + password) and
 * bearer token is set; with neither, only the allowlist guards it.
 */
public record EndpointSettings(boolean enabled, String host, int port, String path, String username,
                               String password, String bearerToken, List<Cidr> allow) {

    public boolean basicAuth() {
        return username != null;
    }

    public boolean bearerAuth() {
        return bearerToken != null;
    }

    /** Without the secrets, should the settings ever end up in a log or an error message. */
    @Override
    public String toString() {
        return "EndpointSettings[enabled=" + enabled + ", host=" + host + ", port=" + port + ", path=" + path
                + ", username=" + username + ", password=" + (password == null ? null : LogSafe.MASK)
                + ", bearerToken=" + (bearerToken == null ? null : LogSafe.MASK) + ", allow=" + allow + "]";
    }
}
