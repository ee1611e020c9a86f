package com.example.im.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local backend of {@link StageJar} against tiny jars built here (the stages' *IT classes run the real ones). */
class StageJarTest {

    /** A stand-in for a stage: takes {@code --port N}, says "hello" to every connection on 127.0.0.1:N. */
    private static final String HELLO_SERVER = """
            public class Hello {
                public static void main(String[] args) throws Exception {
                    int port = Integer.parseInt(args[java.util.Arrays.asList(args).indexOf("--port") + 1]);
                    try (var server = new java.net.ServerSocket(port, 50, java.net.InetAddress.getLoopbackAddress())) {
                        System.out.println("chat server listening on " + server.getLocalSocketAddress());
                        while (true) {
                            try (var socket = server.accept()) {
                                socket.getOutputStream().write("hello\\n".getBytes());
                            }
                        }
                    }
                }
            }
            """;

    @TempDir
    Path dir;

    @Test
    void aMissingJarOrPropertyFailsClearly() {
        assertThatThrownBy(() -> new StageJar(Infra.Backend.LOCAL, null).start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("-D" + StageJar.JAR_PROPERTY + " is not set");
        assertThatThrownBy(() -> StageJar.checkJar(dir.resolve("stage9.jar")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no stage jar at " + dir.resolve("stage9.jar"));
    }

    @Test
    void aJarThatExitsFailsAtOnceWithItsOutput() throws IOException {
        Path jar = jar(null); // no Main-Class: `java -jar` exits with code 1
        long started = System.nanoTime();
        assertThatThrownBy(() -> new StageJar(Infra.Backend.LOCAL, jar).start())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exited with code 1 before accepting")
                .hasMessageContaining("no main manifest attribute");
        // Not after the start bound: the fixture notices the process is gone.
        assertThat(System.nanoTime() - started).isLessThan(StageJar.START_TIMEOUT_SECONDS * 1_000_000_000L / 2);
    }

    @Test
    void aRunningJarIsReachableOnItsPortAndStoppedByClose() throws Exception {
        StageJar server = new StageJar(Infra.Backend.LOCAL, jar("Hello"));
        server.start();
        int port = server.port();
        try (Socket socket = new Socket(server.host(), port)) {
            assertThat(new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello\n");
        } finally {
            server.stop();
        }
        assertThatThrownBy(server::address).hasMessageContaining("not running");
        // The process is gone, not just forgotten: nothing accepts on its port any more.
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
    }

    /** A jar with {@link #HELLO_SERVER} compiled in, and {@code mainClass} in its manifest unless null. */
    private Path jar(String mainClass) throws IOException {
        Files.writeString(dir.resolve("Hello.java"), HELLO_SERVER);
        int rc = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", dir.toString(),
                dir.resolve("Hello.java").toString());
        assertThat(rc).as("javac").isZero();
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (mainClass != null) {
            manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, mainClass);
        }
        Path jar = dir.resolve("stage-test.jar");
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file, manifest)) {
            out.putNextEntry(new JarEntry("Hello.class"));
            out.write(Files.readAllBytes(dir.resolve("Hello.class")));
            out.closeEntry();
        }
        return jar;
    }
}
