package dev.lavametrics.plugin.http;

import dev.lavametrics.plugin.config.LogSafe;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM certificates and private keys for the endpoint's TLS, read with the JDK alone (no
 * BouncyCastle: the node must not get a second crypto provider from us). Keys:
 * <ul>
 * <li>PKCS#8 {@code BEGIN PRIVATE KEY} (RSA, EC, Ed25519/Ed448, RSASSA-PSS): what
 *     {@code openssl genpkey} and OpenSSL 3's {@code genrsa} write;</li>
 * <li>PKCS#1 {@code BEGIN RSA PRIVATE KEY} and SEC1 {@code BEGIN EC PRIVATE KEY}: the "traditional"
 *     formats of older OpenSSL, certbot and {@code openssl ecparam -genkey}. The JDK only reads
 *     PKCS#8, so their DER is wrapped into a PKCS#8 structure here (a few fixed bytes).</li>
 * </ul>
 * Encrypted keys are refused (the exporter-toolkit cannot read them either). Every message names
 * the file and the field and never quotes the file's content: a key must not reach a log.
 */
final class Pem {
    /** Certificates and keys are a few KiB; anything much larger is a wrong path. */
    static final int MAX_BYTES = 1024 * 1024;

    private static final Pattern BLOCK =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----\\r?\\n(.*?)-----END \\1-----", Pattern.DOTALL);
    /** rsaEncryption 1.2.840.113549.1.1.1 as a DER AlgorithmIdentifier with NULL parameters. */
    private static final byte[] RSA_ALGORITHM = {
        0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00
    };
    /** id-ecPublicKey 1.2.840.10045.2.1 as a DER OID. */
    private static final byte[] EC_PUBLIC_KEY = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

    private Pem() {}

