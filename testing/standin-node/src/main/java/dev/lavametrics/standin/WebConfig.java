package dev.lavametrics.standin;

import dev.arbjerg.lavalink.api.RestInterceptor;
import jakarta.servlet.FilterChain;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.web.error.ErrorAttributeOptions;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.servlet.error.DefaultErrorAttributes;
import org.springframework.boot.web.servlet.error.ErrorAttributes;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.context.request.RequestAttributes;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketHandlerRegistry;

/** Authorization and MVC interceptors from plugins, the websocket endpoint, the API version header and the error body shape. */
@Configuration(proxyBeanMethods = false)
@EnableWebSocket
public class WebConfig implements WebMvcConfigurer, WebSocketConfigurer {
    private static final Logger log = LoggerFactory.getLogger(WebConfig.class);

    private final ObjectProvider<RestInterceptor> interceptors;
    private final SocketServer socketServer;
    private final AuthInterceptor auth;

    public WebConfig(ObjectProvider<RestInterceptor> interceptors, SocketServer socketServer, NodeSettings settings) {
        this.interceptors = interceptors;
        this.socketServer = socketServer;
        this.auth = new AuthInterceptor(settings);
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        // Authorization first, then the plugins' interceptors: a rejected request never reaches them
        // (the registry orders by order, then by registration; the explicit order keeps it first).
        registry.addInterceptor(auth).order(Ordered.HIGHEST_PRECEDENCE);
        interceptors.orderedStream().forEach(i -> {
            log.info("Registering RestInterceptor {}", i.getClass().getName());
            registry.addInterceptor(i);
        });
    }

    @Override
    public void registerWebSocketHandlers(WebSocketHandlerRegistry registry) {
        registry.addHandler(socketServer, "/v4/websocket")
                .addInterceptors(auth, socketServer)
                .setAllowedOriginPatterns("*");
    }

    /** Lavalink (ResponseHeaderFilter) puts {@code Lavalink-Api-Version: 4} on every response, rejected ones included. */
    @Bean
    public FilterRegistrationBean<OncePerRequestFilter> apiVersionHeaderFilter() {
        FilterRegistrationBean<OncePerRequestFilter> reg = new FilterRegistrationBean<>(new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                    throws jakarta.servlet.ServletException, java.io.IOException {
                response.setHeader("Lavalink-Api-Version", "4");
                chain.doFilter(request, response);
            }
        });
        reg.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        reg.addUrlPatterns("/*");
        reg.setName("lavalinkApiVersionHeader");
        return reg;
    }

    /**
     * Error bodies as Lavalink 4 answers (Spring Boot's error attributes, kept by
     * {@code server.error.include-message: ALWAYS} in its application.yml): {timestamp (epoch ms),
     * status, error, [trace], message, path}. The message is the one the error was sent with (a
     * {@code ResponseStatusException}'s reason, "Session not found"), else the reason phrase: Lavalink's
     * Undertow turns a bare {@code sendError(400)}, e.g. for a body that does not deserialize, into
     * {@code "message":"Bad Request"} (measured on 4.1.2 and 4.2.2), never the exception's text; an
     * exception nothing resolved is a 500 with the exception's message.
     */
    @Bean
    public ErrorAttributes errorAttributes() {
        return new DefaultErrorAttributes() {
            @Override
            public Map<String, Object> getErrorAttributes(WebRequest webRequest, ErrorAttributeOptions options) {
                Map<String, Object> base =
                        super.getErrorAttributes(webRequest, options.excluding(ErrorAttributeOptions.Include.MESSAGE));
                Object sent = webRequest.getAttribute(RequestDispatcher.ERROR_MESSAGE, RequestAttributes.SCOPE_REQUEST);
                // an exception no handler resolved reached the container: Undertow reports its message
                // ("Request processing failed: java.lang.NumberFormatException: ..."), Tomcat does not
                Object unhandled =
                        webRequest.getAttribute(RequestDispatcher.ERROR_EXCEPTION, RequestAttributes.SCOPE_REQUEST);
                if ((sent == null || "".equals(sent)) && unhandled instanceof Throwable t) {
                    sent = t.getMessage();
                }
                return errorBody(base.get("status"), base.get("error"), base.get("trace"), sent, base.get("path"));
            }
        };
    }

    /** The one error body shape: {timestamp, status, error, [trace], message, path}; no message → {@code error}. */
    static Map<String, Object> errorBody(Object status, Object error, Object trace, Object message, Object path) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("timestamp", System.currentTimeMillis());
        out.put("status", status);
        out.put("error", error);
        if (trace != null) {
            out.put("trace", trace);
        }
        out.put(
                "message",
                message == null || "".equals(message) || "No message available".equals(message) ? error : message);
        out.put("path", path);
        return out;
    }
}
