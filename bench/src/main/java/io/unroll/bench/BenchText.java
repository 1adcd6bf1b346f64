package io.unroll.bench;

import io.unroll.flow.FlowTelemetry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A {@link BenchReport} as text for the terminal: the setup, then one table per section with
 * the target beside each figure (PASS or MISS), then a summary of every target (the list is in
 * docs/benchmarks.md, Performance targets); and the one-line summaries of finished rows that a
 * {@link Bench.Listener} can show as progress. Returns text; prints nothing.
 */
public final class BenchText {
    private BenchText() {}

    /** The legend of the column {@code c2c ns} in both speed tables. */
    private static final String CORE_LEGEND = "c2c ns = round trip between two cores, the longer of two probes right before and"
            + " after Unroll's runs (where it is long, the cores were far apart and Unroll's two-thread figure is low)";

    /** The whole report, every line ending in {@code \n}. */
    public static String report(BenchReport r) {
        StringBuilder s = new StringBuilder();
        header(s, r);
        if (!r.training().isEmpty()) {
            training(s, r);
            scaling(s, r);
            memory(s, r);
        }
        if (!r.streaming().isEmpty()) {
            streaming(s, r);
        }
        if (!r.telemetry().isEmpty()) {
            telemetry(s, r);
        }
        if (!r.lab().isEmpty()) {
            lab(s, r);
        }
        if (!r.probes().isEmpty()) {
            probes(s, r);
        }
        targets(s, r);
        for (String note : r.notes()) {
            s.append("Note: ").append(note).append('\n');
        }
        s.append(String.format(Locale.ROOT, "%nTotal time %.0f s.%n", r.seconds()));
        return s.toString();
    }

    private static void header(StringBuilder s, BenchReport r) {
        MachineInfo m = r.machine();
        s.append(String.format(Locale.ROOT, "Unroll bench: %d thread%s%s%n%n", r.threads(), r.threads() == 1 ? "" : "s",
                r.pytorch() == null ? "" : ", side by side with PyTorch on as many"));
        s.append("Machine   ").append(m.cpu()).append(", ").append(m.cores()).append(" cores, ").append(m.os()).append('\n');
        s.append("JDK       ").append(m.javaVersion()).append(" (").append(m.javaVendor()).append("), ").append(m.vm()).append('\n');
        s.append("JVM flags ").append(m.jvmFlags().isEmpty() ? "(none)" : String.join(" ", m.jvmFlags())).append('\n');
        s.append("Vector    ").append(m.vectorSpecies()).append('\n');
        s.append("Kernels   ").append(m.kernels()).append(", ").append(m.kernelThreads()).append(" thread")
                .append(m.kernelThreads() == 1 ? "" : "s").append('\n');
        if (r.loadStart() >= 0) {
            s.append(String.format(Locale.ROOT, "Load      1-minute load average %.2f at the start, %.2f at the end", r.loadStart(), r.loadEnd()));
            if (!Double.isNaN(r.otherCpuShare())) {
                s.append(String.format(Locale.ROOT, "; other processes used %.1f%% of the CPU time during the run", 100 * r.otherCpuShare()));
            }
            s.append('\n');
        }
        if (!Double.isNaN(r.coreToCoreMinNs())) {
            s.append(String.format(Locale.ROOT, "Cores     a round trip between two cores took %.0f-%.0f ns over the rows (column c2c ns)%n",
                    r.coreToCoreMinNs(), r.coreToCoreMaxNs()));
        }
        FmaPeak p = r.fmaPeak();
        s.append(String.format(Locale.ROOT, "FMA peak  %.1f GFLOP/s on 1 core, %.1f GFLOP/s on %d cores at once (Vector API, %d-bit FMA, 16 accumulators)%n",
                p.perCoreGflops(), p.totalGflops(), p.threads(), p.vectorBits()));
        if (r.pytorch() != null) {
            Map<String, Object> t = r.pytorch();
            s.append("PyTorch   ").append(t.get("version")).append(" on Python ").append(t.get("python"))
                    .append(", ").append(t.get("threads")).append(" threads, ")
                    .append(t.get("coretype") == null ? "OPENBLAS_CORETYPE unset (OpenBLAS chooses)" : "OPENBLAS_CORETYPE=" + t.get("coretype"))
                    .append(", BLAS ").append(t.get("blas")).append('\n');
        }
        s.append('\n');
    }

