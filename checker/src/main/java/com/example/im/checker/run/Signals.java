package com.example.im.checker.run;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** POSIX signals the JDK cannot send (it has SIGTERM and SIGKILL only): {@code kill -STOP} and {@code kill -CONT}. */
final class Signals {

    private Signals() {
    }

    static void send(String signal, long pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
        if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + signal + " " + pid + " failed: "
                    + new String(kill.getInputStream().readAllBytes()).strip());
        }
    }

    static void sendQuietly(String signal, long pid) {
        try {
            send(signal, pid);
        } catch (IOException e) {
            // the process is gone already
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
