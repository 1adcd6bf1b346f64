package io.unroll.flow;

import io.unroll.kernel.Kernels;
import io.unroll.layer.StepObserver;

/**
 * Records {@code ‖dL/dh_t‖₂} for every layer and step during backward: the gradient norm reaching
 * each timestep. With a batch the norm is taken over the whole {@code [B, H]} slice. Holds
 * {@code [L, T]} doubles; reading them does not disturb training.
 */
public final class GradientNorms implements StepObserver {
    private final double[][] norms; // [L][T]

    public GradientNorms(int layers, int steps) {
        this.norms = new double[layers][steps];
    }

    @Override
    public void onStep(int layer, int t, float[] dh, float[] dc, int batch, int hidden) {
        norms[layer][t] = Math.sqrt(Kernels.sumOfSquares(dh, 0, batch * hidden));
    }

    /** The norms of one layer, indexed by step. */
    public double[] layer(int layer) {
        return norms[layer].clone();
    }
}
