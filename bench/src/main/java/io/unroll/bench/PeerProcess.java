package io.unroll.bench;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A peer: a child process that speaks {@link PeerProtocol} on its stdin and stdout. Its stderr
 * goes to a temporary file (no reader thread runs beside the measurements), whose last lines
 * explain a peer that died. Requests are synchronous: while the peer measures, the harness waits,
 * and while the harness measures, the peer waits; the two never run at once.
 */
public final class PeerProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final BufferedWriter toPeer;
    private final BufferedReader fromPeer;
    private final Path stderr;
    private final Thread killOnExit;

    private PeerProcess(String name, Process process, Path stderr) {
        this.name = name;
        this.process = process;
        this.stderr = stderr;
        // a harness stopped with Ctrl-C or kill must not leave a peer measuring on its own
        this.killOnExit = new Thread(process::destroyForcibly, "unroll-peer-reaper");
        Runtime.getRuntime().addShutdownHook(killOnExit);
        this.toPeer = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        this.fromPeer = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /**
     * Starts {@code command} with {@code extraEnvironment} added to this process's environment
     * (for that child only).
     *
     * @throws IOException if the executable cannot be started
     */
    public static PeerProcess start(String name, List<String> command, Map<String, String> extraEnvironment)
            throws IOException {
        Path stderr = Files.createTempFile("unroll-peer-", ".stderr");
        stderr.toFile().deleteOnExit();
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.to(stderr.toFile()));
        builder.environment().putAll(extraEnvironment);
        try {
            return new PeerProcess(name, builder.start(), stderr);
        } catch (IOException e) {
            Files.deleteIfExists(stderr);
            throw e;
        }
    }

    /** The peer's process id. */
    public long pid() {
        return process.pid();
    }

    /** The peer's name in messages ("the PyTorch peer"). */
    public String name() {
        return name;
    }

    /** Sends one request and returns the answer line (null if the peer closed its output). */
    public String exchange(PeerProtocol.Request request) {
        try {
            toPeer.write(PeerProtocol.encode(request));
            toPeer.write('\n');
            toPeer.flush();
            return fromPeer.readLine();
        } catch (IOException e) {
            // a broken pipe: the peer is gone; its stderr says why
            return null;
        }
    }

    /** {@link #exchange} for a measurement request; failures carry the peer's last stderr line. */
    public Measurement measure(PeerProtocol.Request request) {
        String line = exchange(request);
        if (line == null) {
            throw new PeerException(name + " exited while measuring " + describe(request) + diedBecause());
        }
        try {
            return PeerProtocol.parseMeasurement(name, line);
        } catch (PeerException e) {
            throw new PeerException(e.getMessage() + " (request: " + describe(request) + ")", e);
        }
    }

    /** The hello handshake; null answer means the peer died at start-up (see {@link #stderrTail}). */
    public String helloLine(int threads) {
        return exchange(PeerProtocol.Request.hello(threads));
    }

    /** The last non-blank lines the peer wrote to stderr, joined with " | " (for one-line messages). */
    public String stderrTail(int lines) {
        waitForExit(2);
        try {
            List<String> all = Files.readAllLines(stderr, StandardCharsets.UTF_8).stream()
                    .map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("WARNING: Using incubator modules"))
                    .toList();
            return String.join(" | ", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "";
        }
    }

    private String diedBecause() {
        String tail = stderrTail(3);
        Integer code = process.isAlive() ? null : process.exitValue();
        return (code == null ? "" : " with exit code " + code) + (tail.isEmpty() ? "" : ": " + tail);
    }

    private void waitForExit(int seconds) {
        try {
            process.waitFor(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String describe(PeerProtocol.Request r) {
        return r.op() + (r.cell() == null ? "" : " " + r.cell()) + (r.hidden() == null ? "" : " H=" + r.hidden())
                + (r.batch() == null ? "" : " B=" + r.batch());
    }

    /** Asks the peer to quit, waits briefly, then ends it; deletes the stderr file. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down: the hook ends the peer
        }
        if (process.isAlive()) {
            try {
                toPeer.write(PeerProtocol.encode(PeerProtocol.Request.quit()));
                toPeer.write('\n');
                toPeer.flush();
                toPeer.close();
            } catch (IOException e) {
                // already gone
            }
            waitForExit(5);
            if (process.isAlive()) {
                process.destroy();
                waitForExit(5);
                if (process.isAlive()) {
                    process.destroyForcibly();
                }
            }
        }
        try {
            Files.deleteIfExists(stderr);
        } catch (IOException e) {
            // a temporary file; deleteOnExit will try again
        }
    }
}
