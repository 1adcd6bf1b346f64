package io.unroll.bench;

/**
 * What one engine measured for one row.
 *
 * @param samples           nanoseconds per iteration (one training step or one streaming step), one per run
 * @param stats             their median and spread
 * @param iterationsPerRun  iterations timed together in each run (1 for a training step)
 * @param warmupIterations  iterations run to warm up before the first timed run
 * @param warmupSeconds     how long the warm-up took
 */
public record Measurement(double[] samples, Stats stats, long iterationsPerRun, long warmupIterations,
                          double warmupSeconds) {

    /** The median time of one iteration in nanoseconds. */
    public double medianNanos() {
        return stats.median();
    }
}
