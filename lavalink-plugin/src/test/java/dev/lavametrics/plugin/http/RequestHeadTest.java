package dev.lavametrics.plugin.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RequestHeadTest {

    private static RequestHead read(String head) throws Exception {
        return RequestHead.read(new ByteArrayInputStream(head.getBytes(StandardCharsets.ISO_8859_1)), 1024, 8);
    }

    private static int refusal(String head) {
        return assertThrows(RequestHead.Malformed.class, () -> read(head)).status;
    }

    @Test
    void readsWhatAScrapeNeeds() throws Exception {
        RequestHead head = read("GET /metrics?x=1 HTTP/1.1\r\nHost: n\r\nAUTHORIZATION:  Basic abc \r\n"
                + "Accept: text/plain\r\n\r\nnot part of the head");
        assertEquals("GET", head.method());
        assertEquals("/metrics", head.path());
        assertEquals("Basic abc", head.header("authorization"));
        assertEquals("text/plain", head.header("accept"));
        assertFalse(head.hasBody());
        assertFalse(head.toString().contains("abc"), "a head's text must not carry credentials");
    }

    @Test
    void acceptsBareLineFeedsALeadingEmptyLineAndAbsoluteTargets() throws Exception {
        assertEquals("/metrics", read("\r\nGET /metrics HTTP/1.0\n\n").path());
        assertEquals(
                "/metrics",
                read("GET http://node:9477/metrics HTTP/1.1\r\n\r\n").path());
        assertEquals("/met rics", read("GET /met%20rics HTTP/1.1\r\n\r\n").path());
    }

    @Test
    void seesABody() throws Exception {
        assertTrue(read("GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\n").hasBody());
        assertTrue(read("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").hasBody());
        assertFalse(read("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n").hasBody());
    }

    @Test
    void refusesMalformedHeads() {
        assertEquals(400, refusal("GET /metrics\r\n\r\n"));
        assertEquals(400, refusal("GET  /metrics HTTP/1.1\r\n\r\n"));
        assertEquals(400, refusal("G(T /metrics HTTP/1.1\r\n\r\n"));
        assertEquals(505, refusal("PRI * HTTP/2.0\r\n\r\n"));
        assertEquals(400, refusal("GET /metrics SIP/2.0\r\n\r\n"));
        assertEquals(400, refusal("GET /metrics HTTP/1.1\r\nHost : n\r\n\r\n"));
        assertEquals(400, refusal("GET /metrics HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n"));
        assertEquals(400, refusal("GET /metrics HTTP/1.1\r\nno colon\r\n\r\n"));
        assertEquals(400, refusal("GET /a|b HTTP/1.1\r\n\r\n"));
        assertEquals(
                400, refusal("GET /metrics HTTP/1.1\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n\r\n"));
        assertEquals(400, refusal("GET /metrics HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"));
    }

    @Test
    void capsTheHead() {
        assertEquals(431, refusal("GET /metrics HTTP/1.1\r\nX-Big: " + "a".repeat(1024) + "\r\n\r\n"));
        StringBuilder many = new StringBuilder("GET /metrics HTTP/1.1\r\n");
        for (int i = 0; i < 9; i++) {
            many.append("X-").append(i).append(": 1\r\n");
        }
        assertEquals(431, refusal(many.append("\r\n").toString()));
    }

    @Test
    void anEndBeforeTheBlankLineIsNoRequest() {
        assertThrows(EOFException.class, () -> read("GET /metrics HTTP/1.1\r\nHost: x\r\n"));
        assertThrows(IOException.class, () -> read(""));
    }
}
