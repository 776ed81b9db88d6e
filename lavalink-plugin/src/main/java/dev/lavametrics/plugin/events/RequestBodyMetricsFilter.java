package dev.lavametrics.plugin.events;

import dev.lavametrics.plugin.catalog.Group;
import dev.lavametrics.plugin.collect.MetricCollectors;
import dev.lavametrics.plugin.collect.PlayerKey;
import dev.lavametrics.plugin.util.Json;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.ContentCachingRequestWrapper;
import org.springframework.web.util.ContentCachingResponseWrapper;
import org.springframework.web.util.WebUtils;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the two facts only request and response bodies carry: the {@code loadType} a
 * {@code GET /v4/loadtracks} answered, and the filter set a {@code PATCH} of a player sends.
 * Bodies are cached while the real handler reads or writes them and inspected afterwards, so
 * the handler sees the request unchanged. Anything that goes wrong here is counted and the
 * request passes through untouched.
 */
public final class RequestBodyMetricsFilter extends OncePerRequestFilter {
    private static final String START_ATTRIBUTE = RequestBodyMetricsFilter.class.getName() + ".start";
    private static final Pattern PLAYER_PATH = Pattern.compile("/v4/sessions/([^/]+)/players/(\\d+)");
    /** Filter bodies are small; a larger body is not cached beyond this and fails to parse (counted). */
    private static final int REQUEST_CACHE_LIMIT = 64 * 1024;

    private final MetricCollectors metrics;
    private final LongSupplier nanoClock;

    public RequestBodyMetricsFilter(MetricCollectors metrics, LongSupplier nanoClock) {
        this.metrics = metrics;
        this.nanoClock = nanoClock;
    }

    /** The handler may finish on an async dispatch; the body is only complete then. */
    @Override
    protected boolean shouldNotFilterAsyncDispatch() {
        return false;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        if ("GET".equals(request.getMethod()) && path.equals("/v4/loadtracks") && metrics.enabled(Group.LOADS)) {
            timeLoad(request, response, chain);
            return;
        }
        Matcher player = PLAYER_PATH.matcher(path);
        if ("PATCH".equals(request.getMethod()) && player.matches() && metrics.enabled(Group.FILTERS)) {
            watchFilters(request, response, chain, new PlayerKey(player.group(1), Long.parseLong(player.group(2))));
            return;
        }
        chain.doFilter(request, response);
    }

    private void timeLoad(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (request.getAttribute(START_ATTRIBUTE) == null) {
            request.setAttribute(START_ATTRIBUTE, nanoClock.getAsLong());
        }
        ContentCachingResponseWrapper cached = WebUtils.getNativeResponse(response, ContentCachingResponseWrapper.class);
        if (cached == null) {
            cached = new ContentCachingResponseWrapper(response);
        }
        boolean handled = false;
        try {
            chain.doFilter(request, cached);
            handled = true;
        } finally {
            if (!isAsyncStarted(request)) {
                if (handled) {
                    recordLoad(request, cached);
                }
                cached.copyBodyToResponse();
            }
        }
    }

    private void recordLoad(HttpServletRequest request, ContentCachingResponseWrapper response) {
        try {
            if (!successful(response.getStatus()) || !(request.getAttribute(START_ATTRIBUTE) instanceof Long start)) {
                return;
            }
            Object body = Json.parse(new String(response.getContentAsByteArray(), StandardCharsets.UTF_8));
            Object loadType = body instanceof Map<?, ?> root ? root.get("loadType") : null;
            metrics.loads.loaded(loadType == null ? null : loadType.toString(), (nanoClock.getAsLong() - start) / 1e9);
        } catch (RuntimeException e) {
            metrics.health().recordError("loads", e);
        }
    }

    private void watchFilters(HttpServletRequest request, HttpServletResponse response, FilterChain chain,
                              PlayerKey player) throws ServletException, IOException {
        ContentCachingRequestWrapper cached = WebUtils.getNativeRequest(request, ContentCachingRequestWrapper.class);
        if (cached == null) {
            cached = new ContentCachingRequestWrapper(request, REQUEST_CACHE_LIMIT);
        }
        chain.doFilter(cached, response);
        if (!isAsyncStarted(cached)) {
            recordFilters(cached, response, player);
        }
    }

    private void recordFilters(ContentCachingRequestWrapper request, HttpServletResponse response, PlayerKey player) {
        try {
            if (!successful(response.getStatus())) {
                return;
            }
            Object body = Json.parse(new String(request.getContentAsByteArray(), StandardCharsets.UTF_8));
            // Without a filters key the PATCH leaves the filters as they were.
            if (body instanceof Map<?, ?> root && root.get("filters") instanceof Map<?, ?> filters) {
                metrics.filters.filtersSet(player, activeFilters(filters));
            }
        } catch (RuntimeException e) {
            metrics.health().recordError("filters", e);
        }
    }

    private static Collection<String> activeFilters(Map<?, ?> filters) {
        List<String> active = new ArrayList<>();
        for (Map.Entry<?, ?> entry : filters.entrySet()) {
            Object value = entry.getValue();
            boolean set = value != null
                    && !(value instanceof Map<?, ?> map && map.isEmpty())
                    && !(value instanceof List<?> list && list.isEmpty());
            if (set) {
                String key = entry.getKey().toString();
                active.add(key.equals("pluginFilters") ? "plugin" : key);
            }
        }
        return active;
    }

    private static boolean successful(int status) {
        return status >= 200 && status < 300;
    }
}
