package io.unroll.train;

import io.unroll.tensor.Check;
import io.unroll.tensor.ParamStore;
import java.nio.ByteBuffer;

/**
 * Adam (Kingma &amp; Ba 2015) and AdamW (Loshchilov &amp; Hutter 2019), with the arithmetic of
 * PyTorch's {@code torch.optim.Adam} / {@code AdamW}:
 * <pre>
 *   Adam:  g = ∇ + λ θ                    AdamW: θ = θ (1 - lr λ),  g = ∇
 *   m = β1 m + (1 - β1) g
 *   v = β2 v + (1 - β2) g²
 *   θ = θ - (lr / (1 - β1^t)) · m / (√v / √(1 - β2^t) + ε)
 * </pre>
 */
public final class Adam implements Optimizer {
    static final byte KIND = 2;

    private final double learningRate;
    private double rateScale = 1;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double weightDecay;
    private final boolean decoupled;
    private float[] m; // [P]
    private float[] v; // [P]
    private long steps;

    private Adam(double learningRate, double beta1, double beta2, double epsilon, double weightDecay, boolean decoupled) {
        this.learningRate = Check.positive("learning rate", learningRate);
        this.beta1 = Check.inRange("beta1", beta1, 0, 1);
        this.beta2 = Check.inRange("beta2", beta2, 0, 1);
        this.epsilon = Check.positive("epsilon", epsilon);
        this.weightDecay = Check.nonNegative("weight decay", weightDecay);
        this.decoupled = decoupled;
    }

    /** Adam with PyTorch's defaults β = (0.9, 0.999), ε = 1e-8, no weight decay. */
    public static Adam adam(double learningRate) {
        return new Adam(learningRate, 0.9, 0.999, 1e-8, 0, false);
    }

    /** Adam with L2 weight decay added to the gradient. */
    public static Adam adam(double learningRate, double beta1, double beta2, double epsilon, double weightDecay) {
        return new Adam(learningRate, beta1, beta2, epsilon, weightDecay, false);
    }

    /** AdamW: decoupled weight decay (PyTorch's default λ = 0.01). */
    public static Adam adamW(double learningRate, double weightDecay) {
        return new Adam(learningRate, 0.9, 0.999, 1e-8, weightDecay, true);
    }

    /** AdamW with every constant given. */
    public static Adam adamW(double learningRate, double beta1, double beta2, double epsilon, double weightDecay) {
        return new Adam(learningRate, beta1, beta2, epsilon, weightDecay, true);
    }

    @Override
    public void step(ParamStore params) {
        float[] theta = params.values();
        float[] grad = params.grads();
        if (m != null && m.length != theta.length) {
            throw new IllegalArgumentException("optimizer state holds " + m.length + " values, the model has "
                    + theta.length + "; the likely cause is a checkpoint of another model");
        }
        if (m == null) {
            m = new float[theta.length];
            v = new float[theta.length];
        }
        steps++;
        float b1 = (float) beta1;
        float b2 = (float) beta2;
        double rate = learningRate * rateScale;
        float stepSize = (float) (rate / (1 - Math.pow(beta1, steps)));
        float sqrtCorrection2 = (float) Math.sqrt(1 - Math.pow(beta2, steps));
        float eps = (float) epsilon;
        float decay = (float) weightDecay;
        float shrink = (float) (1 - rate * weightDecay);
        for (int i = 0; i < theta.length; i++) {
            float g = grad[i];
            if (decoupled) {
                theta[i] *= shrink;
            } else {
                g += decay * theta[i];
            }
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            float denominator = (float) Math.sqrt(v[i]) / sqrtCorrection2 + eps;
            theta[i] -= stepSize * m[i] / denominator;
        }
    }

    @Override
    public void scaleLearningRate(double factor) {
        rateScale = Check.nonNegative("learning-rate factor", factor);
    }

    @Override
    public long steps() {
        return steps;
    }

    @Override
    public byte[] saveState() {
        ByteBuffer out = Optimizer.stateBuffer(KIND, 5 * 8 + 1 + 8 + Optimizer.floatBytes(m) + Optimizer.floatBytes(v));
        out.putDouble(learningRate).putDouble(beta1).putDouble(beta2).putDouble(epsilon).putDouble(weightDecay);
        out.put((byte) (decoupled ? 1 : 0)).putLong(steps);
        Optimizer.putFloats(out, m);
        Optimizer.putFloats(out, v);
        return out.array();
    }

    static Adam restore(ByteBuffer in) {
        Adam adam = new Adam(in.getDouble(), in.getDouble(), in.getDouble(), in.getDouble(), in.getDouble(), in.get() == 1);
        adam.steps = in.getLong();
        adam.m = Optimizer.getFloats(in);
        adam.v = Optimizer.getFloats(in);
        if ((adam.m == null) != (adam.v == null) || adam.m != null && adam.m.length != adam.v.length) {
            throw new IllegalArgumentException("saved Adam state has moment buffers of different sizes: the state is corrupt");
        }
        return adam;
    }
}
