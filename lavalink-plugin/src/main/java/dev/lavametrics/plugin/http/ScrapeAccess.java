package dev.lavametrics.plugin.http;

import dev.lavametrics.plugin.config.Cidr;
import dev.lavametrics.plugin.config.EndpointSettings;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

/** Who may scrape the own endpoint: the address allowlist first, then basic or bearer credentials. */
final class ScrapeAccess {
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
     * Whether {@code authorization} (the header as received, its octets as ISO-8859-1 chars, or
     * null) carries the configured credentials; true when none are configured.
     */
    boolean authorized(String authorization) {
        if (expectedAuthorization == null) {
            return true;
        }
        byte[] given = authorization == null ? new byte[0] : authorization.getBytes(StandardCharsets.ISO_8859_1);
        // Constant-time, so response timing does not reveal how much of a guess was right.
        return MessageDigest.isEqual(given, expectedAuthorization);
    }

    /** The challenge sent with 401, naming the scheme the endpoint expects. */
    String challenge() {
        return settings.bearerAuth() ? "Bearer realm=\"lavametrics\"" : "Basic realm=\"lavametrics\", charset=\"UTF-8\"";
    }
}