    private static void training(StringBuilder s, BenchReport r) {
        s.append(String.format(Locale.ROOT, "Training step: forward [B, %d, H] (I = H) -> linear head to %d classes -> cross-entropy -> BPTT -> clip 5.0 -> Adam%n",
                r.config().steps(), r.config().classes()));
        s.append("ms per step: median (min-max) of the timed runs; ksps = thousand timesteps x batch per second;\n");
        s.append(String.format(Locale.ROOT, "GFLOP/s by 6*G*H*(I+H)*B*T (head not counted); %% peak of the measured FMA peak (target >= %.0f%% at H >= %d);%n",
                100 * Targets.PEAK_SHARE, Targets.PEAK_MIN_HIDDEN));
        s.append(String.format(Locale.ROOT, "speedup = Unroll throughput / PyTorch throughput (target >= %.0fx at H = 64, >= %.0fx at H <= 256, >= %.1fx everywhere);%n",
                Targets.SPEEDUP_H64, Targets.SPEEDUP_H256, Targets.SPEEDUP_ANY));
        s.append("others = share of the CPU time other processes took while the row ran (above 5% the row is not trustworthy);\n");
        s.append(CORE_LEGEND).append("\n\n");
        boolean torch = r.pytorch() != null;
        Table t = torch
                ? new Table("cell", "H", "B", "Unroll ms", "runs", "ksps", "GFLOP/s", "% peak", "PyTorch ms", "runs", "GFLOP/s",
                        "speedup", "target", "others", "c2c ns")
                : new Table("cell", "H", "B", "Unroll ms", "runs", "ksps", "GFLOP/s", "% peak", "others", "c2c ns");
        for (TrainingRow row : r.training()) {
            TrainingFigures u = row.unroll();
            String peak = String.format(Locale.ROOT, "%.1f", 100 * u.peakShare());
            if (row.hidden() >= Targets.PEAK_MIN_HIDDEN) {
                peak += u.peakShare() >= Targets.PEAK_SHARE ? " PASS" : " MISS";
            }
            if (torch) {
                TrainingFigures p = row.pytorch();
                double target = Targets.speedupTarget(row.hidden());
                t.addRow(row.cell(), row.hidden(), row.batch(), msRange(u), u.measurement().samples().length,
                        num(u.timestepsPerSecond() / 1e3), num(u.gflops()), peak,
                        msRange(p), p.measurement().samples().length, num(p.gflops()),
                        String.format(Locale.ROOT, "%.2fx", row.speedup()),
                        String.format(Locale.ROOT, ">=%.1fx %s", target, row.speedup() >= target ? "PASS" : "MISS"),
                        percent(row.otherCpuShare()), nanos(row.coreToCoreNs()));
            } else {
                t.addRow(row.cell(), row.hidden(), row.batch(), msRange(u), u.measurement().samples().length,
                        num(u.timestepsPerSecond() / 1e3), num(u.gflops()), peak, percent(row.otherCpuShare()),
                        nanos(row.coreToCoreNs()));
            }
        }
        s.append(t.render()).append('\n');
    }

    private static void scaling(StringBuilder s, BenchReport r) {
        List<TrainingRow> rows = r.training().stream().filter(row -> row.threadScaling() != null).toList();
        if (rows.isEmpty()) {
            s.append(r.threads() <= 1
                    ? "Threads: not compared (running on 1 thread).\n\n"
                    : "Threads: not compared (no training row with H >= " + r.config().scalingMinHidden()
                            + (r.config().threadScaling() ? "" : ", or --no-scaling") + ").\n\n");
            return;
        }
        s.append(String.format(Locale.ROOT, "Threads: %d vs 1 (the 1-thread run in a child JVM with -Dunroll.threads=1); target >= %.1fx at H >= %d%n%n",
                r.threads(), Targets.THREAD_SCALING, Targets.SCALING_MIN_HIDDEN));
        Table t = new Table("cell", "H", "B", "1 thread ms", r.threads() + " threads ms", "speedup", "target");
        for (TrainingRow row : rows) {
            t.addRow(row.cell(), row.hidden(), row.batch(), msRange(row.unrollOneThread()), msRange(row.unroll()),
                    String.format(Locale.ROOT, "%.2fx", row.threadScaling()),
                    String.format(Locale.ROOT, ">=%.1fx %s", Targets.THREAD_SCALING,
                            row.threadScaling() >= Targets.THREAD_SCALING ? "PASS" : "MISS"));
        }
        s.append(t.render()).append('\n');
    }

