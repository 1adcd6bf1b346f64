package io.unroll.train;

import io.unroll.kernel.Kernels;
import io.unroll.tensor.Check;
import io.unroll.tensor.ParamStore;

/**
 * Gradient clipping (Pascanu et al. 2013).
 * <ul>
 *   <li>By global L2 norm over all parameters: {@code n = ‖∇‖₂}; if {@code n > maxNorm}, every gradient
 *   is scaled by {@code maxNorm / (n + ε)} (PyTorch's {@code clip_grad_norm_}, ε = 1e-6). The norm
 *   <em>before</em> clipping is returned, so callers can report it.</li>
 *   <li>By value: every gradient clamped to {@code [-c, c]} ({@code clip_grad_value_}).</li>
 * </ul>
 * A non-finite norm leaves the gradients untouched and is returned as it is: the caller decides
 * what a NaN means.
 */
public final class Clipping {
    /** PyTorch's ε in {@code max_norm / (norm + ε)}. */
    public static final double PYTORCH_EPSILON = 1e-6;

    private Clipping() {}

    /** The global L2 norm of all gradients, accumulated in double. */
    public static double globalNorm(ParamStore params) {
        return Math.sqrt(Kernels.sumOfSquares(params.grads(), 0, params.size()));
    }

    /** Clips by global norm with PyTorch's ε; returns the pre-clip norm. */
    public static double clipByGlobalNorm(ParamStore params, double maxNorm) {
        return clipByGlobalNorm(params, maxNorm, PYTORCH_EPSILON);
    }

    /** Clips by global norm, scaling by {@code maxNorm / (norm + epsilon)}; returns the pre-clip norm. */
    public static double clipByGlobalNorm(ParamStore params, double maxNorm, double epsilon) {
        Check.positive("max norm", maxNorm);
        Check.nonNegative("epsilon", epsilon);
        double norm = globalNorm(params);
        if (Double.isFinite(norm) && norm > maxNorm) {
            Kernels.scale(params.grads(), 0, params.size(), (float) (maxNorm / (norm + epsilon)));
        }
        return norm;
    }

    /** Clamps every gradient to {@code [-clip, clip]}; returns how many values were clamped. */
    public static int clipByValue(ParamStore params, double clip) {
        float c = (float) Check.positive("clip value", clip);
        float[] g = params.grads();
        int clamped = 0;
        for (int i = 0; i < g.length; i++) {
            if (g[i] > c) {
                g[i] = c;
                clamped++;
            } else if (g[i] < -c) {
                g[i] = -c;
                clamped++;
            }
        }
        return clamped;
    }
}
