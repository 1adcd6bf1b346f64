package io.unroll.bench;

import io.unroll.cell.CellType;
import io.unroll.lab.LongRangeTask;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.DoubleSummaryStatistics;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.DoubleStream;

/**
 * Runs a {@link BenchConfig}: the FMA peak, then every training row and every streaming row, each
 * measured on Unroll in this JVM and, right after, on the PyTorch peer (and, for the large
 * training rows, on a one-thread child JVM), so the engines alternate row by row and slow drifts
 * of the machine hit both alike; then what gradient-flow telemetry costs the training step
 * ({@link TelemetryOverhead}); then the lab rows ({@link LabStep}), each lab task for every cell,
 * Unroll and the PyTorch peer training on the same batches; then the playground's probes
 * ({@link ProbeStep}), each cell at each size. Peers start before anything is
 * measured, so a missing Python or PyTorch fails at once.
 *
 * <p>The thread count of this JVM's kernels is whatever {@code unroll.threads} said when the
 * kernels initialised; the caller sets it before (the CLI does).
 */
public final class Bench {
    private Bench() {}

    /** A 1-minute load average above this when a run begins is reported as a busy machine. */
    static final double BUSY_LOAD = 1.0;
    /** Length of one chunk of the allocation count once warm (training; streaming uses a fifth). */
    static final double ALLOCATION_CHUNK_SECONDS = 0.25;
    /** A row during which other processes took more than this share of all CPU time is flagged. */
    static final double BUSY_SHARE = 0.05;
    /** Length of one probe of the round trip between two cores ({@link CoreToCore}). */
    static final double CORE_PROBE_SECONDS = 0.02;
    /** Round trips between two cores spread wider than this factor over the rows get a note. */
    static final double FAR_CORES = 2.0;

    /** Progress, for a caller that wants to show rows as they finish. */
    public interface Listener {
        /** A stage begins (e.g. "FMA peak", "training lstm H=256 B=32"). */
        default void stage(String what) {}

        default void trainingRow(TrainingRow row) {}

        default void streamingRow(StreamingRow row) {}

        default void telemetryRow(TelemetryRow row) {}

        default void labRow(LabRow row) {}

        default void probeRow(ProbeRow row) {}
    }

