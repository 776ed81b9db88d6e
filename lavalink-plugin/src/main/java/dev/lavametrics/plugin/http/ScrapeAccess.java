package dev.lavametrics.plugin.http;

import dev.lavametrics.plugin.config.Cidr;
import dev.lavametrics.plugin.config.EndpointSettings;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

/** Who may scrape the own endpoint: the address allowlist first, then basic or bearer credentials. */
final class ScrapeAccess {
    enum Decision { ALLOWED, FORBIDDEN, UNAUTHORIZED }

    private final EndpointSettings settings;
    private final byte[] expectedAuthorization;

    ScrapeAccess(EndpointSettings settings) {
        this.settings = settings;
        String expected = null;
        if (settings.basicAuth()) {
            String credentials = settings.username() + ":" + settings.password();
            expected = "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8));
        } else if (settings.bearerAuth()) {
            expected = "Bearer " + settings.bearerToken();
        }
        expectedAuthorization = expected == null ? null : expected.getBytes(StandardCharsets.UTF_8);
    }

    Decision decide(InetAddress client, String authorization) {
        if (!allowed(client)) {
            return Decision.FORBIDDEN;
        }
        if (expectedAuthorization == null) {
            return Decision.ALLOWED;
        }
        byte[] given = authorization == null ? new byte[0] : authorization.getBytes(StandardCharsets.UTF_8);
        // Constant-time, so response timing does not reveal how much of a guess was right.
        return MessageDigest.isEqual(given, expectedAuthorization) ? Decision.ALLOWED : Decision.UNAUTHORIZED;
    }

    private boolean allowed(InetAddress client) {
        for (Cidr network : settings.allow()) {
            if (network.contains(client)) {
                return true;
            }
        }
        return false;
    }

    /** The challenge sent with 401, naming the scheme the endpoint expects. */
    String challenge() {
        return settings.bearerAuth() ? "Bearer realm=\"lavametrics\"" : "Basic realm=\"lavametrics\", charset=\"UTF-8\"";
    }
}
