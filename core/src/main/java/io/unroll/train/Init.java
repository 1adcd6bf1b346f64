package io.unroll.train;

import io.unroll.cell.Cell;
import io.unroll.cell.CellType;
import io.unroll.cell.GruGate;
import io.unroll.cell.LstmGate;
import io.unroll.init.InitScheme;
import io.unroll.init.Weights;
import io.unroll.layer.Recurrent;
import io.unroll.tensor.Check;
import io.unroll.tensor.Param;
import io.unroll.tensor.Rng;
import java.util.Arrays;

/**
 * Named initialisations of a recurrent stack ({@link InitScheme}): {@code W_ih} and the biases
 * here, {@code W_hh} as each cell applies the scheme to it ({@link Cell#initRecurrentWeight}); and
 * the LSTM forget-gate bias and the chrono gate biases. The fills themselves are in {@link Weights}.
 */
public final class Init {
    private Init() {}

    /** σ of {@link InitScheme#GAUSSIAN} unless one is given. */
    public static final double GAUSSIAN_SIGMA = 0.01;
    /** σ of the noise added to the identity by {@link InitScheme#IDENTITY} unless one is given (IRNN). */
    public static final double IDENTITY_NOISE = 0.001;
    /** σ of {@code W_ih} under {@link InitScheme#IDENTITY}: small, so the recurrence dominates at the start. */
    private static final double IDENTITY_INPUT_SIGMA = 0.001;

    /**
     * Applies a named scheme to every layer of {@code rnn}, with the scheme's default σ where it
     * takes one ({@link #GAUSSIAN_SIGMA}, {@link #IDENTITY_NOISE}). Values are drawn layer by
     * layer: {@code W_ih}, then {@code W_hh} (as its cell initialises it), then the biases.
     */
    public static void apply(Recurrent rnn, InitScheme scheme, Rng rng) {
        run(rnn, scheme, scheme == InitScheme.IDENTITY ? IDENTITY_NOISE : GAUSSIAN_SIGMA, rng);
    }

    /**
     * {@link #apply(Recurrent, InitScheme, Rng)} with a chosen σ: the weights' σ for
     * {@link InitScheme#GAUSSIAN}, the noise's σ for {@link InitScheme#IDENTITY}; the other
     * schemes take none.
     */
    public static void apply(Recurrent rnn, InitScheme scheme, double sigma, Rng rng) {
        if (scheme != InitScheme.GAUSSIAN && scheme != InitScheme.IDENTITY) {
            throw new IllegalArgumentException("the " + scheme.id() + " initialisation takes no sigma (only gaussian and "
                    + "identity do); call apply(rnn, scheme, rng)");
        }
        Check.nonNegative("sigma", sigma);
        run(rnn, scheme, sigma, rng);
    }

    private static void run(Recurrent rnn, InitScheme scheme, double sigma, Rng rng) {
        int g = rnn.config().cell().gates();
        double bound = 1 / Math.sqrt(rnn.config().hiddenSize());
        for (int k = 0; k < rnn.config().layers(); k++) {
            Cell cell = rnn.cell(k);
            Param wIh = cell.weightIh();
            switch (scheme) {
                case PYTORCH:
                    Weights.uniform(wIh, bound, rng);
                    break;
                case GAUSSIAN:
                    Weights.gaussian(wIh, sigma, rng);
                    break;
                case XAVIER:
                case ORTHOGONAL:
                    Weights.xavierUniform(wIh, g, rng);
                    break;
                case IDENTITY:
                    Weights.gaussian(wIh, IDENTITY_INPUT_SIGMA, rng);
                    break;
                default:
                    throw new AssertionError(scheme);
            }
            cell.initRecurrentWeight(scheme, sigma, rng);
            if (scheme == InitScheme.PYTORCH) {
                uniformOrZero(cell.biasIh(), bound, rng);
                uniformOrZero(cell.biasHh(), bound, rng);
            } else {
                Weights.zero(cell.biasIh());
                Weights.zero(cell.biasHh());
            }
        }
    }

    private static void uniformOrZero(Param p, double bound, Rng rng) {
        if (p != null) {
            Weights.uniform(p, bound, rng);
        }
    }