    /** Runs the whole configuration. */
    public static BenchReport run(BenchConfig config, Listener listener) {
        long start = System.nanoTime();
        MachineInfo machine = MachineInfo.current();
        double loadStart = loadAverage();
        CpuMonitor cpu = new CpuMonitor();
        CpuMonitor.Snapshot runStart = cpu.snapshot();
        List<String> notes = new ArrayList<>();
        if (machine.kernelThreads() != config.threads()) {
            notes.add("the kernels run on " + machine.kernelThreads() + " thread(s) (" + machine.kernels() + "), not the "
                    + config.threads() + " asked for: unroll.threads is read once, when the kernels load");
        }
        if (loadStart > BUSY_LOAD) {
            notes.add(String.format(Locale.ROOT, "the machine was busy when the run began (1-minute load average %.2f):"
                    + " other processes competed for the cores, so the figures are low and noisy", loadStart));
        }
        PythonPeer.Started python = null;
        JvmPeer.Started oneThread = null;
        try {
            if (config.vsPytorch()) {
                listener.stage("starting the PyTorch peer");
                python = PythonPeer.start(config.python(), config.threads());
                cpu.addOwn(python.process().pid());
                notes.addAll(pytorchNotes(python.info(), config.threads()));
            }
            boolean scaling = config.training() && config.threadScaling() && config.threads() > 1
                    && config.trainingShapes().stream().anyMatch(s -> s.hidden() >= config.scalingMinHidden());
            if (scaling) {
                listener.stage("starting the 1-thread JVM");
                oneThread = JvmPeer.start(1);
                cpu.addOwn(oneThread.process().pid());
                Object childThreads = oneThread.info().get("kernelThreads");
                if (!(childThreads instanceof Number n) || n.intValue() != 1) {
                    notes.add("the 1-thread JVM runs its kernels on " + childThreads + " threads, so the thread figures compare the wrong things");
                }
            }
            listener.stage("FMA peak");
            FmaPeak peak = FmaPeak.measure(machine.cores(), config.fmaSeconds());
            if (peak.threads() > 1 && peak.totalGflops() < 1.5 * peak.perCoreGflops()) {
                notes.add(String.format(Locale.ROOT, "the FMA peak on %d cores at once came out at only %.2fx one core's:"
                        + " another process was probably using a core while it was measured, which overstates %% peak",
                        peak.threads(), peak.totalGflops() / peak.perCoreGflops()));
            }
            double peakGflops = peak.gflopsFor(config.threads());
            CoreToCore.roundTripNanos(CORE_PROBE_SECONDS); // untimed: lets the JIT compile the probe's loops

            List<TrainingRow> training = new ArrayList<>();
            if (config.training()) {
                for (CellType cell : config.cells()) {
                    for (BenchConfig.Shape shape : config.trainingShapes()) {
                        listener.stage("training " + cell.id() + " H=" + shape.hidden() + " B=" + shape.batch());
                        TrainingRow row = trainingRow(config, cpu, cell, shape, peakGflops, peak,
                                python == null ? null : python.process(),
                                oneThread != null && shape.hidden() >= config.scalingMinHidden() ? oneThread.process() : null);
                        training.add(row);
                        listener.trainingRow(row);
                    }
                }
            }
            List<StreamingRow> streaming = new ArrayList<>();
            if (config.streaming()) {
                for (CellType cell : config.cells()) {
                    for (int hidden : config.streamingHidden()) {
                        listener.stage("streaming " + cell.id() + " H=" + hidden);
                        StreamingRow row = streamingRow(config, cpu, cell, hidden, python == null ? null : python.process());
                        streaming.add(row);
                        listener.streamingRow(row);
                    }
                }
            }
            List<TelemetryRow> telemetry = new ArrayList<>();
            if (config.telemetry() && !config.trainingShapes().isEmpty()) {
                BenchConfig.Shape shape = config.trainingShapes().get(0);
                for (CellType cell : config.cells()) {
                    listener.stage("telemetry " + cell.id() + " H=" + shape.hidden() + " B=" + shape.batch());
                    TelemetryRow row = TelemetryOverhead.measure(config, cpu, cell, shape);
                    telemetry.add(row);
                    listener.telemetryRow(row);
                }
            }
            List<LabRow> lab = new ArrayList<>();
            if (config.lab()) {
                BenchConfig.Lab shape = config.labShape();
                for (LongRangeTask task : shape.tasks()) {
                    for (CellType cell : config.cells()) {
                        listener.stage("lab " + cell.id() + " " + task.name() + " H=" + shape.hidden() + " B=" + shape.batch());
                        LabRow row = labRow(config, cpu, task, cell, peakGflops, python == null ? null : python.process());
                        lab.add(row);
                        listener.labRow(row);
                    }
                }
            }
            List<ProbeRow> probes = new ArrayList<>();
            for (BenchConfig.Probe probe : config.probes()) {
                for (CellType cell : config.cells()) {
                    listener.stage("probe " + cell.id() + " T=" + probe.length() + " H=" + probe.hidden());
                    ProbeRow row = probeRow(config, cpu, cell, probe, python == null ? null : python.process());
                    probes.add(row);
                    listener.probeRow(row);
                }
            }
            long busyRows = training.stream().filter(r -> r.otherCpuShare() > BUSY_SHARE).count()
                    + streaming.stream().filter(r -> r.otherCpuShare() > BUSY_SHARE).count()
                    + telemetry.stream().filter(r -> r.otherCpuShare() > BUSY_SHARE).count()
                    + lab.stream().filter(r -> r.otherCpuShare() > BUSY_SHARE).count()
                    + probes.stream().filter(r -> r.otherCpuShare() > BUSY_SHARE).count();
            DoubleSummaryStatistics roundTrips = DoubleStream.concat(
                            training.stream().mapToDouble(TrainingRow::coreToCoreNs),
                            streaming.stream().mapToDouble(StreamingRow::coreToCoreNs))
                    .filter(ns -> !Double.isNaN(ns)).summaryStatistics();
            double closest = roundTrips.getCount() == 0 ? Double.NaN : roundTrips.getMin();
            double farthest = roundTrips.getCount() == 0 ? Double.NaN : roundTrips.getMax();
            if (config.threads() > 1 && farthest > FAR_CORES * closest) {
                notes.add(String.format(Locale.ROOT, "a round trip between two cores took %.0f to %.0f ns over the rows"
                        + " (column 'c2c ns'): where it was long, the cores were far apart (as when a host runs the vCPUs on"
                        + " cores that share no cache), and Unroll, which hands work between its threads at every time step,"
                        + " ran slower on two threads (docs/benchmarks.md, Far cores)", closest, farthest));
            }
            if (busyRows > 0) {
                notes.add(String.format(Locale.ROOT, "%d of %d rows were measured while other processes used more than %.0f%%"
                        + " of the CPU time (column 'others'): their figures are low and noisy; rerun on a quiet machine",
                        busyRows, training.size() + streaming.size() + telemetry.size() + lab.size(), 100 * BUSY_SHARE));
            }
            return new BenchReport(machine, config.threads(), python == null ? null : python.info(), peak, config,
                    closest, farthest, training, streaming, telemetry, lab, probes,
                    Targets.evaluate(training, streaming, telemetry, lab, probes), notes,
                    loadStart, loadAverage(),
                    CpuMonitor.otherShare(runStart, cpu.snapshot()), (System.nanoTime() - start) / 1e9);
        } finally {
            if (python != null) {
                python.process().close();
            }
            if (oneThread != null) {
                oneThread.process().close();
            }
        }
    }

