package dev.lavametrics.plugin.rest;

import dev.lavametrics.plugin.catalog.Group;
import dev.lavametrics.plugin.collect.MetricCollectors;
import dev.lavametrics.plugin.collect.PlayerKey;
import dev.lavametrics.plugin.util.Json;
import dev.lavametrics.plugin.util.Survival;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.ContentCachingRequestWrapper;
import org.springframework.web.util.ContentCachingResponseWrapper;
import org.springframework.web.util.WebUtils;

/**
 * Reads the facts only request and response bodies carry: the {@code loadType} a
 * {@code GET /v4/loadtracks} answered, and the filter set and voice state a {@code PATCH} of a
 * player sends (a voice state starts the player's voice-connect clock, at the request's arrival:
 * Lavalink answers such a PATCH only once the voice websocket is open).
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

    private final boolean loads;
    private final boolean filters;
    private final boolean voice;

    /** Which groups are on is decided here, once: a disabled group's requests are never looked at. */
    public RequestBodyMetricsFilter(MetricCollectors metrics, LongSupplier nanoClock) {
        this.metrics = metrics;
        this.nanoClock = nanoClock;
        this.loads = metrics.enabled(Group.LOADS);
        this.filters = metrics.enabled(Group.FILTERS);
        this.voice = metrics.enabled(Group.VOICE);
    }

    /** The handler may finish on an async dispatch; the body is only complete then. */
    @Override
    protected boolean shouldNotFilterAsyncDispatch() {
        return false;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !loads && !filters && !voice;
    }

    /**
     * Classification runs guarded: whatever it throws (an odd container) is counted and the request goes on untouched, to get the node's own answer.
     * Exceptions from the chain itself are the node's and pass through unchanged.
     */
    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String collector = "events";
        boolean load = false;
        PlayerKey player = null;
        try {
            String method = request.getMethod();
            if (loads && "GET".equals(method)) {
                collector = "loads";
                load = path(request).equals("/v4/loadtracks");
            } else if ((filters || voice) && "PATCH".equals(method)) {
                collector = filters ? "filters" : "voice";
                Matcher matcher = PLAYER_PATH.matcher(path(request));
                if (matcher.matches()) {
                    player = playerKey(matcher.group(1), matcher.group(2));
                }
            }
        } catch (Throwable e) {
            metrics.health().recordError(collector, Survival.survive(e));
            load = false;
            player = null;
        }
        if (load) {
            timeLoad(request, response, chain);
        } else if (player != null) {
            watchPlayerPatch(request, response, chain, player);
        } else {
            chain.doFilter(request, response);
        }
    }

    /**
     * The player a PATCH names, or null when its guild id does not fit a long: Lavalink binds
     * {@code guildId} as a {@code Long} and answers such a request 400 itself, so no player can
     * change. That is the client's mistake, not ours: it is not counted in
     * {@code lavametrics_collector_errors_total}, which the shipped alert pages on.
     */
    private static PlayerKey playerKey(String sessionId, String guildDigits) {
        try {
            return new PlayerKey(sessionId, Long.parseLong(guildDigits));
        } catch (NumberFormatException outOfRange) {
            return null;
        }
    }

    private static String path(HttpServletRequest request) {
        return request.getRequestURI().substring(request.getContextPath().length());
    }

    private void timeLoad(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        ContentCachingResponseWrapper cached;
        try {
            if (request.getAttribute(START_ATTRIBUTE) == null) {
                request.setAttribute(START_ATTRIBUTE, nanoClock.getAsLong());
            }
            cached = WebUtils.getNativeResponse(response, ContentCachingResponseWrapper.class);
            if (cached == null) {
                cached = new ContentCachingResponseWrapper(response);
            }
        } catch (Throwable e) {
            metrics.health().recordError("loads", Survival.survive(e));
            chain.doFilter(request, response);
            return;
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
            metrics.loads.loaded(LoadTypeReader.read(response), (nanoClock.getAsLong() - start) / 1e9);
        } catch (Throwable e) {
            metrics.health().recordError("loads", Survival.survive(e));
        }
    }

    private void watchPlayerPatch(
            HttpServletRequest request, HttpServletResponse response, FilterChain chain, PlayerKey player)
            throws ServletException, IOException {
        long arrived = nanoClock.getAsLong();
        ContentCachingRequestWrapper cached;
        try {
            cached = WebUtils.getNativeRequest(request, ContentCachingRequestWrapper.class);
            if (cached == null) {
                cached = new ContentCachingRequestWrapper(request, REQUEST_CACHE_LIMIT);
            }
        } catch (Throwable e) {
            metrics.health().recordError("filters", Survival.survive(e));
            chain.doFilter(request, response);
            return;
        }
        chain.doFilter(cached, response);
        if (!isAsyncStarted(cached)) {
            recordPlayerPatch(cached, response, player, arrived);
        }
    }

    private void recordPlayerPatch(
            ContentCachingRequestWrapper request, HttpServletResponse response, PlayerKey player, long arrived) {
        String collector = filters ? "filters" : "voice";
        try {
            if (!successful(response.getStatus())) {
                return;
            }
            Object body = Json.parse(new String(request.getContentAsByteArray(), StandardCharsets.UTF_8));
            if (!(body instanceof Map<?, ?> root)) {
                return;
            }
            // Without a filters key the PATCH leaves the filters as they were.
            if (filters && root.get("filters") instanceof Map<?, ?> set) {
                metrics.filters.filtersSet(player, activeFilters(set));
            }
            collector = "voice";
            if (voice && root.get("voice") instanceof Map<?, ?> state) {
                metrics.voice.voiceUpdated(player, arrived, voiceStateDigest(state));
            }
        } catch (Throwable e) {
            metrics.health().recordError(collector, Survival.survive(e));
        }
    }

    /** The voice state's fields as one number to compare with the next; the token is kept nowhere. */
    private static int voiceStateDigest(Map<?, ?> state) {
        return Objects.hash(state.get("endpoint"), state.get("sessionId"), state.get("token"), state.get("channelId"));
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
