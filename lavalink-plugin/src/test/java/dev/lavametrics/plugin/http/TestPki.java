package dev.lavametrics.plugin.http;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Certificates made at test time with the {@code openssl} CLI in a temporary directory: a CA,
 * servers for 127.0.0.1 with keys in every supported PEM format, and client certificates. No
 * private key is ever committed.
 */
final class TestPki {
    /** How {@code openssl} writes a key: the formats the endpoint must read. */
    enum KeyFormat {
        PKCS8_EC,
        PKCS1_RSA,
        SEC1_EC,
        PKCS8_RSA,
        PKCS8_ED25519
    }

    final Path dir;

    TestPki(Path dir) {
        this.dir = dir;
    }

    /** A self-signed CA: {@code name.crt} and {@code name.key}. */
    Path ca(String name) throws IOException {
        openssl(
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                name + ".key",
                "-out",
                name + ".crt",
                "-days",
                "2",
                "-subj",
                "/CN=" + name);
        return dir.resolve(name + ".crt");
    }

    /** A certificate for 127.0.0.1 and localhost signed by {@code ca}: {@code name.crt}, {@code name.key}. */
    void leaf(String name, String ca, KeyFormat format, boolean client) throws IOException {
        String key = name + ".key";
        switch (format) {
            case PKCS8_EC -> openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key);
            case PKCS8_RSA -> openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key);
            case PKCS1_RSA -> openssl("genrsa", "-traditional", "-out", key, "2048");
            case SEC1_EC -> openssl("ecparam", "-name", "prime256v1", "-genkey", "-out", key);
            case PKCS8_ED25519 -> openssl("genpkey", "-algorithm", "ed25519", "-out", key);
        }
        Files.writeString(
                dir.resolve(name + ".ext"),
                client
                        ? "extendedKeyUsage=clientAuth\n"
                        : "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
        openssl("req", "-new", "-key", key, "-subj", "/CN=" + name, "-out", name + ".csr");
        openssl(
                "x509",
                "-req",
                "-in",
                name + ".csr",
                "-CA",
                ca + ".crt",
                "-CAkey",
                ca + ".key",
                "-CAcreateserial",
                "-days",
                "2",
                "-out",
                name + ".crt",
                "-extfile",
                name + ".ext");
    }

    String text(String file) throws IOException {
        return Files.readString(dir.resolve(file));
    }

    void openssl(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IOException("openssl " + String.join(" ", args) + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** A client context trusting {@code caFile}; with {@code clientName}, presenting that certificate. */
    SSLContext client(String caFile, String clientName, String... protocols) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(dir.resolve(caFile))) {
            trust.setCertificateEntry(
                    "ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory trustManagers = TrustManagerFactory.getInstance("PKIX");
        trustManagers.init(trust);
        KeyManagerFactory keyManagers = null;
        if (clientName != null) {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            List<X509Certificate> chain = Pem.certificates(dir.resolve(clientName + ".crt"), "test");
            keys.setKeyEntry(
                    "client",
                    Pem.privateKey(dir.resolve(clientName + ".key"), "test"),
                    "x".toCharArray(),
                    chain.toArray(new X509Certificate[0]));
            keyManagers = KeyManagerFactory.getInstance("SunX509"); // plain aliases, for Insistent
            keyManagers.init(keys, "x".toCharArray());
        }
        SSLContext context = SSLContext.getInstance(protocols.length == 1 ? protocols[0] : "TLS");
        context.init(
                keyManagers == null
                        ? null
                        : new KeyManager[] {
                            new Insistent((X509ExtendedKeyManager) keyManagers.getKeyManagers()[0])
                        },
                trustManagers.getTrustManagers(),
                null);
        return context;
    }

    /**
     * Presents its certificate whichever CAs the server names: the JDK's own key manager sends
     * none when the issuer is not among them, so a certificate from a foreign CA would never reach
     * the server's check.
     */
    private static final class Insistent extends X509ExtendedKeyManager {
        private final X509ExtendedKeyManager keys;

        Insistent(X509ExtendedKeyManager keys) {
            this.keys = keys;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return "client";
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return "client";
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return new String[] {"client"};
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return keys.getServerAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return keys.chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return keys.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return keys.getPrivateKey(alias);
        }
    }
}