    /** Unroll, then PyTorch, then Unroll on one thread, for one (cell, H, B). */
    static TrainingRow trainingRow(BenchConfig config, CpuMonitor cpu, CellType cell, BenchConfig.Shape shape,
                                   double peakGflops, FmaPeak peak, PeerProcess python, PeerProcess oneThread) {
        CpuMonitor.Snapshot before = cpu.snapshot();
        int h = shape.hidden();
        int b = shape.batch();
        int t = config.steps();
        TrainingStep step = new TrainingStep(cell, h, b, t, config.classes(), config.seed());
        double flops = Flops.trainingStep(step.rnn(), b, t);
        ProbedRuns probed = measureProbed(config.trainingTiming(), step::run);
        Measure.Result unroll = probed.result();
        Allocation warm = Measure.settledAllocation(step::run, unroll.measurement().medianNanos(),
                ALLOCATION_CHUNK_SECONDS, config.trainingTiming().warmupMaxSeconds() / 4);
        long stored = step.rnn().storedFloats();
        long required = step.rnn().requiredStoredFloats(b, t);
        step = null; // let the workspace go before the peers run

        TrainingFigures mine = TrainingFigures.of(unroll.measurement(), flops, b, t, peakGflops);
        TrainingFigures theirs = null;
        Double speedup = null;
        if (python != null) {
            Measurement m = python.measure(PeerProtocol.Request.train(cell.id(), h, b, t, h, config.classes(),
                    config.seed(), config.trainingTiming()));
            theirs = TrainingFigures.of(m, flops, b, t, peakGflops);
            speedup = m.medianNanos() / unroll.measurement().medianNanos();
        }
        TrainingFigures single = null;
        Double scaling = null;
        if (oneThread != null) {
            Measurement m = oneThread.measure(PeerProtocol.Request.train(cell.id(), h, b, t, h, config.classes(),
                    config.seed(), config.trainingTiming()));
            single = TrainingFigures.of(m, flops, b, t, peak.gflopsFor(1));
            scaling = m.medianNanos() / unroll.measurement().medianNanos();
        }
        return new TrainingRow(cell.id(), h, b, t, flops / 1e9, mine, theirs, speedup, single, scaling,
                warm, unroll.allocation(), stored, required, (double) stored / required,
                CpuMonitor.otherShare(before, cpu.snapshot()), probed.coreToCoreNs());
    }

    /**
     * Unroll, then PyTorch on the same batches, for one cell on one lab task: the batches go to the
     * peer in a temporary safetensors file, deleted once it has answered.
     */
    static LabRow labRow(BenchConfig config, CpuMonitor cpu, LongRangeTask task, CellType cell, double peakGflops,
                         PeerProcess python) {
        CpuMonitor.Snapshot before = cpu.snapshot();
        BenchConfig.Lab shape = config.labShape();
        LabStep step = new LabStep(task, cell, shape.hidden(), shape.batch(), shape.batches(), config.seed());
        int b = shape.batch();
        int t = task.steps();
        String description = step.description();
        double flops = Flops.trainingStep(step.model().rnn(), b, t);
        Measure.Result unroll = Measure.run(config.trainingTiming(), step::run);
        TrainingFigures mine = TrainingFigures.of(unroll.measurement(), flops, b, t, peakGflops);
        TrainingFigures theirs = null;
        Double theirRate = null;
        Double speedup = null;
        if (python != null) {
            Path data = null;
            try {
                data = Files.createTempFile("unroll-lab-", ".safetensors");
                step.writeBatches(data);
                PeerProtocol.Request request = step.peerRequest(config.trainingTiming(), data);
                step = null; // let the workspace go before the peer runs
                Measurement m = python.measure(request);
                theirs = TrainingFigures.of(m, flops, b, t, peakGflops);
                theirRate = 1e9 / m.medianNanos();
                speedup = m.medianNanos() / unroll.measurement().medianNanos();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the lab batches for the PyTorch peer: " + e.getMessage(), e);
            } finally {
                if (data != null) {
                    try {
                        Files.deleteIfExists(data);
                    } catch (IOException ignored) {
                        // a temporary file left behind is the system's to clean
                    }
                }
            }
        }
        return new LabRow(cell.id(), task.name(), description, shape.hidden(), b, t, shape.batches(), mine,
                1e9 / unroll.measurement().medianNanos(), theirs, theirRate, speedup, Targets.labSpeedupTarget(shape.hidden()),
                CpuMonitor.otherShare(before, cpu.snapshot()));
    }