    private static void memory(StringBuilder s, BenchReport r) {
        s.append(String.format(Locale.ROOT, "Allocation per training step once warm (all threads; target 0) and floats stored for backward vs what BPTT needs (target <= %.2fx)%n%n",
                Targets.MEMORY_RATIO));
        Table t = new Table("cell", "H", "B", "bytes/step", "alloc", "stored floats", "needed floats", "stored/needed", "memory");
        for (TrainingRow row : r.training()) {
            Allocation a = row.allocation();
            t.addRow(row.cell(), row.hidden(), row.batch(), a == null ? "n/a" : num(a.allThreads()),
                    a == null ? "n/a" : a.allThreads() <= 0 ? "PASS" : "MISS",
                    row.storedFloats(), row.requiredFloats(), String.format(Locale.ROOT, "%.3f", row.memoryRatio()),
                    row.memoryRatio() <= Targets.MEMORY_RATIO ? "PASS" : "MISS");
        }
        s.append(t.render()).append('\n');
    }

    private static void streaming(StringBuilder s, BenchReport r) {
        s.append("Streaming: batch 1, one step per call, state carried, I = 8 for H <= 64 else H; ns per step: median (min-max)\n");
        s.append(String.format(Locale.ROOT, "targets: LSTM H=64 <= %.0f ns; PyTorch ns / Unroll ns >= %.0fx on every row; 0 bytes allocated per step;%n",
                Targets.STREAM_LSTM64_NS, Targets.STREAM_SPEEDUP));
        s.append(CORE_LEGEND).append("\n\n");
        boolean torch = r.pytorch() != null;
        Table t = torch
                ? new Table("cell", "H", "I", "Unroll ns", "latency", "bytes/step", "PyTorch ns", "speedup", "target", "others", "c2c ns")
                : new Table("cell", "H", "I", "Unroll ns", "latency", "bytes/step", "others", "c2c ns");
        for (StreamingRow row : r.streaming()) {
            String latency = row.cell().equals("lstm") && row.hidden() == 64
                    ? (row.unrollNs() <= Targets.STREAM_LSTM64_NS ? "PASS" : "MISS") : "";
            String bytes = row.allocation() == null ? "n/a"
                    : num(row.allocation().allThreads()) + (row.allocation().allThreads() <= 0 ? " PASS" : " MISS");
            if (torch) {
                t.addRow(row.cell(), row.hidden(), row.input(), nsRange(row.unroll().stats()), latency, bytes,
                        nsRange(row.pytorch().stats()), String.format(Locale.ROOT, "%.1fx", row.speedup()),
                        String.format(Locale.ROOT, ">=%.0fx %s", Targets.STREAM_SPEEDUP,
                                row.speedup() >= Targets.STREAM_SPEEDUP ? "PASS" : "MISS"),
                        percent(row.otherCpuShare()), nanos(row.coreToCoreNs()));
            } else {
                t.addRow(row.cell(), row.hidden(), row.input(), nsRange(row.unroll().stats()), latency, bytes,
                        percent(row.otherCpuShare()), nanos(row.coreToCoreNs()));
            }
        }
        s.append(t.render()).append('\n');
    }

