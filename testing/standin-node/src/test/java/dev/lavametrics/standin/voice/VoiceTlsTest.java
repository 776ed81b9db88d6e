package dev.lavametrics.standin.voice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** wss:// against a self-signed certificate for IP 127.0.0.1 (as the Python simulator uses). */
class VoiceTlsTest {
    @TempDir
    Path dir;

    @Test
    void connectsOverTlsWithASelfSignedIpCertificate() throws Exception {
        Path ks = dir.resolve("voice.p12");
        Process p = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "keytool")
                                .toString(),
                        "-genkeypair",
                        "-alias",
                        "voice",
                        "-keyalg",
                        "EC",
                        "-groupname",
                        "secp256r1",
                        "-dname",
                        "CN=127.0.0.1",
                        "-ext",
                        "SAN=ip:127.0.0.1",
                        "-validity",
                        "2",
                        "-storetype",
                        "PKCS12",
                        "-keystore",
                        ks.toString(),
                        "-storepass",
                        "changeit",
                        "-keypass",
                        "changeit")
                .redirectErrorStream(true)
                .start();
        assertTrue(
                p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0,
                new String(p.getInputStream().readAllBytes()));
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            store.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "changeit".toCharArray());
        SSLContext serverTls = SSLContext.getInstance("TLS");
        serverTls.init(kmf.getKeyManagers(), null, null);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext clientTls = SSLContext.getInstance("TLS");
        clientTls.init(null, tmf.getTrustManagers(), null);

        String before = System.getProperty(VoiceManager.INSECURE_PROPERTY);
        System.clearProperty(VoiceManager.INSECURE_PROPERTY);
        VoiceManager manager = new VoiceManager(
                new ObjectMapper(),
                HttpClient.newBuilder().sslContext(clientTls).build());
        try (FakeVoiceServer server = new FakeVoiceServer(serverTls)) {
            VoiceConnection c = manager.connect(
                    new VoiceServerInfo(5, 6, "s", "t", server.endpoint()),
                    new VoiceConnectionTest.CountingSource(0),
                    (conn, code, reason, byRemote) -> {});
            JsonNode select = server.next(1, 10_000);
            assertNotNull(select, "SELECT_PROTOCOL over wss");
            assertEquals("aead_aes256_gcm_rtpsize", select.at("/d/data/mode").asText());
            c.close();
        } finally {
            manager.shutdown();
            if (before != null) {
                System.setProperty(VoiceManager.INSECURE_PROPERTY, before);
            }
        }
    }
}