    /** Unroll's first and whole picture, then PyTorch's first picture, for one cell and probe. */
    static ProbeRow probeRow(BenchConfig config, CpuMonitor cpu, CellType cell, BenchConfig.Probe probe, PeerProcess python) {
        CpuMonitor.Snapshot before = cpu.snapshot();
        ProbeStep step = new ProbeStep(cell, probe, config.seed());
        Measurement first = Measure.run(config.trainingTiming(), step::first).measurement();
        Measurement whole = Measure.run(config.trainingTiming(), step::whole).measurement();
        Measurement theirs = null;
        Double speedup = null;
        if (python != null) {
            theirs = python.measure(PeerProtocol.Request.probe(cell.id(), probe.hidden(), probe.length(), config.seed(),
                    config.trainingTiming()));
            speedup = theirs.medianNanos() / first.medianNanos();
        }
        return new ProbeRow(cell.id(), probe.length(), probe.hidden(), probe.budgetMs(), first, whole, theirs, speedup,
                CpuMonitor.otherShare(before, cpu.snapshot()));
    }

    /** Unroll, then PyTorch, for one (cell, H). */
    static StreamingRow streamingRow(BenchConfig config, CpuMonitor cpu, CellType cell, int hidden, PeerProcess python) {
        CpuMonitor.Snapshot before = cpu.snapshot();
        int input = StreamingStep.inputSizeFor(hidden);
        StreamingStep step = new StreamingStep(cell, hidden, input, config.seed());
        ProbedRuns probed = measureProbed(config.streamingTiming(), step::run);
        Measure.Result unroll = probed.result();
        double mine = unroll.measurement().medianNanos();
        Allocation warm = Measure.settledAllocation(step::run, mine, ALLOCATION_CHUNK_SECONDS / 5,
                config.streamingTiming().warmupMaxSeconds() / 4);
        Measurement theirs = null;
        Double theirNs = null;
        Double speedup = null;
        if (python != null) {
            theirs = python.measure(PeerProtocol.Request.stream(cell.id(), hidden, input, config.seed(),
                    config.streamingTiming()));
            theirNs = theirs.medianNanos();
            speedup = theirNs / mine;
        }
        return new StreamingRow(cell.id(), hidden, input, mine, unroll.measurement(), theirNs, theirs, speedup,
                warm, unroll.allocation(), CpuMonitor.otherShare(before, cpu.snapshot()), probed.coreToCoreNs());
    }

    /** Unroll's timed runs and the longer of two probes of the round trip between two cores, right before and after them. */
    private record ProbedRuns(Measure.Result result, double coreToCoreNs) {}

    private static ProbedRuns measureProbed(Timing timing, Measure.Work work) {
        double[] before = new double[1];
        Measure.Result result = Measure.run(timing, work, () -> before[0] = CoreToCore.roundTripNanos(CORE_PROBE_SECONDS));
        double after = CoreToCore.roundTripNanos(CORE_PROBE_SECONDS);
        // a NaN probe (one core, or a partner that never answered) counts as none
        double longer = Double.isNaN(before[0]) ? after : Double.isNaN(after) ? before[0] : Math.max(before[0], after);
        return new ProbedRuns(result, longer);
    }

    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /** Warnings when the peer is not set up the way a fair comparison needs. */
    static List<String> pytorchNotes(Map<String, Object> info, int threads) {
        List<String> notes = new ArrayList<>();
        Object blas = info.get("blas");
        if (blas == null || !String.valueOf(blas).contains("openblas")) {
            notes.add("PyTorch is not using OpenBLAS (" + blas + "); the comparison is made against its OpenMP build (docs/benchmarks.md, PyTorch setup): install libopenblas0-openmp");
        } else if (!String.valueOf(blas).contains("openmp")) {
            notes.add("PyTorch uses an OpenBLAS that is not the OpenMP build (" + blas + "); install libopenblas0-openmp");
        }
        Object peerThreads = info.get("threads");
        if (!(peerThreads instanceof Number n) || n.intValue() != threads) {
            notes.add("PyTorch runs with " + peerThreads + " threads, Unroll with " + threads);
        }
        return notes;
    }
}
