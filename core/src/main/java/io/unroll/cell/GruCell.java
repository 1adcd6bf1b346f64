package io.unroll.cell;

import io.unroll.kernel.Kernels;
import io.unroll.tensor.Param;

/**
 * The GRU cell, PyTorch's {@code nn.GRU} (Cho et al. 2014), gate rows r, z, n:
 * <pre>
 *   r = σ(W_ir x + b_ir + W_hr h_{t-1} + b_hr)
 *   z = σ(W_iz x + b_iz + W_hz h_{t-1} + b_hz)
 *   n = tanh(W_in x + b_in + r ⊙ (W_hn h_{t-1} + b_hn))
 *   h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}
 * </pre>
 * Because r multiplies {@code W_hn h + b_hn}, {@code b_hh} cannot be folded into the input
 * projection, and the gradients of the two projections differ in the n block.
 */
public final class GruCell implements Cell {
    private final Param biasHh;   // [3H] or null

    public GruCell(Param biasHh) {
        this.biasHh = biasHh;
    }

    @Override
    public CellType type() {
        return CellType.GRU;
    }

    @Override
    public boolean foldsHiddenBias() {
        return false;
    }

    @Override
    public void forward(StepBuffers buf, int t) {
        int h = buf.hidden;
        int g = buf.gatesBase + buf.gateStep(t);
        // hProj = h_{t-1} W_hhᵀ + b_hh
        Kernels.gemmNNPanels(buf.hProj, 0, buf.hs, buf.stateSlot(t), buf.weightHhTPanels, 0, buf.batch, 3 * h, h);
        if (biasHh != null) {
            Kernels.addRowVector(buf.hProj, 0, biasHh.data(), biasHh.offset(), buf.batch, 3 * h);
        }
        // r, z, n and h_t; keeps W_hn h + b_hn for backward
        Kernels.gruForward(buf.gates, g, buf.hProj, 0, buf.hn, buf.stateSlot(t), buf.hs, buf.stateSlot(t),
                buf.hs, buf.stateSlot(t + 1), buf.batch, h);
    }

    @Override
    public void backward(StepBuffers buf, int t) {
        int h = buf.hidden;
        int dg = buf.gateStep(t);
        // both pre-activation gradients, and the direct path dh_{t-1} = z ⊙ dh_t
        Kernels.gruBackward(buf.dPreIh, dg, buf.dPreHh, dg, buf.gates, buf.gatesBase + dg, buf.hn, buf.stateSlot(t),
                buf.hs, buf.stateSlot(t), buf.dh, 0, buf.dhCarry, 0, buf.batch, h);
        // dh_{t-1} += dPreHh_t · W_hh
        Kernels.gemmNNPanelsAdd(buf.dhCarry, 0, buf.dPreHh, dg, buf.weightHhPanels, 0, buf.batch, h, 3 * h);
    }
}
