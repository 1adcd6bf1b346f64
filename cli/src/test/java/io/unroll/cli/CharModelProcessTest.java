package io.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.unroll.io.Checkpoint;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands as real processes: {@code unroll train} stopped by a signal saves a checkpoint and
 * exits with 128 + the signal, {@code unroll lab grid} killed keeps every run it finished, and
 * {@code unroll stream} answers each character as it arrives on a pipe, without waiting for a
 * newline or the end of input. The child is this JVM's java with this
 * test's class path. The timeouts only keep a broken build from hanging; nothing here measures time.
 */
class CharModelProcessTest {
    private static final int SIGINT = 2;

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void interruptedTrainingSavesACheckpointAndExitsWith130() throws Exception {
        Path text = Files.writeString(tmp.resolve("tiny.txt"), CharModelCommandsTest.tinyText());
        Path out = tmp.resolve("run");
        Process child = start("train", "--text", text.toString(), "--out", out.toString(), "--hidden", "16", "--embedding", "8",
                "--batch", "2", "--seq", "16", "--val-fraction", "0.1", "--steps", "1000000000", "--val-every", "1000000000",
                "--progress", "lines", "--json");
        try {
            BlockingQueue<String> errLines = lines(child.getErrorStream());
            StringBuilder stdout = collect(child.getInputStream());
            // training has started once the first progress line is out
            String line;
            List<String> seen = new ArrayList<>();
            do {
                line = errLines.poll(60, TimeUnit.SECONDS);
                assertNotNull(line, "no progress line from the child; stderr so far: " + seen);
                seen.add(line);
            } while (!line.startsWith("step 1/"));

            // A process started in the background of a non-interactive shell inherits SIGINT as
            // ignored, and the JVM then leaves it ignored; SIGTERM takes the same shutdown path.
            boolean intIgnored = signalIgnored(SIGINT);
            String signal = intIgnored ? "TERM" : "INT";
            Process kill = new ProcessBuilder("sh", "-c", "kill -" + signal + " \"$0\"", Long.toString(child.pid())).start();
            assertEquals(0, kill.waitFor());
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child did not stop after SIG" + signal);
            assertEquals(intIgnored ? 143 : TrainCommand.EXIT_INTERRUPTED, child.exitValue(), "exit code after SIG" + signal);

            List<String> rest = new ArrayList<>();
            errLines.drainTo(rest);
            String err = String.join("\n", rest);
            assertTrue(err.contains("unroll: stopping: finishing the current step and saving a checkpoint"), err);
            assertTrue(err.contains("unroll: stopped at step ") && err.contains("--resume " + out.resolve("latest.safetensors")), err);

            JsonNode summary = new ObjectMapper().readTree(waitForEnd(stdout));
            assertTrue(summary.get("interrupted").asBoolean(), summary.toString());
            long step = summary.get("step").asLong();
            assertTrue(step >= 1, summary.toString());
            Checkpoint.Loaded saved = Checkpoint.load(out.resolve("latest.safetensors"));
            assertEquals(step, saved.training().step(), "the checkpoint holds the step the summary reports");
            try (Stream<Path> files = Files.list(out)) {
                assertEquals(List.of("latest.safetensors"), files.map(p -> p.getFileName().toString()).toList(),
                        "no temporary file left behind");
            }

            // and the run continues from it
            CharModelCommandsTest.Outcome resumed = CharModelCommandsTest.run("train", "--text", text.toString(), "--resume",
                    out.resolve("latest.safetensors").toString(), "--steps", Long.toString(step + 3), "--progress", "none", "--json");
            JsonNode doc = resumed.json();
            assertEquals(step, doc.get("startStep").asLong());
            assertEquals(step + 3, doc.get("step").asLong());
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void streamAnswersEachCharacterAsItArrives() throws Exception {
        Path text = Files.writeString(tmp.resolve("tiny.txt"), CharModelCommandsTest.tinyText());
        Path model = tmp.resolve("model");
        assertEquals(0, CharModelCommandsTest.run(CharModelCommandsTest.train("--text", text.toString(), "--out", model.toString(),
                "--steps", "20")).exitCode());
        Process child = start("stream", "--model", model.toString(), "--top", "2");
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            OutputStream in = child.getOutputStream();
            // one character, no newline, stdin left open: the answer must come anyway
            in.write('t');
            in.flush();
            String first = out.readLine();
            assertNotNull(first);
            assertTrue(first.matches("'t' -> '.{1,2}' [01]\\.\\d{4}  '.{1,2}' [01]\\.\\d{4}"), first);
            in.write("he".getBytes(StandardCharsets.UTF_8));
            in.flush();
            assertTrue(out.readLine().startsWith("'h' -> "));
            assertTrue(out.readLine().startsWith("'e' -> "));
            // a two-byte character sent one byte at a time is one character
            byte[] e = "\u00e9".getBytes(StandardCharsets.UTF_8);
            in.write(e[0]);
            in.flush();
            in.write(e[1]);
            in.flush();
            assertEquals("'\u00e9' -> not in the model's vocabulary (U+00E9); skipped", out.readLine());
            in.close();
            assertNull(out.readLine(), "nothing more after the end of input");
            assertTrue(child.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, child.exitValue());
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aKilledGridKeepsEveryFinishedRunAndResumesFromThem() throws Exception {
        Path file = tmp.resolve("grid.json");
        // two quick runs at length 4, then two slow ones at length 10,000 (seconds a step)
        String[] grid = {"lab", "grid", "--lengths", "4,10000", "--configs", "tanh,gru", "--hidden", "512", "--batch", "4",
            "--held-out", "4", "--eval-every", "10", "--steps", "20", "--file", file.toString(), "--progress", "none"};
        Process child = start(grid);
        try {
            ObjectMapper json = new ObjectMapper();
            JsonNode kept = null;
            for (int i = 0; i < 600 && (kept == null || kept.get("runs").size() < 2); i++) {
                Thread.sleep(100);
                kept = Files.exists(file) ? json.readTree(file.toFile()) : null;
            }
            assertNotNull(kept, "no grid file after 60 s");
            assertEquals(2, kept.get("runs").size(), kept.toString());
            assertTrue(child.isAlive(), "still training at length 10,000");
            child.destroyForcibly(); // SIGKILL: no shutdown hook, nothing flushed
            assertTrue(child.waitFor(60, TimeUnit.SECONDS));

            assertEquals(kept, json.readTree(file.toFile()), "the two finished runs, intact");
            String[] resume = grid.clone();
            resume[3] = "4"; // the same grid at length 4 alone
            CharModelCommandsTest.Outcome o = CharModelCommandsTest.run(resume);
            assertEquals(0, o.exitCode(), o.err());
            assertTrue(o.out().contains("(2 of 2 there already)"), o.out());
            assertTrue(o.out().lines().noneMatch(l -> l.startsWith("[")), "nothing trained again: " + o.out());
        } finally {
            child.destroyForcibly();
        }

        // stopped by a signal during a slow run: it says what it keeps, and keeps it
        String[] withProgress = grid.clone();
        withProgress[withProgress.length - 1] = "lines";
        Process again = start(withProgress);
        try {
            BlockingQueue<String> errLines = lines(again.getErrorStream());
            StringBuilder stdout = collect(again.getInputStream());
            String line;
            do {
                line = errLines.poll(60, TimeUnit.SECONDS);
                assertNotNull(line, "no progress line from the resumed grid");
            } while (!line.contains("[3/4] tanh, T = 10000: "));
            boolean intIgnored = signalIgnored(SIGINT);
            Process kill = new ProcessBuilder("sh", "-c", "kill -" + (intIgnored ? "TERM" : "INT") + " \"$0\"",
                    Long.toString(again.pid())).start();
            assertEquals(0, kill.waitFor());
            assertTrue(again.waitFor(60, TimeUnit.SECONDS), "the grid did not stop after the signal");
            assertEquals(intIgnored ? 143 : TrainCommand.EXIT_INTERRUPTED, again.exitValue());
            String out = waitForEnd(stdout);
            assertTrue(out.contains("stopped during tanh at length 10000; the 2 finished runs are kept in " + file), out);
            assertEquals(2, new ObjectMapper().readTree(file.toFile()).get("runs").size());
        } finally {
            again.destroyForcibly();
        }
    }

    /** {@code java --add-modules jdk.incubator.vector -cp <this class path> io.unroll.cli.Main args}. */
    private static Process start(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), "io.unroll.cli.Main"));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).start();
    }

    /** The lines of {@code in}, read by a daemon thread as they come. */
    private static BlockingQueue<String> lines(InputStream in) {
        BlockingQueue<String> queue = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    queue.add(line);
                }
            } catch (IOException e) {
                queue.add("(read failed: " + e + ")");
            }
        }, "child-stderr");
        reader.setDaemon(true);
        reader.start();
        return queue;
    }

    /** Everything {@code in} delivers, collected by a daemon thread; {@link #waitForEnd} waits for its end. */
    private static StringBuilder collect(InputStream in) {
        StringBuilder sb = new StringBuilder();
        Thread reader = new Thread(() -> {
            try {
                byte[] all = in.readAllBytes();
                synchronized (sb) {
                    sb.append(new String(all, StandardCharsets.UTF_8));
                    sb.append('\0');
                    sb.notifyAll();
                }
            } catch (IOException e) {
                synchronized (sb) {
                    sb.append('\0');
                    sb.notifyAll();
                }
            }
        }, "child-stdout");
        reader.setDaemon(true);
        reader.start();
        return sb;
    }

    private static String waitForEnd(StringBuilder sb) throws InterruptedException {
        synchronized (sb) {
            while (sb.indexOf("\0") < 0) {
                sb.wait();
            }
            return sb.substring(0, sb.indexOf("\0"));
        }
    }

    /** Whether this process ignores {@code signal} (Linux: the SigIgn mask of /proc/self/status), so children would too. */
    private static boolean signalIgnored(int signal) throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return false;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("SigIgn:")) {
                long mask = Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16);
                return (mask & (1L << (signal - 1))) != 0;
            }
        }
        return false;
    }
}
