package io.unroll.cell;

import io.unroll.kernel.Kernels;
import io.unroll.tensor.ParamStore;

/**
 * The vanilla (Elman) RNN cell, PyTorch's {@code nn.RNN}:
 * <pre>
 *   h_t = φ(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),   φ = tanh or relu
 * </pre>
 * Backward: {@code dz = dh ⊙ φ'(z)} with {@code φ' = 1 - h²} (tanh) or {@code [h > 0]} (relu),
 * {@code dh_{t-1} = dz · W_hh}. The one gate is the next hidden state, so z_t is computed in
 * place in {@code hs[t+1]} and nothing else is stored.
 */
public final class RnnCell extends MatrixCell {
    private final boolean relu;

    RnnCell(CellType type, ParamStore.Builder params, String prefix, CellShape shape) {
        super(type, params, prefix, shape, true);
        this.relu = type.activation() == Activation.RELU;
    }

    private RnnCell(RnnCell shared) {
        super(shared);
        this.relu = shared.relu;
    }

    @Override
    public Cell sharingParameters() {
        return new RnnCell(this);
    }

    @Override
    public void forward(int t) {
        int z = buf.gatesBase + buf.gateStep(t); // z_t, becoming h_t in place: gates alias hs[t+1]
        // z_t += h_{t-1} W_hhᵀ
        Kernels.gemmNNPanelsAdd(buf.gates, z, buf.hs, buf.stateSlot(t), weightHhTPanels, 0, buf.batch, hidden, hidden);
        // h_t = φ(z_t)
        Kernels.rnnActivate(buf.gates, z, buf.batch * hidden, relu);
    }

    @Override
    public void backward(int t) {
        int dz = buf.gateStep(t);
        // dz_t = dh_t ⊙ φ'(z_t), φ' read from h_t
        Kernels.rnnActivateBackward(buf.dPreIh, dz, buf.hs, buf.stateSlot(t + 1), buf.dh, 0, buf.batch * hidden, relu);
        // dh_{t-1} = dz_t · W_hh
        Kernels.gemmNNPanels(buf.dhCarry, 0, buf.dPreIh, dz, weightHhPanels, 0, buf.batch, hidden, hidden);
    }

    /** The hidden states h_0..h_T, {@code (T+1)·B·H}: φ' is read from h itself. */
    @Override
    public long requiredStoredFloats(int batch, int steps) {
        return (long) (steps + 1) * batch * hidden;
    }

    @Override
    protected StreamStep createStreamStep() {
        return new PackedStep() {
            @Override
            public void step(float[] x, int xOff, float[] h, float[] c, int stateOff) {
                // h_t = φ(b + [x; h_{t-1}] [W_ih | W_hh]ᵀ)
                project(x, xOff, h, stateOff);
                Kernels.rnnActivate(gates, 0, hidden, relu);
                System.arraycopy(gates, 0, h, stateOff, hidden);
            }
        };
    }
}
