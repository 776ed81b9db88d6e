package dev.lavametrics.standin.voice;

import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Builds Discord voice RTP packets in the {@code aead_aes256_gcm_rtpsize} mode.
 *
 * <p>Wire layout of one packet (all integers big-endian):
 * <pre>
 *  0      1      2..3   4..7        8..11   12 .. 12+n+16      last 4
 *  0x80   0x78   seq    timestamp   ssrc    AES-GCM(opus)+tag  nonce counter
 * </pre>
 * The 12-byte RTP header is the AEAD associated data; the GCM IV is the 4-byte nonce counter followed by
 * eight zero bytes; the same 4 counter bytes are appended after ciphertext and 16-byte tag. Sequence
 * wraps at 2^16, the timestamp advances by 960 (20 ms at 48 kHz) per packet and wraps at 2^32.
 *
 * <p>One instance per connection, used by the sender thread only; the packet array and the
 * {@link Cipher} are reused, so the only per-packet allocation is the JDK's parameter spec.
 */
public final class RtpPacketWriter {
    public static final String MODE = "aead_aes256_gcm_rtpsize";
    public static final int HEADER_LENGTH = 12;
    public static final int TAG_LENGTH = 16;
    public static final int NONCE_LENGTH = 4;
    /** Largest Opus frame lavaplayer produces for DISCORD_OPUS is well below this. */
    public static final int MAX_OPUS = 4000;

    public static final int FRAME_SAMPLES = 960;

    private final int ssrc;
    private final SecretKeySpec key;
    private final Cipher cipher;
    private final byte[] iv = new byte[12];
    private final byte[] packet = new byte[HEADER_LENGTH + MAX_OPUS + TAG_LENGTH + NONCE_LENGTH];
    private char sequence;
    private int timestamp;
    private int nonce;

    public RtpPacketWriter(int ssrc, byte[] secretKey, int initialSequence, int initialTimestamp)
            throws GeneralSecurityException {
        if (secretKey.length != 32) {
            throw new IllegalArgumentException("secret_key must be 32 bytes, got " + secretKey.length);
        }
        this.ssrc = ssrc;
        this.key = new SecretKeySpec(secretKey, "AES");
        this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
        this.sequence = (char) initialSequence;
        this.timestamp = initialTimestamp;
        this.nonce = 0;
    }

    /** The array the last {@link #write} filled; valid up to the returned length. */
    public byte[] packet() {
        return packet;
    }

    public int ssrc() {
        return ssrc;
    }

    /**
     * Writes the packet for one 20 ms Opus frame into {@link #packet()} and advances sequence,
     * timestamp and nonce.
     *
     * @return the packet length
     */
    public int write(byte[] opus, int offset, int length) throws GeneralSecurityException {
        if (length > MAX_OPUS) {
            throw new IllegalArgumentException("Opus frame too large: " + length);
        }
        byte[] p = packet;
        p[0] = (byte) 0x80;
        p[1] = (byte) 0x78;
        putShort(p, 2, sequence);
        putInt(p, 4, timestamp);
        putInt(p, 8, ssrc);

        int n = nonce;
        putInt(iv, 0, n); // bytes 4..11 of the IV stay zero
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_LENGTH * 8, iv));
        cipher.updateAAD(p, 0, HEADER_LENGTH);
        int enc = cipher.doFinal(opus, offset, length, p, HEADER_LENGTH);
        int end = HEADER_LENGTH + enc;
        putInt(p, end, n);

        sequence++;
        timestamp += FRAME_SAMPLES;
        nonce = n + 1;
        return end + NONCE_LENGTH;
    }

    static void putShort(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 8);
        b[at + 1] = (byte) v;
    }

    static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }
}
