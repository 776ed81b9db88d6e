package dev.lavametrics.testplugin;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

@Component
public class TestPluginFilter implements Filter {
    /** Response status -> count, as seen after the rest of the chain (auth included) ran. */
    final Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        ((HttpServletResponse) response).setHeader("X-Testplugin-Filter", "yes");
        chain.doFilter(request, response);
        statuses.computeIfAbsent(((HttpServletResponse) response).getStatus(), k -> new AtomicInteger()).incrementAndGet();
    }
}
