package io.unroll.bench;

/**
 * How a figure is timed (the same policy is sent to every peer, which applies it the same way; see
 * {@link Measure} for the algorithm).
 *
 * @param warmupMinSeconds    warm up at least this long: the JIT compiles hot code only after it
 *                            has run a while, and code runs far slower before that
 * @param warmupMaxSeconds    stop warming up after this long even if the times have not settled
 * @param warmupMinIterations warm up at least this many samples
 * @param stableWindow        the warm-up ends when the last {@code stableWindow} samples ...
 * @param stableTolerance     ... lie within this relative spread ({@code max/min - 1})
 * @param sampleSeconds       a sample runs the work this long at least (0: one iteration per
 *                            sample, as for a training step; streaming steps are microseconds, so
 *                            a sample times many and divides)
 * @param runSeconds          the measurement's time budget, which sets the number of samples ...
 * @param minRuns             ... but at least this many
 * @param maxRuns             ... and at most this many
 */
public record Timing(double warmupMinSeconds, double warmupMaxSeconds, int warmupMinIterations,
                     int stableWindow, double stableTolerance, double sampleSeconds,
                     double runSeconds, int minRuns, int maxRuns) {

    public Timing {
        if (!(warmupMinSeconds >= 0) || !(warmupMaxSeconds >= warmupMinSeconds)) {
            throw new IllegalArgumentException("warm-up seconds must satisfy 0 <= min <= max, got "
                    + warmupMinSeconds + " and " + warmupMaxSeconds);
        }
        if (warmupMinIterations < 1 || stableWindow < 1 || !(stableTolerance >= 0)) {
            throw new IllegalArgumentException("warm-up needs at least one iteration, a window >= 1 and a tolerance >= 0");
        }
        if (!(sampleSeconds >= 0) || !(runSeconds >= 0)) {
            throw new IllegalArgumentException("sample and run seconds must be >= 0");
        }
        if (minRuns < 1 || maxRuns < minRuns) {
            throw new IllegalArgumentException("runs must satisfy 1 <= min <= max, got " + minRuns + " and " + maxRuns);
        }
    }

    /**
     * Full-grid training rows: warm up at least 1.5 s and 5 samples (at most 10 s), then a 3 s
     * budget of 5 to 30 samples of at least 0.1 s each (one step when a step takes that long,
     * else as many steps as fill 0.1 s). Spread over the budget, the samples outvote a slow
     * spell of the machine shorter than half of it, which 30 back-to-back 2 ms steps could not.
     */
    public static Timing training() {
        return new Timing(1.5, 10.0, 5, 3, 0.05, 0.1, 3.0, 5, 30);
    }

    /** Full-grid streaming rows: warm up 1 to 5 s, then 20 samples of about 20 ms of steps each. */
    public static Timing streaming() {
        return new Timing(1.0, 5.0, 3, 3, 0.05, 0.02, 0.4, 20, 20);
    }

    /** Smoke-test training rows: short warm-up, 3 runs. */
    public static Timing quickTraining() {
        return new Timing(0.2, 1.0, 2, 3, 0.10, 0, 0.3, 3, 3);
    }

    /** Smoke-test streaming rows. */
    public static Timing quickStreaming() {
        return new Timing(0.2, 1.0, 2, 3, 0.10, 0.005, 0.05, 5, 5);
    }

    /** This policy with exactly {@code runs} measured samples. */
    public Timing withRuns(int runs) {
        return new Timing(warmupMinSeconds, warmupMaxSeconds, warmupMinIterations, stableWindow, stableTolerance,
                sampleSeconds, runSeconds, runs, runs);
    }
}
