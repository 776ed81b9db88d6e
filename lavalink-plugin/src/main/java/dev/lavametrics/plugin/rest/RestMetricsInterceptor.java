package dev.lavametrics.plugin.rest;

import dev.arbjerg.lavalink.api.RestInterceptor;
import dev.lavametrics.plugin.collect.CollectorHealth;
import dev.lavametrics.plugin.collect.RestCollector;
import dev.lavametrics.plugin.util.Survival;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.function.LongSupplier;
import org.springframework.web.servlet.HandlerMapping;

/**
 * Times every REST call Lavalink handles. The route label is Spring's matched handler pattern,
 * never the raw path (which carries session and guild ids).
 *
 * <p>Only built when the {@code rest} group is on (see {@code LavametricsPlugin}), so a node that
 * does not export it pays nothing per request.
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
            // Tomcat re-dispatches an error response to /error through this interceptor again;
            // that is the same request, already counted under its real route.
            if (request.getDispatcherType() == DispatcherType.ERROR) {
                return true;
            }
            // An async request passes here twice; keep the first start.
            if (request.getAttribute(START_ATTRIBUTE) == null) {
                request.setAttribute(START_ATTRIBUTE, nanoClock.getAsLong());
            }
        } catch (Throwable e) {
            health.recordError(COLLECTOR, Survival.survive(e));
        }
        return true;
    }

    @Override
    public void afterCompletion(
            HttpServletRequest request, HttpServletResponse response, Object handler, Exception ex) {
        try {
            if (request.getDispatcherType() == DispatcherType.ERROR
                    || !(request.getAttribute(START_ATTRIBUTE) instanceof Long start)) {
                return;
            }
            // Recorded once: no later dispatch of this request may find a start and count again.
            request.removeAttribute(START_ATTRIBUTE);
            int status = response.getStatus();
            if (ex != null && status < 400) {
                status = 500;
            }
            Object route = request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
            rest.handled(
                    route == null ? null : route.toString(),
                    request.getMethod(),
                    status,
                    (nanoClock.getAsLong() - start) / 1e9);
        } catch (Throwable e) {
            health.recordError(COLLECTOR, Survival.survive(e));
        }
    }
}
