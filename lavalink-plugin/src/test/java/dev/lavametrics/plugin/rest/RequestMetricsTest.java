package dev.lavametrics.plugin.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.lavametrics.plugin.support.Messages;
import dev.lavametrics.plugin.support.TestMetrics;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.web.servlet.HandlerMapping;

/** The loads and filters collectors (servlet filter) and the rest collector (interceptor). */
class RequestMetricsTest {
    private final TestMetrics metrics = TestMetrics.allGroups();
    private final RequestBodyMetricsFilter filter =
            new RequestBodyMetricsFilter(metrics.collectors, metrics.nanos::get);

    private MockHttpServletResponse load(String loadType, int status) throws Exception {
        return loadBody("{\"loadType\":\"" + loadType + "\",\"data\":{}}", status);
    }

    private MockHttpServletResponse loadBody(String body, int status) throws Exception {
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/v4/loadtracks");
        MockHttpServletResponse response = new MockHttpServletResponse();
        filter.doFilter(request, response, new MockFilterChain(new jakarta.servlet.http.HttpServlet() {
            @Override
            protected void service(jakarta.servlet.http.HttpServletRequest req, HttpServletResponse res)
                    throws java.io.IOException {
                metrics.nanos.addAndGet(300_000_000L);
                res.setStatus(status);
                res.setContentType("application/json");
                res.getWriter().write(body);
            }
        }));
        return response;
    }

