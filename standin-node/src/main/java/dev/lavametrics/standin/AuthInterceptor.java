package dev.lavametrics.standin;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.http.server.ServletServerHttpRequest;
import org.springframework.http.server.ServletServerHttpResponse;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.socket.WebSocketHandler;
import org.springframework.web.socket.server.HandshakeInterceptor;

import java.io.IOException;
import java.util.Map;

/**
 * Lavalink's request authorization: every request except the (explicitly configured) metrics
 * endpoint and {@code /error} needs the header {@code Authorization: <password>} exactly.
 * Missing → 401, wrong → 403, with a JSON error body.
 *
 * <p>It is a Spring MVC {@link HandlerInterceptor}, as Lavalink 4's {@code RequestAuthorizationFilter}
 * is, not a servlet filter: on a real node plugins' servlet filters run around rejected requests and see
 * their 401/403, and a stand-in that rejected them before the filter chain would hide exactly that from
 * plugin tests. {@link WebConfig} registers it ahead of the plugins' {@code RestInterceptor}s.
 *
 * <p>MVC interceptors do not run for the websocket handler mapping, so the same check is also a
 * {@link HandshakeInterceptor} on {@code /v4/websocket} (registered before the User-Id check).
 */
public class AuthInterceptor implements HandlerInterceptor, HandshakeInterceptor {
    private static final Logger log = LoggerFactory.getLogger(AuthInterceptor.class);
    private final NodeSettings settings;
    private final ObjectMapper mapper;

    public AuthInterceptor(NodeSettings settings, ObjectMapper mapper) {
        this.settings = settings;
        this.mapper = mapper;
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler)
            throws IOException {
        return authorize(request, response);
    }

    @Override
    public boolean beforeHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler wsHandler,
                                   Map<String, Object> attributes) throws IOException {
        // the websocket endpoint is always served by the servlet stack here
        return authorize(((ServletServerHttpRequest) request).getServletRequest(),
                ((ServletServerHttpResponse) response).getServletResponse());
    }

    @Override
    public void afterHandshake(ServerHttpRequest request, ServerHttpResponse response, WebSocketHandler wsHandler,
                               Exception exception) {
    }

    /** True when the request may proceed; otherwise the 401/403 response has been written. */
    boolean authorize(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        if (path.equals("/error") || (settings.isMetricsAnonymous() && path.equals(settings.getPrometheusEndpoint()))) {
            return true;
        }
        String expected = settings.getPassword();
        String given = request.getHeader("Authorization");
        if (given == null) {
            log.warn("Authorization missing for {} on {} {}", request.getRemoteAddr(), request.getMethod(), path);
            reject(response, HttpServletResponse.SC_UNAUTHORIZED, "Unauthorized", path);
            return false;
        }
        if (expected == null || !expected.equals(given)) {
            log.warn("Authorization failed for {} on {} {}", request.getRemoteAddr(), request.getMethod(), path);
            reject(response, HttpServletResponse.SC_FORBIDDEN, "Forbidden", path);
            return false;
        }
        return true;
    }

    /**
     * Writes the body directly rather than through {@code sendError}: an error dispatch to {@code /error}
     * would run the plugins' RestInterceptors on a second, made-up request that a real node (which
     * only sets the status) never has. The body is the one {@link WebConfig#errorBody} gives every error.
     */
    private void reject(HttpServletResponse response, int status, String error, String path) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        // bytes, not writeValue(stream): Jackson would close the stream and commit the response before the
        // servlet filters around this request have finished
        response.getOutputStream().write(mapper.writeValueAsBytes(WebConfig.errorBody(status, error, null, null, path)));
    }
}
