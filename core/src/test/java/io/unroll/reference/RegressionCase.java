package io.unroll.reference;

import io.unroll.cell.CellType;
import java.util.Random;

/**
 * A random problem for the sequence-to-one regression loss, in double precision: a
 * {@link ReferenceRecurrent} with random weights, a head {@code Linear(H, O)}, a batch of inputs,
 * initial states and real targets, and
 * <pre>
 *   ŷ = o_{T-1} Wᵀ + b,   L = (1/(B·O)) Σ (ŷ - y)²
 * </pre>
 * with {@code o_{T-1}} the top layer's output at the last step; the analytic gradient written
 * straight from the equations (dŷ = 2(ŷ - y)/(B·O), dW = dŷᵀ o_{T-1}, db = Σ_b dŷ,
 * ∂L/∂o_{T-1} = dŷ W and zero at every other step, then the reference's BPTT).
 */
public final class RegressionCase {
    public final ReferenceRecurrent ref;
    public final int batch;
    public final int steps;
    public final int outputSize;
    public final double[] input;      // [B, T, I]
    public final double[] h0;         // [L, B, H]
    public final double[] c0;         // [L, B, H] or null
    public final double[] headWeight; // [O, H]
    public final double[] headBias;   // [O]
    public final double[] target;     // [B, O]

    /** The gradients of every parameter, input and initial state. */
    public record Grads(ReferenceRecurrent.Grads rnn, double[] dHeadWeight, double[] dHeadBias) {}

    public RegressionCase(CellType type, int layers, int batch, int steps, int inputSize, int hidden, int outputSize,
                          boolean zeroInitialState, long seed) {
        Random rnd = new Random(seed);
        this.ref = new ReferenceRecurrent(type, inputSize, hidden, layers, true, true);
        this.batch = batch;
        this.steps = steps;
        this.outputSize = outputSize;
        double scale = 1.5 / Math.sqrt(hidden); // the non-linearities far from linear
        for (int k = 0; k < layers; k++) {
            fill(ref.wIh[k], rnd, scale);
            fill(ref.wHh[k], rnd, scale);
            fill(ref.bIh[k], rnd, 0.5);
            fill(ref.bHh[k], rnd, 0.5);
        }
        int states = layers * batch * hidden;
        input = fill(new double[batch * steps * inputSize], rnd, 1.0);
        h0 = fill(new double[states], rnd, zeroInitialState ? 0 : 0.5);
        c0 = type.hasCellState() ? fill(new double[states], rnd, zeroInitialState ? 0 : 0.5) : null;
        headWeight = fill(new double[outputSize * hidden], rnd, 1.0 / Math.sqrt(hidden));
        headBias = fill(new double[outputSize], rnd, 0.3);
        target = fill(new double[batch * outputSize], rnd, 1.0);
    }

    private static double[] fill(double[] a, Random rnd, double scale) {
        for (int i = 0; i < a.length; i++) {
            a[i] = rnd.nextGaussian() * scale;
        }
        return a;
    }

    /** ŷ {@code [B, O]} at the case's current values. */
    public double[] predictions() {
        ReferenceRecurrent.Result r = ref.forward(input, batch, steps, h0, c0);
        return head(last(r.output()));
    }

    /** The loss at the case's current inputs, states and weights. */
    public double loss() {
        double[] y = predictions();
        double sum = 0;
        for (int i = 0; i < y.length; i++) {
            double d = y[i] - target[i];
            sum += d * d;
        }
        return sum / (batch * outputSize);
    }

    /** Analytic gradients: the head's by hand, the stack's from the reference's backward. */
    public Grads gradients() {
        int h = ref.hidden;
        ReferenceRecurrent.Result r = ref.forward(input, batch, steps, h0, c0);
        double[] last = last(r.output());
        double[] y = head(last);
        double[] dY = new double[y.length]; // [B, O]
        for (int i = 0; i < y.length; i++) {
            dY[i] = 2 * (y[i] - target[i]) / (batch * outputSize);
        }
        double[] dW = new double[outputSize * h];
        double[] db = new double[outputSize];
        double[] dOutput = new double[batch * steps * h]; // zero but at t = T-1
        for (int b = 0; b < batch; b++) {
            for (int o = 0; o < outputSize; o++) {
                double g = dY[b * outputSize + o];
                db[o] += g;
                for (int j = 0; j < h; j++) {
                    dW[o * h + j] += g * last[b * h + j];
                    dOutput[(b * steps + steps - 1) * h + j] += g * headWeight[o * h + j];
                }
            }
        }
        return new Grads(ref.backward(dOutput, null, null), dW, db);
    }

    private double[] last(double[] output) {
        int h = ref.hidden;
        double[] last = new double[batch * h];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(output, (b * steps + steps - 1) * h, last, b * h, h);
        }
        return last;
    }

    private double[] head(double[] last) {
        int h = ref.hidden;
        double[] y = new double[batch * outputSize];
        for (int b = 0; b < batch; b++) {
            for (int o = 0; o < outputSize; o++) {
                double s = headBias[o];
                for (int j = 0; j < h; j++) {
                    s += last[b * h + j] * headWeight[o * h + j];
                }
                y[b * outputSize + o] = s;
            }
        }
        return y;
    }

    @Override
    public String toString() {
        return ref.type.id() + " layers=" + ref.layers + " B=" + batch + " T=" + steps + " O=" + outputSize;
    }
}
