package io.unroll.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * The timing method, applied the same way to every engine (the PyTorch peer implements it line
 * for line in Python):
 *
 * <ol>
 *   <li><b>Warm-up.</b> Run samples until at least {@code warmupMinIterations} samples and
 *   {@code warmupMinSeconds} have passed <em>and</em> the last {@code stableWindow} samples agree
 *   within {@code stableTolerance}, or until {@code warmupMaxSeconds} have passed. The JIT needs
 *   this: before it compiles, the code runs orders of magnitude slower. In a JVM the warm-up also
 *   waits until the JIT has finished no compilation for {@link #JIT_QUIET_SECONDS}: on two cores
 *   a compiler thread still at work takes a core from a two-thread step, whose times can then
 *   agree with each other at twice the steady time. (The Python peer has no JIT.)</li>
 *   <li><b>Sample size.</b> With {@code sampleSeconds > 0} a sample times {@code k} iterations
 *   together, {@code k} chosen from the warm-up so that a sample lasts about that long; otherwise
 *   {@code k = 1}.</li>
 *   <li><b>Runs.</b> {@code runSeconds / (estimated sample time)} samples, clamped to
 *   {@code [minRuns, maxRuns]}; each is the time of its {@code k} iterations divided by {@code k}.</li>
 *   <li><b>Summary.</b> The median and the spread (min, max, quartiles) of the samples.</li>
 * </ol>
 *
 * Allocation is counted over the timed runs (not the warm-up).
 */
public final class Measure {
    private Measure() {}

    /** The work being timed: {@code iterations} back-to-back iterations (training steps, streaming steps). */
    @FunctionalInterface
    public interface Work {
        void run(long iterations);
    }

    /** How long the JIT must have finished no compilation before the warm-up may end. */
    static final double JIT_QUIET_SECONDS = 0.5;

    /** The JVM's compiler, if it reports its compilation time; else null (the warm-up does not wait for it). */
    private static final CompilationMXBean JIT = jitWithTime();

    /** A measurement with the bytes allocated per iteration during its runs (null if the JVM cannot count). */
    public record Result(Measurement measurement, Allocation allocation) {}

    /** Times {@code work} by {@code timing}. */
    public static Result run(Timing timing, Work work) {
        return run(timing, work, () -> {});
    }

    /** Times {@code work} by {@code timing}, calling {@code beforeRuns} between the warm-up and the timed runs. */
    public static Result run(Timing timing, Work work, Runnable beforeRuns) {
        long warmStart = System.nanoTime();
        double[] window = new double[timing.stableWindow()];
        long count = 0;
        long iterations = 0;
        long k = 1;
        double lastPerIteration;
        long jitSeen = jitMillis();
        long jitQuietSince = warmStart;
        while (true) {
            long t0 = System.nanoTime();
            work.run(k);
            long t1 = System.nanoTime();
            lastPerIteration = (double) (t1 - t0) / k;
            window[(int) (count % window.length)] = lastPerIteration;
            count++;
            iterations += k;
            if (timing.sampleSeconds() > 0) {
                // grow the sample towards sampleSeconds, at most 4x at a time so a slow first
                // (interpreted) sample cannot make the next one take forever
                k = Math.max(1, Math.min(k * 4, (long) Math.ceil(timing.sampleSeconds() * 1e9 / Math.max(lastPerIteration, 1))));
            }
            double elapsed = (t1 - warmStart) / 1e9;
            long jitNow = jitMillis();
            if (jitNow != jitSeen) {
                jitSeen = jitNow;
                jitQuietSince = t1;
            }
            boolean jitQuiet = (t1 - jitQuietSince) / 1e9 >= JIT_QUIET_SECONDS;
            boolean enough = count >= timing.warmupMinIterations() && elapsed >= timing.warmupMinSeconds();
            if (enough && jitQuiet && count >= window.length && stable(window, timing.stableTolerance())) {
                break;
            }
            if (elapsed >= timing.warmupMaxSeconds() && count >= 1) {
                break;
            }
        }
        double warmupSeconds = (System.nanoTime() - warmStart) / 1e9;
        int filled = (int) Math.min(count, window.length);
        double estimate = Stats.of(Arrays.copyOf(window, filled)).median();
        long perRun = timing.sampleSeconds() > 0
                ? Math.max(1, (long) Math.ceil(timing.sampleSeconds() * 1e9 / Math.max(estimate, 1)))
                : 1;
        int runs = runs(timing, estimate * perRun);
        beforeRuns.run();
        double[] samples = new double[runs];
        Allocation.Counter counter = Allocation.Counter.start();
        for (int r = 0; r < runs; r++) {
            long t0 = System.nanoTime();
            work.run(perRun);
            samples[r] = (double) (System.nanoTime() - t0) / perRun;
        }
        Allocation allocation = counter == null ? null : counter.stop((long) runs * perRun);
        return new Result(new Measurement(samples, Stats.of(samples), perRun, iterations, warmupSeconds), allocation);
    }

    /**
     * Bytes allocated per iteration once allocation has settled, for the "zero bytes once warm"
     * figure: the JIT keeps compiling (and removing allocations by escape analysis) after the times
     * have steadied, so this goes on where {@link #run} stopped, in chunks of about
     * {@code chunkSeconds}, until two chunks in a row agree within 1 % (or both are zero), or
     * {@code maxSeconds} have passed, and returns the last chunk's figure. Null if the JVM cannot count.
     *
     * @param iterationNanos the measured time of one iteration, to size the chunks
     */
    public static Allocation settledAllocation(Work work, double iterationNanos, double chunkSeconds, double maxSeconds) {
        long k = Math.max(1, (long) (chunkSeconds * 1e9 / Math.max(iterationNanos, 1)));
        long deadline = System.nanoTime() + (long) (maxSeconds * 1e9);
        Allocation previous = null;
        while (true) {
            Allocation.Counter counter = Allocation.Counter.start();
            if (counter == null) {
                return null;
            }
            work.run(k);
            Allocation current = counter.stop(k);
            if (previous != null && settled(previous.allThreads(), current.allThreads())) {
                return current;
            }
            if (System.nanoTime() >= deadline) {
                return current;
            }
            previous = current;
        }
    }

    private static boolean settled(double a, double b) {
        return Math.abs(a - b) <= 0.01 * Math.max(a, b);
    }

    private static CompilationMXBean jitWithTime() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit : null;
    }

    /** The JIT's total compilation time so far, in milliseconds; 0 when it is not reported. */
    private static long jitMillis() {
        return JIT == null ? 0 : JIT.getTotalCompilationTime();
    }

    /** The number of runs for an estimated run time in nanoseconds. */
    static int runs(Timing timing, double runNanos) {
        double wanted = timing.runSeconds() * 1e9 / Math.max(runNanos, 1);
        return (int) Math.max(timing.minRuns(), Math.min(timing.maxRuns(), Math.round(wanted)));
    }

    /** Whether the values agree within {@code tolerance}: {@code max / min - 1 <= tolerance}. */
    static boolean stable(double[] values, double tolerance) {
        double min = Double.POSITIVE_INFINITY;
        double max = 0;
        for (double v : values) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        return min > 0 && max / min - 1 <= tolerance;
    }
}
