package dev.lavametrics.standin;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.http.server.ServletServerHttpRequest;
import org.springframework.http.server.ServletServerHttpResponse;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.server.HandshakeInterceptor;

/**
 * Lavalink's request authorization: every request except the (explicitly configured) metrics
 * endpoint and {@code /error} needs the header {@code Authorization: <password>} exactly.
 * REST: missing → 401, wrong → 403 ({@code RequestAuthorizationFilter.kt}); the websocket
 * handshake: either → 401 ({@code HandshakeInterceptorImpl.kt}). No body in any case: Lavalink only
 * sets the status (measured on 4.1.2: {@code Content-Length: 0}).
 *
 * <p>It is a Spring MVC {@link HandlerInterceptor}, as Lavalink 4's {@code RequestAuthorizationFilter}
 * is, not a servlet filter: on a real node plugins' servlet filters run around rejected requests and see
 * their 401/403, and a stand-in that rejected them before the filter chain would hide exactly that from
 * plugin tests. {@link WebConfig} registers it ahead of the plugins' {@code RestInterceptor}s.
 *
 * <p>MVC interceptors do not run for the websocket handler mapping, so the check is also a
 * {@link HandshakeInterceptor} on {@code /v4/websocket} (registered before the User-Id check).
 */
public class AuthInterceptor implements HandlerInterceptor, HandshakeInterceptor {
    private static final Logger log = LoggerFactory.getLogger(AuthInterceptor.class);
    private final NodeSettings settings;

    public AuthInterceptor(NodeSettings settings) {
        this.settings = settings;
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        return authorize(request, response, HttpServletResponse.SC_FORBIDDEN);
    }

    @Override
    public boolean beforeHandshake(
            ServerHttpRequest request,
            ServerHttpResponse response,
            WebSocketHandler wsHandler,
            Map<String, Object> attributes) {
        // the websocket endpoint is always served by the servlet stack here
        return authorize(
                ((ServletServerHttpRequest) request).getServletRequest(),
                ((ServletServerHttpResponse) response).getServletResponse(),
                HttpServletResponse.SC_UNAUTHORIZED);
    }

    @Override
    public void afterHandshake(
            ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler wsHandler, Exception exception) {}

    /**
     * True when the request may proceed; otherwise only the status is set (401 without the header,
     * {@code wrongStatus} with a wrong one). Never {@code sendError}: an error dispatch to {@code /error}
     * would run the plugins' RestInterceptors on a second, made-up request that a real node never has.
     */
    boolean authorize(HttpServletRequest request, HttpServletResponse response, int wrongStatus) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        if (path.equals("/error") || (settings.isMetricsAnonymous() && path.equals(settings.getPrometheusEndpoint()))) {
            return true;
        }
        String expected = settings.getPassword();
        String given = request.getHeader("Authorization");
        if (given == null) {
            log.warn("Authorization missing for {} on {} {}", request.getRemoteAddr(), request.getMethod(), path);
            response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
            return false;
        }
        if (expected == null || !expected.equals(given)) {
            log.warn("Authorization failed for {} on {} {}", request.getRemoteAddr(), request.getMethod(), path);
            response.setStatus(wrongStatus);
            return false;
        }
        return true;
    }
}
