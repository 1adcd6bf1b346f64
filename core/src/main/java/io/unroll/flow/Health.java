package io.unroll.flow;

import io.unroll.cell.CellType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The gradient health of a model in words, with the figures behind each word
 * (docs/telemetry.md, The verdict). The rules read plain {@link Evidence}: a {@link FlowSummary}
 * of training telemetry gives all of it ({@link #judge(FlowSummary, Path)}); a one-shot look at a
 * model gives what it has (a gradient curve, activations) and the rules without their evidence
 * stay silent.
 *
 * <ul>
 *   <li><b>non-finite</b>: a loss or gradient norm stopped being finite; names the step and the
 *   last good checkpoint when one is known.</li>
 *   <li><b>exploding</b>: clipping fired on at least {@value #EXPLODING_CLIP_SHARE} of the last
 *   updates, so the post-clip norm is pinned at the threshold; or a gradient carried back from the
 *   last step still grows {@value #EXPLODING_GROWTH}-fold over the far half of the window.</li>
 *   <li><b>vanishing</b>: a layer's memory horizon is reached within less than
 *   {@value #VANISHING_SHARE} of the window it trains over.</li>
 *   <li><b>saturated tanh</b>: at least {@value #SATURATED_SHARE} of a layer's tanh outputs are
 *   beyond {@value FlowTelemetry#SATURATED}.</li>
 *   <li><b>dead ReLU</b>: at least {@value #DEAD_SHARE} of a layer's ReLU units never fired.</li>
 *   <li><b>healthy</b>: none of these.</li>
 * </ul>
 */
public final class Health {
    private Health() {}

    /**
     * Clipping on at least half the updates is no longer an occasional spike but the regime: the
     * post-clip norm sits at the threshold, every update has the same length, and the pre-clip
     * norm says the raw step would be larger still.
     */
    public static final double EXPLODING_CLIP_SHARE = 0.5;
    /**
     * A gradient that still grows tenfold over the far half of its way back ({@link #growth}): the
     * growth is geometric, the earliest steps outweigh the later ones by orders of magnitude, and a
     * sequence a few times longer overflows float32.
     */
    public static final double EXPLODING_GROWTH = 10;
    /** Fewer updates than this are too few to call clipping a regime rather than the start of a run. */
    public static final int MIN_UPDATES = 10;
    /**
     * A gradient that is gone (below 1 %) within a quarter of the window: three quarters of the
     * steps BPTT unrolls carry nothing from the later losses back, and what the model could learn
     * about dependencies that long it cannot.
     */
    public static final double VANISHING_SHARE = 0.25;
    /** Windows shorter than this are too short for a horizon to be "far shorter" than them. */
    public static final int MIN_HORIZON_SPAN = 8;
    /**
     * Half the tanh outputs saturated: at |y| > 0.95 a unit passes less than a tenth of its
     * gradient, so half the layer barely learns and its Jacobian shrinks every step.
     */
    public static final double SATURATED_SHARE = 0.5;
    /**
     * A fifth of the ReLU units never firing over a whole batch and window: they get no gradient,
     * so they cannot come back, and the layer has lost that much of its width.
     */
    public static final double DEAD_SHARE = 0.2;

    /** What a verdict says. */
    public enum Condition {
        /** None of the problems below. */
        HEALTHY,
        /** A loss or gradient norm that is NaN or infinite. */
        NON_FINITE,
        /** Clipping on most updates, or a gradient growing on its way back: the learning rate or the initialisation is too large. */
        EXPLODING,
        /** The gradient dies within a small part of the window. */
        VANISHING,
        /** Most tanh outputs are saturated. */
        SATURATED_TANH,
        /** Many ReLU units never fire. */
        DEAD_RELU
    }

    /**
     * One finding: the condition, a sentence that says what it is, what the figures are and what
     * to do, and the figures themselves by name.
     */
    public record Finding(Condition condition, String words, Map<String, Double> figures) {
        public Finding {
            figures = Collections.unmodifiableMap(new LinkedHashMap<>(figures));
        }
    }

    /** The findings of one judgement: a single {@link Condition#HEALTHY} one, or every problem found. */
    public record Verdict(List<Finding> findings) {
        public Verdict {
            findings = List.copyOf(findings);
        }

        public boolean healthy() {
            return findings.size() == 1 && findings.get(0).condition() == Condition.HEALTHY;
        }

        /** Whether some finding is {@code condition}. */
        public boolean has(Condition condition) {
            return findings.stream().anyMatch(f -> f.condition() == condition);
        }

        /** The conditions in a few words, for a progress line: {@code healthy}, {@code vanishing, saturated tanh}. */
        public String brief() {
            return findings.stream().map(f -> f.condition() == Condition.NON_FINITE ? "NaN/Inf"
                    : f.condition().name().toLowerCase(Locale.ROOT).replace('_', ' ')).distinct()
                    .collect(java.util.stream.Collectors.joining(", "));
        }

        /** Every finding's words, one per line. */
        public String words() {
            StringBuilder s = new StringBuilder();
            for (Finding f : findings) {
                s.append(s.length() == 0 ? "" : "\n").append(f.words());
            }
            return s.toString();
        }
    }

    /**
     * What the rules read. Every part may be missing (null, empty or NaN), and a rule without its
     * part says nothing.
     *
     * @param cell               the cell, for the advice (null if unknown)
     * @param nonFiniteStep      the first step whose loss or gradient norm was not finite, or -1
     * @param lastGoodCheckpoint the newest checkpoint saved before it, or null
     * @param preClipNorms       the pre-clip global gradient norms of the last updates, or null
     * @param maxNorm            the clipping threshold ({@code Infinity}: no clipping)
     * @param horizons           per layer, the memory horizon (entries may be null), or null
     * @param growth             per layer, how much a gradient carried back from the step where the
     *                           loss is applied still grows over the far half of the window
     *                           ({@link #growth(double[])}; NaN where unknown), or null
     * @param tanhSaturation     per layer, the share of saturated tanh outputs (NaN where none), or null
     * @param deadUnits          per layer, the share of ReLU units that never fired (NaN where none), or null
     */
    public record Evidence(CellType cell, long nonFiniteStep, Path lastGoodCheckpoint, double[] preClipNorms,
                           double maxNorm, MemoryHorizon[] horizons, double[] growth, double[] tanhSaturation,
                           double[] deadUnits) {
        public Evidence {
            preClipNorms = preClipNorms == null ? new double[0] : preClipNorms.clone();
            horizons = horizons == null ? new MemoryHorizon[0] : horizons.clone();
            growth = growth == null ? new double[0] : growth.clone();
            tanhSaturation = tanhSaturation == null ? new double[0] : tanhSaturation.clone();
            deadUnits = deadUnits == null ? new double[0] : deadUnits.clone();
        }

        @Override
        public double[] preClipNorms() {
            return preClipNorms.clone();
        }

        @Override
        public MemoryHorizon[] horizons() {
            return horizons.clone();
        }

        @Override
        public double[] growth() {
            return growth.clone();
        }

        @Override
        public double[] tanhSaturation() {
            return tanhSaturation.clone();
        }

        @Override
        public double[] deadUnits() {
            return deadUnits.clone();
        }

        /**
         * The evidence a one-shot look at a model has, per layer: the horizon and growth of its
         * gradient curve (e.g. {@link MemoryHorizon#of(double[])}, {@link #growth(double[])}), the
         * saturation and the dead units (NaN where they do not apply); no clipping history, nothing
         * non-finite.
         */
        public static Evidence ofModel(CellType cell, MemoryHorizon[] horizons, double[] growth, double[] tanhSaturation,
                                       double[] deadUnits) {
            return new Evidence(cell, -1, null, null, Double.POSITIVE_INFINITY, horizons, growth, tanhSaturation, deadUnits);
        }

        /** All the evidence of a telemetry summary, with the last good checkpoint the run knows (or null). */
        public static Evidence of(FlowSummary summary, Path lastGoodCheckpoint) {
            int n = summary.layers().size();
            MemoryHorizon[] horizons = new MemoryHorizon[n];
            double[] growth = new double[n];
            double[] saturation = new double[n];
            double[] dead = new double[n];
            for (int k = 0; k < n; k++) {
                FlowSample.Layer layer = summary.layers().get(k);
                horizons[k] = layer.horizon();
                double[] curve = layer.lastLossNorms();
                growth[k] = curve == null ? Double.NaN : Health.growth(curve);
                saturation[k] = layer.tanhSaturation();
                dead[k] = layer.deadUnits();
            }
            return new Evidence(summary.cell(), summary.nonFiniteStep(), lastGoodCheckpoint, summary.preClipNorms(),
                    summary.maxNorm(), horizons, growth, saturation, dead);
        }
    }

    /** The verdict on a telemetry summary, without a checkpoint to go back to. */
    public static Verdict judge(FlowSummary summary) {
        return judge(summary, null);
    }

    /**
     * The verdict on a telemetry summary; {@code lastGoodCheckpoint} (e.g.
     * {@code TrainingRun.Result.lastGoodCheckpoint()}, may be null) is named if the run diverged.
     */
    public static Verdict judge(FlowSummary summary, Path lastGoodCheckpoint) {
        return judge(Evidence.of(summary, lastGoodCheckpoint));
    }

    /** The verdict on any evidence: every rule whose evidence is there, in the order of {@link Condition}. */
    public static Verdict judge(Evidence e) {
        List<Finding> found = new ArrayList<>();
        nonFinite(e, found);
        exploding(e, found);
        vanishing(e, found);
        saturated(e, found);
        dead(e, found);
        if (found.isEmpty()) {
            found.add(healthy(e));
        }
        return new Verdict(found);
    }

    private static void nonFinite(Evidence e, List<Finding> found) {
        if (e.nonFiniteStep() < 0) {
            return;
        }
        String where = e.lastGoodCheckpoint() != null
                ? "; the last good checkpoint is " + e.lastGoodCheckpoint()
                : "; no checkpoint of this run is known to be good";
        found.add(new Finding(Condition.NON_FINITE, String.format(Locale.ROOT,
                "NaN/Inf: the loss or the gradient norm stopped being finite at step %d%s. Lower the learning rate or clip"
                        + " the gradient (e.g. at 1-5), and resume from a good state", e.nonFiniteStep(), where),
                Map.of("step", (double) e.nonFiniteStep())));
    }

    /**
     * How much a gradient curve {@code ‖dL/ds_t‖} (a loss at the last step only) still grows over
     * the far half of its way back: its largest norm over the largest within the near half
     * (distances 0 to ⌊(T-1)/2⌋ from the last step), at least 1. A gradient that explodes grows
     * geometrically, so the far half multiplies it as much again as the near half did; one that
     * only accumulates (an LSTM's cell state with its forget gate near 1 adds up to 1/(1-f) of it)
     * levels off, and its far half adds little. Infinity when some norm overflowed, NaN when there
     * is no finite gradient at the last step or fewer than 2 steps.
     */
    public static double growth(double[] normsByStep) {
        int last = normsByStep.length - 1;
        if (last < 1 || !(normsByStep[last] > 0) || Double.isInfinite(normsByStep[last])) {
            return Double.NaN;
        }
        int half = last / 2;
        double near = 0;
        double all = 0;
        for (int d = 0; d <= last; d++) {
            double v = normsByStep[last - d];
            double m = Double.isNaN(v) ? Double.POSITIVE_INFINITY : v;
            all = Math.max(all, m);
            if (d <= half) {
                near = Math.max(near, m);
            }
        }
        return Double.isInfinite(near) ? Double.POSITIVE_INFINITY : all / near;
    }

    private static void exploding(Evidence e, List<Finding> found) {
        clipping(e, found);
        for (int k = 0; k < e.growth.length; k++) {
            double g = e.growth[k];
            if (Double.isNaN(g) || g < EXPLODING_GROWTH) {
                continue;
            }
            Map<String, Double> figures = new LinkedHashMap<>();
            figures.put("layer", (double) k);
            figures.put("growth", g);
            found.add(new Finding(Condition.EXPLODING, String.format(Locale.ROOT,
                    "exploding gradients in layer %d: a gradient carried back from the last step still grows %s over the"
                            + " far half of the window (%sx counts): geometric growth, so the earliest steps dominate every"
                            + " update and a longer sequence overflows. The recurrent weights are too large: initialise W_hh"
                            + " orthogonally or at a smaller scale (a spectral radius below 1), and clip the gradient",
                    k, Double.isInfinite(g) ? "beyond float range" : num(g) + "x", num(EXPLODING_GROWTH)), figures));
        }
    }

    private static void clipping(Evidence e, List<Finding> found) {
        double[] norms = e.preClipNorms;
        int n = norms.length;
        if (n < MIN_UPDATES || Double.isInfinite(e.maxNorm())) {
            return;
        }
        int clipped = clippedCount(norms, e.maxNorm());
        double share = (double) clipped / n;
        if (share < EXPLODING_CLIP_SHARE) {
            return;
        }
        double median = FlowSummary.median(finite(norms));
        Map<String, Double> figures = new LinkedHashMap<>();
        figures.put("clippedShare", share);
        figures.put("clipped", (double) clipped);
        figures.put("updates", (double) n);
        figures.put("maxNorm", e.maxNorm());
        figures.put("medianPreClipNorm", median);
        figures.put("maxPreClipNorm", max(norms));
        found.add(new Finding(Condition.EXPLODING, String.format(Locale.ROOT,
                "exploding gradients: clipping fired on %d of the last %d updates (%.0f%%, at least %.0f%% counts), so the"
                        + " post-clip norm is pinned at the threshold %s; the median pre-clip norm is %s (%.1fx the threshold),"
                        + " the largest %s. The learning rate is too high or the initialisation too large: lower the learning"
                        + " rate, or initialise W_hh orthogonally or at a smaller scale",
                clipped, n, 100 * share, 100 * EXPLODING_CLIP_SHARE, num(e.maxNorm()), num(median), median / e.maxNorm(),
                num(max(norms))), figures));
    }

    private static void vanishing(Evidence e, List<Finding> found) {
        for (int k = 0; k < e.horizons.length; k++) {
            MemoryHorizon h = e.horizons[k];
            if (h == null || !h.reached() || h.span() < MIN_HORIZON_SPAN) {
                continue;
            }
            int window = h.span() + 1;
            double share = (double) h.steps() / window;
            if (share >= VANISHING_SHARE) {
                continue;
            }
            Map<String, Double> figures = new LinkedHashMap<>();
            figures.put("layer", (double) k);
            figures.put("horizonSteps", (double) h.steps());
            figures.put("windowSteps", (double) window);
            figures.put("horizonShare", share);
            figures.put("threshold", h.threshold());
            found.add(new Finding(Condition.VANISHING, String.format(Locale.ROOT,
                    "vanishing gradients in layer %d: a gradient carried back falls below %s of its size within %d step%s of"
                            + " a %d-step window (%.0f%% of it, under %.0f%% counts), so the earlier steps learn nothing from"
                            + " the later losses. %s",
                    k, MemoryHorizon.percent(h.threshold()), h.steps(), h.steps() == 1 ? "" : "s", window, 100 * share,
                    100 * VANISHING_SHARE, vanishingAdvice(e.cell())), figures));
        }
    }

    private static String vanishingAdvice(CellType cell) {
        if (cell == CellType.LSTM) {
            return "Raise the forget-gate bias (1.0 is the usual choice) so that c is kept from step to step";
        }
        if (cell == CellType.GRU) {
            return "The update gate z lets the state be replaced at every step: check its values in the telemetry,"
                    + " and use orthogonal initialisation of W_hh";
        }
        return "Use an LSTM or GRU, or orthogonal or identity (IRNN: ReLU with identity W_hh) initialisation";
    }

    private static void saturated(Evidence e, List<Finding> found) {
        for (int k = 0; k < e.tanhSaturation.length; k++) {
            double share = e.tanhSaturation[k];
            if (Double.isNaN(share) || share < SATURATED_SHARE) {
                continue;
            }
            Map<String, Double> figures = new LinkedHashMap<>();
            figures.put("layer", (double) k);
            figures.put("saturatedShare", share);
            figures.put("threshold", FlowTelemetry.SATURATED);
            found.add(new Finding(Condition.SATURATED_TANH, String.format(Locale.ROOT,
                    "saturated tanh in layer %d: %.0f%% of the tanh outputs are beyond ±%s (at least %.0f%% counts), where"
                            + " tanh' = 1 - y² < %.4f passes less than a tenth of the gradient. The initialisation or the"
                            + " inputs are too large: initialise W_hh and W_ih at a smaller scale, normalise the inputs,"
                            + " or lower the learning rate",
                    k, 100 * share, num(FlowTelemetry.SATURATED), 100 * SATURATED_SHARE,
                    1 - FlowTelemetry.SATURATED * FlowTelemetry.SATURATED), figures));
        }
    }

    private static void dead(Evidence e, List<Finding> found) {
        for (int k = 0; k < e.deadUnits.length; k++) {
            double share = e.deadUnits[k];
            if (Double.isNaN(share) || share < DEAD_SHARE) {
                continue;
            }
            Map<String, Double> figures = new LinkedHashMap<>();
            figures.put("layer", (double) k);
            figures.put("deadShare", share);
            found.add(new Finding(Condition.DEAD_RELU, String.format(Locale.ROOT,
                    "dead ReLU units in layer %d: %.0f%% of the units never fired over the sampled batch and steps (at"
                            + " least %.0f%% counts); no gradient reaches their weights, so they cannot recover. The biases"
                            + " are too negative or the learning rate too high: start the biases at 0, lower the learning"
                            + " rate, or use identity initialisation (IRNN)",
                    k, 100 * share, 100 * DEAD_SHARE), figures));
        }
    }

    private static Finding healthy(Evidence e) {
        Map<String, Double> figures = new LinkedHashMap<>();
        StringBuilder s = new StringBuilder("healthy");
        double[] norms = e.preClipNorms;
        if (norms.length > 0) {
            double median = FlowSummary.median(norms);
            int clipped = clippedCount(norms, e.maxNorm());
            figures.put("medianPreClipNorm", median);
            figures.put("maxPreClipNorm", max(norms));
            figures.put("clippedShare", (double) clipped / norms.length);
            s.append(String.format(Locale.ROOT, ": pre-clip norm median %s (largest %s)", num(median), num(max(norms))));
            if (!Double.isInfinite(e.maxNorm())) {
                s.append(String.format(Locale.ROOT, ", clipped on %d of the last %d updates at %s", clipped, norms.length,
                        num(e.maxNorm())));
            }
        }
        for (int k = 0; k < e.horizons.length; k++) {
            if (e.horizons[k] != null) {
                figures.put("horizonSteps" + k, (double) e.horizons[k].steps());
                s.append(figures.size() > 1 ? "; " : ": ").append("layer ").append(k).append(" memory horizon ")
                        .append(e.horizons[k]);
            }
        }
        return new Finding(Condition.HEALTHY, s.toString(), figures);
    }

    private static int clippedCount(double[] norms, double maxNorm) {
        int n = 0;
        for (double v : norms) {
            n += v > maxNorm ? 1 : 0;
        }
        return n;
    }

    private static double max(double[] values) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            m = Math.max(m, v);
        }
        return m;
    }

    private static double[] finite(double[] values) {
        return java.util.Arrays.stream(values).filter(Double::isFinite).toArray();
    }

    /** A figure with three significant digits, e.g. {@code 5}, {@code 23.1}, {@code 0.0123}. */
    private static String num(double v) {
        if (!Double.isFinite(v)) {
            return String.valueOf(v);
        }
        String s = String.format(Locale.ROOT, "%.3g", v);
        if (s.contains("e")) {
            return s;
        }
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }
}