    /** One or more certificates, leaf first as in the toolkit's {@code cert_file} (a chain). */
    static List<X509Certificate> certificates(Path file, String field) throws WebConfig.Invalid {
        String where = where(file, field);
        List<X509Certificate> certificates = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (Block block : blocks(read(file, where))) {
                if (block.type.equals("CERTIFICATE")) {
                    certificates.add((X509Certificate)
                            factory.generateCertificate(new ByteArrayInputStream(decode(block, where))));
                }
            }
        } catch (CertificateException | ClassCastException e) {
            throw new WebConfig.Invalid(
                    where + ": not a valid PEM certificate (" + e.getClass().getSimpleName() + ")");
        }
        if (certificates.isEmpty()) {
            throw new WebConfig.Invalid(where + ": no PEM certificate (BEGIN CERTIFICATE) in it");
        }
        return certificates;
    }

    /** The first private key in the file; see the class comment for the formats. */
    static PrivateKey privateKey(Path file, String field) throws WebConfig.Invalid {
        String where = where(file, field);
        for (Block block : blocks(read(file, where))) {
            switch (block.type) {
                case "PRIVATE KEY" -> {
                    return pkcs8(decode(block, where), where);
                }
                case "RSA PRIVATE KEY" -> {
                    refuseEncrypted(block, where);
                    return pkcs8(
                            sequence(concat(
                                    new byte[] {0x02, 0x01, 0x00}, RSA_ALGORITHM, tlv(0x04, decode(block, where)))),
                            where);
                }
                case "EC PRIVATE KEY" -> {
                    refuseEncrypted(block, where);
                    byte[] sec1 = decode(block, where);
                    byte[] curve = sec1Curve(sec1, where);
                    return pkcs8(
                            sequence(concat(
                                    new byte[] {0x02, 0x01, 0x00},
                                    sequence(concat(EC_PUBLIC_KEY, curve)),
                                    tlv(0x04, sec1))),
                            where);
                }
                case "ENCRYPTED PRIVATE KEY" ->
                    throw new WebConfig.Invalid(where
                            + ": an encrypted key is not supported; store it unencrypted, readable by the node only"
                            + " (openssl pkey -in KEY -out PLAIN)");
                default -> {
                    // EC PARAMETERS (openssl ecparam writes them before the key), certificates: skip
                }
            }
        }
        throw new WebConfig.Invalid(where + ": no supported PEM private key in it (BEGIN PRIVATE KEY,"
                + " BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY)");
    }

    /**
     * Whether {@code key} belongs to {@code certificate}: a mismatch would only show as failing
     * handshakes, so it is caught when the file is read. Unknown key types are not checked.
     */
    static boolean matches(PrivateKey key, X509Certificate certificate) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
            default -> null;
        };
        if (algorithm == null) {
            return true;
        }
        try {
            byte[] probe = "lavametrics key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            PublicKey publicKey = certificate.getPublicKey();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static String where(Path file, String field) {
        return field + "=" + LogSafe.text(file.toString());
    }

    private static String read(Path file, String where) throws WebConfig.Invalid {
        try {
            if (!Files.isRegularFile(file)) {
                throw new WebConfig.Invalid(where + ": not a regular file");
            }
            if (Files.size(file) > MAX_BYTES) {
                throw new WebConfig.Invalid(where + ": larger than " + MAX_BYTES + " bytes");
            }
            return new String(Files.readAllBytes(file), StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            throw new WebConfig.Invalid(
                    where + ": cannot be read (" + e.getClass().getSimpleName() + ")");
        }
    }

    private record Block(String type, String body) {}

    private static List<Block> blocks(String text) {
        List<Block> blocks = new ArrayList<>();
        Matcher matcher = BLOCK.matcher(text);
        while (matcher.find()) {
            blocks.add(new Block(matcher.group(1), matcher.group(2)));
        }
        return blocks;
    }

    private static void refuseEncrypted(Block block, String where) throws WebConfig.Invalid {
        if (block.body.contains("Proc-Type:") || block.body.contains("DEK-Info:")) {
            throw new WebConfig.Invalid(where + ": an encrypted key is not supported; store it unencrypted,"
                    + " readable by the node only (openssl pkey -in KEY -out PLAIN)");
        }
    }

    private static byte[] decode(Block block, String where) throws WebConfig.Invalid {
        try {
            return Base64.getMimeDecoder().decode(block.body);
        } catch (IllegalArgumentException e) {
            throw new WebConfig.Invalid(where + ": " + block.type + " is not valid base64");
        }
    }

    private static PrivateKey pkcs8(byte[] der, String where) throws WebConfig.Invalid {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : new String[] {"RSA", "EC", "EdDSA", "RSASSA-PSS", "XDH"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException | RuntimeException wrongAlgorithm) {
                // try the next one; the message would only repeat the input's structure
            }
        }
        throw new WebConfig.Invalid(where + ": not a private key the JDK can read (RSA, EC, Ed25519/Ed448)");
    }

    /**
     * The named-curve OID of a SEC1 {@code ECPrivateKey}: SEQUENCE { INTEGER 1, OCTET STRING key,
     * [0] parameters, [1] public key }, returned as its whole DER element.
     */
    private static byte[] sec1Curve(byte[] der, String where) throws WebConfig.Invalid {
        try {
            Der outer = new Der(der, 0);
            outer.expect(0x30);
            Der inner = new Der(der, outer.contentStart);
            int end = outer.contentStart + outer.length;
            while (inner.next(end)) {
                if (inner.tag == 0xa0) {
                    Der oid = new Der(der, inner.contentStart);
                    oid.expect(0x06);
                    return Arrays.copyOfRange(der, inner.contentStart, oid.contentStart + oid.length);
                }
            }
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw new WebConfig.Invalid(where + ": EC PRIVATE KEY is not valid DER");
        }
        throw new WebConfig.Invalid(where + ": EC PRIVATE KEY names no curve (write it with"
                + " openssl ec -param_enc named_curve, or as PKCS#8: openssl pkcs8 -topk8 -nocrypt)");
    }

    /** A cursor over DER elements: just enough to find the curve in a SEC1 key. */
    private static final class Der {
        final byte[] der;
        int at;
        int tag;
        int contentStart;
        int length;

        Der(byte[] der, int at) {
            this.der = der;
            this.at = at;
        }

        void expect(int wanted) {
            if (!next(der.length) || tag != wanted) {
                throw new IllegalArgumentException("unexpected DER");
            }
        }

        /** Reads the element at {@code at} (before {@code end}) and moves past it; false at the end. */
        boolean next(int end) {
            if (at >= end) {
                return false;
            }
            tag = der[at] & 0xff;
            int first = der[at + 1] & 0xff;
            int position = at + 2;
            if (first < 0x80) {
                length = first;
            } else {
                int bytes = first & 0x7f;
                if (bytes == 0 || bytes > 3) {
                    throw new IllegalArgumentException("bad DER length");
                }
                length = 0;
                for (int i = 0; i < bytes; i++) {
                    length = (length << 8) | (der[position++] & 0xff);
                }
            }
            contentStart = position;
            if (contentStart + length > der.length) {
                throw new IllegalArgumentException("DER past its end");
            }
            at = contentStart + length;
            return true;
        }
    }

    private static byte[] sequence(byte[] content) {
        return tlv(0x30, content);
    }

    private static byte[] tlv(int tag, byte[] content) {
        int n = content.length;
        byte[] length;
        if (n < 0x80) {
            length = new byte[] {(byte) n};
        } else if (n < 0x100) {
            length = new byte[] {(byte) 0x81, (byte) n};
        } else if (n < 0x10000) {
            length = new byte[] {(byte) 0x82, (byte) (n >> 8), (byte) n};
        } else {
            length = new byte[] {(byte) 0x83, (byte) (n >> 16), (byte) (n >> 8), (byte) n};
        }
        return concat(new byte[] {(byte) tag}, length, content);
    }

    private static byte[] concat(byte[]... parts) {
        int total = 0;
        for (byte[] part : parts) {
            total += part.length;
        }
        byte[] all = new byte[total];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }
}
