package com.example.im.tls;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The client's side of TLS (docs/08-web-edge.md, "TLS"): it trusts exactly the certificate(s) in one PEM file — the
 * node's self-signed certificate, or a CA's — and checks that the certificate names the host dialled (hostname
 * verification as HTTPS does it; SNI carries the host name). There is no "trust all" mode.
 */
public final class ClientTls {

    private ClientTls() {
    }

    /**
     * A client context trusting only the certificates in {@code trustedPem}.
     *
     * @throws IllegalArgumentException when the file cannot be read or holds no certificate
     */
    public static SslContext trusting(Path trustedPem) {
        if (!Files.isReadable(trustedPem)) {
            throw new IllegalArgumentException("TLS: cannot read the certificate to trust, " + trustedPem);
        }
        ServerTls.readChain(trustedPem); // a clear error for a file that is not a PEM certificate
        try {
            return SslContextBuilder.forClient()
                    .sslProvider(SslProvider.JDK)
                    .protocols(ServerTls.PROTOCOLS)
                    .trustManager(trustedPem.toFile())
                    .endpointIdentificationAlgorithm("HTTPS")
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("TLS: cannot trust " + trustedPem + ": " + e.getMessage(), e);
        }
    }

    /**
     * The same trust for the JDK's own TLS clients (java.net.http: the console's token issuer over https, the cluster
     * page's scrapes of other nodes): exactly the certificates in {@code trustedPem}, hostname verification on.
     *
     * @throws IllegalArgumentException when the file cannot be read or holds no certificate
     */
    public static javax.net.ssl.SSLContext jdkTrusting(Path trustedPem) {
        if (!Files.isReadable(trustedPem)) {
            throw new IllegalArgumentException("TLS: cannot read the certificate to trust, " + trustedPem);
        }
        try {
            java.security.KeyStore trusted = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
            trusted.load(null, null);
            int i = 0;
            for (java.security.cert.X509Certificate certificate : ServerTls.readChain(trustedPem)) {
                trusted.setCertificateEntry("trusted-" + i++, certificate);
            }
            javax.net.ssl.TrustManagerFactory factory = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trusted);
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        } catch (java.security.GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("TLS: cannot trust " + trustedPem + ": " + e.getMessage(), e);
        }
    }

    /**
     * A placeholder for the first place of a client pipeline: when the channel connects it replaces itself with an
     * {@link SslHandler} for the host and port being dialled (SNI and hostname verification need them, and a
     * reconnecting client dials a different node each time).
     */
    public static ChannelHandler onConnect(SslContext ssl) {
        return new ChannelOutboundHandlerAdapter() {
            @Override
            public void connect(ChannelHandlerContext ctx, SocketAddress remote, SocketAddress local,
                                ChannelPromise promise) throws Exception {
                InetSocketAddress target = (InetSocketAddress) remote;
                SslHandler handler = ssl.newHandler(ctx.alloc(), target.getHostString(), target.getPort());
                handler.setHandshakeTimeoutMillis(ServerTls.HANDSHAKE_TIMEOUT_MILLIS);
                ctx.pipeline().replace(this, "tls", handler);
                handler.connect(ctx.pipeline().context(handler), remote, local, promise);
            }
        };
    }
}
