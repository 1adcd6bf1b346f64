package io.unroll.cell;

import io.unroll.kernel.Kernels;

/**
 * The vanilla (Elman) RNN cell, PyTorch's {@code nn.RNN}:
 * <pre>
 *   h_t = φ(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),   φ = tanh or relu
 * </pre>
 * Backward: {@code dz = dh ⊙ φ'(z)} with {@code φ' = 1 - h²} (tanh) or {@code [h > 0]} (relu),
 * {@code dh_{t-1} = dz · W_hh}.
 */
public final class RnnCell implements Cell {
    private final CellType type;
    private final boolean relu;

    public RnnCell(CellType type) {
        if (!type.isVanilla()) {
            throw new IllegalArgumentException("RnnCell needs rnn_tanh or rnn_relu, got " + type.id());
        }
        this.type = type;
        this.relu = type == CellType.RNN_RELU;
    }

    @Override
    public CellType type() {
        return type;
    }

    @Override
    public boolean foldsHiddenBias() {
        return true;
    }

    @Override
    public void forward(StepBuffers buf, int t) {
        int h = buf.hidden;
        int z = buf.gatesBase + buf.gateStep(t); // z_t, becoming h_t in place: gates alias hs[t+1]
        // z_t += h_{t-1} W_hhᵀ
        Kernels.gemmNNPanelsAdd(buf.gates, z, buf.hs, buf.stateSlot(t), buf.weightHhTPanels, 0, buf.batch, h, h);
        // h_t = φ(z_t)
        Kernels.rnnActivate(buf.gates, z, buf.batch * h, relu);
    }

    @Override
    public void backward(StepBuffers buf, int t) {
        int h = buf.hidden;
        int dz = buf.gateStep(t);
        // dz_t = dh_t ⊙ φ'(z_t), φ' read from h_t
        Kernels.rnnActivateBackward(buf.dPreIh, dz, buf.hs, buf.stateSlot(t + 1), buf.dh, 0, buf.batch * h, relu);
        // dh_{t-1} = dz_t · W_hh
        Kernels.gemmNNPanels(buf.dhCarry, 0, buf.dPreIh, dz, buf.weightHhPanels, 0, buf.batch, h, h);
    }
}
