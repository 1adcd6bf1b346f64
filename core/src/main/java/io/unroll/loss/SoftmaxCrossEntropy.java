package io.unroll.loss;

import io.unroll.kernel.Kernels;
import io.unroll.tensor.Check;
import java.util.Arrays;

/**
 * Softmax cross-entropy over N positions of V classes, the mean over counted positions:
 * <pre>
 *   p_n = softmax(logits_n),   L = -(1 / Σ m_n) Σ_n m_n log p_n[target_n]
 *   dL/dlogits_n = m_n (p_n - onehot(target_n)) / Σ m_n
 * </pre>
 * with mask {@code m_n ∈ {0, 1}} (all ones without a mask). Computed stably with the log-sum-exp
 * shift; equals PyTorch's {@code F.cross_entropy} (mean reduction) on the counted rows.
 */
public final class SoftmaxCrossEntropy {
    private float[] probabilities; // [N, V]
    private float[] dLogits;       // [N, V]
    private double[] logSumExp;    // [N]
    private int counted;

    /**
     * @param logits  {@code [N, V]}
     * @param targets {@code [N]} class ids in {@code [0, V)} (ignored where the mask is 0)
     * @param mask    {@code [N]} of 0 or 1, or null to count every position
     * @return the mean loss; {@link #dLogits()} and {@link #probabilities()} hold the rest until the next call
     */
    public double compute(float[] logits, int[] targets, float[] mask, int positions, int classes) {
        Check.positive("positions", positions);
        Check.positive("classes", classes);
        Check.shape("logits [positions, classes]", logits, positions, classes);
        Check.shape("targets [positions]", targets, positions);
        int counted = Check.mask(mask, positions);
        for (int n = 0; n < positions; n++) {
            if ((mask == null || mask[n] == 1f) && (targets[n] < 0 || targets[n] >= classes)) {
                throw new IllegalArgumentException("targets hold " + targets[n] + " at position " + n
                        + ", expected a class id in [0, " + classes + "); the likely cause is a vocabulary that does not match the model");
            }
        }
        if (probabilities == null || probabilities.length != logits.length) {
            probabilities = new float[logits.length];
            dLogits = new float[logits.length];
        }
        if (logSumExp == null || logSumExp.length != positions) {
            logSumExp = new double[positions];
        }
        Kernels.softmaxRows(probabilities, 0, logits, 0, positions, classes, logSumExp);
        // dL/dlogits = (p - onehot(target)) / counted on counted rows, 0 elsewhere
        System.arraycopy(probabilities, 0, dLogits, 0, logits.length);
        float inv = 1f / counted;
        Kernels.scale(dLogits, 0, logits.length, inv);
        double total = 0;
        for (int n = 0; n < positions; n++) {
            int row = n * classes;
            if (mask == null || mask[n] == 1f) {
                total += logSumExp[n] - logits[row + targets[n]];
                dLogits[row + targets[n]] -= inv;
            } else {
                Arrays.fill(dLogits, row, row + classes, 0f);
            }
        }
        this.counted = counted;
        return total / counted;
    }

    /** Gradient of the last loss with respect to the logits {@code [N, V]}. */
    public float[] dLogits() {
        return dLogits;
    }

    /** Softmax of the last logits {@code [N, V]}. */
    public float[] probabilities() {
        return probabilities;
    }

    /** Number of positions the last loss counted. */
    public int counted() {
        return counted;
    }
}
