package io.unroll.flow;

import io.unroll.cell.Cell;
import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.init.Weights;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.Check;
import io.unroll.tensor.Memory;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import java.util.Locale;

/**
 * The gradient-decay experiment (docs/spec.md#gradient-decay): how much of a gradient injected at
 * the last step survives the trip back to each earlier step.
 *
 * <p>Per trial: draw {@code W_hh} (scheme below), then {@code W_ih [G·H, 1] ~ N(0, 1)·0.1}, then the
 * scalar inputs {@code x_t ~ N(0, 1)} for T steps; biases are zero and {@code h_{-1} = 0}. Then the
 * probe of {@link StepGradients}: run the layer forward, then backward from
 * {@code dL/dh_{T-1} = 1/√H} (all units) with no other loss, and record {@code ‖dL/dh_t‖} at every
 * step through a {@link GradientNorms} observer on the ordinary BPTT loop. The norm at step T-1 is
 * therefore exactly 1. Norms are averaged over trials.
 *
 * <p>{@code W_hh} schemes, each multiplied by {@code scale}: {@code gaussian} {@code N(0, 1/H)}
 * (default scale 0.9, the reference setting); {@code orthogonal} per gate block; {@code identity}
 * per gate block; {@code pytorch} {@code U(±1/√H)}; {@code xavier}. For the vanilla RNN the
 * Jacobian is {@code diag(φ'(z_t)) W_hh}, so the decay is bounded by {@code (γ_W γ_φ)^(T-1-t)}.
 */
public final class GradientDecay {
    private GradientDecay() {}

    /** The largest {@link Config#scale}: a gain of 10 on W_hh already saturates or explodes within a few steps. */
    public static final double MAX_SCALE = 10;

    /**
     * What to measure.
     *
     * @param scale the multiplier of the W_hh init, in (0, {@value #MAX_SCALE}], or NaN for the
     *              scheme's default ({@link #effectiveScale()})
     */
    public record Config(int length, int hidden, int trials, CellType cell, InitScheme init, double scale) {
        public Config {
            Check.positive("length", length);
            Check.positive("hidden size", hidden);
            Check.positive("trials", trials);
            if (cell == null || init == null) {
                throw new IllegalArgumentException("cell and init are required");
            }
            if (!Double.isNaN(scale)) {
                checkScale(scale);
            }
        }

        /** The reference setting: T = 80, H = 64, 20 trials, tanh RNN, gaussian W_hh scaled by 0.9. */
        public static Config lesson() {
            return new Config(80, 64, 20, CellType.RNN_TANH, InitScheme.GAUSSIAN, Double.NaN);
        }

        /** The scale actually used: the given one, or the scheme's {@link #defaultScale}. */
        public double effectiveScale() {
            return !Double.isNaN(scale) ? scale : defaultScale(init);
        }
    }

    /**
     * {@code scale}, if it is a gain of {@code W_hh} the experiments take: in (0, {@value #MAX_SCALE}].
     *
     * @throws IllegalArgumentException {@code scale is ..., expected ...}, for NaN too
     */
    public static double checkScale(double scale) {
        if (!(scale > 0 && scale <= MAX_SCALE)) {
            throw new IllegalArgumentException("scale is " + scale + ", expected a number in (0, " + (int) MAX_SCALE
                    + "]: the gain of W_hh (1 keeps a gradient's size on average; " + (int) MAX_SCALE
                    + " already saturates or explodes within a few steps)");
        }
        return scale;
    }

    /** The gain of W_hh when none is given: 0.9 for gaussian (the lesson's setting), 1 otherwise. */
    public static double defaultScale(InitScheme scheme) {
        return scheme == InitScheme.GAUSSIAN ? 0.9 : 1.0;
    }

    /** Mean and per-trial gradient norms, indexed by step. */
    public record Result(Config config, double[] meanNorm, double[][] perTrialNorm) {
        /** {@code meanNorm[0] / meanNorm[T-1]}: the share of the gradient that reaches the first step. */
        public double ratio() {
            return meanNorm[0] / meanNorm[meanNorm.length - 1];
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s T=%d H=%d: ratio %.3e", config.cell().id(), config.length(),
                    config.hidden(), ratio());
        }
    }

    /**
     * Runs every trial, drawing from {@code rng} in the order W_hh, W_ih, inputs.
     *
     * @throws Memory.InsufficientMemoryException before anything large is allocated, if the stack
     *         of this hidden size and length needs more memory than the heap may hold
     */
    public static Result run(Config config, Rng rng) {
        int t = config.length();
        int h = config.hidden();
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(config.cell(), 1, h, 1).withBiases(false, false));
        long parameterBytes = 4L * 2 * pb.size(); // values and gradients
        long workspaceBytes = 4 * rnn.workspaceFloats(1, t);
        long normBytes = 8L * t * (config.trials() + 1); // every trial's norms and their mean, in doubles
        Memory.require(String.format(Locale.ROOT, "the experiment's %s of %,d hidden units over %,d steps and %,d trial%s"
                        + " (weights with gradients %s, workspace %s, norms %s)", config.cell().id(), h, t, config.trials(),
                        config.trials() == 1 ? "" : "s",
                        Memory.format(parameterBytes), Memory.format(workspaceBytes), Memory.format(normBytes)),
                parameterBytes + workspaceBytes + normBytes,
                "use a smaller hidden size, a shorter length or fewer trials, or a larger heap");
        pb.build();
        float[] input = new float[t];                                   // [1, T, 1]
        double[][] perTrial = new double[config.trials()][];
        double[] mean = new double[t];
        for (int trial = 0; trial < config.trials(); trial++) {
            drawRecurrentWeights(rnn.cell(0), config.init(), config.effectiveScale(), rng);
            Weights.gaussian(rnn.weightIh(0), 0.1, rng);
            rng.fillGaussian(input, 0, t, 1.0);
            perTrial[trial] = StepGradients.measure(rnn, input, t, null).dh(0);
            for (int s = 0; s < t; s++) {
                mean[s] += perTrial[trial][s] / config.trials();
            }
        }
        return new Result(config, mean, perTrial);
    }

    /**
     * A cell's W_hh as the experiment draws it, times {@code scale}: gaussian {@code N(0, (scale/√H)²)}
     * and orthogonal with gain {@code scale}, as the lesson draws them; any other scheme (or
     * orthogonal for a recurrent vector, which the cell refuses) as the cell applies it, without
     * noise, then times {@code scale}. {@code unroll flow} draws its fresh stacks with it too.
     */
    public static void drawRecurrentWeights(Cell cell, InitScheme scheme, double scale, Rng rng) {
        Param wHh = cell.weightHh();
        int[] shape = wHh.shape(); // [G·H, H], or [H] for a recurrent vector
        if (scheme == InitScheme.GAUSSIAN) {
            Weights.gaussian(wHh, scale / Math.sqrt(shape[shape.length - 1]), rng);
            return;
        }
        if (scheme == InitScheme.ORTHOGONAL && shape.length == 2) {
            Weights.orthogonal(wHh, cell.type().gates(), scale, rng);
            return;
        }
        cell.initRecurrentWeight(scheme, 0, rng);
        float[] w = wHh.data();
        for (int i = wHh.offset(); i < wHh.offset() + wHh.size(); i++) {
            w[i] *= (float) scale;
        }
    }
}
