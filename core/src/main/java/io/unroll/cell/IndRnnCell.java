package io.unroll.cell;

import io.unroll.init.InitScheme;
import io.unroll.init.Weights;
import io.unroll.kernel.Kernels;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import java.util.Arrays;

/**
 * The IndRNN cell (Li et al. 2018, "Independently Recurrent Neural Network"): every unit has its
 * own recurrent weight, a vector {@code u = weight_hh_lk [H]} instead of a matrix,
 * <pre>
 *   h_t = φ(W_ih x_t + b_ih + u ⊙ h_{t-1} + b_hh),   φ = relu or tanh
 * </pre>
 * Units do not mix within a layer (stacking layers mixes them), so the gradient reaching h_k from
 * h_t is, unit by unit, {@code Π u·φ'(z)}: with {@code |u|^(t-k)} kept near 1 it neither vanishes
 * nor explodes over thousands of steps, which is what the cell was designed for.
 * Backward: {@code dz = dh ⊙ φ'(z)} (φ' read from h), {@code dh_{t-1} = dz ⊙ u},
 * {@code du += Σ_b dz ⊙ h_{t-1}} step by step. Nothing is stored beyond the hidden states.
 */
public final class IndRnnCell extends Cell {
    private final boolean relu;
    private float[] recurrentSum; // [H]: Σ_steps Σ_rows dz ⊙ h_{t-1}, the gradient of u; allocated by the first resize

    IndRnnCell(CellType type, ParamStore.Builder params, String prefix, CellShape shape) {
        super(type, params, prefix, shape, new int[] {shape.hidden()}, true);
        this.relu = type.activation() == Activation.RELU;
    }

    private IndRnnCell(IndRnnCell shared) {
        super(shared);
        this.relu = shared.relu;
    }

    @Override
    public Cell sharingParameters() {
        return new IndRnnCell(this);
    }

    @Override
    public void resize(int batch, int steps) {
        super.resize(batch, steps);
        if (recurrentSum == null) {
            recurrentSum = new float[hidden];
        }
    }

    @Override
    protected void prepareRecurrentWeight() {
        // u is read as it is stored
    }

    @Override
    public void forward(int t) {
        int z = buf.gatesBase + buf.gateStep(t); // z_t, becoming h_t in place: gates alias hs[t+1]
        // h_t = φ(z_t + u ⊙ h_{t-1})
        Kernels.indRnnForward(buf.gates, z, buf.hs, buf.stateSlot(t), weightHh.data(), weightHh.offset(),
                buf.batch, hidden, relu);
    }

    @Override
    public void backward(int t) {
        // dz_t = dh_t ⊙ φ'(z_t), φ' read from h_t; dh_{t-1} = dz_t ⊙ u
        Kernels.indRnnBackward(buf.dPreIh, buf.gateStep(t), buf.hs, buf.stateSlot(t + 1), buf.dh, 0,
                weightHh.data(), weightHh.offset(), buf.dhCarry, 0, buf.batch, hidden, relu);
    }

    @Override
    public void startBackward() {
        super.startBackward();
        Arrays.fill(recurrentSum, 0f);
    }

    /** The bias sums, and u's: {@code du += Σ_b dz_t ⊙ h_{t-1}}. */
    @Override
    public void sumStepGradients(int t) {
        super.sumStepGradients(t);
        Kernels.indRnnRecurrentGradient(recurrentSum, 0, buf.dPreIh, buf.gateStep(t), buf.hs, buf.stateSlot(t),
                buf.batch, hidden);
    }

    @Override
    protected void addRecurrentWeightGradient() {
        Kernels.add(weightHh.grad(), weightHh.offset(), recurrentSum, 0, hidden);
    }

    /** The hidden states h_0..h_T, {@code (T+1)·B·H}: φ' is read from h_t and u's gradient from h_{t-1}. */
    @Override
    public long requiredStoredFloats(int batch, int steps) {
        return (long) (steps + 1) * batch * hidden;
    }

