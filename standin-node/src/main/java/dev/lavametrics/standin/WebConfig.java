package dev.lavametrics.standin;

import dev.arbjerg.lavalink.api.RestInterceptor;
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
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketHandlerRegistry;

import java.util.LinkedHashMap;
import java.util.Map;

/** MVC interceptors from plugins, the websocket endpoint, authorization and the error body shape. */
@Configuration(proxyBeanMethods = false)
@EnableWebSocket
public class WebConfig implements WebMvcConfigurer, WebSocketConfigurer {
    private static final Logger log = LoggerFactory.getLogger(WebConfig.class);

    private final ObjectProvider<RestInterceptor> interceptors;
    private final SocketServer socketServer;

    public WebConfig(ObjectProvider<RestInterceptor> interceptors, SocketServer socketServer) {
        this.interceptors = interceptors;
        this.socketServer = socketServer;
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        interceptors.orderedStream().forEach(i -> {
            log.info("Registering RestInterceptor {}", i.getClass().getName());
            registry.addInterceptor(i);
        });
    }

    @Override
    public void registerWebSocketHandlers(WebSocketHandlerRegistry registry) {
        registry.addHandler(socketServer, "/v4/websocket")
                .addInterceptors(socketServer)
                .setAllowedOriginPatterns("*");
    }

    @Bean
    public FilterRegistrationBean<AuthFilter> authFilterRegistration(NodeSettings settings) {
        FilterRegistrationBean<AuthFilter> reg = new FilterRegistrationBean<>(new AuthFilter(settings));
        reg.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        reg.addUrlPatterns("/*");
        reg.setName("lavalinkAuthFilter");
        return reg;
    }

    /** Error bodies in Lavalink v4 style: {timestamp (epoch ms), status, error, message, path}. */
    @Bean
    public ErrorAttributes errorAttributes() {
        return new DefaultErrorAttributes() {
            @Override
            public Map<String, Object> getErrorAttributes(WebRequest webRequest, ErrorAttributeOptions options) {
                Map<String, Object> base = super.getErrorAttributes(webRequest,
                        options.including(ErrorAttributeOptions.Include.MESSAGE));
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("timestamp", System.currentTimeMillis());
                out.put("status", base.get("status"));
                out.put("error", base.get("error"));
                if (base.containsKey("trace")) {
                    out.put("trace", base.get("trace"));
                }
                Object message = base.get("message");
                out.put("message", message == null || "".equals(message) || "No message available".equals(message)
                        ? base.get("error") : message);
                out.put("path", base.get("path"));
                return out;
            }
        };
    }
}