    private static void telemetry(StringBuilder s, BenchReport r) {
        TelemetryRow first = r.telemetry().get(0);
        s.append(String.format(Locale.ROOT, "Telemetry overhead: the training step with FlowTelemetry sampling every step and every 10th step"
                + " (the last step's gradient replayed at most every %d steps) against none, H=%d B=%d T=%d;%n",
                FlowTelemetry.DEFAULT_REPLAY_EVERY, first.hidden(), first.batch(), first.steps()));
        s.append(String.format(Locale.ROOT, "ms per step: median over %d interleaved rounds of %d steps of each; ratio = median (quartiles) over the"
                + " rounds of (time with / time without);%ntarget <= %.2fx at every 10th step; bytes/step with telemetry on every step once warm"
                + " (target 0)%n%n", first.ratio10().n(), first.stepsPerRound(), Targets.TELEMETRY_OVERHEAD));
        Table t = new Table("cell", "H", "B", "off ms", "every step ms", "every 10 ms", "every step", "every 10th step", "target",
                "bytes/step", "others");
        for (TelemetryRow row : r.telemetry()) {
            double ten = row.ratio10().median();
            t.addRow(row.cell(), row.hidden(), row.batch(), num(row.off().median() / 1e6), num(row.every1().median() / 1e6),
                    num(row.every10().median() / 1e6), ratio(row.ratio1()), ratio(row.ratio10()),
                    String.format(Locale.ROOT, "<=%.2fx %s", Targets.TELEMETRY_OVERHEAD, ten <= Targets.TELEMETRY_OVERHEAD ? "PASS" : "MISS"),
                    row.allocation() == null ? "n/a"
                            : num(row.allocation().allThreads()) + (row.allocation().allThreads() <= 0 ? " PASS" : " MISS"),
                    percent(row.otherCpuShare()));
        }
        s.append(t.render()).append('\n');
    }

    private static void lab(StringBuilder s, BenchReport r) {
        LabRow first = r.lab().get(0);
        Map<String, String> steps = new LinkedHashMap<>(); // task -> what its step does, in the order of the rows
        for (LabRow row : r.lab()) {
            steps.putIfAbsent(row.task(), row.step());
        }
        int width = steps.keySet().stream().mapToInt(String::length).max().orElse(0);
        s.append("Lab: a training step of each task as `unroll lab` trains it (docs/lab.md):\n");
        steps.forEach((task, step) -> s.append(String.format(Locale.ROOT, "  %-" + width + "s  %s%n", task, step)));
        s.append(String.format(Locale.ROOT, "both engines cycle the same %d batches of the task's generator (PyTorch reads them from a file Unroll writes);%n",
                first.batches()));
        s.append("ms per step: median (min-max) of the timed runs; steps/s at the median; speedup = PyTorch ms / Unroll ms\n");
        s.append("(target: the training rows' target for the same H);\n");
        s.append("others = share of the CPU time other processes took while the row ran (above 5% the row is not trustworthy)\n\n");
        boolean torch = r.lab().stream().anyMatch(row -> row.pytorch() != null);
        Table t = torch
                ? new Table("cell", "task", "H", "B", "T", "Unroll ms", "steps/s", "PyTorch ms", "steps/s", "speedup", "target", "others")
                : new Table("cell", "task", "H", "B", "T", "Unroll ms", "runs", "steps/s", "others");
        for (LabRow row : r.lab()) {
            TrainingFigures u = row.unroll();
            if (torch && row.pytorch() != null) {
                t.addRow(row.cell(), row.task(), row.hidden(), row.batch(), row.steps(), msRange(u), num(row.unrollStepsPerSecond()),
                        msRange(row.pytorch()), num(row.pytorchStepsPerSecond()),
                        String.format(Locale.ROOT, "%.2fx", row.speedup()),
                        String.format(Locale.ROOT, ">=%.1fx %s", row.target(), row.speedup() >= row.target() ? "PASS" : "MISS"),
                        percent(row.otherCpuShare()));
            } else if (torch) {
                t.addRow(row.cell(), row.task(), row.hidden(), row.batch(), row.steps(), msRange(u), num(row.unrollStepsPerSecond()),
                        "n/a", "n/a", "n/a", "", percent(row.otherCpuShare()));
            } else {
                t.addRow(row.cell(), row.task(), row.hidden(), row.batch(), row.steps(), msRange(u), u.measurement().samples().length,
                        num(row.unrollStepsPerSecond()), percent(row.otherCpuShare()));
            }
        }
        s.append(t.render()).append('\n');
    }

