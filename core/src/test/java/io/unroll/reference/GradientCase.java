package io.unroll.reference;

import io.unroll.cell.CellType;
import java.util.Random;

/**
 * A random problem for gradient tests: a {@link ReferenceRecurrent} with random weights, a batch of
 * inputs, initial states, and the scalar loss
 * {@code L = Σ output ⊙ wOut + Σ h_N ⊙ wH (+ Σ c_N ⊙ wC)}, whose gradients with respect to the
 * outputs and final state are exactly the weight tensors.
 */
public final class GradientCase {
    public final ReferenceRecurrent ref;
    public final int batch;
    public final int steps;
    public final double[] input; // [B, T, I]
    public final double[] h0;    // [L, B, H]
    public final double[] c0;    // [L, B, H] or null
    public final double[] wOut;  // [B, T, H]
    public final double[] wH;    // [L, B, H]
    public final double[] wC;    // [L, B, H] or null

    public GradientCase(CellType type, int layers, int batch, int steps, int inputSize, int hidden,
                        boolean biasIh, boolean biasHh, long seed) {
        Random rnd = new Random(seed);
        this.ref = new ReferenceRecurrent(type, inputSize, hidden, layers, biasIh, biasHh);
        this.batch = batch;
        this.steps = steps;
        // weights large enough that the non-linearities are far from linear
        double scale = 1.5 / Math.sqrt(hidden);
        for (int k = 0; k < layers; k++) {
            fill(ref.wIh[k], rnd, scale);
            fill(ref.wHh[k], rnd, scale);
            fill(ref.bIh[k], rnd, biasIh ? 0.5 : 0);
            fill(ref.bHh[k], rnd, biasHh ? 0.5 : 0);
        }
        int states = layers * batch * hidden;
        input = fill(new double[batch * steps * inputSize], rnd, 1.0);
        h0 = fill(new double[states], rnd, 0.5);
        c0 = type.hasCellState() ? fill(new double[states], rnd, 0.5) : null;
        wOut = fill(new double[batch * steps * hidden], rnd, 0.5);
        wH = fill(new double[states], rnd, 0.5);
        wC = type.hasCellState() ? fill(new double[states], rnd, 0.5) : null;
    }

    private static double[] fill(double[] a, Random rnd, double scale) {
        for (int i = 0; i < a.length; i++) {
            a[i] = rnd.nextGaussian() * scale;
        }
        return a;
    }

    /** The loss at the case's current inputs, states and weights (all double). */
    public double loss() {
        ReferenceRecurrent.Result r = ref.forward(input, batch, steps, h0, c0);
        double loss = dot(r.output(), wOut) + dot(r.hN(), wH);
        if (wC != null) {
            loss += dot(r.cN(), wC);
        }
        return loss;
    }

    /** Analytic gradients from the reference's hand-written backward. */
    public ReferenceRecurrent.Grads gradients() {
        ref.forward(input, batch, steps, h0, c0);
        return ref.backward(wOut, wH, wC);
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @Override
    public String toString() {
        return ref.type.id() + " layers=" + ref.layers + " B=" + batch + " T=" + steps
                + " bias=" + ref.biasIh + "/" + ref.biasHh;
    }
}
