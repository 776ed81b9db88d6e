package dev.lavametrics.standin.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.WebSocket;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A client websocket of {@link TestNode#connect}: every complete text message lands in {@link #inbox}. */
public final class LavalinkTestClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    public final LinkedBlockingQueue<String> inbox = new LinkedBlockingQueue<>();
    WebSocket ws;

    LavalinkTestClient() {}

    WebSocket.Listener listener() {
        return new WebSocket.Listener() {
            // a message may arrive in several frames
            private final StringBuilder partial = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    inbox.add(partial.toString());
                    partial.setLength(0);
                }
                webSocket.request(1);
                return null;
            }
        };
    }

    /** The first message matching, skipping the others, or null when none came within the timeout. */
    public JsonNode await(long timeoutMs, Predicate<JsonNode> match) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            String m = inbox.poll(100, TimeUnit.MILLISECONDS);
            if (m != null) {
                JsonNode n = JSON.readTree(m);
                if (match.test(n)) {
                    return n;
                }
            }
        }
        return null;
    }

    @Override
    public void close() throws Exception {
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
    }
}
