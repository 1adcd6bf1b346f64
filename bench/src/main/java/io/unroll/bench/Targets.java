package io.unroll.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * The performance targets of {@code unroll bench} (listed in docs/benchmarks.md, Performance
 * targets) and their evaluation against a run's figures. They are reported, never asserted by a
 * test (timings are not behaviour), except the allocation target, which a core test asserts
 * because allocation counts are exact.
 */
public final class Targets {
    private Targets() {}

    /** Training throughput against PyTorch on rows with H = 64. */
    public static final double SPEEDUP_H64 = 3.0;
    /** ... on rows with H <= 256. */
    public static final double SPEEDUP_H256 = 2.0;
    /** ... on every row. */
    public static final double SPEEDUP_ANY = 1.4;
    /** Share of the measured FMA peak at ... */
    public static final double PEAK_SHARE = 0.70;
    /** ... H at least this. */
    public static final int PEAK_MIN_HIDDEN = 512;
    /** Nanoseconds per streaming step of an LSTM with H = 64, at most. */
    public static final double STREAM_LSTM64_NS = 1500;
    /** Streaming speed against PyTorch's per-step call, every row. */
    public static final double STREAM_SPEEDUP = 10;
    /** Several threads against one at ... */
    public static final double THREAD_SCALING = 1.7;
    /** ... H at least this. */
    public static final int SCALING_MIN_HIDDEN = 256;
    /** Floats stored for backward over what BPTT strictly needs, at most. */
    public static final double MEMORY_RATIO = 1.10;
    /** A training step with gradient-flow telemetry sampling every 10th step over one without, at most. */
    public static final double TELEMETRY_OVERHEAD = 1.03;

    /** The training-speed target for a row of H units. */
    public static double speedupTarget(int hidden) {
        return hidden == 64 ? SPEEDUP_H64 : hidden <= 256 ? SPEEDUP_H256 : SPEEDUP_ANY;
    }

    /**
     * The speed-up against PyTorch that a lab row ({@link LabStep}) of H units is held to, whatever
     * its task: the training rows' target for the same H ({@link #speedupTarget}; for H between grid
     * rows, the band it falls in, so H = 128 gets the 2x of the rows with H <= 256). A lab step is a
     * training step of the grid's kind, one recurrent layer under a linear head, a loss, BPTT,
     * clipping and Adam, but with narrower inputs and a smaller head: 10 one-hot inputs and 10
     * classes at every step (copy), or 2 inputs and one value at the last step (adding, delayed
     * signal), instead of I = H and 64 classes at every step. The recurrent part, where Unroll's
     * lead comes from, is a larger share of it, so it should be at least as far ahead as the
     * training rows of its size. The lead on the training rows themselves is not the threshold
     * because a run with {@code --only lab} has none.
     */
    public static double labSpeedupTarget(int hidden) {
        return speedupTarget(hidden);
    }

    /** Every target that the figures of a run can be checked against, in the order of the list in docs/benchmarks.md. */
    public static List<TargetCheck> evaluate(List<TrainingRow> training, List<StreamingRow> streaming,
                                             List<TelemetryRow> telemetry, List<LabRow> lab, List<ProbeRow> probes) {
        List<TargetCheck> checks = new ArrayList<>();
        for (TrainingRow r : training) {
            if (r.speedup() != null) {
                checks.add(TargetCheck.atLeast("training-vs-pytorch", subject(r), r.speedup(), speedupTarget(r.hidden()), "x"));
            }
        }
        for (TrainingRow r : training) {
            if (r.hidden() >= PEAK_MIN_HIDDEN && !Double.isNaN(r.unroll().peakShare())) {
                checks.add(TargetCheck.atLeast("training-peak-share", subject(r), 100 * r.unroll().peakShare(),
                        100 * PEAK_SHARE, "%"));
            }
        }
        for (StreamingRow r : streaming) {
            if (r.cell().equals("lstm") && r.hidden() == 64) {
                checks.add(TargetCheck.atMost("streaming-lstm64-latency", subject(r), r.unrollNs(), STREAM_LSTM64_NS, "ns"));
            }
        }
        for (StreamingRow r : streaming) {
            if (r.speedup() != null) {
                checks.add(TargetCheck.atLeast("streaming-vs-pytorch", subject(r), r.speedup(), STREAM_SPEEDUP, "x"));
            }
        }
        for (TrainingRow r : training) {
            if (r.threadScaling() != null) {
                checks.add(TargetCheck.atLeast("threads-scaling", subject(r), r.threadScaling(), THREAD_SCALING, "x"));
            }
        }
        for (TrainingRow r : training) {
            if (r.allocation() != null) {
                checks.add(TargetCheck.atMost("allocation-training", subject(r), r.allocation().allThreads(), 0, "B"));
            }
        }
        for (TelemetryRow r : telemetry) {
            if (r.allocation() != null) {
                checks.add(TargetCheck.atMost("allocation-training", subject(r) + " telemetry every step",
                        r.allocation().allThreads(), 0, "B"));
            }
        }
        for (StreamingRow r : streaming) {
            if (r.allocation() != null) {
                checks.add(TargetCheck.atMost("allocation-streaming", subject(r), r.allocation().allThreads(), 0, "B"));
            }
        }
        for (TrainingRow r : training) {
            checks.add(TargetCheck.atMost("memory-stored-vs-needed", subject(r), r.memoryRatio(), MEMORY_RATIO, "x"));
        }
        for (TelemetryRow r : telemetry) {
            checks.add(TargetCheck.atMost("telemetry-overhead-every-10", subject(r), r.ratio10().median(), TELEMETRY_OVERHEAD, "x"));
        }
        for (LabRow r : lab) {
            if (r.speedup() != null) {
                checks.add(TargetCheck.atLeast("lab-vs-pytorch", subject(r), r.speedup(), r.target(), "x"));
            }
        }
        for (ProbeRow r : probes) {
            checks.add(TargetCheck.atMost("playground-first-picture", subject(r), r.firstMs(), r.budgetMs(), "ms"));
        }
        for (ProbeRow r : probes) {
            checks.add(TargetCheck.atMost("playground-whole-picture", subject(r), r.wholeMs(), r.budgetMs(), "ms"));
        }
        return checks;
    }

    static String subject(TrainingRow r) {
        return r.cell() + " H=" + r.hidden() + " B=" + r.batch();
    }

    static String subject(TelemetryRow r) {
        return r.cell() + " H=" + r.hidden() + " B=" + r.batch();
    }

    static String subject(LabRow r) {
        return r.cell() + " " + r.task() + " H=" + r.hidden() + " B=" + r.batch();
    }

    static String subject(ProbeRow r) {
        return r.cell() + " T=" + r.length() + " H=" + r.hidden();
    }

    static String subject(StreamingRow r) {
        return r.cell() + " H=" + r.hidden() + " I=" + r.input();
    }
}
