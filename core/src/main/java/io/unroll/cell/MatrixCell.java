package io.unroll.cell;

import io.unroll.init.InitScheme;
import io.unroll.init.Weights;
import io.unroll.kernel.Kernels;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import java.util.Arrays;

/**
 * What the cells with a recurrent <em>matrix</em> {@code weight_hh_lk [G·H, H]} share (the vanilla
 * RNN, the LSTM, the GRU): the weight packed into panels before each forward, for the steps'
 * {@code h_{t-1} W_hhᵀ} and backward's {@code dPre_hh W_hh}; its gradient
 * {@code dW_hh += dPre_hhᵀ H_prev} as one GEMM over all steps after the loop; the initialisers,
 * per gate block; and the streaming layout {@code [W_ih | W_hh]ᵀ}, one matrix-vector product over
 * {@code [x; h]} per step.
 */
abstract class MatrixCell extends Cell {
    /**
     * {@code W_hhᵀ [H, GH]} in the panel layout of {@link Kernels#packPanels}: the B of a step's
     * {@code h_{t-1} W_hhᵀ}; allocated by the first resize.
     */
    protected float[] weightHhTPanels;
    /**
     * {@code W_hh [GH, H]} in the panel layout: the B of a step's {@code dh_{t-1} = dPre_hh W_hh} in
     * backward; allocated by the first resize.
     */
    protected float[] weightHhPanels;

    MatrixCell(CellType type, ParamStore.Builder params, String prefix, CellShape shape, boolean foldsHiddenBias) {
        // G·H cannot overflow here: the cell checks weight_ih [G·H, I_k] before it declares weight_hh
        super(type, params, prefix, shape, new int[] {type.gates() * shape.hidden(), shape.hidden()}, foldsHiddenBias);
    }

    MatrixCell(MatrixCell shared) {
        super(shared);
    }

    @Override
    public void resize(int batch, int steps) {
        super.resize(batch, steps);
        if (weightHhTPanels == null) {
            weightHhTPanels = new float[gateWidth * hidden];
            weightHhPanels = new float[gateWidth * hidden];
        }
    }

    /** The common workspace and the two packed copies of {@code W_hh}. */
    @Override
    public long workspaceFloats(int batch, int steps) {
        return super.workspaceFloats(batch, steps) + 2L * gateWidth * hidden;
    }

    @Override
    protected void prepareRecurrentWeight() {
        Kernels.packPanels(weightHhTPanels, 0, weightHh.data(), weightHh.offset(), hidden, gateWidth, true);
        Kernels.packPanels(weightHhPanels, 0, weightHh.data(), weightHh.offset(), gateWidth, hidden, false);
    }

    @Override
    protected void addRecurrentWeightGradient() {
        Kernels.gemmTNAdd(weightHh.grad(), weightHh.offset(), buf.dPreHh, 0, buf.hs, 0, gateWidth, hidden,
                buf.steps * buf.batch);
    }

    @Override
    public void initRecurrentWeight(InitScheme scheme, double sigma, Rng rng) {
        int g = type().gates();
        switch (scheme) {
            case PYTORCH:
                Weights.uniform(weightHh, 1 / Math.sqrt(hidden), rng);
                break;
            case GAUSSIAN:
                Weights.gaussian(weightHh, sigma, rng);
                break;
            case XAVIER:
                Weights.xavierUniform(weightHh, g, rng);
                break;
            case ORTHOGONAL:
                Weights.orthogonal(weightHh, g, 1.0, rng);
                break;
            case IDENTITY:
                Weights.identity(weightHh, g, sigma, rng);
                break;
            default:
                throw new AssertionError(scheme);
        }
    }

    /**
     * The streaming step of a matrix cell: the layer's weights packed as {@code [W_ih | W_hh]ᵀ},
     * {@code [I_k + H, G·H]}, so one pass of broadcast FMAs over {@code [x; h]} gives every gate
     * pre-activation (a cell whose gate multiplies the hidden side, the GRU, runs the two halves
     * apart). Batch-1 streaming is bound by reading these weights.
     */
    abstract class PackedStep implements StreamStep {
        protected final float[] packed = new float[(inputSize + hidden) * gateWidth]; // [I_k + H, GH]: [W_ih | W_hh]ᵀ
        protected final float[] bias = new float[gateWidth];        // [GH]: b_ih + b_hh, or b_ih where b_hh is not folded
        protected final float[] xh = new float[inputSize + hidden];  // [I_k + H]: the step's input, then h_{t-1}
        protected final float[] gates = new float[gateWidth];       // [GH]

        @Override
        public void refreshWeights() {
            // W_ih [GH, I_k] into rows 0 .. I_k-1, W_hh [GH, H] into rows I_k .. I_k+H-1
            Kernels.transpose(packed, 0, weightIh.data(), weightIh.offset(), gateWidth, inputSize);
            Kernels.transpose(packed, inputSize * gateWidth, weightHh.data(), weightHh.offset(), gateWidth, hidden);
            Arrays.fill(bias, 0f);
            addInto(bias, biasIh);
            if (foldsHiddenBias()) {
                addInto(bias, biasHh);
            }
        }

        /** {@code gates = bias + [x; h_{t-1}] [W_ih | W_hh]ᵀ}: every gate pre-activation in one pass over the weights. */
        protected void project(float[] x, int xOff, float[] h, int hOff) {
            load(x, xOff, h, hOff);
            Kernels.gemmNNAdd(gates, 0, xh, 0, packed, 0, 1, gateWidth, inputSize + hidden);
        }

        /** {@code xh = [x; h_{t-1}]} and {@code gates = bias}: what every step starts from. */
        protected void load(float[] x, int xOff, float[] h, int hOff) {
            System.arraycopy(x, xOff, xh, 0, inputSize);
            System.arraycopy(h, hOff, xh, inputSize, hidden);
            System.arraycopy(bias, 0, gates, 0, gateWidth);
        }
    }
}
