package io.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.tensor.Memory;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The command tree, exit codes and the one-line error contract of {@link Main}. */
class MainTest {

    /** A test-only command that echoes its common options or fails the way it is told to. */
    @Command(name = "probe", description = "Test command.")
    static final class Probe implements Callable<Integer> {
        @Mixin
        CommonOptions common;

        @Option(names = "--fail", paramLabel = "<kind>", description = "iae, state, usage, oom, array, init or memory")
        String fail;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            switch (fail == null ? "" : fail) {
                case "iae" -> throw new IllegalArgumentException("input has shape [4, 35, 8], expected [4, 35, 9]");
                case "state" -> throw new IllegalStateException("gradient norm became NaN\nat step 812");
                case "usage" -> throw new CommandLine.ParameterException(spec.commandLine(), "--hidden must be positive");
                case "oom" -> throw new OutOfMemoryError("Java heap space");
                case "array" -> throw new OutOfMemoryError("Requested array size exceeds VM limit");
                // what a static initialiser that reads a bad property fails with
                case "init" -> throw new ExceptionInInitializerError(new IllegalArgumentException(
                        "system property unroll.threads is 'abc', expected a whole number >= 1"));
                case "memory" -> Memory.require("the probe", 3L << 30, 1L << 30, "use less");
                default -> { }
            }
            if (common.json()) {
                Json.write(spec.commandLine().getOut(), new Echo(common.seed(), common.rng().cliName(), common.verbose()));
            } else {
                spec.commandLine().getOut().println("seed=" + common.seed() + " rng=" + common.rng());
            }
            return 0;
        }
    }

    record Echo(long seed, String rng, boolean verbose) {
    }

    /** What one run printed and returned. */
    record Outcome(int exitCode, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }
    }

    /** The command tree with {@link Probe} added, run on {@code args}. */
    private static Outcome run(String... args) {
        return capture((out, err) -> Main.execute(Main.newCommandLine(out, err, new Probe()), args));
    }

    /** The program as it ships, run on {@code args}. */
    private static Outcome runMain(String... args) {
        return capture((out, err) -> Main.run(out, err, args));
    }

    /** What {@code program} printed to the two writers it was given, and the exit code it returned. */
    private static Outcome capture(BiFunction<PrintWriter, PrintWriter, Integer> program) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exitCode = program.apply(new PrintWriter(out), new PrintWriter(err));
        return new Outcome(exitCode, out.toString(), err.toString());
    }

    /** The one line on stderr of a run that ended with {@code exitCode}. */
    private static String oneErrorLine(Outcome o, int exitCode) {
        assertEquals(exitCode, o.exitCode(), o.err());
        assertEquals(1, o.errLines().size(), o.err());
        return o.errLines().get(0);
    }

    @Test
    void helpListsTheCommandsAndExitsZero() {
        Outcome o = runMain("--help");
        assertEquals(0, o.exitCode());
        assertTrue(o.out().contains("Usage: unroll"), o.out());
        assertTrue(o.out().replaceAll("\\s+", " ").contains("gradient's journey back through time"), o.out());
        assertTrue(o.out().contains("Commands:"), o.out());
        assertTrue(o.out().lines().anyMatch(l -> l.strip().startsWith("help ")), o.out());
        assertEquals("", o.err());
    }

    /**
     * Every command's help renders without a picocli warning (a lone % in a description is read as
     * a format specifier: picocli then warns on stderr and prints the raw text) and fits 80 columns.
     */
    @Test
    void everyCommandsHelpRendersCleanly() {
        java.io.PrintStream saved = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        List<String> wide = new java.util.ArrayList<>();
        try {
            System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
            java.util.ArrayDeque<CommandLine> todo = new java.util.ArrayDeque<>();
            todo.add(Main.newCommandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter())));
            while (!todo.isEmpty()) {
                CommandLine c = todo.poll();
                c.getUsageMessage().lines().filter(l -> l.length() > 80).forEach(l -> wide.add(c.getCommandName() + ": " + l));
                todo.addAll(c.getSubcommands().values());
            }
        } finally {
            System.setErr(saved);
        }
        assertEquals("", captured.toString(java.nio.charset.StandardCharsets.UTF_8), "picocli's warnings");
        assertEquals(List.of(), wide, "help lines wider than 80 columns");
    }

    @Test
    void helpListsSubcommandsAddedLater() {
        Outcome o = run("--help");
        assertEquals(0, o.exitCode());
        assertTrue(o.out().lines().anyMatch(l -> l.strip().startsWith("probe ")), o.out());
    }

    @Test
    void noCommandShowsTheHelp() {
        Outcome o = runMain();
        assertEquals(0, o.exitCode());
        assertTrue(o.out().contains("Usage: unroll"), o.out());
    }

    @Test
    void versionNamesTheProgramAndTheJava() {
        Outcome o = runMain("--version");
        assertEquals(0, o.exitCode());
        assertTrue(o.out().startsWith("unroll "), o.out());
        assertTrue(o.out().contains("Java " + System.getProperty("java.version")), o.out());
    }

    @Test
    void unknownOptionIsOneUsageErrorLineWithExitTwo() {
        Outcome o = runMain("--no-such-option");
        String line = oneErrorLine(o, Main.EXIT_USAGE);
        assertTrue(line.startsWith("unroll: error: "), line);
        assertTrue(line.contains("--no-such-option"), line);
        assertTrue(line.endsWith("see 'unroll --help'"), line);
        assertEquals("", o.out());
    }

    @Test
    void unknownOptionOfASubcommandPointsAtThatSubcommandsHelp() {
        String line = oneErrorLine(run("probe", "--sed", "1"), Main.EXIT_USAGE);
        assertTrue(line.startsWith("unroll: error: Unknown option"), line);
        assertTrue(line.contains("'--sed'") && line.contains("did you mean '--seed'"), line);
        assertTrue(line.endsWith("see 'unroll probe --help'"), line);
    }

    @Test
    void unknownCommandSuggestsTheClosestOne() {
        String line = oneErrorLine(run("prob"), Main.EXIT_USAGE);
        assertTrue(line.contains("did you mean 'probe'"), line);
    }

    @Test
    void helpForAnUnknownCommandIsAUsageError() {
        assertEquals("unroll: error: Unknown subcommand 'nope'; see 'unroll --help'",
                oneErrorLine(runMain("help", "nope"), Main.EXIT_USAGE));
    }

    @Test
    void badSeedIsAUsageError() {
        String line = oneErrorLine(run("probe", "--seed", "forty-two"), Main.EXIT_USAGE);
        assertTrue(line.contains("'--seed'") && line.contains("forty-two"), line);
    }

    @Test
    void badRngListsTheValidStreams() {
        String line = oneErrorLine(run("probe", "--rng", "mersenne"), Main.EXIT_USAGE);
        assertTrue(line.startsWith("unroll: error: Invalid value for option '--rng'"), line);
        assertTrue(line.contains("default, numpy") && line.contains("'mersenne'"), line);
    }

    @Test
    void commonOptionsHaveDefaultsAndParse() {
        Outcome defaults = run("probe");
        assertEquals(0, defaults.exitCode(), defaults.err());
        assertEquals("seed=42 rng=default\n", defaults.out());

        Outcome given = run("probe", "--seed", "-7", "--rng", "NumPy");
        assertEquals(0, given.exitCode(), given.err());
        assertEquals("seed=-7 rng=numpy\n", given.out());
    }

    @Test
    void jsonOptionSelectsJsonOutput() {
        Outcome o = run("probe", "--json", "--seed", "3", "--rng", "numpy");
        assertEquals(0, o.exitCode(), o.err());
        assertEquals("{\n  \"seed\": 3,\n  \"rng\": \"numpy\",\n  \"verbose\": false\n}\n", o.out());
    }

    @Test
    void illegalArgumentIsShownAsItIsWithExitOne() {
        assertEquals("unroll: error: input has shape [4, 35, 8], expected [4, 35, 9]",
                oneErrorLine(run("probe", "--fail", "iae"), Main.EXIT_FAILURE));
    }

    @Test
    void otherFailuresNameTheExceptionOnOneLine() {
        assertEquals("unroll: error: IllegalStateException: gradient norm became NaN at step 812",
                oneErrorLine(run("probe", "--fail", "state"), Main.EXIT_FAILURE));
    }

    @Test
    void parameterExceptionFromACommandIsAUsageError() {
        assertEquals("unroll: error: --hidden must be positive; see 'unroll probe --help'",
                oneErrorLine(run("probe", "--fail", "usage"), Main.EXIT_USAGE));
    }

    @Test
    void verbosePrintsTheStackTrace() {
        Outcome o = run("probe", "--fail", "iae", "--verbose");
        assertEquals(Main.EXIT_FAILURE, o.exitCode());
        List<String> lines = o.errLines();
        assertEquals("unroll: error: input has shape [4, 35, 8], expected [4, 35, 9]", lines.get(0));
        assertTrue(lines.size() > 2, o.err());
        assertTrue(lines.get(1).startsWith("java.lang.IllegalArgumentException"), o.err());
        assertTrue(lines.stream().anyMatch(l -> l.strip().startsWith("at io.unroll.cli.MainTest$Probe.call")), o.err());
    }

    @Test
    void verboseAlsoTracesUsageErrors() {
        Outcome o = run("probe", "--verbose", "--seed", "x");
        assertEquals(Main.EXIT_USAGE, o.exitCode());
        assertTrue(o.errLines().size() > 2, o.err());
        assertTrue(o.errLines().get(0).startsWith("unroll: error: "), o.err());
    }

    @Test
    void withoutVerboseThereIsNoStackTrace() {
        Outcome o = run("probe", "--fail", "state");
        assertFalse(o.err().contains("\tat "), o.err());
    }

    @Test
    void helpCommandShowsASubcommandsHelp() {
        Outcome o = run("help", "probe");
        assertEquals(0, o.exitCode(), o.err());
        assertTrue(o.out().contains("Usage: unroll probe"), o.out());
        assertTrue(o.out().contains("--seed=<long>"), o.out());
        assertTrue(o.out().contains("default, numpy"), o.out());
    }

    @Test
    void runningOutOfMemoryIsOneLineNamingTheCommandAndAHeapToTry() {
        Outcome o = run("probe", "--fail", "oom");
        oneErrorLine(o, Main.EXIT_FAILURE);
        long heap = Runtime.getRuntime().maxMemory();
        assertTrue(o.err().startsWith("unroll: error: unroll probe ran out of memory (Java heap space) with a maximum heap of "
                + Memory.format(heap) + "; use smaller sizes"), o.err());
        // twice the heap, in whole gigabytes: the default heap is a quarter of the machine's memory
        assertTrue(o.err().endsWith(", or give the JVM more memory: the launcher takes its options from UNROLL_JAVA_OPTS,"
                + " e.g. UNROLL_JAVA_OPTS=-Xmx" + Math.max(1, (2 * heap + (1L << 30) - 1) >> 30) + "g\n"), o.err());

        assertEquals("unroll: error: unroll probe asked for an array larger than the JVM allows"
                + " (Requested array size exceeds VM limit); use smaller sizes",
                oneErrorLine(run("probe", "--fail", "array"), Main.EXIT_FAILURE));

        Outcome verbose = run("probe", "--fail", "oom", "--verbose");
        assertTrue(verbose.errLines().get(0).startsWith("unroll: error: unroll probe ran out of memory"), verbose.err());
        assertTrue(verbose.errLines().get(1).startsWith("java.lang.OutOfMemoryError: Java heap space"), verbose.err());
    }

    @Test
    void aFailedClassInitialiserIsTheOneLineOfWhatItWraps() {
        assertEquals("unroll: error: system property unroll.threads is 'abc', expected a whole number >= 1",
                oneErrorLine(run("probe", "--fail", "init"), Main.EXIT_FAILURE));
    }

    @Test
    void aTaskTooLargeForTheHeapSaysHowToGiveTheLauncherMore() {
        Outcome o = run("probe", "--fail", "memory");
        oneErrorLine(o, Main.EXIT_FAILURE);
        assertTrue(o.err().startsWith("unroll: error: the probe needs about 3.0 GB, more than the 1.0 GB this JVM may use"
                + " (its maximum heap, -Xmx); use less; "), o.err());
        // 3 GB and a quarter to spare: 4 GB, if the machine has them
        assertTrue(o.err().contains("the launcher takes its options from UNROLL_JAVA_OPTS, e.g. UNROLL_JAVA_OPTS=-Xmx4g")
                || o.err().contains("a heap that large does not fit this machine's"), o.err());
    }

    @Test
    void describeUnwrapsUncheckedIo() {
        Exception e = new java.io.UncheckedIOException(new java.nio.file.NoSuchFileException("weights.safetensors"));
        assertEquals("NoSuchFileException: weights.safetensors", Main.describe(e));
        assertEquals("NullPointerException", Main.describe(new NullPointerException()));
    }
}
