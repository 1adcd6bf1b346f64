package io.unroll.flow;

import java.util.Locale;

/**
 * How far back in time a gradient still arrives: the distance back from the step where a loss is
 * applied at which the gradient carried back from it falls below {@link #threshold} (1 %) of its
 * size there (docs/telemetry.md, The memory horizon).
 *
 * <p>It is read from the curve {@code ‖dL/ds_t‖} of one loss applied at the last step T-1 (s the
 * state: h, with c for the LSTM): the smallest distance d ≥ 1 with
 * {@code ‖dL/ds_{T-1-d}‖ < threshold · ‖dL/ds_{T-1}‖}. Where a model has a loss at the last step
 * only (a sequence classifier, the copy and adding tasks, the gradient-decay experiment, a probe
 * that seeds {@code dL/dh_{T-1}}), that curve is the per-timestep norms of its backward. With a
 * loss at every step (character models) it is not: every step also gets the gradient of its own
 * loss, so the per-timestep norms stay flat whatever the memory, and would always say "longer than
 * the window". {@link FlowTelemetry} therefore follows the last step's gradient back alone, through
 * the same cell steps, and reads the horizon from that curve.
 *
 * <p>The first crossing counts: a curve that dips below the threshold and comes back (a gradient
 * that rotates into directions the Jacobians amplify) has its horizon at the dip.
 *
 * @param steps     the distance back, in steps, at which the curve first fell below the threshold;
 *                  when it never did, {@link #span} (the horizon is then at least that)
 * @param reached   whether the curve fell below the threshold within the window
 * @param span      the longest distance the window can show: its steps minus 1
 * @param threshold the share of the gradient at the last step that counts as gone
 */
public record MemoryHorizon(int steps, boolean reached, int span, double threshold) {
    /** A gradient below 1 % of its size where the loss was applied counts as gone: it moves a weight 100x less. */
    public static final double DEFAULT_THRESHOLD = 0.01;

    public MemoryHorizon {
        if (span < 0 || steps < 0 || steps > span || (!reached && steps != span) || (reached && steps < 1)) {
            throw new IllegalArgumentException("a memory horizon of " + steps + " steps (" + (reached ? "reached" : "not reached")
                    + ") in a span of " + span + " is not possible: expected 1 <= steps <= span when reached, steps = span otherwise");
        }
        checkThreshold(threshold);
    }

    /** The horizon of per-timestep norms {@code ‖dL/dh_t‖} for a loss at the last step only, with the 1 % threshold. */
    public static MemoryHorizon of(double[] normsByStep) {
        return of(normsByStep, DEFAULT_THRESHOLD);
    }

    /**
     * The horizon of per-timestep norms {@code ‖dL/dh_t‖}, indexed by step, for a loss applied at the
     * last step only: the smallest distance d ≥ 1 back from it with
     * {@code normsByStep[T-1-d] < threshold · normsByStep[T-1]}.
     *
     * @throws IllegalArgumentException if the array is null or has fewer than 2 steps, a norm is
     *                                  negative or not finite, the norm at the last step is 0 (no
     *                                  gradient to follow back), or the threshold is not in (0, 1)
     */
    public static MemoryHorizon of(double[] normsByStep, double threshold) {
        checkThreshold(threshold);
        checkNorms("norms by step", normsByStep);
        int last = normsByStep.length - 1;
        if (normsByStep[last] == 0) {
            throw new IllegalArgumentException("the gradient norm at the last step (" + last + ") is 0, expected > 0:"
                    + " there is no gradient to follow back");
        }
        int d = distance(normsByStep, threshold);
        return new MemoryHorizon(d < 0 ? last : d, d >= 0, last, threshold);
    }

    /**
     * The smallest d ≥ 1 with {@code norms[T-1-d] < threshold · norms[T-1]}, or -1 if none; no
     * checks, no allocation (the telemetry calls it on every sample).
     */
    static int distance(double[] norms, double threshold) {
        int last = norms.length - 1;
        double bound = threshold * norms[last];
        for (int d = 1; d <= last; d++) {
            if (norms[last - d] < bound) {
                return d;
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        return reached
                ? String.format(Locale.ROOT, "%d step%s", steps, steps == 1 ? "" : "s")
                : String.format(Locale.ROOT, "at least %d steps (never below %s within the window)", span, percent(threshold));
    }

    /** The threshold as a percentage, e.g. {@code 1%}. */
    static String percent(double share) {
        double p = 100 * share;
        return (p == Math.rint(p) ? String.format(Locale.ROOT, "%.0f", p) : String.format(Locale.ROOT, "%.2g", p)) + "%";
    }

    private static void checkThreshold(double threshold) {
        if (!(threshold > 0 && threshold < 1)) {
            throw new IllegalArgumentException("horizon threshold is " + threshold + ", expected a share in (0, 1),"
                    + " e.g. 0.01 for 1% of the gradient at the last step");
        }
    }

    private static void checkNorms(String what, double[] norms) {
        if (norms == null) {
            throw new IllegalArgumentException(what + " are missing (null), expected one norm per step");
        }
        if (norms.length < 2) {
            throw new IllegalArgumentException(what + " have " + norms.length + " step(s), expected at least 2 to look back over");
        }
        for (int t = 0; t < norms.length; t++) {
            if (!(norms[t] >= 0) || Double.isInfinite(norms[t])) {
                throw new IllegalArgumentException(what + " at step " + t + " is " + norms[t]
                        + ", expected a finite number >= 0 (a gradient that overflowed has no horizon)");
            }
        }
    }
}
