package io.unroll.cell;

import io.unroll.kernel.Kernels;
import io.unroll.tensor.ParamStore;

/**
 * The LSTM cell, PyTorch's {@code nn.LSTM} (Hochreiter &amp; Schmidhuber 1997, with the forget gate
 * of Gers et al. 2000), gate rows i, f, g, o ({@link LstmGate}):
 * <pre>
 *   [i; f; g; o] = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
 *   i, f, o = σ(.),  g = tanh(.)
 *   c_t = f ⊙ c_{t-1} + i ⊙ g
 *   h_t = o ⊙ tanh(c_t)
 * </pre>
 * Backward: {@code dc_t += dh_t ⊙ o ⊙ (1 - tanh²c_t)}, then through the product rule to each gate
 * and {@code dc_{t-1} = dc_t ⊙ f}; {@code dh_{t-1} = dGates · W_hh}. Stored for backward: the
 * hidden and cell states and the four gate activations of every step.
 */
public final class LstmCell extends MatrixCell {

    LstmCell(CellType type, ParamStore.Builder params, String prefix, CellShape shape) {
        super(type, params, prefix, shape, true);
    }

    private LstmCell(LstmCell shared) {
        super(shared);
    }

    @Override
    public Cell sharingParameters() {
        return new LstmCell(this);
    }

    @Override
    public int forgetGateBlock() {
        return LstmGate.F.ordinal();
    }

    @Override
    public void forward(int t) {
        int g = buf.gatesBase + buf.gateStep(t);
        // gates_t += h_{t-1} W_hhᵀ
        Kernels.gemmNNPanelsAdd(buf.gates, g, buf.hs, buf.stateSlot(t), weightHhTPanels, 0, buf.batch, gateWidth, hidden);
        // activations, c_t and h_t
        Kernels.lstmForward(buf.gates, g, buf.cs, buf.stateSlot(t), buf.cs, buf.stateSlot(t + 1),
                buf.hs, buf.stateSlot(t + 1), buf.batch, hidden);
    }

    @Override
    public void backward(int t) {
        int dg = buf.gateStep(t);
        // dGates_t and dc_{t-1} from dh_t, dc_t and the stored activations
        Kernels.lstmBackward(buf.dPreIh, dg, buf.gates, buf.gatesBase + dg, buf.cs, buf.stateSlot(t),
                buf.cs, buf.stateSlot(t + 1), buf.dh, 0, buf.dc, 0, buf.batch, hidden);
        // dh_{t-1} = dGates_t · W_hh
        Kernels.gemmNNPanels(buf.dhCarry, 0, buf.dPreIh, dg, weightHhPanels, 0, buf.batch, hidden, gateWidth);
    }

    /** h_0..h_T and c_0..c_T, {@code 2·(T+1)·B·H}, and the four gate activations of every step, {@code T·B·4H}. */
    @Override
    public long requiredStoredFloats(int batch, int steps) {
        return 2L * (steps + 1) * batch * hidden + 4L * steps * batch * hidden;
    }

    @Override
    protected StreamStep createStreamStep() {
        return new PackedStep() {
            @Override
            public void step(float[] x, int xOff, float[] h, float[] c, int stateOff) {
                project(x, xOff, h, stateOff);
                // c and h updated in place
                Kernels.lstmForward(gates, 0, c, stateOff, c, stateOff, h, stateOff, 1, hidden);
            }
        };
    }
}
