package com.example.im.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PATH lookup of redis-server, for Windows and the rest, with PATH, os name and PATHEXT given explicitly. */
class EmbeddedRedisLookupTest {

    @TempDir
    Path dir;

    @Test
    void onWindowsRedisServerFindsRedisServerExeThroughPathext() throws IOException {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        Path bin = Files.createDirectory(dir.resolve("Redis"));
        Path exe = Files.createFile(bin.resolve("redis-server.exe")); // no execute bit: Windows has none
        String path = empty + ";\"" + bin + "\";";

        assertThat(EmbeddedRedis.findExecutable("redis-server", path, "Windows 11", ".COM;.EXE;.BAT;.CMD"))
                .contains(exe);
        assertThat(EmbeddedRedis.findExecutable("redis-server", path, "Windows Server 2022", null))
                .as("PATHEXT unset: the default extensions").contains(exe);
        assertThat(EmbeddedRedis.findExecutable("redis-server", path, "Windows 11", ".COM;.BAT"))
                .as("an extension PATHEXT does not list").isEmpty();
    }

    @Test
    void elsewhereTheExactNameMustBeAnExecutableFile() throws IOException {
        Path bin = Files.createDirectory(dir.resolve("bin"));
        Files.createFile(bin.resolve("redis-server.exe"));
        assertThat(EmbeddedRedis.findExecutable("redis-server", bin.toString(), "Linux", ".EXE")).isEmpty();

        Path plain = Files.createFile(bin.resolve("redis-server"));
        if (plain.toFile().setExecutable(false)) {
            assertThat(EmbeddedRedis.findExecutable("redis-server", bin.toString(), "Linux", null))
                    .as("not executable").isEmpty();
        }
        assertThat(plain.toFile().setExecutable(true)).isTrue();
        assertThat(EmbeddedRedis.findExecutable("redis-server", "/nonexistent:" + bin, "Linux", null))
                .contains(plain);
        assertThat(EmbeddedRedis.findExecutable("redis-server", null, "Linux", null)).isEqualTo(Optional.empty());
    }

    @Test
    void versionsAreComparedByMajorAndMinor() {
        assertThat(EmbeddedRedis.atLeast("6.2.6", 6, 2)).isTrue();
        assertThat(EmbeddedRedis.atLeast("7.0.15", 6, 2)).isTrue();
        assertThat(EmbeddedRedis.atLeast("10.0.0", 6, 2)).isTrue();
        assertThat(EmbeddedRedis.atLeast("6.0.16", 6, 2)).isFalse();
        assertThat(EmbeddedRedis.atLeast("5.0.14.1", 6, 2)).isFalse();
        assertThat(EmbeddedRedis.atLeast("unknown", 6, 2)).isFalse();
    }

    @Test
    void theAdviceSaysWhatToDoOnWindows() {
        assertThat(EmbeddedRedis.INSTALL_ADVICE).contains("6.2", "WSL2", "apt-get install -y redis-server",
                "Memurai", "redis-server.exe", "-Dim.infra=containers");
    }
}
