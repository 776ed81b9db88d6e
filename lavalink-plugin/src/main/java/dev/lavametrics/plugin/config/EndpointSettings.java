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
}
