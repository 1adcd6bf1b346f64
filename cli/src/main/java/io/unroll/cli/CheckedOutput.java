package io.unroll.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Writers for stdout and stderr that do not hide a failed write. {@link PrintWriter} and
 * {@link java.io.PrintStream} swallow every {@link IOException} and only set a flag, so a command
 * writing into a pipe whose reader has gone ({@code unroll sample | head}) would run on for ever,
 * each write failing unseen: the JVM ignores SIGPIPE, so a failed write is the only way it learns.
 * Here the bytes go through a stream that turns a failed write or flush into a
 * {@link WriteFailedException}, which {@link PrintWriter} does not catch: it leaves the command at
 * the write, and {@link Main} ends the process, quietly with status {@value Main#EXIT_BROKEN_PIPE}
 * when the reader has gone (EPIPE), with a one-line error otherwise (a full disk).
 */
final class CheckedOutput {
    /** How the JDK reports EPIPE on Linux and macOS: the C library's text for the error. */
    private static final String BROKEN_PIPE = "Broken pipe";

    private CheckedOutput() {
    }

    /**
     * A UTF-8 writer onto {@code stream} that flushes on {@code println} and throws when a write
     * fails. UTF-8 whatever the locale: charts use Unicode block characters, and JSON is UTF-8 by
     * definition.
     */
    static PrintWriter writer(OutputStream stream, String name) {
        return new PrintWriter(new OutputStreamWriter(new Checked(stream, name), StandardCharsets.UTF_8), true);
    }

    /** A write to stdout or stderr failed; {@link #readerGone()} if because the reading end of its pipe was closed. */
    static final class WriteFailedException extends UncheckedIOException {
        private static final long serialVersionUID = 1L;
        private final boolean readerGone;

        WriteFailedException(String stream, IOException cause) {
            super("cannot write to " + stream, new IOException("cannot write to " + stream + ": " + cause.getMessage(), cause));
            this.readerGone = cause.getMessage() != null && cause.getMessage().contains(BROKEN_PIPE);
        }

        /** Whether the write failed because nothing reads the pipe any more (EPIPE). */
        boolean readerGone() {
            return readerGone;
        }
    }

    /**
     * The {@link WriteFailedException} that {@code failure} is or was caused by, if any: libraries in
     * between (Jackson, picocli) may wrap it.
     */
    static Optional<WriteFailedException> cause(Throwable failure) {
        Map<Throwable, Boolean> seen = new IdentityHashMap<>();
        for (Throwable t = failure; t != null && seen.put(t, true) == null; t = t.getCause()) {
            if (t instanceof WriteFailedException w) {
                return Optional.of(w);
            }
        }
        return Optional.empty();
    }

    /** Whether {@code failure} comes from a write into a pipe nobody reads any more. */
    static boolean readerGone(Throwable failure) {
        return cause(failure).map(WriteFailedException::readerGone).orElse(false);
    }

    /** Passes bytes on, and every failure of a write or flush as a {@link WriteFailedException}. */
    private static final class Checked extends OutputStream {
        private final OutputStream out;
        private final String name;

        Checked(OutputStream out, String name) {
            this.out = out;
            this.name = name;
        }

        @Override
        public void write(int b) {
            try {
                out.write(b);
            } catch (IOException e) {
                throw new WriteFailedException(name, e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                throw new WriteFailedException(name, e);
            }
        }

        @Override
        public void flush() {
            try {
                out.flush();
            } catch (IOException e) {
                throw new WriteFailedException(name, e);
            }
        }

        @Override
        public void close() {
            try {
                out.close();
            } catch (IOException e) {
                throw new WriteFailedException(name, e);
            }
        }
    }
}
