package io.unroll.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The {@code ./unroll} launcher's stderr filter, seen from the JVM. The launcher becomes the JVM
 * ({@code exec}, so that signals sent to it reach the program) after pointing stderr into a pipe
 * to a small process of its own that drops the JVM's start-up warning about incubator modules and
 * passes everything else on; it names that process in the system property {@value #PID_PROPERTY}.
 * Two things follow:
 * <ul>
 *   <li>the JVM's stderr is a pipe even when the user sees it on a terminal: it is one when the
 *       filter's own stderr is ({@link ProgressBar#detect()});</li>
 *   <li>the filter passes bytes on a moment after the JVM wrote them, perhaps after the JVM has
 *       exited, when whoever waited for the launcher's process may already be reading what it
 *       wrote ({@code unroll train ... 2>log & ... wait; tail log}). {@link #drain()}, the last
 *       thing the process does, closes the JVM's end of the pipe and waits until the filter has
 *       passed everything on and ended.</li>
 * </ul>
 * Without the property (tests, a plain {@code java} command line) there is no filter and nothing
 * to do.
 */
final class StderrFilter {
    /** The system property in which the launcher passes the filter's process id. */
    static final String PID_PROPERTY = "unroll.stderrFilter";
    /**
     * How long {@link #drain()} waits for the filter. It is done within milliseconds unless
     * something else holds stderr's pipe open (a process this one started and left running).
     */
    private static final long DRAIN_WAIT_MILLIS = 2000;
    private static final AtomicBoolean CLOSED = new AtomicBoolean();

    private StderrFilter() {
    }

    /** The launcher's filter, if the launcher named one and it is this process's child. */
    static Optional<ProcessHandle> process() {
        String value = System.getProperty(PID_PROPERTY, "").trim();
        if (!value.matches("[0-9]{1,18}")) {
            return Optional.empty();
        }
        return ProcessHandle.of(Long.parseLong(value))
                .filter(p -> p.parent().map(ProcessHandle.current()::equals).orElse(false));
    }

    /**
     * Closes this process's stderr and waits, a bounded time, until the launcher's filter has
     * passed on all of it and ended. Call it only when nothing will be written to stderr any more;
     * it may be called from several threads (the main thread and a shutdown hook).
     */
    static void drain() {
        Optional<ProcessHandle> filter = process();
        if (filter.isEmpty()) {
            return;
        }
        System.err.flush();
        if (CLOSED.compareAndSet(false, true)) {
            try {
                // For file descriptors 0-2 the JDK points the descriptor at /dev/null rather than
                // closing it: our end of the pipe closes, and the filter sees the end of its input.
                new FileOutputStream(FileDescriptor.err).close();
            } catch (IOException e) {
                return; // stderr stays open: the filter ends when the process does
            }
        }
        try {
            filter.get().onExit().get(DRAIN_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // the filter keeps running on its own and ends when the last holder of the pipe does
        }
    }
}
