package io.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every command writing into a pipe whose reader has gone ({@code unroll sample | head}) stops at
 * the first write that fails, quietly, with status {@value Main#EXIT_BROKEN_PIPE}; any other
 * failed write is a one-line error. The pipes here are streams that take some bytes and then fail
 * every write the way {@link java.io.FileOutputStream} does; "stops at once" is counted in failed
 * writes, not measured in time.
 */
class ClosedOutputTest {
    /** Writes a stopped command may still try after the first failure: the final flushes. */
    private static final int MAX_FAILED_WRITES = 3;

    @TempDir
    static Path tmp;
    static Path text;
    static Path model;

    @BeforeAll
    static void trainTinyModel() throws IOException {
        text = Files.writeString(tmp.resolve("tiny.txt"), CharModelCommandsTest.tinyText());
        model = CharModelCommandsTest.trainTiny(text, tmp.resolve("model"));
    }

    /** A pipe whose reader goes away after {@code open} bytes; then every write fails with {@code error}. */
    static final class Pipe extends OutputStream {
        private final int open;
        private final String error;
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private int failedWrites;

        Pipe(int open, String error) {
            this.open = open;
            this.error = error;
        }

        static Pipe read() {
            return new Pipe(Integer.MAX_VALUE, "unused");
        }

        static Pipe closedAfter(int bytes) {
            return new Pipe(bytes, "Broken pipe");
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len <= open - received.size()) {
                received.write(b, off, len);
                return;
            }
            failedWrites++;
            throw new IOException(error);
        }

        String text() {
            return received.toString(StandardCharsets.UTF_8);
        }
    }

    record Outcome(int exitCode, Pipe out, Pipe err) {
        @Override
        public String toString() {
            return "exit " + exitCode + ", " + out.failedWrites + " failed writes to stdout, " + err.failedWrites
                    + " to stderr; stdout: " + out.text() + "\nstderr: " + err.text();
        }
    }

    private static Outcome run(Pipe out, Pipe err, byte[] stdin, String... args) {
        CommandLine commandLine = Main.newCommandLine(CheckedOutput.writer(out, "stdout"), CheckedOutput.writer(err, "stderr"));
        if (stdin != null) {
            ((StreamCommand) commandLine.getSubcommands().get("stream").getCommand()).setInput(new ByteArrayInputStream(stdin));
        }
        return new Outcome(Main.execute(commandLine, args), out, err);
    }

    /** stdout's reader leaves after {@code bytes}: exit 141 at the first failed write, stderr without an error. */
    private static Outcome assertStopsQuietly(int bytes, byte[] stdin, String... args) {
        Outcome o = run(Pipe.closedAfter(bytes), Pipe.read(), stdin, args);
        assertEquals(Main.EXIT_BROKEN_PIPE, o.exitCode(), String.join(" ", args) + ": " + o);
        assertTrue(o.out().failedWrites >= 1 && o.out().failedWrites <= MAX_FAILED_WRITES, String.join(" ", args) + ": " + o);
        assertFalse(o.err().text().contains("error") || o.err().text().contains("Exception"), String.join(" ", args) + ": " + o);
        return o;
    }

    @Test
    void helpAndVersionStopQuietly() {
        assertStopsQuietly(10, null, "--help");
        assertStopsQuietly(10, null, "help", "train");
        assertStopsQuietly(10, null, "--version");
    }

    @Test
    void experimentsStopQuietly() {
        assertStopsQuietly(40, null, "decay", "--trials", "2");
        assertStopsQuietly(0, null, "decay", "--trials", "2", "--json");
        assertStopsQuietly(40, null, "demo", "hello", "--epochs", "300");
        assertStopsQuietly(40, null, "demo", "lm", "--epochs", "100");
    }

    @Test
    void sampleStopsAtTheFirstCharacterNobodyReads() {
        Outcome o = assertStopsQuietly(100, null, "sample", "--model", model.toString(), "--length", "200000");
        assertEquals(100, o.out().text().length(), o.toString());
        assertEquals("", o.err().text());
        assertStopsQuietly(0, null, "sample", "--model", model.toString(), "--length", "2000", "--json");
    }

    @Test
    void streamStopsAtTheFirstLineNobodyReads() {
        byte[] input = "the cat sat on the mat.\n".repeat(5000).getBytes(StandardCharsets.UTF_8);
        Outcome o = assertStopsQuietly(60, input, "stream", "--model", model.toString());
        assertEquals(List.of("unroll stream: "), o.err().text().lines().map(l -> l.substring(0, 15)).toList(), o.toString());
        assertStopsQuietly(60, input, "stream", "--model", model.toString(), "--json");
    }

    @Test
    void scoreStopsQuietly() {
        assertStopsQuietly(0, null, "score", "--model", model.toString(), "--text", text.toString());
        assertStopsQuietly(0, null, "score", "--model", model.toString(), "--text", text.toString(), "--json");
    }

    @Test
    void trainStopsBeforeTrainingWhenNobodyReadsItsHeader() throws IOException {
        Path out = tmp.resolve("header-unread");
        assertStopsQuietly(0, null, CharModelCommandsTest.train("--text", text.toString(), "--out", out.toString(), "--steps", "400"));
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of(), files.toList(), "no step was trained, so no checkpoint written");
        }
    }

    @Test
    void trainStopsAtTheFirstProgressLineNobodyReads() throws IOException {
        Path out = tmp.resolve("progress-unread");
        Outcome o = run(Pipe.read(), Pipe.closedAfter(0), null, "train", "--text", text.toString(), "--out", out.toString(),
                "--hidden", "16", "--embedding", "8", "--batch", "2", "--seq", "16", "--steps", "400", "--progress", "lines");
        assertEquals(Main.EXIT_BROKEN_PIPE, o.exitCode(), o.toString());
        assertTrue(o.err().failedWrites <= MAX_FAILED_WRITES, o.toString());
        assertTrue(o.out().text().startsWith("Training a lstm character model"), o.toString());
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of(), files.toList(), "stopped at step 1, before the first validation");
        }
    }

    @Test
    void benchStopsAtTheFirstProgressLineNobodyReads() {
        Outcome o = run(Pipe.read(), Pipe.closedAfter(0), null, "bench", "--quick", "--cells", "rnn", "--grid", "8x2",
                "--steps", "4", "--stream-hidden", "4", "--runs", "2");
        assertEquals(Main.EXIT_BROKEN_PIPE, o.exitCode(), o.toString());
        assertTrue(o.err().failedWrites >= 1 && o.err().failedWrites <= MAX_FAILED_WRITES, o.toString());
        assertEquals("", o.out().text());
    }

    @Test
    void anErrorMessageNobodyReadsEndsWith141Too() {
        Outcome usage = run(Pipe.read(), Pipe.closedAfter(0), null, "decay", "--trials", "many");
        assertEquals(Main.EXIT_BROKEN_PIPE, usage.exitCode(), usage.toString());
        Outcome failure = run(Pipe.read(), Pipe.closedAfter(0), null, "score", "--model", tmp.resolve("missing").toString(),
                "--text", text.toString());
        assertEquals(Main.EXIT_BROKEN_PIPE, failure.exitCode(), failure.toString());
        assertEquals("", usage.out().text() + failure.out().text());
    }

    @Test
    void anyOtherFailedWriteIsAOneLineError() {
        Outcome o = run(new Pipe(10, "No space left on device"), Pipe.read(), null, "decay", "--trials", "2");
        assertEquals(Main.EXIT_FAILURE, o.exitCode(), o.toString());
        assertEquals("unroll: error: IOException: cannot write to stdout: No space left on device\n", o.err().text());
    }
}