    private static void probes(StringBuilder s, BenchReport r) {
        s.append("Playground: what the server computes when a control moves (docs/playground.md), a fresh one-layer stack\n");
        s.append("(gaussian init, gain 0.9) on one sequence of T steps: the first picture is every figure but the Jacobian\n");
        s.append("norms, the whole picture adds them. ms: median (min-max) of the timed runs; budget = the time the page\n");
        s.append("allows its redraw, server and drawing together");
        boolean torch = r.probes().stream().anyMatch(row -> row.pytorch() != null);
        s.append(torch ? "; PyTorch computes the first picture's figures its own way\n(cell stepped with every h_t kept, backward, svdvals and eigvals), speedup = PyTorch ms / Unroll ms\n\n" : "\n\n");
        Table t = torch
                ? new Table("cell", "T", "H", "first ms", "whole ms", "budget", "PyTorch first ms", "speedup", "others")
                : new Table("cell", "T", "H", "first ms", "whole ms", "budget", "others");
        for (ProbeRow row : r.probes()) {
            String budget = String.format(Locale.ROOT, "%s ms: %s, %s", num(row.budgetMs()),
                    row.firstMs() <= row.budgetMs() ? "PASS" : "MISS", row.wholeMs() <= row.budgetMs() ? "PASS" : "MISS");
            String first = msRange(row.first().stats());
            String whole = msRange(row.whole().stats());
            if (torch) {
                t.addRow(row.cell(), row.length(), row.hidden(), first, whole, budget,
                        row.pytorch() == null ? "n/a" : msRange(row.pytorch().stats()),
                        row.speedup() == null ? "n/a" : String.format(Locale.ROOT, "%.2fx", row.speedup()), percent(row.otherCpuShare()));
            } else {
                t.addRow(row.cell(), row.length(), row.hidden(), first, whole, budget, percent(row.otherCpuShare()));
            }
        }
        s.append(t.render()).append('\n');
    }

    /** A ratio with its quartiles, e.g. {@code 1.012x (1.004-1.020)}. */
    private static String ratio(Stats st) {
        return String.format(Locale.ROOT, "%.3fx (%.3f-%.3f)", st.median(), st.q1(), st.q3());
    }

    private static void targets(StringBuilder s, BenchReport r) {
        Map<String, int[]> counts = new LinkedHashMap<>();
        Map<String, TargetCheck> worst = new LinkedHashMap<>();
        int met = 0;
        for (TargetCheck c : r.targets()) {
            int[] n = counts.computeIfAbsent(c.target(), k -> new int[2]);
            n[1]++;
            if (c.pass()) {
                n[0]++;
                met++;
            }
            TargetCheck w = worst.get(c.target());
            if (w == null || c.shortfall() > w.shortfall()) {
                worst.put(c.target(), c);
            }
        }
        s.append(String.format(Locale.ROOT, "Performance targets (listed in docs/benchmarks.md): %d of %d checks met%n%n", met, r.targets().size()));
        if (r.targets().isEmpty()) {
            return;
        }
        Table t = new Table("target", "met", "worst row", "value", "target", "short by");
        for (Map.Entry<String, int[]> e : counts.entrySet()) {
            TargetCheck w = worst.get(e.getKey());
            t.addRow(e.getKey(), e.getValue()[0] + "/" + e.getValue()[1], w.subject(), value(w.value(), w.unit()),
                    w.comparison() + " " + value(w.threshold(), w.unit()),
                    w.pass() ? "" : Double.isInfinite(w.shortfall()) ? "n/a" : String.format(Locale.ROOT, "%.2fx", w.shortfall()));
        }
        s.append(t.render()).append('\n');
    }

