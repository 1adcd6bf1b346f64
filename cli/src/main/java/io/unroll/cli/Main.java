package io.unroll.cli;

import io.unroll.tensor.Memory;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code unroll} command: the root of the command tree and the process entry point.
 *
 * <p>A new subcommand is one entry in the {@code subcommands} list below: a class annotated with
 * {@code @Command}, mixing in {@link CommonOptions}, implementing {@code Callable<Integer>} and
 * writing through {@code spec.commandLine().getOut()} (never {@code System.out}), so that tests
 * can capture what it prints.
 *
 * <p>Error contract, the same for every command:
 * <ul>
 *   <li>every error is one line on stderr, {@code unroll: error: <message>};</li>
 *   <li>exit code {@value #EXIT_USAGE} for usage errors (unknown option, bad value, or a
 *       {@link ParameterException} thrown by a command), with a hint naming the command's
 *       {@code --help};</li>
 *   <li>exit code {@value #EXIT_FAILURE} for everything that fails while running: an
 *       {@link IllegalArgumentException}'s message is shown as it is (the library writes those
 *       for users: expected and actual values, the likely cause), any other exception as
 *       {@code <SimpleClassName>: <message>}; errors too: a class initialiser's failure (a bad
 *       {@code -Dunroll.*} property) as the exception it wraps, and running out of memory, the last
 *       resort after the commands' own checks, as which command ran out and what heap to try;</li>
 *   <li>the stack trace follows only with {@code --verbose}; picocli's usage text is never
 *       dumped on an error;</li>
 *   <li>exit code {@value #EXIT_BROKEN_PIPE} (128 + SIGPIPE) when stdout or stderr is a pipe
 *       whose reader has gone ({@code unroll sample | head}): the command stops at the first
 *       write that fails, without a message, as a program killed by SIGPIPE does; any other
 *       failed write (a full disk) is an error like the others, exit code {@value #EXIT_FAILURE}.
 *       Commands get this by writing through the command line's writers
 *       ({@link CheckedOutput});</li>
 *   <li>{@code unroll train} stopped by SIGINT, SIGTERM or SIGHUP saves and exits with 128 + the
 *       signal number (130, 143, 129).</li>
 * </ul>
 */
@Command(name = "unroll",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Recurrent neural networks for the JVM, with the gradient's journey back "
                + "through time made visible.",
        subcommands = {
            CommandLine.HelpCommand.class,
            DemoCommand.class,
            DecayCommand.class,
            FlowCommand.class,
            TrainCommand.class,
            LabCommand.class,
            SampleCommand.class,
            ScoreCommand.class,
            StreamCommand.class,
            PlaygroundCommand.class,
            BenchCommand.class,
        })
public final class Main implements Callable<Integer> {

    /** Exit code of a command that failed while running. */
    public static final int EXIT_FAILURE = 1;
    /** Exit code of a command line that could not be parsed or had invalid values. */
    public static final int EXIT_USAGE = 2;
    /**
     * Exit code when stdout or stderr is a pipe whose reader has gone: 128 + SIGPIPE (13), what a
     * shell reports for a pipeline member killed by SIGPIPE.
     */
    public static final int EXIT_BROKEN_PIPE = 141;

    private static final String ERROR_PREFIX = "unroll: error: ";

    @Spec
    private CommandSpec spec;

    /** {@code unroll} without a command shows the help, which lists the commands. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    /**
     * Process entry point: runs the command line, lets the launcher's stderr filter pass the last
     * of stderr on ({@link StderrFilter#drain()}), and exits with the command's exit code.
     */
    public static void main(String[] args) {
        int exitCode = run(args);
        StderrFilter.drain();
        System.exit(exitCode);
    }

    /** Runs a command line against the process's stdout and stderr (as UTF-8) and returns the exit code. */
    static int run(String... args) {
        return run(CheckedOutput.writer(new FileOutputStream(FileDescriptor.out), "stdout"),
                CheckedOutput.writer(new FileOutputStream(FileDescriptor.err), "stderr"), args);
    }

    /** Runs a command line against the given writers and returns the exit code. */
    static int run(PrintWriter out, PrintWriter err, String... args) {
        return execute(newCommandLine(out, err), args);
    }

    /**
     * Executes a command line built by {@link #newCommandLine} and flushes both writers. A write
     * that fails outside a command (help, version, an error message) ends it here; one inside a
     * command reaches {@link FailureHandler} first.
     */
    static int execute(CommandLine commandLine, String... args) {
        int exitCode;
        try {
            exitCode = commandLine.execute(args);
            commandLine.getOut().flush();
        } catch (CheckedOutput.WriteFailedException e) {
            exitCode = writeFailed(e, commandLine.getErr());
        } catch (Error e) {
            // picocli hands only exceptions to the FailureHandler; an error would end in a stack trace
            exitCode = FailureHandler.failed(commandLine.getErr(), e, commandLine.getParseResult());
        }
        try {
            commandLine.getErr().flush();
        } catch (CheckedOutput.WriteFailedException e) {
            exitCode = writeFailed(e, commandLine.getErr());
        }
        return exitCode;
    }

    /**
     * The end of a command whose output could not be written: {@value #EXIT_BROKEN_PIPE} without a
     * word when the reader of the pipe has gone, else the error in one line, if stderr takes it.
     */
    private static int writeFailed(CheckedOutput.WriteFailedException failure, PrintWriter err) {
        if (failure.readerGone()) {
            return EXIT_BROKEN_PIPE;
        }
        try {
            err.println(ERROR_PREFIX + describe(failure));
            err.flush();
        } catch (CheckedOutput.WriteFailedException stderrFailed) {
            return stderrFailed.readerGone() ? EXIT_BROKEN_PIPE : EXIT_FAILURE;
        }
        return EXIT_FAILURE;
    }

    /**
     * The {@code unroll} command tree, plus {@code extraSubcommands} (tests use these for
     * commands of their own), writing to {@code out} and {@code err} and handling errors by the
     * contract above. The writers are set after the subcommands are added because picocli hands
     * them only to the subcommands present at that moment.
     */
    static CommandLine newCommandLine(PrintWriter out, PrintWriter err, Object... extraSubcommands) {
        CommandLine commandLine = new CommandLine(new Main());
        for (Object subcommand : extraSubcommands) {
            commandLine.addSubcommand(subcommand);
        }
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setParameterExceptionHandler(new UsageErrorHandler(err));
        commandLine.setExecutionExceptionHandler(new FailureHandler(err));
        commandLine.setExecutionStrategy(parseResult -> runLast(parseResult, err));
        return commandLine;
    }

    /**
     * picocli's usual strategy (run the last subcommand given), except that a write that fails
     * while picocli itself prints (help, version) ends the command line as one in a command does,
     * instead of reaching picocli's handler for the unexpected, which prints a stack trace.
     */
    private static int runLast(ParseResult parseResult, PrintWriter err) {
        try {
            return new CommandLine.RunLast().execute(parseResult);
        } catch (CheckedOutput.WriteFailedException e) {
            return writeFailed(e, err);
        }
    }

    /** Collapses a message onto one line, so that every error stays one line. */
    static String oneLine(String message) {
        return message.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /** Usage errors: picocli's message plus where to get help; exit code 2. */
    private static final class UsageErrorHandler implements IParameterExceptionHandler {
        private final PrintWriter err;

        UsageErrorHandler(PrintWriter err) {
            this.err = err;
        }

        @Override
        public int handleParseException(ParameterException ex, String[] args) {
            try {
                return report(ex, args);
            } catch (CheckedOutput.WriteFailedException e) {
                return writeFailed(e, err);
            }
        }

        private int report(ParameterException ex, String[] args) {
            // picocli ends some messages with a period; the hint follows after a semicolon.
            String message = oneLine(String.valueOf(ex.getMessage())).replaceFirst("\\.$", "");
            StringBuilder line = new StringBuilder(ERROR_PREFIX).append(message);
            if (ex instanceof UnmatchedArgumentException unmatched && !unmatched.getSuggestions().isEmpty()) {
                List<String> suggestions = unmatched.getSuggestions();
                line.append(" (did you mean ")
                        .append(suggestions.stream().limit(3).map(s -> "'" + s + "'").collect(Collectors.joining(" or ")))
                        .append("?)");
            }
            String command = ex.getCommandLine().getCommandSpec().qualifiedName();
            line.append("; see '").append(command).append(" --help'");
            err.println(line);
            if (verboseIn(args)) {
                ex.printStackTrace(err);
            }
            err.flush();
            return EXIT_USAGE;
        }

        /** The parse failed, so there is no reliable parse result: look at the raw arguments. */
        private static boolean verboseIn(String[] args) {
            for (String arg : args) {
                if (arg.equals("--")) {
                    return false;
                }
                if (arg.equals(CommonOptions.VERBOSE)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Failures while a command runs: one line, stack trace with --verbose; exit code 1. */
    private static final class FailureHandler implements IExecutionExceptionHandler {
        private final PrintWriter err;

        FailureHandler(PrintWriter err) {
            this.err = err;
        }

        @Override
        public int handleExecutionException(Exception ex, CommandLine commandLine, ParseResult parseResult) {
            return failed(err, ex, parseResult);
        }

        static int failed(PrintWriter err, Throwable failure, ParseResult parseResult) {
            Optional<CheckedOutput.WriteFailedException> writeFailed = CheckedOutput.cause(failure);
            if (writeFailed.isPresent()) {
                return writeFailed(writeFailed.get(), err);
            }
            try {
                err.println(ERROR_PREFIX + (failure instanceof OutOfMemoryError oom
                        ? MemoryAdvice.outOfMemory(oom, parseResult) : describe(failure)));
                if (verboseIn(parseResult)) {
                    failure.printStackTrace(err);
                }
                err.flush();
            } catch (CheckedOutput.WriteFailedException e) {
                return writeFailed(e, err);
            }
            return EXIT_FAILURE;
        }

        private static boolean verboseIn(ParseResult parseResult) {
            for (ParseResult p = parseResult; p != null; p = p.subcommand()) {
                if (p.hasMatchedOption(CommonOptions.VERBOSE)) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * The one-line description of a failure: an {@link IllegalArgumentException}'s message as it
     * is (one that says a task does not fit the heap with the launcher's way to give it more),
     * anything else as {@code SimpleClassName: message}. An {@link UncheckedIOException} is
     * described by the I/O exception it carries, an {@link ExceptionInInitializerError} by the
     * failure of the class initialiser it carries.
     */
    static String describe(Throwable failure) {
        Throwable t = (failure instanceof UncheckedIOException || failure instanceof ExceptionInInitializerError)
                && failure.getCause() != null ? failure.getCause() : failure;
        String message = t.getMessage() == null || t.getMessage().isBlank() ? null : oneLine(t.getMessage());
        if (t instanceof Memory.InsufficientMemoryException m) {
            return message + "; " + MemoryAdvice.largerHeap(m.required());
        }
        if (t instanceof IllegalArgumentException && message != null) {
            return message;
        }
        String name = t.getClass().getSimpleName().isEmpty() ? t.getClass().getName() : t.getClass().getSimpleName();
        return message == null ? name : name + ": " + message;
    }

    /**
     * {@code --version}: the version Maven recorded in the jar (or "development build" when
     * running from class directories) and the Java runtime underneath.
     */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {
                "unroll " + projectVersion(),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + "), "
                        + System.getProperty("java.vm.name"),
                "OS " + System.getProperty("os.name") + " " + System.getProperty("os.arch")
                        + ", " + Runtime.getRuntime().availableProcessors() + " processors",
            };
        }

        static String projectVersion() {
            try (InputStream in = Main.class.getResourceAsStream(
                    "/META-INF/maven/io.unroll/unroll-cli/pom.properties")) {
                if (in != null) {
                    Properties properties = new Properties();
                    properties.load(in);
                    String version = properties.getProperty("version");
                    if (version != null && !version.isBlank()) {
                        return version;
                    }
                }
            } catch (IOException e) {
                // Unreadable metadata is not worth failing --version for; fall through.
            }
            return "(development build)";
        }
    }
}
