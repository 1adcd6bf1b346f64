package io.unroll.bench;

import io.unroll.cell.CellType;
import io.unroll.flow.FlowTelemetry;

/**
 * Measures what gradient-flow telemetry costs the timed training step ({@link TrainingStep}):
 * three copies of the step, identical but for their {@link FlowTelemetry} (none, sampling every
 * step, sampling every 10th step; the replay of the last step's gradient at its default interval),
 * each warmed up by {@link Measure}; then interleaved rounds in which each copy runs the same
 * number of steps back to back, in an order that rotates from round to round. Reported: each
 * copy's time per step over the rounds, and the ratio of each telemetry copy's time to the time
 * without telemetry in the same round. A difference of a few percent is below the noise of
 * separate measurements on a shared machine; within one round the three copies meet the same
 * state of the machine, and the median over the rounds outvotes a round that did not.
 */
public final class TelemetryOverhead {
    private TelemetryOverhead() {}

    /** Rounds at least, and at most: the timing's runs, clamped. */
    static final int MIN_ROUNDS = 10;
    static final int MAX_ROUNDS = 20;
    /**
     * Steps per round are a multiple of this: every so many consecutive steps hold the same number
     * of samples at every 10th step, and exactly one replay, for either sampling.
     */
    static final int ROUND_QUANTUM = FlowTelemetry.DEFAULT_REPLAY_EVERY;

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
        // warm-ups, each ending with one timed sample: the rounds below are the measurement
        double offNanos = Measure.run(timing.withRuns(1), off::run).measurement().medianNanos();
        Measure.run(timing.withRuns(1), one::run);
        Measure.run(timing.withRuns(1), ten::run);

        double seconds = Math.max(timing.sampleSeconds(), 0.02);
        long perRound = ROUND_QUANTUM * Math.max(1, (long) Math.ceil(seconds * 1e9 / offNanos / ROUND_QUANTUM));
        int rounds = Math.max(MIN_ROUNDS, Math.min(MAX_ROUNDS, timing.maxRuns()));
        TrainingStep[] copies = {off, one, ten};
        double[][] perStep = new double[3][rounds];
        double[] ratio1 = new double[rounds];
        double[] ratio10 = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < 3; i++) {
                int c = (r + i) % 3;
                long t0 = System.nanoTime();
                copies[c].run(perRound);
                perStep[c][r] = (double) (System.nanoTime() - t0) / perRound;
            }
            ratio1[r] = perStep[1][r] / perStep[0][r];
            ratio10[r] = perStep[2][r] / perStep[0][r];
        }
        Allocation allocation = Measure.settledAllocation(one::run, Stats.of(perStep[1]).median(),
                Bench.ALLOCATION_CHUNK_SECONDS, timing.warmupMaxSeconds() / 4);
        return new TelemetryRow(cell.id(), h, b, t, Stats.of(perStep[0]), Stats.of(perStep[1]), Stats.of(perStep[2]),
                Stats.of(ratio1), Stats.of(ratio10), perRound, allocation, CpuMonitor.otherShare(before, cpu.snapshot()));
    }
}