    /** A finished training row in one line, e.g. {@code training lstm H=256 B=32: Unroll 8.12 ms, PyTorch 20.4 ms, 2.51x}. */
    public static String progress(TrainingRow r) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "training %s H=%d B=%d: Unroll %s ms",
                r.cell(), r.hidden(), r.batch(), num(r.unroll().medianMs())));
        if (r.pytorch() != null) {
            line.append(String.format(Locale.ROOT, ", PyTorch %s ms, %.2fx", num(r.pytorch().medianMs()), r.speedup()));
        }
        if (r.unrollOneThread() != null) {
            line.append(String.format(Locale.ROOT, ", 1 thread %s ms", num(r.unrollOneThread().medianMs())));
        }
        return line.toString();
    }

    /** A finished telemetry row in one line, e.g. {@code telemetry lstm H=64 B=32: every step 1.094x, every 10th step 1.008x}. */
    public static String progress(TelemetryRow r) {
        return String.format(Locale.ROOT, "telemetry %s H=%d B=%d: every step %.3fx, every 10th step %.3fx",
                r.cell(), r.hidden(), r.batch(), r.ratio1().median(), r.ratio10().median());
    }

    /** A finished lab row in one line, e.g. {@code lab gru copy(delay=20) H=128 B=64: Unroll 3.10 ms (323 steps/s), PyTorch 9.50 ms, 3.06x}. */
    public static String progress(LabRow r) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "lab %s %s H=%d B=%d: Unroll %s ms (%s steps/s)",
                r.cell(), r.task(), r.hidden(), r.batch(), num(r.unroll().medianMs()), num(r.unrollStepsPerSecond())));
        if (r.pytorch() != null) {
            line.append(String.format(Locale.ROOT, ", PyTorch %s ms, %.2fx", num(r.pytorch().medianMs()), r.speedup()));
        }
        return line.toString();
    }

    /** A finished probe row in one line, e.g. {@code probe lstm T=500 H=256: first picture 310 ms, whole 4200 ms, PyTorch first 520 ms, 1.68x}. */
    public static String progress(ProbeRow r) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "probe %s T=%d H=%d: first picture %s ms, whole %s ms",
                r.cell(), r.length(), r.hidden(), num(r.firstMs()), num(r.wholeMs())));
        if (r.pytorch() != null) {
            line.append(String.format(Locale.ROOT, ", PyTorch first %s ms, %.2fx", num(r.pytorch().medianNanos() / 1e6), r.speedup()));
        }
        return line.toString();
    }

    /** A finished streaming row in one line, e.g. {@code streaming lstm H=64: Unroll 950 ns, PyTorch 31200 ns, 32.8x}. */
    public static String progress(StreamingRow r) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "streaming %s H=%d: Unroll %s ns",
                r.cell(), r.hidden(), num(r.unrollNs())));
        if (r.pytorchNs() != null) {
            line.append(String.format(Locale.ROOT, ", PyTorch %s ns, %.1fx", num(r.pytorchNs()), r.speedup()));
        }
        return line.toString();
    }

    private static String value(double v, String unit) {
        return switch (unit) {
            case "x" -> String.format(Locale.ROOT, "%.2fx", v);
            case "%" -> String.format(Locale.ROOT, "%.1f%%", v);
            case "ns" -> num(v) + " ns";
            case "B" -> num(v) + " B";
            default -> num(v) + " " + unit;
        };
    }

    private static String nanos(double ns) {
        return Double.isNaN(ns) ? "n/a" : String.format(Locale.ROOT, "%.0f", ns);
    }

    private static String percent(double share) {
        return Double.isNaN(share) ? "n/a" : String.format(Locale.ROOT, "%.0f%%", 100 * share);
    }

    private static String msRange(TrainingFigures f) {
        return num(f.medianMs()) + " (" + num(f.minMs()) + "-" + num(f.maxMs()) + ")";
    }

    /** Nanosecond statistics in milliseconds, e.g. {@code 41.2 (39.8-47.0)}. */
    private static String msRange(Stats st) {
        return num(st.median() / 1e6) + " (" + num(st.min() / 1e6) + "-" + num(st.max() / 1e6) + ")";
    }

    private static String nsRange(Stats st) {
        return num(st.median()) + " (" + num(st.min()) + "-" + num(st.max()) + ")";
    }

    /** A number with three or four significant digits and no exponent. */
    static String num(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return String.valueOf(v);
        }
        double a = Math.abs(v);
        if (a == 0) {
            return "0";
        }
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }
}
