package com.example.im.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A plain blocking TCP socket for bad-input tests: it writes exactly the bytes a test gives it (garbage, half frames)
 * and reads what the server answers, with a bounded wait on every read so a test never hangs.
 */
public final class RawSocketClient implements AutoCloseable {

    private static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawSocketClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    public static RawSocketClient connect(InetSocketAddress address) {
        return connect(address, 0);
    }

    /**
     * Connects with a fixed receive buffer of {@code receiveBufferBytes} (0: the system's default). A client that
     * stops reading is only noticed once the kernel buffers between it and the server are full; on Linux loopback
     * an auto-tuned receive buffer can grow to tens of megabytes, so a slow-reader test pins it small.
     */
    public static RawSocketClient connect(InetSocketAddress address, int receiveBufferBytes) {
        try {
            Socket socket = new Socket();
            if (receiveBufferBytes > 0) {
                socket.setReceiveBufferSize(receiveBufferBytes); // before connect: the TCP window is set at SYN
            }
            socket.connect(address, (int) READ_TIMEOUT.toMillis());
            socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
            socket.setTcpNoDelay(true);
            return new RawSocketClient(socket);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to " + address, e);
        }
    }

    /**
     * The bytes the server sent that have not been read yet, without reading them (nothing blocks): a test that
     * asserts the server sends nothing for a while polls this.
     */
    public int available() {
        try {
            return in.available();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot ask the socket", e);
        }
    }

    public RawSocketClient write(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code line} and a newline, UTF-8. */
    public RawSocketClient writeLine(String line) {
        return write((line + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Reads one '\n'-terminated line (without the terminator); fails if none arrives or the server closed. */
    public String readLine() {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            int b;
            while ((b = in.read()) != -1) {
                if (b == '\n') {
                    return line.toString(StandardCharsets.UTF_8);
                }
                line.write(b);
            }
            throw new AssertionError("connection closed before a full line; got: " + line.toString(StandardCharsets.UTF_8));
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no line within " + READ_TIMEOUT.toSeconds() + " s", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads exactly {@code n} bytes. */
    public byte[] readBytes(int n) {
        try {
            byte[] bytes = in.readNBytes(n);
            if (bytes.length < n) {
                throw new AssertionError("connection closed after " + bytes.length + " of " + n + " bytes");
            }
            return bytes;
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no " + n + " bytes within " + READ_TIMEOUT.toSeconds() + " s", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** True once the server has closed the connection (end of stream or reset), after reading what it sent last. */
    public boolean awaitServerClose() {
        try {
            while (in.read() != -1) {
                // discard what the server sent before closing
            }
            return true;
        } catch (SocketException e) {
            return true; // connection reset: closed as well
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Closes with a TCP reset instead of a FIN, as a crashed client or a pulled cable would look. */
    public void abort() {
        try {
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
