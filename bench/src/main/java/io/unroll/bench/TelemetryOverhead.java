package io.unroll.bench;

import io.unroll.cell.CellType;
import io.unroll.flow.FlowTelemetry;

/**
 * Measures what gradient-flow telemetry costs the timed training step ({@link TrainingStep}):
 * three copies of the step, identical but for their {@link FlowTelemetry} (none, sampling every
 * step, sampling every 10th step; the replay of the last step's gradient at its default, at most
 * every 20 steps), each warmed up and timed by {@link Measure}; then {@code rounds} interleaved
 * rounds in which each copy runs the same number of steps back to back, in an order that rotates
 * from round to round, and the ratio of each copy's time to the time without telemetry in the same
 * round. A difference of a few percent is below the noise of separate measurements on a shared
 * machine; in one round the three copies meet the same state of the machine, and the median over
 * the rounds outvotes a round that did not.
 */
public final class TelemetryOverhead {
    private TelemetryOverhead() {}

    /** Rounds at least, whatever the timing's runs. */
    static final int MIN_ROUNDS = 10;
    /**
     * Steps per round are a multiple of this: every 20 consecutive steps hold 2 samples at every
     * 10th step and exactly one replay at the default replay interval, for either sampling.
     */
    static final int ROUND_QUANTUM = 20;

    /** The row of one (cell, H, B). */
    static TelemetryRow measure(BenchConfig config, CpuMonitor cpu, CellType cell, BenchConfig.Shape shape) {
        CpuMonitor.Snapshot before = cpu.snapshot();
        int h = shape.hidden();
        int b = shape.batch();
        int t = config.steps();
        TrainingStep off = new TrainingStep(cell, h, b, t, config.classes(), config.seed());
        TrainingStep one = new TrainingStep(cell, h, b, t, config.classes(), config.seed(), FlowTelemetry.every(1));
        TrainingStep ten = new TrainingStep(cell, h, b, t, config.classes(), config.seed(), FlowTelemetry.every(10));
        Timing timing = config.trainingTiming();
        Measurement offTimes = Measure.run(timing, off::run).measurement();
        Measurement oneTimes = Measure.run(timing, one::run).measurement();
        Measurement tenTimes = Measure.run(timing, ten::run).measurement();

        double seconds = Math.max(timing.sampleSeconds(), 0.02);
        long perRound = ROUND_QUANTUM * Math.max(1, (long) Math.ceil(seconds * 1e9 / offTimes.medianNanos() / ROUND_QUANTUM));
        int rounds = Math.max(MIN_ROUNDS, timing.maxRuns());
        TrainingStep[] copies = {off, one, ten};
        double[] ratio1 = new double[rounds];
        double[] ratio10 = new double[rounds];
        long[] nanos = new long[3];
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < 3; i++) {
                int c = (r + i) % 3;
                long t0 = System.nanoTime();
                copies[c].run(perRound);
                nanos[c] = System.nanoTime() - t0;
            }
            ratio1[r] = (double) nanos[1] / nanos[0];
            ratio10[r] = (double) nanos[2] / nanos[0];
        }
        Allocation allocation = Measure.settledAllocation(one::run, oneTimes.medianNanos(), Bench.ALLOCATION_CHUNK_SECONDS,
                timing.warmupMaxSeconds() / 4);
        return new TelemetryRow(cell.id(), h, b, t, offTimes, oneTimes, tenTimes, Stats.of(ratio1), Stats.of(ratio10),
                perRound, allocation, CpuMonitor.otherShare(before, cpu.snapshot()));
    }
}
