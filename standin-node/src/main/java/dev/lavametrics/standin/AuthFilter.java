package dev.lavametrics.standin;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Lavalink's request authorization: every request except the (explicitly configured) metrics
 * endpoint and {@code /error} needs the header {@code Authorization: <password>} exactly.
 * Missing → 401, wrong → 403. Applies to the websocket upgrade too.
 */
public class AuthFilter extends OncePerRequestFilter {
    private static final Logger log = LoggerFactory.getLogger(AuthFilter.class);
    private final NodeSettings settings;

    public AuthFilter(NodeSettings settings) {
        this.settings = settings;
    }

    @Override
    protected boolean shouldNotFilterErrorDispatch() {
        return true;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        response.setHeader("Lavalink-Api-Version", "4");
        if (path.equals("/error") || (settings.isMetricsAnonymous() && path.equals(settings.getPrometheusEndpoint()))) {
            chain.doFilter(request, response);
            return;
        }
        String expected = settings.getPassword();
        String given = request.getHeader("Authorization");
        if (given == null) {
            log.warn("Authorization missing for {} on {} {}", request.getRemoteAddr(), request.getMethod(), path);
            reject(response, 401, "Unauthorized", path);
            return;
        }
        if (expected == null || !expected.equals(given)) {
            log.warn("Authorization failed for {} on {} {}", request.getRemoteAddr(), request.getMethod(), path);
            reject(response, 403, "Forbidden", path);
            return;
        }
        chain.doFilter(request, response);
    }

    private static void reject(HttpServletResponse response, int status, String error, String path) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        String body = "{\"timestamp\":" + System.currentTimeMillis() + ",\"status\":" + status + ",\"error\":\""
                + error + "\",\"message\":\"" + error + "\",\"path\":\"" + Json.escape(path) + "\"}";
        response.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
    }
}
