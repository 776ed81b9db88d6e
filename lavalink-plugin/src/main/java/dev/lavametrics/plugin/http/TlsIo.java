package dev.lavametrics.plugin.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;

/**
 * One connection's TLS on the endpoint's non-blocking I/O thread: an {@link SSLEngine} between the
 * socket and the request head or answer, never a thread of its own. A handshake is driven by
 * whatever bytes arrive, so a client that stalls in the middle of one costs its buffers (about
 * 50 KiB) and no thread, and it stays an unfinished head for the endpoint's cap and deadline.
 *
 * <p>The engine's delegated tasks (key exchange, signing, certificate checks) run inline: each is
 * a millisecond or less, and handing them to another thread would add a state for nothing a
 * scraper would notice. Used by one thread only.
 */
final class TlsIo {
    /** What decrypted bytes go to: the connection's request head. */
    interface Sink {
        void accept(byte[] bytes, int count);
    }

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final SSLEngine engine;
    /** Bytes from the socket not unwrapped yet; in write mode. */
    private ByteBuffer netIn;
    /** Decrypted bytes; emptied into the sink after every unwrap. */
    private ByteBuffer appIn;
    /** Bytes for the socket not written yet; in read mode. */
    private ByteBuffer netOut;

    private boolean closing;

    TlsIo(SSLEngine engine) {
        this.engine = engine;
        int packet = engine.getSession().getPacketBufferSize();
        netIn = ByteBuffer.allocate(packet);
        appIn = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize());
        netOut = ByteBuffer.allocate(packet);
        netOut.flip();
    }

    private boolean handshaken;

    /**
     * Whether the handshake is complete, so an HTTP answer (408 for a head that never ends) can be
     * sent; before that, the only answer is closing the connection.
     */
    boolean handshaken() {
        return handshaken;
    }

    /** Whether handshake bytes wait for the socket to take them (the caller then asks for OP_WRITE). */
    boolean wantsWrite() {
        return netOut.hasRemaining();
    }

    /**
     * Reads what the socket has and drives the engine: handshake messages are answered, decrypted
     * bytes go to {@code sink}. Returns -1 once the client closed (or sent close_notify), else
     * the number of decrypted bytes delivered (often 0 during the handshake).
     *
     * @throws SSLException for a failed handshake (after trying to send the alert once)
     */
    int read(SocketChannel channel, Sink sink) throws IOException {
        if (!flushNet(channel)) {
            return 0; // the client must take our handshake bytes first
        }
        int read = netIn.hasRemaining() ? channel.read(netIn) : 0;
        int delivered = 0;
        try {
            while (true) {
                SSLEngineResult.HandshakeStatus status = engine.getHandshakeStatus();
                if (status == SSLEngineResult.HandshakeStatus.NEED_TASK) {
                    for (Runnable task; (task = engine.getDelegatedTask()) != null; ) {
                        task.run();
                    }
                    continue;
                }
                if (status == SSLEngineResult.HandshakeStatus.NEED_WRAP) {
                    netOut.clear();
                    SSLEngineResult result = engine.wrap(EMPTY, netOut);
                    netOut.flip();
                    if (!flushNet(channel)) {
                        return delivered;
                    }
                    if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
                        return -1;
                    }
                    continue;
                }
                netIn.flip();
                SSLEngineResult result;
                try {
                    result = engine.unwrap(netIn, appIn);
                } finally {
                    netIn.compact();
                }
                if (appIn.position() > 0) {
                    handshaken = true;
                    sink.accept(appIn.array(), appIn.position());
                    delivered += appIn.position();
                    appIn.clear();
                }
                if (result.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.FINISHED) {
                    handshaken = true;
                }
                switch (result.getStatus()) {
                    case CLOSED -> {
                        return -1;
                    }
                    case BUFFER_UNDERFLOW -> {
                        if (!netIn.hasRemaining()) {
                            // A record larger than the buffer the session asked for at first.
                            netIn = grow(netIn, engine.getSession().getPacketBufferSize());
                        }
                        return read < 0 ? -1 : delivered;
                    }
                    case BUFFER_OVERFLOW ->
                        appIn = ByteBuffer.allocate(Math.max(
                                appIn.capacity() * 2, engine.getSession().getApplicationBufferSize()));
                    case OK -> {
                        if (result.bytesConsumed() == 0
                                && result.bytesProduced() == 0
                                && engine.getHandshakeStatus() != SSLEngineResult.HandshakeStatus.NEED_TASK
                                && engine.getHandshakeStatus() != SSLEngineResult.HandshakeStatus.NEED_WRAP) {
                            return read < 0 ? -1 : delivered;
                        }
                    }
                }
            }
        } catch (SSLException failed) {
            alert(channel);
            throw failed;
        }
    }

    /**
     * Encrypts and writes {@code plain}, then close_notify. Returns true when all of it is written;
     * false when the socket is full (the caller waits for OP_WRITE and calls again).
     */
    boolean write(SocketChannel channel, ByteBuffer plain) throws IOException {
        while (true) {
            if (!flushNet(channel)) {
                return false;
            }
            if (!plain.hasRemaining() && closing && engine.isOutboundDone()) {
                return true;
            }
            netOut.clear();
            SSLEngineResult result;
            if (plain.hasRemaining()) {
                result = engine.wrap(plain, netOut);
            } else {
                // close_notify, so the client knows the answer is complete, not cut off
                engine.closeOutbound();
                closing = true;
                result = engine.wrap(EMPTY, netOut);
            }
            netOut.flip();
            if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                netOut = grow(netOut, engine.getSession().getPacketBufferSize());
                netOut.flip();
                continue;
            }
            if (result.bytesProduced() == 0 && result.bytesConsumed() == 0 && plain.hasRemaining()) {
                throw new SSLException("the TLS engine makes no progress writing");
            }
            if (result.getStatus() == SSLEngineResult.Status.CLOSED && plain.hasRemaining()) {
                throw new SSLException("TLS closed before the answer was written");
            }
        }
    }

    /** Writes pending TLS bytes; true when none are left. */
    private boolean flushNet(SocketChannel channel) throws IOException {
        if (netOut.hasRemaining()) {
            channel.write(netOut);
        }
        return !netOut.hasRemaining();
    }

    /** Best effort: the alert a failed handshake produced, written once, never waited for. */
    private void alert(SocketChannel channel) {
        try {
            engine.closeOutbound();
            netOut.clear();
            engine.wrap(EMPTY, netOut);
            netOut.flip();
            channel.write(netOut);
        } catch (IOException | RuntimeException ignored) {
            // the connection is closed next anyway
        }
    }

    private static ByteBuffer grow(ByteBuffer buffer, int atLeast) {
        ByteBuffer bigger = ByteBuffer.allocate(Math.max(buffer.capacity() * 2, atLeast));
        buffer.flip();
        bigger.put(buffer);
        return bigger;
    }
}
