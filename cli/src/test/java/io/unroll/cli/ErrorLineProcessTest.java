package io.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one-line error contract where only a JVM of its own can show it: system properties the
 * kernels read once, in a static initialiser, and a heap set with {@code -Xmx}. Each case runs
 * {@code io.unroll.cli.Main} in a child JVM with this test's class path and expects exactly one
 * line on stderr (after the JVM's own notice of the incubator module, which the launcher drops)
 * and exit code 1.
 */
class ErrorLineProcessTest {
    @TempDir
    Path tmp;

    @Test
    void badKernelPropertiesAreOneLineNamingThePropertyItsValueAndWhatItTakes() throws Exception {
        assertOneLine(run(List.of("-Dunroll.threads=abc"), "decay", "--trials", "1"),
                "unroll: error: system property unroll.threads is 'abc', expected a whole number >= 1 (the kernel threads,"
                        + " the caller included; unset means one per processor); the likely cause is -Dunroll.threads=abc"
                        + " among the JVM options");
        assertOneLine(run(List.of("-Dunroll.threads=0"), "decay", "--trials", "1"),
                "unroll: error: system property unroll.threads is '0', expected a whole number >= 1");
        assertOneLine(run(List.of("-Dunroll.kernels=bogus"), "decay", "--trials", "1"),
                "unroll: error: system property unroll.kernels is 'bogus', expected simd or scalar (unset means simd);"
                        + " the likely cause is -Dunroll.kernels=bogus among the JVM options");
        // bench sets the thread property for its own run: a bad one is named, not replaced
        assertOneLine(run(List.of("-Dunroll.threads=abc"), "bench", "--quick"),
                "unroll: error: system property unroll.threads is 'abc', expected a whole number >= 1");
    }

    @Test
    void whatDoesNotFitASmallHeapIsRefusedUpFrontWithBothSizes() throws Exception {
        assertOneLine(run(List.of("-Xmx64m"), "decay", "--hidden", "3000", "--trials", "1"),
                "unroll: error: the experiment's rnn_tanh of 3,000 hidden units over 80 steps and 1 trial (weights with"
                        + " gradients 68.7 MB, workspace 72.4 MB, norms 1.3 KB) needs about 141.1 MB, more than the 64.0 MB"
                        + " this JVM may use (its maximum heap, -Xmx); use a smaller hidden size, a shorter length or fewer"
                        + " trials, or a larger heap; give the JVM more memory: the launcher takes its options from"
                        + " UNROLL_JAVA_OPTS, e.g. UNROLL_JAVA_OPTS=-Xmx1g");
        // 12 MB of text: its bytes, characters and string take five times that to read
        Path text = Files.writeString(tmp.resolve("large.txt"), "the cat sat on the mat.\n".repeat(500_000));
        assertOneLine(run(List.of("-Xmx48m"), "train", "--text", text.toString(), "--out", tmp.resolve("run").toString()),
                "unroll: error: reading --text " + text + " (11.4 MB) needs about 57.2 MB, more than the 48.0 MB this JVM"
                        + " may use (its maximum heap, -Xmx); use a shorter text, or a larger heap; give the JVM more memory");
        assertTrue(Files.notExists(tmp.resolve("run")));
    }

    private record Result(int exit, List<String> errLines) {}

    private static void assertOneLine(Result r, String start) {
        assertEquals(1, r.exit(), String.join("\n", r.errLines()));
        assertEquals(1, r.errLines().size(), String.join("\n", r.errLines()));
        assertTrue(r.errLines().get(0).startsWith(start), "expected a line starting with\n" + start + "\nbut got\n" + r.errLines().get(0));
    }

    /** {@code java <jvmOptions> --add-modules jdk.incubator.vector -cp <this class path> io.unroll.cli.Main args}. */
    private static Result run(List<String> jvmOptions, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "io.unroll.cli.Main"));
        command.addAll(List.of(args));
        Process child = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        child.getOutputStream().close();
        String err = new String(child.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the child JVM did not finish");
        List<String> lines = err.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules: ")).toList();
        return new Result(child.exitValue(), lines);
    }
}
