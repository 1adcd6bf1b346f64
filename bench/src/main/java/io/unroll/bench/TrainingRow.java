package io.unroll.bench;

/**
 * One training row: a cell at (H, B), Unroll beside its peers.
 *
 * @param cell            cell id (rnn_tanh, lstm, gru)
 * @param hidden          H (= I)
 * @param batch           B
 * @param steps           T
 * @param gflopPerStep    the step's standard FLOP count, in GFLOP
 * @param unroll          Unroll with the configured threads
 * @param pytorch         PyTorch with as many threads, or null without {@code --vs pytorch}
 * @param speedup         Unroll throughput / PyTorch throughput (PyTorch ms / Unroll ms), or null
 * @param unrollOneThread Unroll with one kernel thread (child JVM), or null where not measured
 * @param threadScaling   Unroll throughput with the configured threads / with one, or null
 * @param allocation      bytes Unroll allocated per step once warm ({@link Measure#settledAllocation})
 * @param allocationDuringRuns bytes per step during the timed runs (the JIT may still have been at work)
 * @param storedFloats    floats Unroll keeps from forward for backward
 * @param requiredFloats  floats full BPTT strictly needs ({@link io.unroll.layer.Recurrent#requiredStoredFloats})
 * @param memoryRatio     stored / required
 * @param otherCpuShare   share of all CPU time that other processes used while the row was
 *                        measured (NaN if unknown): above a few percent, the row's figures are
 *                        low and noisy
 * @param coreToCoreNs    the longer of two probes of the round trip between two cores
 *                        ({@link CoreToCore}), right before and right after Unroll's runs (NaN on
 *                        one core): where it is long, the cores were far apart and Unroll's
 *                        two-thread figure is low
 */
public record TrainingRow(String cell, int hidden, int batch, int steps, double gflopPerStep,
                          TrainingFigures unroll, TrainingFigures pytorch, Double speedup,
                          TrainingFigures unrollOneThread, Double threadScaling, Allocation allocation,
                          Allocation allocationDuringRuns, long storedFloats, long requiredFloats, double memoryRatio, double otherCpuShare,
                          double coreToCoreNs) {}
