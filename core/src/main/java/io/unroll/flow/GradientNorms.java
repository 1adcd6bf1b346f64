package io.unroll.flow;

import io.unroll.kernel.Kernels;
import io.unroll.layer.StepObserver;

/**
 * Records {@code ‖dL/dh_t‖₂} for every layer and step during backward: the gradient norm reaching
 * each timestep; for a cell with a cell state also {@code ‖dL/dc_t‖₂}, the gradient reaching c_t
 * from later steps (the two taken as separate variables, as {@link StepObserver} shows them). With
 * a batch the norm is taken over the whole {@code [B, H]} slice. Holds {@code [L, T]} doubles (twice
 * with a cell state); reading them does not disturb training.
 */
public final class GradientNorms implements StepObserver {
    private final double[][] norms;     // [L][T]
    private final double[][] cellNorms; // [L][T], allocated at the first dc seen

    public GradientNorms(int layers, int steps) {
        this.norms = new double[layers][steps];
        this.cellNorms = new double[layers][];
    }

    @Override
    public void onStep(int layer, int t, float[] dh, float[] dc, int batch, int hidden) {
        norms[layer][t] = Math.sqrt(Kernels.sumOfSquares(dh, 0, batch * hidden));
        if (dc != null) {
            if (cellNorms[layer] == null) {
                cellNorms[layer] = new double[norms[layer].length];
            }
            cellNorms[layer][t] = Math.sqrt(Kernels.sumOfSquares(dc, 0, batch * hidden));
        }
    }

    /** The norms of one layer, indexed by step. */
    public double[] layer(int layer) {
        return norms[layer].clone();
    }

    /** The norms of the gradient reaching the cell state of one layer, indexed by step, or null when none was seen. */
    public double[] cellLayer(int layer) {
        return cellNorms[layer] == null ? null : cellNorms[layer].clone();
    }
}
