package io.unroll.cell;

import io.unroll.kernel.Kernels;
import io.unroll.tensor.Check;
import io.unroll.tensor.ParamStore;
import java.util.Arrays;

/**
 * The GRU cell, PyTorch's {@code nn.GRU} (Cho et al. 2014), gate rows r, z, n ({@link GruGate}):
 * <pre>
 *   r = σ(W_ir x + b_ir + W_hr h_{t-1} + b_hr)
 *   z = σ(W_iz x + b_iz + W_hz h_{t-1} + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h_{t-1} + b_hn))
 *   h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}
 * </pre>
 * Because r multiplies {@code W_hn h + b_hn}, {@code b_hh} cannot be folded into the input
 * projection, and the gradients of the two projections differ in the n block. Stored for backward:
 * the hidden states, the three gate activations and {@code W_hn h_{t-1} + b_hn} of every step.
 */
public final class GruCell extends MatrixCell {
    private float[] hn;    // [T, B, H]: W_hn h_{t-1} + b_hn per step, for backward
    private float[] hProj; // [B, 3H]: the current step's h_{t-1} W_hhᵀ + b_hh

    GruCell(CellType type, ParamStore.Builder params, String prefix, CellShape shape) {
        super(type, params, prefix, shape, false);
    }

    private GruCell(GruCell shared) {
        super(shared);
    }

    @Override
    public Cell sharingParameters() {
        return new GruCell(this);
    }

    @Override
    public void resize(int batch, int steps) {
        super.resize(batch, steps);
        hn = new float[Check.arrayLength("GRU W_hn h + b_hn [steps, batch, hidden size]", steps, batch, hidden)];
        hProj = new float[Check.arrayLength("GRU h W_hh [batch, gates x hidden size]", batch, gateWidth)];
    }

    /** {@code W_hn h + b_hn} of every step, which backward reads besides the gates. */
    @Override
    protected void repeatOwnStored(Cell single, int from) {
        repeatRows(((GruCell) single).hn, from * hidden, hn, 0, buf.steps, hidden, buf.batch);
    }

    /** The common workspace, and {@code W_hn h + b_hn} of every step with the current step's projection. */
    @Override
    public long workspaceFloats(int batch, int steps) {
        return super.workspaceFloats(batch, steps) + (long) steps * batch * hidden + (long) batch * gateWidth;
    }

    @Override
    public void forward(int t) {
        int g = buf.gatesBase + buf.gateStep(t);
        // hProj = h_{t-1} W_hhᵀ + b_hh
        Kernels.gemmNNPanels(hProj, 0, buf.hs, buf.stateSlot(t), weightHhTPanels, 0, buf.batch, gateWidth, hidden);
        if (biasHh != null) {
            Kernels.addRowVector(hProj, 0, biasHh.data(), biasHh.offset(), buf.batch, gateWidth);
        }
        // r, z, n and h_t; keeps W_hn h + b_hn for backward
        Kernels.gruForward(buf.gates, g, hProj, 0, hn, buf.stateSlot(t), buf.hs, buf.stateSlot(t),
                buf.hs, buf.stateSlot(t + 1), buf.batch, hidden);
    }

    @Override
    public void backward(int t) {
        int dg = buf.gateStep(t);
        // both pre-activation gradients, and the direct path dh_{t-1} = z ⊙ dh_t
        Kernels.gruBackward(buf.dPreIh, dg, buf.dPreHh, dg, buf.gates, buf.gatesBase + dg, hn, buf.stateSlot(t),
                buf.hs, buf.stateSlot(t), buf.dh, 0, buf.dhCarry, 0, buf.batch, hidden);
        // dh_{t-1} += dPreHh_t · W_hh
        Kernels.gemmNNPanelsAdd(buf.dhCarry, 0, buf.dPreHh, dg, weightHhPanels, 0, buf.batch, hidden, gateWidth);
    }

    @Override
    public long storedFloats() {
        return super.storedFloats() + (hn == null ? 0 : hn.length);
    }

    /** h_0..h_T, {@code (T+1)·B·H}, the three gate activations, {@code T·B·3H}, and {@code W_hn h_{t-1} + b_hn}, {@code T·B·H}. */
    @Override
    public long requiredStoredFloats(int batch, int steps) {
        return (long) (steps + 1) * batch * hidden + 4L * steps * batch * hidden;
    }

    @Override
    protected StreamStep createStreamStep() {
        return new PackedStep() {
            private final float[] hiddenBias = new float[gateWidth]; // [3H]: b_hh
            private final float[] stepProj = new float[gateWidth];   // [3H]: h_{t-1} W_hhᵀ + b_hh
            private final float[] stepHn = new float[hidden];        // [H]: W_hn h + b_hn (kept by the kernel, unused here)

            @Override
            public void refreshWeights() {
                super.refreshWeights();
                Arrays.fill(hiddenBias, 0f);
                addInto(hiddenBias, biasHh);
            }

            @Override
            public void step(float[] x, int xOff, float[] h, float[] c, int stateOff) {
                load(x, xOff, h, stateOff);
                Kernels.gemmNNAdd(gates, 0, xh, 0, packed, 0, 1, gateWidth, inputSize);
                System.arraycopy(hiddenBias, 0, stepProj, 0, gateWidth);
                Kernels.gemmNNAdd(stepProj, 0, xh, inputSize, packed, inputSize * gateWidth, 1, gateWidth, hidden);
                Kernels.gruForward(gates, 0, stepProj, 0, stepHn, 0, h, stateOff, h, stateOff, 1, hidden);
            }
        };
    }
}
