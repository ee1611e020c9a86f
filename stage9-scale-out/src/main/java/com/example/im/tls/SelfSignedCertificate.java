package com.example.im.tls;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A self-signed certificate for the demo and for people running nodes by hand (docs/08-web-edge.md, "TLS"): an EC
 * P-256 key, valid for {@value #VALID_DAYS} days, naming localhost, 127.0.0.1, ::1 and any extra hosts. Written as
 * {@code cert.pem} and {@code key.pem} (PKCS#8, readable by the owner only), the files the nodes take as
 * {@code --tls-cert} / {@code --tls-key} and the clients as {@code --tls-trust}.
 *
 * <p>BouncyCastle only builds the certificate; the key pair and the signature come from the JDK's own providers, and
 * BouncyCastle is not registered as a JCE provider.
 *
 * @param cert       the certificate, PEM
 * @param key        its private key, PEM PKCS#8 (mode 0600)
 * @param spkiSha256 base64 SHA-256 of the certificate's public key (SubjectPublicKeyInfo): Chromium trusts exactly this
 *                   certificate with {@code --ignore-certificate-errors-spki-list=<it>}
 * @param hosts      the names and addresses it is valid for
 */
public record SelfSignedCertificate(Path cert, Path key, String spkiSha256, List<String> hosts) {

    public static final int VALID_DAYS = 30;
    public static final String CERT_FILE = "cert.pem";
    public static final String KEY_FILE = "key.pem";
    /** Always in the certificate: the names a node on this machine is dialled by. */
    public static final List<String> LOCAL_HOSTS = List.of("localhost", "127.0.0.1", "::1");

    /**
     * Makes a new key pair and certificate and writes them into {@code dir} (created if needed; existing files are
     * replaced).
     */
    public static SelfSignedCertificate generate(Path dir, List<String> extraHosts) throws IOException {
        Set<String> hosts = new LinkedHashSet<>(LOCAL_HOSTS);
        hosts.addAll(extraHosts);
        return generateExactly(dir, hosts);
    }

    /** For exactly {@code hosts}, without the local names (tests of hostname verification). */
    static SelfSignedCertificate generateExactly(Path dir, Set<String> hosts) throws IOException {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            KeyPair pair = generator.generateKeyPair();
            X509Certificate certificate = certificate(pair, hosts);
            Files.createDirectories(dir);
            Path certFile = dir.resolve(CERT_FILE);
            Path keyFile = dir.resolve(KEY_FILE);
            writeOwnerOnly(keyFile, pem("PRIVATE KEY", pair.getPrivate().getEncoded())); // getEncoded() is PKCS#8
            Files.writeString(certFile, pem("CERTIFICATE", certificate.getEncoded()), StandardCharsets.US_ASCII);
            return new SelfSignedCertificate(certFile, keyFile, spkiSha256(certificate), List.copyOf(hosts));
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make a self-signed certificate: " + e.getMessage(), e);
        }
    }

    /** Base64 SHA-256 of the certificate's SubjectPublicKeyInfo (what Chromium's SPKI list and HPKP use). */
    public static String spkiSha256(X509Certificate certificate) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getPublicKey().getEncoded());
            return Base64.getEncoder().encodeToString(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The SPKI SHA-256 of the first certificate of a PEM file. */
    public static String spkiSha256(Path certPem) {
        return spkiSha256(ServerTls.readChain(certPem).get(0));
    }

    private static X509Certificate certificate(KeyPair pair, Set<String> hosts)
            throws GeneralSecurityException, OperatorCreationException, CertIOException {
        Instant now = Instant.now();
        BigInteger serial = new BigInteger(127, new SecureRandom());
        // A name of its own: Java finds a trusted certificate by its subject, so two dev certificates must not share
        // one (trusting the other one would then fail with "signature check failed", not "no trusted certificate").
        X500Name name = new X500Name("CN=netty-im-cluster dev " + String.format("%032x", serial).substring(0, 8)
                + " - self-signed for development");
        List<GeneralName> names = new ArrayList<>();
        for (String host : hosts) {
            names.add(isAddress(host) ? new GeneralName(GeneralName.iPAddress, host)
                    : new GeneralName(GeneralName.dNSName, host));
        }
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name,
                serial,
                Date.from(now.minus(Duration.ofHours(1))), // a little clock skew between machines is fine
                Date.from(now.plus(Duration.ofDays(VALID_DAYS))),
                name, pair.getPublic())
                .addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(names.toArray(GeneralName[]::new)))
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        // Default JCA providers (SunEC) sign; BouncyCastle is not installed as a provider.
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
    }

    /** An IP literal (v4 or v6), recognised without any DNS lookup. */
    static boolean isAddress(String host) {
        if (host.contains(":")) {
            return true; // only IPv6 literals have colons (ports are not accepted here)
        }
        if (!host.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            return false;
        }
        try {
            InetAddress.getByName(host); // a literal: no lookup
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    /** Writes a file only its owner can read, created that way (no moment in which others could read it). */
    private static void writeOwnerOnly(Path file, String content) throws IOException {
        Files.deleteIfExists(file);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file); // not a POSIX file system (Windows): the directory's permissions apply
        } catch (FileAlreadyExistsException e) {
            throw new IOException("someone created " + file + " while we were replacing it", e);
        }
        Files.writeString(file, content, StandardCharsets.US_ASCII);
    }

    /** {@code SelfSignedCertificate <dir> [host ...]}: writes cert.pem and key.pem for nodes run by hand. */
    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args[0].startsWith("-")) {
            System.err.println("usage: SelfSignedCertificate <dir> [host ...]\n  writes <dir>/cert.pem and <dir>/key.pem"
                    + " (EC P-256, " + VALID_DAYS + " days, for " + String.join(", ", LOCAL_HOSTS)
                    + " and the hosts given)");
            System.exit(2);
            return;
        }
        SelfSignedCertificate made = generate(Path.of(args[0]), List.of(args).subList(1, args.length));
        System.out.printf("wrote %s and %s (valid %d days for %s)%n"
                        + "  nodes:    --tls-cert %s --tls-key %s%n"
                        + "  console:  --tls-trust %s%n"
                        + "  Chromium: --ignore-certificate-errors-spki-list=%s (trusts this certificate only)%n"
                        + "This is for development: a self-signed certificate proves nothing to anyone who did not"
                        + " get cert.pem from you.%n",
                made.cert(), made.key(), VALID_DAYS, String.join(", ", made.hosts()), made.cert(), made.key(),
                made.cert(), made.spkiSha256());
    }
}
