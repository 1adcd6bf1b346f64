package io.unroll.bench;

/**
 * One streaming row: batch 1, one step per call, state carried.
 *
 * @param cell            cell id
 * @param hidden          H
 * @param input           I (8 for H <= 64, else H)
 * @param unrollNs        Unroll's median nanoseconds per step
 * @param unroll          the samples behind it
 * @param pytorchNs       PyTorch's median nanoseconds per step ({@code torch.no_grad()}, one
 *                        {@code [1, 1, I]} call per step), or null
 * @param pytorch         the samples behind it, or null
 * @param speedup         PyTorch ns / Unroll ns, or null
 * @param allocation      bytes Unroll allocated per step once warm ({@link Measure#settledAllocation})
 * @param allocationDuringRuns bytes per step during the timed runs
 * @param otherCpuShare   share of all CPU time that other processes used while the row was measured
 * @param coreToCoreNs    the longer of two probes of the round trip between two cores
 *                        ({@link CoreToCore}), right before and right after Unroll's runs (NaN on
 *                        one core): where it is long, the cores were far apart and Unroll's
 *                        two-thread figure is low
 */
public record StreamingRow(String cell, int hidden, int input, double unrollNs, Measurement unroll,
                           Double pytorchNs, Measurement pytorch, Double speedup, Allocation allocation,
                           Allocation allocationDuringRuns, double otherCpuShare,
                           double coreToCoreNs) {}
