package io.unroll.train;

import io.unroll.tensor.Check;
import io.unroll.tensor.ParamStore;
import java.nio.ByteBuffer;

/**
 * Stochastic gradient descent with optional momentum, as PyTorch's {@code torch.optim.SGD}
 * (no dampening, no Nesterov):
 * <pre>
 *   g = ∇ + λ θ
 *   v = μ v + g      (v = g at the first step)
 *   θ = θ - lr · v   (θ = θ - lr · g when μ = 0)
 * </pre>
 */
public final class Sgd implements Optimizer {
    static final byte KIND = 1;

    private final float learningRate;
    private final float momentum;
    private final float weightDecay;
    private float rateScale = 1;
    private float[] velocity; // [P], created at the first step when momentum > 0
    private long steps;

    public Sgd(double learningRate) {
        this(learningRate, 0, 0);
    }

    public Sgd(double learningRate, double momentum, double weightDecay) {
        this.learningRate = (float) Check.positive("learning rate", learningRate);
        this.momentum = (float) Check.inRange("momentum", momentum, 0, 1);
        this.weightDecay = (float) Check.nonNegative("weight decay", weightDecay);
    }

    @Override
    public void step(ParamStore params) {
        float[] theta = params.values();
        float[] grad = params.grads();
        if (velocity != null && velocity.length != theta.length) {
            throw new IllegalArgumentException("optimizer state holds " + velocity.length + " values, the model has "
                    + theta.length + "; the likely cause is a checkpoint of another model");
        }
        if (momentum > 0 && velocity == null) {
            velocity = new float[theta.length];
        }
        float rate = learningRate * rateScale;
        for (int i = 0; i < theta.length; i++) {
            float g = grad[i] + weightDecay * theta[i];
            if (momentum > 0) {
                g = steps == 0 ? g : momentum * velocity[i] + g;
                velocity[i] = g;
            }
            theta[i] -= rate * g;
        }
        steps++;
    }

    @Override
    public void scaleLearningRate(double factor) {
        rateScale = (float) Check.nonNegative("learning-rate factor", factor);
    }

    @Override
    public long steps() {
        return steps;
    }

    @Override
    public byte[] saveState() {
        ByteBuffer out = Optimizer.stateBuffer(KIND, 12 + 8 + Optimizer.floatBytes(velocity));
        out.putFloat(learningRate).putFloat(momentum).putFloat(weightDecay).putLong(steps);
        Optimizer.putFloats(out, velocity);
        return out.array();
    }

    static Sgd restore(ByteBuffer in) {
        Sgd sgd = new Sgd(in.getFloat(), in.getFloat(), in.getFloat());
        sgd.steps = in.getLong();
        sgd.velocity = Optimizer.getFloats(in);
        return sgd;
    }
}
