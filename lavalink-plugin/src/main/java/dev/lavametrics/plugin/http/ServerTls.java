package dev.lavametrics.plugin.http;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * The endpoint's TLS as a web config's {@code tls_server_config} describes it, ready to make one
 * {@link SSLEngine} per connection. Built from files once per (re)load; the files are not kept open.
 */
final class ServerTls {
    /** The toolkit's {@code client_auth_type} values the plugin supports (see {@link WebConfig}). */
    enum ClientAuth {
        NO_CLIENT_CERT,
        VERIFY_CLIENT_CERT_IF_GIVEN,
        REQUIRE_AND_VERIFY_CLIENT_CERT
    }

    private final SSLContext context;
    private final String[] protocols;
    private final ClientAuth clientAuth;
    private final boolean preferServerCipherSuites;

    private ServerTls(SSLContext context, String[] protocols, ClientAuth clientAuth, boolean preferServerCipherSuites) {
        this.context = context;
        this.protocols = protocols;
        this.clientAuth = clientAuth;
        this.preferServerCipherSuites = preferServerCipherSuites;
    }

    /**
     * Reads the certificate chain, the key and the client CAs; every failure names the file and
     * the field. {@code protocols} are JDK names ({@code TLSv1.2}, {@code TLSv1.3}).
     */
    static ServerTls load(
            String where,
            Path certFile,
            Path keyFile,
            Path clientCaFile,
            ClientAuth clientAuth,
            List<String> protocols,
            boolean preferServerCipherSuites)
            throws WebConfig.Invalid {
        List<X509Certificate> chain = Pem.certificates(certFile, where + "tls_server_config.cert_file");
        PrivateKey key = Pem.privateKey(keyFile, where + "tls_server_config.key_file");
        if (!Pem.matches(key, chain.get(0))) {
            throw new WebConfig.Invalid(
                    where + "tls_server_config.key_file: does not belong to the first" + " certificate of cert_file");
        }
        List<X509Certificate> clientCas = clientCaFile == null
                ? List.of()
                : Pem.certificates(clientCaFile, where + "tls_server_config.client_ca_file");
        try {
            // A random password for a key store that never leaves memory.
            char[] password = Long.toHexString(new SecureRandom().nextLong()).toCharArray();
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("server", key, password, chain.toArray(new X509Certificate[0]));
            KeyManagerFactory keyManagers = KeyManagerFactory.getInstance("PKIX");
            keyManagers.init(keys, password);
            TrustManager[] trust = null;
            if (!clientCas.isEmpty()) {
                KeyStore cas = KeyStore.getInstance("PKCS12");
                cas.load(null, null);
                for (int i = 0; i < clientCas.size(); i++) {
                    cas.setCertificateEntry("client-ca-" + i, clientCas.get(i));
                }
                TrustManagerFactory trustManagers = TrustManagerFactory.getInstance("PKIX");
                trustManagers.init(cas);
                trust = trustManagers.getTrustManagers();
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers.getKeyManagers(), trust, null);
            // Fails here, not at the first handshake, when the JDK offers none of the protocols.
            SSLEngine probe = context.createSSLEngine();
            probe.setEnabledProtocols(protocols.toArray(new String[0]));
            return new ServerTls(context, protocols.toArray(new String[0]), clientAuth, preferServerCipherSuites);
        } catch (GeneralSecurityException | RuntimeException | java.io.IOException e) {
            throw new WebConfig.Invalid(where + "tls_server_config: the JDK refused the certificate, key or"
                    + " versions (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** A server engine for one connection. */
    SSLEngine engine() {
        SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(false);
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setProtocols(protocols);
        parameters.setUseCipherSuitesOrder(preferServerCipherSuites);
        switch (clientAuth) {
            case REQUIRE_AND_VERIFY_CLIENT_CERT -> parameters.setNeedClientAuth(true);
            case VERIFY_CLIENT_CERT_IF_GIVEN -> parameters.setWantClientAuth(true);
            case NO_CLIENT_CERT -> parameters.setNeedClientAuth(false);
        }
        engine.setSSLParameters(parameters);
        return engine;
    }
}
