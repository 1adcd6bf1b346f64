package io.unroll.loss;

import io.unroll.tensor.Check;

/**
 * Mean squared error over N positions of D values, the mean over counted elements:
 * <pre>
 *   L = (1 / (D Σ m_n)) Σ_n m_n Σ_d (pred_nd - target_nd)²,   dL/dpred_nd = 2 m_n (pred_nd - target_nd) / (D Σ m_n)
 * </pre>
 * with mask {@code m_n ∈ {0, 1}} per position (all ones without a mask); PyTorch's
 * {@code F.mse_loss} (mean reduction) on the counted rows.
 */
public final class MeanSquaredError {
    private float[] dPrediction; // [N, D]
    private int counted;

    /** The mean loss; {@link #dPrediction()} holds its gradient until the next call. */
    public double compute(float[] prediction, float[] target, float[] mask, int positions, int width) {
        Check.positive("positions", positions);
        Check.positive("width", width);
        Check.shape("prediction [positions, width]", prediction, positions, width);
        Check.shape("target [positions, width]", target, positions, width);
        Check.finite("target", target);
        int counted = Check.mask(mask, positions);
        if (dPrediction == null || dPrediction.length != prediction.length) {
            dPrediction = new float[prediction.length];
        }
        double denominator = (double) counted * width;
        double total = 0;
        for (int n = 0; n < positions; n++) {
            boolean counts = mask == null || mask[n] == 1f;
            for (int d = 0; d < width; d++) {
                int i = n * width + d;
                double diff = prediction[i] - target[i];
                if (counts) {
                    total += diff * diff;
                }
                dPrediction[i] = counts ? (float) (2 * diff / denominator) : 0f;
            }
        }
        this.counted = counted;
        return total / denominator;
    }

    /** Gradient of the last loss with respect to the predictions {@code [N, D]}. */
    public float[] dPrediction() {
        return dPrediction;
    }

    /** Number of positions the last loss counted. */
    public int counted() {
        return counted;
    }
}
