package io.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.unroll.io.Checkpoint;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The {@code ./unroll} launcher of this checkout as users run it, a real process each time:
 * signals reach the program (kill, kill -9, timeout, Ctrl-C and SIGTERM to the whole process
 * group), {@code train} stopped by SIGINT or SIGTERM saves and says where it stopped, a closed
 * output pipe ends {@code stream} and {@code sample} with status 141, and a progress bar still
 * finds the terminal behind the launcher's stderr filter.
 *
 * <p>An integration test (failsafe, after {@code package}): the launcher runs the packaged CLI.
 * It runs on the JDK that runs the tests. Every wait is a bound that keeps a broken build from
 * hanging, generous for a loaded machine; nothing here measures speed.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LauncherIT {
    private static final Path LAUNCHER = Path.of("..", "unroll").toAbsolutePath().normalize();
    private static final String INCUBATOR_WARNING = "WARNING: Using incubator modules";
    private static final Pattern STOPPED = Pattern.compile(
            "unroll: stopped at step (\\d+) of 1000000000; saved (\\S+); continue with: unroll train --text \\S+ --resume (\\S+)");
    /** How long every process the launcher started may take to end after the launcher did. */
    private static final long GONE_WITHIN_SECONDS = 10;

    @TempDir
    static Path tmp;
    static Path text;
    static Path model;

    @BeforeAll
    static void buildAndTrain() throws Exception {
        assertTrue(Files.isExecutable(LAUNCHER), "no launcher at " + LAUNCHER);
        text = Files.writeString(tmp.resolve("tiny.txt"), CharModelCommandsTest.tinyText());
        model = CharModelCommandsTest.trainTiny(text, tmp.resolve("model"));
        // The launcher builds the CLI if its sources are newer than the jar: let that happen here,
        // outside the bounded waits of the tests.
        Process version = launcher(List.of(), "--version").redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(version.waitFor(15, TimeUnit.MINUTES), "./unroll --version did not finish");
        assertEquals(0, version.exitValue(), "./unroll --version");
    }

    // ------------------------------------------------------------------ signals

    /**
     * SIGINT (what Ctrl-C sends to the terminal's foreground process group) and SIGTERM (kill,
     * a supervisor), sent to the launcher's process or to its whole process group: {@code train}
     * saves and says where it stopped, the exit code is 128 + the signal, and nothing the launcher
     * started keeps running. stderr is a file, read the moment the launcher's process has ended.
     */
    @ParameterizedTest(name = "SIG{0} to the {1}")
    @CsvSource({"INT, process", "INT, group", "TERM, process", "TERM, group"})
    void aStopSignalSavesSaysWhereItStoppedAndEndsEverything(String signal, String target) throws Exception {
        Path out = tmp.resolve("stop-" + signal + "-" + target);
        whileTraining(out, List.of(), train -> {
            long pid = train.process.pid();
            assertEquals(pid, processGroup(pid), "setsid gave the launcher a process group of its own");
            kill(signal, target.equals("group") ? -pid : pid);
            int status = train.awaitExit(2, "./unroll train still runs after SIG" + signal);
            String err = train.stderr();
            assertEquals(signal.equals("INT") ? 130 : 143, status, err);
            assertTrue(err.contains("unroll: stopping: finishing the current step and saving a checkpoint..."), err);
            Matcher stopped = assertStoppedAndSaved(err, out);
            Path latest = out.resolve("latest.safetensors");
            assertEquals(latest.toString(), stopped.group(2));
            assertEquals(latest.toString(), stopped.group(3));
            assertTrue(train.stdout().contains("stopped: " + stopped.group(1) + " steps"), train.stdout());
            assertFalse(err.contains(INCUBATOR_WARNING), err);
        });
    }

    /** kill -9 cannot be caught: the JVM, which has the launcher's process id, dies, and nothing keeps running. */
    @Test
    void killMinus9EndsTheProgram() throws Exception {
        whileTraining(tmp.resolve("kill-9"), List.of(), train -> {
            kill("KILL", train.process.pid());
            assertEquals(128 + 9, train.awaitExit(1, "./unroll train still runs after SIGKILL"));
        });
    }

    /**
     * {@code timeout 30 ./unroll train ...}: at the deadline timeout sends SIGTERM to the launcher
     * and to its process group; the run stops as on any SIGTERM.
     */
    @Test
    void timeoutStopsTheProgram() throws Exception {
        Path out = tmp.resolve("timeout");
        whileTraining(out, List.of("timeout", "30"), train -> {
            int status = train.awaitExit(2, "timeout did not end");
            String err = train.stderr();
            assertEquals(124, status, "timeout's status when the deadline passed; " + err);
            assertStoppedAndSaved(err, out);
        });
    }

    // ------------------------------------------------------------------ closed output pipes

    /** {@code yes 'To be' | ./unroll stream --model M | head -n 3}: stream ends once head has gone. */
    @Test
    void streamEndsWith141WhenItsReaderLeaves() throws Exception {
        Path err = tmp.resolve("stream.err");
        List<Process> pipeline = ProcessBuilder.startPipeline(List.of(
                new ProcessBuilder("yes", "To be").redirectError(ProcessBuilder.Redirect.DISCARD),
                launcher(List.of(), "stream", "--model", model.toString()).redirectError(err.toFile())));
        Process stream = pipeline.get(1);
        List<ProcessHandle> tree = new ArrayList<>(pipeline.stream().map(Process::toHandle).toList());
        assertAllGoneAfter(tree, () -> {
            BufferedReader lines = new BufferedReader(new InputStreamReader(stream.getInputStream(), StandardCharsets.UTF_8));
            for (int i = 0; i < 3; i++) {
                String line = lines.readLine();
                assertNotNull(line, "stream ended early; stderr: " + Files.readString(err));
                assertTrue(line.startsWith("'" + "To be".charAt(i) + "' -> "), line);
            }
            assertEndsWith141WhenItsReaderLeaves(stream, "stream", tree);
            List<String> errLines = Files.readAllLines(err);
            assertEquals(1, errLines.size(), "only stream's opening line on stderr, no error: " + errLines);
            assertTrue(errLines.get(0).startsWith("unroll stream: "), errLines.get(0));
        });
    }

    /** {@code ./unroll sample --model M --length 100000000 | head -c 100}: sample ends once head has gone. */
    @Test
    void sampleEndsWith141WhenItsReaderLeaves() throws Exception {
        Path err = tmp.resolve("sample.err");
        Process sample = launcher(List.of(), "sample", "--model", model.toString(), "--length", "100000000")
                .redirectError(err.toFile()).start();
        List<ProcessHandle> tree = new ArrayList<>(List.of(sample.toHandle()));
        assertAllGoneAfter(tree, () -> {
            InputStream out = sample.getInputStream();
            assertEquals(100, out.readNBytes(100).length, "sample ended early; stderr: " + Files.readString(err));
            assertEndsWith141WhenItsReaderLeaves(sample, "sample", tree);
            assertEquals("", Files.readString(err), "nothing on stderr");
        });
    }

    // ------------------------------------------------------------------ the terminal

    /**
     * On a terminal (a pseudo-terminal from {@code script}), {@code --progress auto} draws the bar
     * redrawn with {@code \r}, although the JVM's own stderr is the pipe to the launcher's filter.
     */
    @Test
    void theProgressBarFindsTheTerminalBehindTheFilter() throws Exception {
        String command = String.join(" ", quoted(LAUNCHER.toString()), "train", "--text", quoted(text.toString()),
                "--out", quoted(tmp.resolve("terminal").toString()), "--hidden", "16", "--embedding", "8", "--batch", "2",
                "--seq", "16", "--steps", "30", "--val-every", "10");
        Path screen = tmp.resolve("terminal.out");
        ProcessBuilder builder = new ProcessBuilder("script", "-qec", command, "/dev/null")
                .redirectInput(new File("/dev/null")).redirectErrorStream(true).redirectOutput(screen.toFile());
        environment(builder.environment());
        builder.environment().put("TERM", "xterm");
        builder.environment().put("COLUMNS", "120");
        Process script = builder.start();
        try {
            assertTrue(script.waitFor(3, TimeUnit.MINUTES), "script did not end");
            String shown = Files.readString(screen);
            assertEquals(0, script.exitValue(), shown);
            assertTrue(shown.contains("\r\033[Kstep "), "no progress bar on the terminal:\n" + shown);
            assertFalse(shown.contains(INCUBATOR_WARNING), shown);
        } finally {
            destroy(List.of(script.toHandle()));
        }
    }

    // ------------------------------------------------------------------ helpers

    /** What a test does to a training run once it has started. */
    @FunctionalInterface
    private interface WhileTraining {
        void accept(Running train) throws Exception;
    }

    /** A test's body. */
    @FunctionalInterface
    private interface Body {
        void run() throws Exception;
    }

    /**
     * Runs {@code test}, then requires every process in {@code tree}, which the test may add to, to
     * have ended; whatever happens, ends them all.
     */
    private static void assertAllGoneAfter(List<ProcessHandle> tree, Body test) throws Exception {
        try {
            test.run();
            assertAllGone(tree);
        } finally {
            destroy(tree);
        }
    }

    /**
     * Starts {@link Running#train}, waits for its first step, hands it to {@code test}, then
     * requires every process the launcher had started by then to have ended; whatever happens, ends
     * every process of the run.
     */
    private static void whileTraining(Path out, List<String> prefix, WhileTraining test) throws Exception {
        Running train = Running.train(out, prefix);
        try {
            train.awaitProgress();
            List<ProcessHandle> tree = train.tree();
            test.accept(train);
            assertAllGone(tree);
        } finally {
            train.destroy();
        }
    }

    /**
     * The "stopped at step N; saved ...; continue with ..." line of {@code err}, required to be
     * there and its step to be the one the checkpoint {@code out}/latest.safetensors holds.
     */
    private static Matcher assertStoppedAndSaved(String err, Path out) throws IOException {
        Matcher stopped = STOPPED.matcher(err);
        assertTrue(stopped.find(), "no 'stopped at step N; continue with ...' line in\n" + err);
        assertEquals(Long.parseLong(stopped.group(1)), Checkpoint.load(out.resolve("latest.safetensors")).training().step(),
                "the checkpoint holds the step the line names");
        return stopped;
    }

    /**
     * Closes the reading end of {@code process}'s stdout, as a reader that leaves does, and
     * requires the process to end within 5 s with status {@value Main#EXIT_BROKEN_PIPE}; first adds
     * the processes it has started to {@code tree}.
     */
    private static void assertEndsWith141WhenItsReaderLeaves(Process process, String name, List<ProcessHandle> tree)
            throws Exception {
        process.descendants().forEach(tree::add);
        process.getInputStream().close();
        assertTrue(process.waitFor(5, TimeUnit.SECONDS), name + " still runs 5 s after its reader left");
        assertEquals(Main.EXIT_BROKEN_PIPE, process.exitValue());
    }

    /**
     * A {@code train} of a tiny model toward a billion steps, stdout and stderr into files, and
     * every process seen in its tree, to be ended however the test ends.
     */
    private record Running(Process process, Path stdoutFile, Path stderrFile, List<ProcessHandle> seen) {
        /**
         * Started by {@code prefix} (none, or {@code timeout 30}) or else in a process group of its
         * own ({@code setsid}) with SIGINT handled, as in a terminal's foreground (a process started
         * in the background of a non-interactive shell, as a build may be, inherits SIGINT ignored).
         */
        static Running train(Path out, List<String> prefix) throws IOException {
            List<String> start = prefix.isEmpty() ? List.of("setsid", "env", "--default-signal=INT") : prefix;
            Path stdout = Path.of(out + ".out");
            Path stderr = Path.of(out + ".err");
            Process process = launcher(start, "train", "--text", text.toString(), "--out", out.toString(), "--hidden", "16",
                    "--embedding", "8", "--batch", "2", "--seq", "16", "--val-fraction", "0.1", "--steps", "1000000000",
                    "--val-every", "1000000000", "--progress", "lines")
                    .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
            return new Running(process, stdout, stderr, new ArrayList<>());
        }

        /** Waits until the first progress line shows that training has started. */
        void awaitProgress() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (!stderr().contains("step 1/")) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    fail("training did not start; stderr:\n" + stderr() + "\nstdout:\n" + stdout());
                }
                Thread.sleep(50);
            }
        }

        /** Waits up to {@code minutes} for the launcher to end, failing with {@code stillRunning}; returns its status. */
        int awaitExit(long minutes, String stillRunning) throws InterruptedException {
            assertTrue(process.waitFor(minutes, TimeUnit.MINUTES), stillRunning);
            return process.exitValue();
        }

        /** The launcher's process and every process it has started. */
        List<ProcessHandle> tree() {
            List<ProcessHandle> tree = new ArrayList<>(List.of(process.toHandle()));
            process.descendants().forEach(tree::add);
            seen.addAll(tree);
            return tree;
        }

        String stdout() throws IOException {
            return Files.readString(stdoutFile);
        }

        String stderr() throws IOException {
            return Files.readString(stderrFile);
        }

        void destroy() {
            tree();
            LauncherIT.destroy(seen);
        }
    }

    /** {@code prefix... ./unroll args...} in the temporary directory, on the JDK running this test. */
    private static ProcessBuilder launcher(List<String> prefix, String... args) {
        List<String> command = new ArrayList<>(prefix);
        command.add(LAUNCHER.toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(tmp.toFile());
        environment(builder.environment());
        return builder;
    }

    private static void environment(Map<String, String> env) {
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.remove("UNROLL_PROGRESS");
        env.remove("UNROLL_JAVA_OPTS");
        env.remove("JAVA_TOOL_OPTIONS");
    }

    /** The shell's {@code kill -s SIGNAL -- target}: a process id, or minus a process group's id. */
    private static void kill(String signal, long target) throws Exception {
        Process kill = new ProcessBuilder("sh", "-c", "kill -s \"$0\" -- \"$1\"", signal, Long.toString(target))
                .inheritIO().start();
        assertTrue(kill.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, kill.exitValue(), "kill -s " + signal + " -- " + target);
    }

    /** Every process in {@code tree} ends within {@value #GONE_WITHIN_SECONDS} s (an unreaped zombie has ended). */
    private static void assertAllGone(List<ProcessHandle> tree) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(GONE_WITHIN_SECONDS);
        for (ProcessHandle p : tree) {
            while (running(p)) {
                if (System.nanoTime() > deadline) {
                    fail("process " + p.pid() + " (" + p.info().commandLine().orElse("?") + ") still runs "
                            + GONE_WITHIN_SECONDS + " s after the launcher ended");
                }
                Thread.sleep(50);
            }
        }
    }

    /** The process group of process {@code pid} (Linux: field 5 of /proc/pid/stat). */
    private static long processGroup(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[2]);
    }

    private static boolean running(ProcessHandle p) {
        if (!p.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false; // gone between the two looks
        }
    }

    private static void destroy(List<ProcessHandle> tree) {
        tree.forEach(ProcessHandle::destroyForcibly);
    }

    private static String quoted(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