    private String patch(String path, String body) throws Exception {
        MockHttpServletRequest request = new MockHttpServletRequest("PATCH", path);
        request.setContent(body.getBytes(StandardCharsets.UTF_8));
        MockHttpServletResponse response = new MockHttpServletResponse();
        StringBuilder seen = new StringBuilder();
        filter.doFilter(request, response, new MockFilterChain(new jakarta.servlet.http.HttpServlet() {
            @Override
            protected void service(jakarta.servlet.http.HttpServletRequest req, HttpServletResponse res)
                    throws java.io.IOException {
                seen.append(new String(req.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            }
        }));
        return seen.toString();
    }

    @Test
    void loadsAreCountedAndTimedWithTheBodyPassedThrough() throws Exception {
        MockHttpServletResponse response = load("playlist", 200);
        load("search", 200);
        load("nonsense", 200);
        load("track", 401);

        assertEquals("{\"loadType\":\"playlist\",\"data\":{}}", response.getContentAsString());
        assertEquals(1, metrics.value("lavametrics_loads_total", "result", "playlist"));
        assertEquals(1, metrics.value("lavametrics_loads_total", "result", "other"));
        // a refused request is no load: its result's count stays at 0 (exported from the start)
        assertEquals(0, metrics.value("lavametrics_loads_total", "result", "track"));
        assertEquals(0.3, metrics.value("lavametrics_load_duration_seconds_sum", "result", "search"), 1e-9);
    }

    @Test
    void filtersReplaceThePlayersSetAndReachTheHandler() throws Exception {
        String body = "{\"filters\":{\"volume\":0.5,\"timescale\":{\"speed\":1.2},\"equalizer\":[],\"karaoke\":null,"
                + "\"pluginFilters\":{\"echo\":{}},\"madeUp\":{\"x\":1}}}";
        assertEquals(body, patch("/v4/sessions/abc/players/123", body));
        patch("/v4/sessions/abc/players/456", "{\"filters\":{\"timescale\":{\"pitch\":2}}}");
        patch("/v4/sessions/abc/players/456", "{\"paused\":true}");

        assertEquals(1, metrics.value("lavametrics_filter_players", "filter", "volume"));
        assertEquals(2, metrics.value("lavametrics_filter_players", "filter", "timescale"));
        assertEquals(0, metrics.value("lavametrics_filter_players", "filter", "equalizer"));
        assertEquals(0, metrics.value("lavametrics_filter_players", "filter", "karaoke"));
        assertEquals(1, metrics.value("lavametrics_filter_players", "filter", "plugin"));
        assertEquals(1, metrics.value("lavametrics_filter_players", "filter", "other"));

        patch("/v4/sessions/abc/players/123", "{\"filters\":{}}");
        assertEquals(0, metrics.value("lavametrics_filter_players", "filter", "volume"));
    }

    @Test
    void unparseableBodiesPassThroughAndAreCounted() throws Exception {
        assertEquals("{broken", patch("/v4/sessions/abc/players/123", "{broken"));
        assertEquals(1, metrics.value("lavametrics_collector_errors_total", "collector", "filters"));
    }

    @Test
    void restRequestsByRouteTemplateMethodAndStatusClass() {
        RestMetricsInterceptor interceptor =
                new RestMetricsInterceptor(metrics.collectors.rest, metrics.collectors.health(), metrics.nanos::get);
        request(interceptor, "GET", "/v4/sessions/{sessionId}/players/{guildId}", 200);
        request(interceptor, "PATCH", "/v4/sessions/{sessionId}/players/{guildId}", 404);
        request(interceptor, "OPTIONS", "/some/{plugin}/route", 204);

        assertEquals(
                1,
                metrics.value(
                        "lavametrics_rest_requests_total",
                        "route",
                        "/v4/sessions/{sessionId}/players/{guildId}",
                        "method",
                        "GET",
                        "status",
                        "2xx"));
        assertEquals(
                1,
                metrics.value(
                        "lavametrics_rest_requests_total",
                        "route",
                        "/v4/sessions/{sessionId}/players/{guildId}",
                        "method",
                        "PATCH",
                        "status",
                        "4xx"));
        assertEquals(
                1,
                metrics.value("lavametrics_rest_requests_total", "route", "other", "method", "other", "status", "2xx"));
        assertEquals(
                2,
                metrics.value(
                        "lavametrics_rest_request_duration_seconds_count",
                        "route",
                        "/v4/sessions/{sessionId}/players/{guildId}"));
        assertEquals(0.01, metrics.value("lavametrics_rest_request_duration_seconds_sum", "route", "other"), 1e-9);
    }

    @Test
    void loadTypeIsReadFromTheFirstBytesWithoutParsingTheBody() throws Exception {
        // A playlist answer can be megabytes; Lavalink writes loadType first, so the head suffices.
        // The truncated tail would fail a full parse (it did before the peek: counted as a loads error).
        MockHttpServletResponse response = loadBody("{\"loadType\":\"playlist\",\"data\":{\"info\":{\"name\":\"x", 200);
        assertEquals(1, metrics.value("lavametrics_loads_total", "result", "playlist"));
        assertEquals(0, metrics.value("lavametrics_collector_errors_total", "collector", "loads"));
        assertEquals("{\"loadType\":\"playlist\",\"data\":{\"info\":{\"name\":\"x", response.getContentAsString());
    }

    /** A load error as Lavalink 4.2.2 writes it (LoadResult.loadFailed: the whole chain's trace). */
    private static String loadError(String message, String cause, String trace) {
        return "{\"loadType\":\"error\",\"data\":{\"message\":" + Messages.quote(message)
                + ",\"severity\":\"common\",\"cause\":" + Messages.quote(cause) + ",\"causeStackTrace\":"
                + Messages.quote(trace) + "}}";
    }

    @Test
    void loadErrorsAreCountedByTheirClassifiedCause() throws Exception {
        for (String cause : dev.lavametrics.plugin.catalog.FailureCauses.NAMES) {
            assertEquals(0, metrics.value("lavametrics_load_failures_total", "cause", cause), cause);
        }
        // lavaplayer HttpAudioSourceManager on a URL answering 429
        String fe = "com.sedmelluq.discord.lavaplayer.tools.FriendlyException: That URL is not playable.";
        loadBody(
                loadError(
                        "That URL is not playable.",
                        fe,
                        fe + "\n\tat com.sedmelluq.discord.lavaplayer.source.http.HttpAudioSourceManager"
                                + ".detectContainerWithClient(HttpAudioSourceManager.java:130)\nCaused by:"
                                + " java.lang.IllegalStateException: Status code 429\n\t... 12 more\n"),
                200);
        // data before loadType, and a message nothing matches
        loadBody(
                "{\"data\":{\"message\":\"x\",\"severity\":\"fault\",\"cause\":\"y\",\"causeStackTrace\":\"\"},"
                        + "\"loadType\":\"error\"}",
                200);
        load("error", 200); // no texts at all
        assertEquals(1, metrics.value("lavametrics_load_failures_total", "cause", "rate_limited"));
        assertEquals(2, metrics.value("lavametrics_load_failures_total", "cause", "other"));
        assertEquals(3, metrics.value("lavametrics_loads_total", "result", "error"));
        load("track", 200);
        assertEquals(3.0, sumOfLoadFailures());
    }

    @Test
    void hostileLoadErrorTextsNeverReachTheExposition() throws Exception {
        String hostile = "Forbidden for 198.51.100.23 user 987654321098765432 at https://evil.example/x?id=abc";
        loadBody(loadError(hostile, "java.lang.IllegalStateException: " + hostile, hostile), 200);
        String text = metrics.exposition();
        for (String secret : java.util.List.of("198.51.100.23", "987654321098765432", "evil.example", "Forbidden")) {
            assertFalse(text.contains(secret), secret);
        }
        assertEquals(1, metrics.value("lavametrics_load_failures_total", "cause", "other"));
    }

    private double sumOfLoadFailures() {
        double sum = 0;
        for (String cause : dev.lavametrics.plugin.catalog.FailureCauses.NAMES) {
            sum += metrics.value("lavametrics_load_failures_total", "cause", cause);
        }
        return sum;
    }

    @Test
    void loadTypeNotFirstIsFoundAmongTheTopLevelKeys() throws Exception {
        loadBody("{\"data\":{\"loadType\":\"error\"},\"loadType\":\"track\"}", 200);
        loadBody(" {\n  \"loadType\" : \"search\", \"data\": []}", 200);
        loadBody("{\"data\":[{\"loadType\":\"error\"}],\"loadType\":\"tr\\u0061ck\"}", 200); // an escape
        assertEquals(2, metrics.value("lavametrics_loads_total", "result", "track"));
        assertEquals(1, metrics.value("lavametrics_loads_total", "result", "search"));
        assertEquals(0, metrics.value("lavametrics_loads_total", "result", "error"));
        assertEquals(0, metrics.value("lavametrics_collector_errors_total", "collector", "loads"));
    }

    @Test
    void anOutOfRangeGuildIdPassesThroughUntouchedAndIsNotAPluginFault() throws Exception {
        // 26 digits overflow a long: the node answers 400 itself (Lavalink binds guildId as a Long).
        // A client's bad request must neither become a 500 nor count as a collector error: operators
        // alert on lavametrics_collector_errors_total, and a client must not be able to page them.
        String body = "{\"filters\":{\"volume\":0.5}}";
        assertEquals(body, patch("/v4/sessions/abc/players/99999999999999999999999999", body));
        assertEquals(body, patch("/v4/sessions/abc/players/9223372036854775808", body)); // Long.MAX_VALUE + 1
        assertEquals(0, metrics.value("lavametrics_collector_errors_total", "collector", "filters"));
        assertEquals(0, metrics.value("lavametrics_filter_players", "filter", "volume"));
    }

    @Test
    void errorDispatchIsNotCountedAgain() {
        RestMetricsInterceptor interceptor =
                new RestMetricsInterceptor(metrics.collectors.rest, metrics.collectors.health(), metrics.nanos::get);
        String route = "/v4/sessions/{sessionId}/players/{guildId}";
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/v4/sessions/s/players/1");
        MockHttpServletResponse response = new MockHttpServletResponse();
        interceptor.preHandle(request, response, new Object());
        request.setAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE, route);
        response.setStatus(404);
        interceptor.afterCompletion(request, response, new Object(), null);
        // Tomcat then re-dispatches the same request to /error, through the same interceptor.
        request.setDispatcherType(DispatcherType.ERROR);
        interceptor.preHandle(request, response, new Object());
        request.setAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE, "/error");
        interceptor.afterCompletion(request, response, new Object(), null);

        assertEquals(
                1, metrics.value("lavametrics_rest_requests_total", "route", route, "method", "GET", "status", "4xx"));
        assertFalse(
                metrics.exists("lavametrics_rest_requests_total", "route", "other", "method", "GET", "status", "4xx"));
    }

    private void request(RestMetricsInterceptor interceptor, String method, String pattern, int status) {
        MockHttpServletRequest request = new MockHttpServletRequest(method, "/whatever");
        MockHttpServletResponse response = new MockHttpServletResponse();
        interceptor.preHandle(request, response, new Object());
        request.setAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE, pattern);
        response.setStatus(status);
        metrics.nanos.addAndGet(10_000_000L);
        interceptor.afterCompletion(request, response, new Object(), null);
    }
}
