package io.unroll.cli;

import io.unroll.tensor.Rng;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import java.util.stream.Collectors;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The options every {@code unroll} command shares, to be mixed into a command with
 * {@code @Mixin CommonOptions common;}.
 *
 * <ul>
 *   <li>{@code --json}: machine-readable output (one JSON document) on stdout instead of text;</li>
 *   <li>{@code --seed <long>}: the seed of every random draw the command makes (default 42);</li>
 *   <li>{@code --rng default|numpy}: which random stream the seed drives: the library's own
 *       generator, or a bit-for-bit copy of NumPy's legacy {@code np.random.seed}/{@code randn}
 *       stream, for runs that must agree with a NumPy reference script;</li>
 *   <li>{@code --verbose}: print the full stack trace when a command fails. {@link Main}'s error
 *       handlers read this option from the parse result by its name, so it works in every
 *       command that mixes this class in.</li>
 * </ul>
 */
public final class CommonOptions {

    /** Name of the option that turns on stack traces; {@link Main} looks it up by this name. */
    static final String VERBOSE = "--verbose";

    @Option(names = "--json", description = "Write machine-readable JSON to stdout instead of text.")
    private boolean json;

    @Option(names = "--seed", paramLabel = "<long>",
            description = "Seed for every random draw (default: 42, or the command's own default where its help says so).")
    private Long seed;

    @Option(names = "--rng", paramLabel = "<stream>", defaultValue = "default",
            converter = RandomStream.Converter.class, completionCandidates = RandomStream.Names.class,
            description = "Random stream: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}). "
                    + "'numpy' reproduces NumPy's legacy np.random.seed/randn draws.")
    private RandomStream rng = RandomStream.DEFAULT;

    @Option(names = VERBOSE, description = "Print the full stack trace when something fails.")
    private boolean verbose;

    /** Whether the command should print JSON on stdout instead of text. */
    public boolean json() {
        return json;
    }

    /** The seed of every random draw (default 42). */
    public long seed() {
        return seedOr(42);
    }

    /** The seed given on the command line, or {@code commandDefault} (a reference experiment's own seed). */
    public long seedOr(long commandDefault) {
        return seed != null ? seed : commandDefault;
    }

    /** A fresh random source of the chosen stream, seeded with {@link #seedOr(long)}. */
    public Rng newRng(long commandDefaultSeed) {
        return Rng.create(rng.cliName(), seedOr(commandDefaultSeed));
    }

    /** Which random stream the seed drives. */
    public RandomStream rng() {
        return rng;
    }

    /** Whether errors should come with their stack trace. */
    public boolean verbose() {
        return verbose;
    }

    /** The random streams a command can draw from; {@link #cliName()} is what users type. */
    public enum RandomStream {
        /** The library's own seeded generator. */
        DEFAULT("default"),
        /** NumPy's legacy global stream (MT19937, {@code np.random.seed(s)} then {@code randn}). */
        NUMPY("numpy");

        private final String cliName;

        RandomStream(String cliName) {
            this.cliName = cliName;
        }

        /** The name used on the command line and in JSON output. */
        public String cliName() {
            return cliName;
        }

        @Override
        public String toString() {
            return cliName;
        }

        /** Parses a command-line name (case-insensitive); the error lists the valid names. */
        public static RandomStream parse(String name) {
            for (RandomStream s : values()) {
                if (s.cliName.equalsIgnoreCase(name.trim())) {
                    return s;
                }
            }
            throw new IllegalArgumentException("expected one of " + names() + " but was '" + name + "'");
        }

        private static String names() {
            return Arrays.stream(values()).map(RandomStream::cliName).collect(Collectors.joining(", "));
        }

        /** picocli converter; its message becomes "Invalid value for option '--rng': ...". */
        static final class Converter implements ITypeConverter<RandomStream> {
            @Override
            public RandomStream convert(String value) {
                try {
                    return parse(value);
                } catch (IllegalArgumentException e) {
                    throw new TypeConversionException(e.getMessage());
                }
            }
        }

        /** The valid names, for the help text and shell completion. */
        static final class Names implements Iterable<String> {
            @Override
            public Iterator<String> iterator() {
                return Arrays.stream(values()).map(s -> s.cliName.toLowerCase(Locale.ROOT)).iterator();
            }
        }
    }
}
