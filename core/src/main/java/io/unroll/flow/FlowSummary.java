package io.unroll.flow;

import io.unroll.cell.CellType;
import java.util.Arrays;
import java.util.List;

/**
 * The rolling summary of a {@link FlowTelemetry}: the clipping of the last updates (every update,
 * sampled or not), the first step that stopped being finite, and the layers' figures averaged
 * over the last samples. Immutable; its arrays are copies. {@link Health#judge(FlowSummary)}
 * turns it into a verdict.
 *
 * @param cell           the cell of the stack
 * @param steps          training steps begun since the telemetry was attached
 * @param updates        updates (truncated-BPTT windows) seen, one per step without truncation
 * @param maxNorm        the clipping threshold, {@code Infinity} without clipping
 * @param preClipNorms   the pre-clip global gradient norms of the last updates (at most the
 *                       telemetry's window), oldest first
 * @param clipped        how many of them were clipped ({@code > maxNorm})
 * @param nonFiniteStep  the first step whose loss or gradient norm was not finite, or -1
 * @param nonFiniteLoss  that step's loss (NaN if none)
 * @param nonFiniteNorm  that step's pre-clip norm (NaN also when the loss was not finite and no
 *                       gradient was taken)
 * @param samples        how many samples {@link #layers} averages
 * @param replays        how many replayed samples its {@code lastLossNorms} average (they may reach
 *                       further back than the samples: replays are sparser)
 * @param layers         per layer, the element-wise mean of the per-timestep norms over those
 *                       samples and the mean of their other figures; the horizon and the ratio are
 *                       those of the mean replayed curve; empty before the first sample
 * @param latest         the newest sample, or null before the first
 */
public record FlowSummary(CellType cell, long steps, long updates, double maxNorm, double[] preClipNorms, int clipped,
                          long nonFiniteStep, double nonFiniteLoss, double nonFiniteNorm, int samples,
                          int replays, List<FlowSample.Layer> layers, FlowSample latest) {
    public FlowSummary {
        preClipNorms = preClipNorms.clone();
        layers = List.copyOf(layers);
    }

    @Override
    public double[] preClipNorms() {
        return preClipNorms.clone();
    }

    /** The share of the last updates that were clipped; NaN before the first update. */
    public double clippedShare() {
        return preClipNorms.length == 0 ? Double.NaN : (double) clipped / preClipNorms.length;
    }

    /** The median pre-clip norm of the last updates; NaN before the first. */
    public double medianPreClipNorm() {
        return median(preClipNorms);
    }

    /** The largest pre-clip norm of the last updates; NaN before the first (or if one was NaN). */
    public double maxPreClipNorm() {
        double max = preClipNorms.length == 0 ? Double.NaN : Double.NEGATIVE_INFINITY;
        for (double v : preClipNorms) {
            max = Double.isNaN(v) ? Double.NaN : Math.max(max, v);
        }
        return max;
    }

    /** The median post-clip norm of the last updates ({@code min(pre, maxNorm)}); NaN before the first. */
    public double medianPostClipNorm() {
        double m = medianPreClipNorm();
        return Double.isNaN(m) ? m : Math.min(m, maxNorm);
    }

    /** The median of values (NaN counts as the largest); NaN for none. */
    static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
