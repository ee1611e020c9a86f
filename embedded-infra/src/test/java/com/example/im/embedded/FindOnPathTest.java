package com.example.im.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FindOnPathTest {

    private static Path executable(Path dir, String name) throws Exception {
        Path file = Files.createFile(dir.resolve(name));
        assertThat(file.toFile().setExecutable(true)).isTrue();
        return file;
    }

    @Test
    void findsTheFirstExecutableOfThatName(@TempDir Path tmp) throws Exception {
        Path a = Files.createDirectory(tmp.resolve("a"));
        Path b = Files.createDirectory(tmp.resolve("b"));
        Files.createFile(a.resolve("redis-server"));              // not executable: skipped
        Path wanted = executable(b, "redis-server");
        String path = a + File.pathSeparator + File.pathSeparator + b;

        assertThat(EmbeddedRedis.findOnPath("redis-server", path, File.pathSeparator, false)).contains(wanted);
        assertThat(EmbeddedRedis.findOnPath("redis-server", null, File.pathSeparator, false)).isEmpty();
    }

    @Test
    void onWindowsTheExeIsFoundToo(@TempDir Path tmp) throws Exception {
        Path exe = executable(tmp, "redis-server.exe");

        assertThat(EmbeddedRedis.findOnPath("redis-server", tmp.toString(), ";", true)).contains(exe);
        assertThat(EmbeddedRedis.findOnPath("redis-server", tmp.toString(), ";", false)).isEqualTo(Optional.empty());
    }
}
