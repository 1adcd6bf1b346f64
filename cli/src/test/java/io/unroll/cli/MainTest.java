package io.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.tensor.Memory;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.Callable;

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
            if ("iae".equals(fail)) {
                throw new IllegalArgumentException("input has shape [4, 35, 8], expected [4, 35, 9]");
            }
            if ("state".equals(fail)) {
                throw new IllegalStateException("gradient norm became NaN\nat step 812");
            }
            if ("usage".equals(fail)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--hidden must be positive");
            }
            if ("oom".equals(fail)) {
                throw new OutOfMemoryError("Java heap space");
            }
            if ("array".equals(fail)) {
                throw new OutOfMemoryError("Requested array size exceeds VM limit");
            }
            if ("init".equals(fail)) {
                // what a static initialiser that reads a bad property fails with
                throw new ExceptionInInitializerError(new IllegalArgumentException(
                        "system property unroll.threads is 'abc', expected a whole number >= 1"));
            }
            if ("memory".equals(fail)) {
                Memory.require("the probe", 3L << 30, 1L << 30, "use less");
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

    private static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = Main.newCommandLine(new PrintWriter(out), new PrintWriter(err), new Probe());
        int exitCode = Main.execute(commandLine, args);
        return new Outcome(exitCode, out.toString(), err.toString());
    }

    private static Outcome runMain(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exitCode = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Outcome(exitCode, out.toString(), err.toString());
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
        assertEquals(Main.EXIT_USAGE, o.exitCode());
        assertEquals(1, o.errLines().size(), o.err());
        String line = o.errLines().get(0);
        assertTrue(line.startsWith("unroll: error: "), line);
        assertTrue(line.contains("--no-such-option"), line);
        assertTrue(line.endsWith("see 'unroll --help'"), line);
        assertEquals("", o.out());
    }

    @Test
    void unknownOptionOfASubcommandPointsAtThatSubcommandsHelp() {
        Outcome o = run("probe", "--sed", "1");
        assertEquals(Main.EXIT_USAGE, o.exitCode());
        assertEquals(1, o.errLines().size(), o.err());
        assertTrue(o.errLines().get(0).startsWith("unroll: error: Unknown option"), o.err());
        assertTrue(o.errLines().get(0).contains("'--sed'") && o.errLines().get(0).contains("did you mean '--seed'"), o.err());
        assertTrue(o.errLines().get(0).endsWith("see 'unroll probe --help'"), o.err());
    }

    @Test
    void unknownCommandSuggestsTheClosestOne() {
        Outcome o = run("prob");
        assertEquals(Main.EXIT_USAGE, o.exitCode());
        assertEquals(1, o.errLines().size(), o.err());
        assertTrue(o.errLines().get(0).contains("did you mean 'probe'"), o.err());
    }

    @Test
    void helpForAnUnknownCommandIsAUsageError() {
        Outcome o = runMain("help", "nope");
        assertEquals(Main.EXIT_USAGE, o.exitCode());
        assertEquals(List.of("unroll: error: Unknown subcommand 'nope'; see 'unroll --help'"), o.errLines());
    }

    @Test
    void badSeedIsAUsageError() {
        Outcome o = run("probe", "--seed", "forty-two");
        assertEquals(Main.EXIT_USAGE, o.exitCode());
        assertEquals(1, o.errLines().size(), o.err());
        assertTrue(o.errLines().get(0).contains("'--seed'") && o.errLines().get(0).contains("forty-two"), o.err());
    }

    @Test
    void badRngListsTheValidStreams() {
        Outcome o = run("probe", "--rng", "mersenne");
        assertEquals(Main.EXIT_USAGE, o.exitCode());
        assertEquals(1, o.errLines().size(), o.err());
        String line = o.errLines().get(0);
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
        Outcome o = run("probe", "--fail", "iae");
        assertEquals(Main.EXIT_FAILURE, o.exitCode());
        assertEquals(List.of("unroll: error: input has shape [4, 35, 8], expected [4, 35, 9]"), o.errLines());
    }

    @Test
    void otherFailuresNameTheExceptionOnOneLine() {
        Outcome o = run("probe", "--fail", "state");
        assertEquals(Main.EXIT_FAILURE, o.exitCode());
        assertEquals(List.of("unroll: error: IllegalStateException: gradient norm became NaN at step 812"),
                o.errLines());
    }

    @Test
    void parameterExceptionFromACommandIsAUsageError() {
        Outcome o = run("probe", "--fail", "usage");
        assertEquals(Main.EXIT_USAGE, o.exitCode());
        assertEquals(List.of("unroll: error: --hidden must be positive; see 'unroll probe --help'"), o.errLines());
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
        assertEquals(Main.EXIT_FAILURE, o.exitCode());
        long heap = Runtime.getRuntime().maxMemory();
        assertEquals(1, o.errLines().size(), o.err());
        assertTrue(o.err().startsWith("unroll: error: unroll probe ran out of memory (Java heap space) with a maximum heap of "
                + Memory.format(heap) + "; use smaller sizes"), o.err());
        // twice the heap, in whole gigabytes: the default heap is a quarter of the machine's memory
        assertTrue(o.err().endsWith(", or give the JVM more memory: the launcher takes its options from UNROLL_JAVA_OPTS,"
                + " e.g. UNROLL_JAVA_OPTS=-Xmx" + Math.max(1, (2 * heap + (1L << 30) - 1) >> 30) + "g\n"), o.err());

        Outcome array = run("probe", "--fail", "array");
        assertEquals(List.of("unroll: error: unroll probe asked for an array larger than the JVM allows"
                + " (Requested array size exceeds VM limit); use smaller sizes"), array.errLines());

        Outcome verbose = run("probe", "--fail", "oom", "--verbose");
        assertTrue(verbose.errLines().get(0).startsWith("unroll: error: unroll probe ran out of memory"), verbose.err());
        assertTrue(verbose.errLines().get(1).startsWith("java.lang.OutOfMemoryError: Java heap space"), verbose.err());
    }

    @Test
    void aFailedClassInitialiserIsTheOneLineOfWhatItWraps() {
        Outcome o = run("probe", "--fail", "init");
        assertEquals(Main.EXIT_FAILURE, o.exitCode());
        assertEquals(List.of("unroll: error: system property unroll.threads is 'abc', expected a whole number >= 1"), o.errLines());
    }

    @Test
    void aTaskTooLargeForTheHeapSaysHowToGiveTheLauncherMore() {
        Outcome o = run("probe", "--fail", "memory");
        assertEquals(Main.EXIT_FAILURE, o.exitCode());
        assertEquals(1, o.errLines().size(), o.err());
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
