package io.unroll.bench;

import java.util.List;
import java.util.Map;

/**
 * Everything one {@link Bench#run} measured.
 *
 * @param machine   machine, JDK and flags
 * @param threads   kernel threads of the measuring JVM (and of PyTorch)
 * @param pytorch   what the PyTorch peer said about itself (version, BLAS, threads), or null
 * @param fmaPeak   the measured FMA peak
 * @param config    what was asked for
 * @param coreToCoreMinNs the shortest of the rows' round trips between two cores ({@link CoreToCore}),
 *                  NaN on one core
 * @param coreToCoreMaxNs the longest of them
 * @param training  the training rows, in the order run
 * @param streaming the streaming rows, in the order run
 * @param telemetry what gradient-flow telemetry cost the training step, per cell ({@link TelemetryOverhead})
 * @param lab       the lab rows ({@link LabStep}): a lab task's training step, Unroll beside PyTorch on the same batches
 * @param probes    the playground's probes ({@link ProbeStep}): the server's time to the first and the whole picture
 * @param targets   the performance targets ({@link Targets}) checked against these figures
 * @param notes     things the reader must know (e.g. a peer not on OpenBLAS, a busy machine)
 * @param loadStart the system's 1-minute load average when the run began (other work competing
 *                  for the cores makes every figure low and noisy), or -1 if unknown
 * @param loadEnd   the same when it ended (this run's own load included)
 * @param otherCpuShare share of all CPU time other processes used during the whole run (NaN if unknown)
 * @param seconds   wall time of the whole run
 */
public record BenchReport(MachineInfo machine, int threads, Map<String, Object> pytorch, FmaPeak fmaPeak,
                          BenchConfig config, double coreToCoreMinNs, double coreToCoreMaxNs,
                          List<TrainingRow> training, List<StreamingRow> streaming, List<TelemetryRow> telemetry,
                          List<LabRow> lab, List<ProbeRow> probes, List<TargetCheck> targets, List<String> notes, double loadStart, double loadEnd,
                          double otherCpuShare, double seconds) {}
