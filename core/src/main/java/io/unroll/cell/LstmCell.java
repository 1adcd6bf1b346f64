package io.unroll.cell;

import io.unroll.kernel.Kernels;

/**
 * The LSTM cell, PyTorch's {@code nn.LSTM} (Hochreiter &amp; Schmidhuber 1997, with the forget gate
 * of Gers et al. 2000), gate rows i, f, g, o:
 * <pre>
 *   [i; f; g; o] = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
 *   i, f, o = σ(.),  g = tanh(.)
 *   c_t = f ⊙ c_{t-1} + i ⊙ g
 *   h_t = o ⊙ tanh(c_t)
 * </pre>
 * Backward: {@code dc_t += dh_t ⊙ o ⊙ (1 - tanh²c_t)}, then through the product rule to each gate
 * and {@code dc_{t-1} = dc_t ⊙ f}; {@code dh_{t-1} = dGates · W_hh}.
 */
public final class LstmCell implements Cell {

    @Override
    public CellType type() {
        return CellType.LSTM;
    }

    @Override
    public boolean foldsHiddenBias() {
        return true;
    }

    @Override
    public void forward(StepBuffers buf, int t) {
        int h = buf.hidden;
        int g = buf.gatesBase + buf.gateStep(t);
        // gates_t += h_{t-1} W_hhᵀ
        Kernels.gemmNNPanelsAdd(buf.gates, g, buf.hs, buf.stateSlot(t), buf.weightHhTPanels, 0, buf.batch, 4 * h, h);
        // activations, c_t and h_t
        Kernels.lstmForward(buf.gates, g, buf.cs, buf.stateSlot(t), buf.cs, buf.stateSlot(t + 1),
                buf.hs, buf.stateSlot(t + 1), buf.batch, h);
    }

    @Override
    public void backward(StepBuffers buf, int t) {
        int h = buf.hidden;
        int dg = buf.gateStep(t);
        // dGates_t and dc_{t-1} from dh_t, dc_t and the stored activations
        Kernels.lstmBackward(buf.dPreIh, dg, buf.gates, buf.gatesBase + dg, buf.cs, buf.stateSlot(t),
                buf.cs, buf.stateSlot(t + 1), buf.dh, 0, buf.dc, 0, buf.batch, h);
        // dh_{t-1} = dGates_t · W_hh
        Kernels.gemmNNPanels(buf.dhCarry, 0, buf.dPreIh, dg, buf.weightHhPanels, 0, buf.batch, h, 4 * h);
    }
}