    /**
     * Sets the LSTM forget-gate bias so that the effective bias {@code b_if + b_hf} equals {@code value}
     * (1.0 is the common choice, Jozefowicz et al. 2015): {@code b_ih}'s f block takes the value and
     * {@code b_hh}'s f block is zeroed.
     */
    public static void forgetGateBias(Recurrent rnn, double value) {
        int block = rnn.cell(0).forgetGateBlock();
        if (block < 0) {
            throw new IllegalArgumentException("a forget-gate bias needs a cell with a forget gate (an LSTM), not " + rnn.config().cell().id());
        }
        int h = rnn.config().hiddenSize();
        int from = block * h;
        for (int k = 0; k < rnn.config().layers(); k++) {
            Param bIh = rnn.biasIh(k);
            Param bHh = rnn.biasHh(k);
            if (bIh == null) {
                throw new IllegalArgumentException("the LSTM has no bias_ih, so no forget-gate bias can be set");
            }
            Arrays.fill(bIh.data(), bIh.offset() + from, bIh.offset() + from + h, (float) value);
            if (bHh != null) {
                Arrays.fill(bHh.data(), bHh.offset() + from, bHh.offset() + from + h, 0f);
            }
        }
    }

    /**
     * Chrono initialisation of the gate biases (Tallec and Ollivier 2018, "Can recurrent neural
     * networks warp time?"): each unit j gets a forgetting time drawn between 2 and {@code maxSteps}
     * steps, so the layer starts out remembering on every time scale up to the task's length.
     * <pre>
     *   u_j ~ U(1, maxSteps - 1),   b_j = ln u_j
     *   LSTM: b_f = b_j, b_i = -b_j   (f = σ(b_j) keeps c for about 1 + u_j steps)
     *   GRU:  b_z = b_j               (h_t = (1 - z) ⊙ n + z ⊙ h_{t-1} keeps h as long)
     * </pre>
     * The values go into {@code b_ih}, and {@code b_hh}'s blocks of those gates are zeroed, so the
     * effective biases are the drawn ones. Layer by layer, unit by unit, one draw each from {@code rng}.
     *
     * @param maxSteps the longest forgetting time, at least 3: the length of the dependencies to learn
     */
    public static void chrono(Recurrent rnn, int maxSteps, Rng rng) {
        CellType type = rnn.config().cell();
        if (type != CellType.LSTM && type != CellType.GRU) {
            throw new IllegalArgumentException("chrono initialisation sets the biases of an LSTM's forget and input"
                    + " gates or a GRU's update gate, and a " + type.id() + " has neither");
        }
        if (maxSteps < 3) {
            throw new IllegalArgumentException("chrono initialisation's longest forgetting time is " + maxSteps
                    + " steps, expected at least 3 (the draw is uniform in 1 to maxSteps - 1)");
        }
        int h = rnn.config().hiddenSize();
        for (int k = 0; k < rnn.config().layers(); k++) {
            Param bIh = rnn.biasIh(k);
            Param bHh = rnn.biasHh(k);
            if (bIh == null) {
                throw new IllegalArgumentException("the " + type.id() + " has no bias_ih, so no chrono biases can be set");
            }
            float[] b = bIh.data();
            int base = bIh.offset();
            for (int j = 0; j < h; j++) {
                float time = (float) Math.log(rng.nextUniform(1, maxSteps - 1));
                if (type == CellType.LSTM) {
                    b[base + LstmGate.F.offset(h) + j] = time;
                    b[base + LstmGate.I.offset(h) + j] = -time;
                } else {
                    b[base + GruGate.Z.offset(h) + j] = time;
                }
            }
            if (bHh != null) {
                int[] blocks = type == CellType.LSTM
                        ? new int[] {LstmGate.F.offset(h), LstmGate.I.offset(h)}
                        : new int[] {GruGate.Z.offset(h)};
                for (int from : blocks) {
                    Arrays.fill(bHh.data(), bHh.offset() + from, bHh.offset() + from + h, 0f);
                }
            }
        }
    }
}