    /** The common workspace and the sum that becomes u's gradient. */
    @Override
    public long workspaceFloats(int batch, int steps) {
        return super.workspaceFloats(batch, steps) + hidden;
    }

    /**
     * How each scheme sets u: {@code pytorch} (the module default, as PyTorch has no IndRNN)
     * draws {@code u ~ U(0, 1)}, every unit between no memory and full memory, as Li et al. do;
     * {@code gaussian} {@code N(0, σ²)}; {@code identity} {@code 1 + N(0, σ²)}, the diagonal of
     * IRNN's identity. Xavier and orthogonal are for matrices and are refused; for a chosen range
     * of {@code |u|^T} use {@link #initRecurrentForGain}.
     */
    @Override
    public void initRecurrentWeight(InitScheme scheme, double sigma, Rng rng) {
        switch (scheme) {
            case PYTORCH:
                rng.fillUniform(weightHh.data(), weightHh.offset(), hidden, 0, 1);
                break;
            case GAUSSIAN:
                Weights.gaussian(weightHh, sigma, rng);
                break;
            case IDENTITY:
                Weights.gaussian(weightHh, sigma, rng);
                for (int j = 0; j < hidden; j++) {
                    weightHh.data()[weightHh.offset() + j] += 1f;
                }
                break;
            default:
                throw new IllegalArgumentException("the " + scheme.id() + " initialisation is for a recurrent matrix; an "
                        + type().id() + "'s recurrent weight is a vector u, one weight per unit: use pytorch (u ~ U(0, 1)), "
                        + "gaussian or identity (u = 1)");
        }
    }

    /**
     * Draws every {@code |u_j|} so that {@code |u_j|^steps}, the gain of unit j's memory over
     * {@code steps} steps, is uniform in {@code [minGain, maxGain]} (Li et al. constrain
     * {@code |u|} by such a range so that the gradient over T steps neither vanishes nor
     * explodes), with positive signs.
     */
    public void initRecurrentForGain(double minGain, double maxGain, int steps, Rng rng) {
        if (!(minGain >= 0 && minGain <= maxGain && Double.isFinite(maxGain)) || steps < 1) {
            throw new IllegalArgumentException("gain range [" + minGain + ", " + maxGain + "] over " + steps
                    + " steps, expected 0 <= min <= max, finite, and at least one step");
        }
        float[] u = weightHh.data();
        int off = weightHh.offset();
        rng.fillUniform(u, off, hidden, minGain, maxGain);
        for (int j = 0; j < hidden; j++) {
            u[off + j] = (float) Math.pow(u[off + j], 1.0 / steps);
        }
    }

    @Override
    protected StreamStep createStreamStep() {
        return new StreamStep() {
            private final float[] weightIhT = new float[inputSize * hidden]; // W_ihᵀ [I_k, H]
            private final float[] bias = new float[hidden];                  // [H]: b_ih + b_hh
            private final float[] z = new float[hidden];                     // [H]

            @Override
            public void refreshWeights() {
                Kernels.transpose(weightIhT, 0, weightIh.data(), weightIh.offset(), hidden, inputSize);
                Arrays.fill(bias, 0f);
                addInto(bias, biasIh);
                addInto(bias, biasHh);
            }

            @Override
            public void step(float[] x, int xOff, float[] h, float[] c, int stateOff) {
                System.arraycopy(bias, 0, z, 0, hidden);
                Kernels.gemmNNAdd(z, 0, x, xOff, weightIhT, 0, 1, hidden, inputSize);
                // h_t = φ(z + u ⊙ h_{t-1}), then back into the state
                Kernels.indRnnForward(z, 0, h, stateOff, weightHh.data(), weightHh.offset(), 1, hidden, relu);
                System.arraycopy(z, 0, h, stateOff, hidden);
            }
        };
    }
}
