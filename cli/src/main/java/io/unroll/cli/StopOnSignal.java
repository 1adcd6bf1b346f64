package io.unroll.cli;

import io.unroll.train.TrainingRun;
import java.util.concurrent.CountDownLatch;

/**
 * Turns the JVM's shutdown (SIGINT, SIGTERM, SIGHUP) into {@link TrainingRun#requestStop()}:
 * the hook asks the run to stop and then waits until it has saved and printed, which
 * {@link #close()} signals, and until the launcher's stderr filter has passed the last lines
 * on ({@link StderrFilter#drain()}). The JVM exits when the hook returns, with 128 + the
 * signal number.
 */
final class StopOnSignal implements AutoCloseable {
    private final Thread hook;
    private final CountDownLatch finished = new CountDownLatch(1);

    /** @param stopping what the run does as it stops, e.g. {@code finishing the current step and saving a checkpoint} */
    StopOnSignal(ProgressBar bar, TrainingRun run, String stopping) {
        this.hook = new Thread(() -> {
            run.requestStop();
            try {
                bar.message("unroll: stopping: " + stopping + "...");
            } catch (CheckedOutput.WriteFailedException e) {
                // nobody reads stderr any more; the run still stops and saves
            }
            try {
                finished.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            StderrFilter.drain();
        }, "unroll-train-stop");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** The run has saved what it needs to: let the JVM go if it is shutting down, else unregister. */
    @Override
    public void close() {
        finished.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running (or has run); the JVM exits when it returns
        }
    }
}
