package io.unroll.bench;

/**
 * One engine's figures for one training row, derived from its {@link Measurement}.
 *
 * @param medianMs              median milliseconds per training step
 * @param minMs                 fastest step
 * @param maxMs                 slowest step
 * @param timestepsPerSecond    timesteps × batch per second at the median (B·T / step time)
 * @param gflops                GFLOP/s at the median, by the {@link Flops standard count}
 * @param peakShare             that as a share of the measured FMA peak for the threads used
 * @param measurement           the samples behind it
 */
public record TrainingFigures(double medianMs, double minMs, double maxMs, double timestepsPerSecond,
                              double gflops, double peakShare, Measurement measurement) {

    /** The figures of {@code m} for a step of {@code flops} over {@code batch × steps} timesteps. */
    public static TrainingFigures of(Measurement m, double flops, int batch, int steps, double peakGflops) {
        double seconds = m.medianNanos() / 1e9;
        double gflops = flops / seconds / 1e9;
        return new TrainingFigures(m.stats().median() / 1e6, m.stats().min() / 1e6, m.stats().max() / 1e6,
                batch * (double) steps / seconds, gflops, peakGflops > 0 ? gflops / peakGflops : Double.NaN, m);
    }
}
