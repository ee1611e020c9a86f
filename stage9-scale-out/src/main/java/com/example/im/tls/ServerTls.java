package com.example.im.tls;

import com.example.im.server.EdgeSettings;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The node's side of TLS (docs/08-web-edge.md, "TLS"): one {@link SslContext} per node, built once at start from the
 * PEM files of {@code --tls-cert} / {@code --tls-key} and shared by both ports (TCP and HTTP/WebSocket). Every
 * connection gets its own {@code SslHandler} from it.
 */
public final class ServerTls {

    /** TLS 1.3 first; 1.2 for older clients. Nothing older. */
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    /** A connection that has not finished its handshake after this long is closed (a silent or plain-text peer). */
    public static final long HANDSHAKE_TIMEOUT_MILLIS = 10_000;

    private static final Pattern PEM_KEY = Pattern.compile(
            "-----BEGIN ([A-Z ]*)PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END \\1PRIVATE KEY-----");

    private ServerTls() {
    }

    /** The node's SslContext, or null when TLS is off (no --tls-cert / --tls-key). */
    public static SslContext fromSettings(EdgeSettings edge) {
        return edge.tls() ? context(Path.of(edge.tlsCert()), Path.of(edge.tlsKey())) : null;
    }

    /**
     * Reads the certificate chain and the key, checks that they belong together, and builds the context.
     *
     * @throws IllegalArgumentException with a sentence for the operator when a file is unreadable, not PEM, not
     *                                  PKCS#8, or the key is not the certificate's
     */
    public static SslContext context(Path certPem, Path keyPem) {
        List<X509Certificate> chain = readChain(certPem);
        PrivateKey key = readKey(keyPem);
        if (!matches(key, chain.get(0))) {
            throw new IllegalArgumentException("TLS: the key in " + keyPem + " does not belong to the certificate in "
                    + certPem + " (" + chain.get(0).getSubjectX500Principal() + ")");
        }
        try {
            return SslContextBuilder.forServer(key, chain)
                    .sslProvider(SslProvider.JDK)
                    .protocols(PROTOCOLS)
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("TLS: cannot build a server context from " + certPem + " and "
                    + keyPem + ": " + e.getMessage(), e);
        }
    }

    static List<X509Certificate> readChain(Path certPem) {
        byte[] bytes = read(certPem, "--tls-cert");
        try {
            List<X509Certificate> chain = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(bytes)).stream()
                    .map(X509Certificate.class::cast)
                    .toList();
            if (chain.isEmpty()) {
                throw new IllegalArgumentException("TLS: no certificate in " + certPem + " (--tls-cert wants PEM)");
            }
            return chain;
        } catch (CertificateException e) {
            throw new IllegalArgumentException("TLS: " + certPem + " is not a PEM certificate chain (--tls-cert): "
                    + e.getMessage());
        }
    }

    static PrivateKey readKey(Path keyPem) {
        String text = new String(read(keyPem, "--tls-key"), StandardCharsets.US_ASCII);
        Matcher m = PEM_KEY.matcher(text);
        if (!m.find()) {
            throw new IllegalArgumentException("TLS: no PEM private key in " + keyPem + " (--tls-key)");
        }
        if (!m.group(1).isEmpty()) {
            throw new IllegalArgumentException("TLS: " + keyPem + " holds a \"" + m.group(1).trim() + " PRIVATE KEY\";"
                    + " --tls-key wants an unencrypted PKCS#8 \"PRIVATE KEY\" (convert it: openssl pkcs8 -topk8"
                    + " -nocrypt -in " + keyPem + " -out key.pem)");
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(2));
        for (String algorithm : List.of("EC", "RSA", "Ed25519", "RSASSA-PSS")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // not this algorithm; try the next
            }
        }
        throw new IllegalArgumentException("TLS: " + keyPem + " is not a PKCS#8 EC, RSA or Ed25519 private key");
    }

    /** True when {@code key} signs what the certificate's public key verifies. */
    static boolean matches(PrivateKey key, X509Certificate cert) {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> key.getAlgorithm(); // Ed25519, ...
        };
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false; // e.g. an RSA key with an EC certificate
        }
    }

    private static byte[] read(Path file, String flag) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("TLS: cannot read " + flag + " " + file + ": " + e);
        }
    }
}
