package dev.lavametrics.plugin.events;

import dev.arbjerg.lavalink.api.RestInterceptor;
import dev.lavametrics.plugin.collect.RestCollector;
import dev.lavametrics.plugin.collect.CollectorHealth;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.web.servlet.HandlerMapping;

import java.util.function.LongSupplier;

/**
 * Times every REST call Lavalink handles. The route label is Spring's matched handler pattern,
 * never the raw path (which carries session and guild ids).
 */
public final class RestMetricsInterceptor implements RestInterceptor {
    private static final String START_ATTRIBUTE = RestMetricsInterceptor.class.getName() + ".start";
    private static final String COLLECTOR = "rest";

    private final RestCollector rest;
    private final CollectorHealth health;
    private final LongSupplier nanoClock;

    public RestMetricsInterceptor(RestCollector rest, CollectorHealth health, LongSupplier nanoClock) {
        this.rest = rest;
        this.health = health;
        this.nanoClock = nanoClock;
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        try {
            // An async request passes here twice; keep the first start.
            if (request.getAttribute(START_ATTRIBUTE) == null) {
                request.setAttribute(START_ATTRIBUTE, nanoClock.getAsLong());
            }
        } catch (RuntimeException e) {
            health.recordError(COLLECTOR, e);
        }
        return true;
    }

    @Override
    public void afterCompletion(HttpServletRequest request, HttpServletResponse response, Object handler,
                                Exception ex) {
        try {
            if (!(request.getAttribute(START_ATTRIBUTE) instanceof Long start)) {
                return;
            }
            int status = response.getStatus();
            if (ex != null && status < 400) {
                status = 500;
            }
            Object route = request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
            rest.handled(route == null ? null : route.toString(), request.getMethod(), status,
                    (nanoClock.getAsLong() - start) / 1e9);
        } catch (RuntimeException e) {
            health.recordError(COLLECTOR, e);
        }
    }
}
