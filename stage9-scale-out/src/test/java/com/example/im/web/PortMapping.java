package com.example.im.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A port mapping, as a container's published port or a NAT makes one: a TCP forwarder on loopback and a free port
 * whose upstream is set later — the node it forwards to is started knowing the mapping's port, to advertise it.
 * Counts the connections it accepted, so a test can tell that a client came this way and not to the bound port.
 */
final class PortMapping implements AutoCloseable {

    private final ServerSocket listener;
    private volatile InetSocketAddress upstream;
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    PortMapping() throws IOException {
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "port-mapping-" + port());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The published port: what the node advertises. */
    int port() {
        return listener.getLocalPort();
    }

    /** Where accepted connections go (the node's bound port), once it is known. */
    void forwardTo(InetSocketAddress target) {
        this.upstream = target;
    }

    /** Connections accepted so far. */
    int accepted() {
        return accepted.get();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                sockets.add(client);
                InetSocketAddress target = upstream;
                if (target == null) {
                    client.close(); // nothing behind the mapping yet: refused, as a published port with no container
                    continue;
                }
                accepted.incrementAndGet();
                Socket server = new Socket();
                sockets.add(server);
                server.connect(target, 5_000);
                pump(client, server);
                pump(server, client);
            } catch (IOException e) {
                // closed, or one connection failed: the next accept goes on (or the loop ends)
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side closed
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "port-mapping-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        sockets.forEach(PortMapping::closeQuietly);
    }
}
