package io.unroll.flow;

import io.unroll.cell.Cell;
import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.init.Weights;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Init;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A recurrent stack drawn fresh for a gradient-flow probe, with the one sequence it reads: every
 * layer's {@code W_hh} drawn as the gradient-decay experiment draws it (an init scheme times a
 * gain, or rescaled so that every gate block has a given spectral radius), {@code W_ih ~ N(0, 0.1²)},
 * no biases but an LSTM's optional forget-gate bias, inputs {@code x ~ N(0, 1)} of shape
 * {@code [1, T, I]} and {@code h0 = 0}. The same settings and random stream give the same stack and
 * sequence, so a command line and a web page probing one configuration see the same figures.
 *
 * @param cell           the cell type
 * @param input          I, at least 1
 * @param hidden         H, at least 1
 * @param layers         L, at least 1
 * @param length         T, at least 1
 * @param init           the scheme of {@code W_hh}
 * @param gain           the multiplier of the scheme, in (0, {@value GradientDecay#MAX_SCALE}]; ignored with a spectral radius
 * @param spectralRadius null, or the spectral radius every gate block of {@code W_hh} is rescaled to, in
 *                       (0, {@value GradientDecay#MAX_SCALE}]
 * @param forgetBias     null, or an LSTM's forget-gate bias (finite)
 */
public record FreshStack(CellType cell, int input, int hidden, int layers, int length, InitScheme init, double gain,
                         Double spectralRadius, Double forgetBias) {
    public FreshStack {
        if (cell == null || init == null) {
            throw new IllegalArgumentException("a fresh stack needs a cell type and an init scheme");
        }
        positive("input", input);
        positive("hidden", hidden);
        positive("layers", layers);
        positive("length", length);
        if (spectralRadius == null) {
            GradientDecay.checkScale(gain);
        }
        if (spectralRadius != null && !(spectralRadius > 0 && spectralRadius <= GradientDecay.MAX_SCALE)) {
            throw new IllegalArgumentException("spectral radius is " + spectralRadius + ", expected a number in (0, "
                    + (int) GradientDecay.MAX_SCALE + "]");
        }
        if (forgetBias != null && (cell != CellType.LSTM || !Double.isFinite(forgetBias))) {
            throw new IllegalArgumentException("forget bias is " + forgetBias + " for a " + cell.id() + ", expected a finite"
                    + " number for an lstm (the only cell with a forget gate)");
        }
    }

    /** The stack and its sequence. */
    public record Drawn(Recurrent stack, float[] input) {}

    /**
     * Draws the weights, then the sequence, from {@code rng}: layer by layer {@code W_hh} then
     * {@code W_ih}, then {@code x [1, T, I]}.
     */
    public Drawn draw(Rng rng) {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent stack = new Recurrent(pb, "", RecurrentConfig.of(cell, input, hidden, layers).withBiases(forgetBias != null, false));
        pb.build();
        for (int k = 0; k < layers; k++) {
            Cell c = stack.cell(k);
            GradientDecay.drawRecurrentWeights(c, init, spectralRadius != null ? 1.0 : gain, rng);
            if (spectralRadius != null) {
                Weights.scaleToSpectralRadius(c.weightHh(), c.weightHh().shape().length == 2 ? cell.gates() : 1, spectralRadius);
            }
            Weights.gaussian(stack.weightIh(k), 0.1, rng);
        }
        if (forgetBias != null) {
            Init.forgetGateBias(stack, forgetBias);
        }
        float[] x = new float[length * input]; // [1, T, I]
        rng.fillGaussian(x, 0, x.length, 1.0);
        return new Drawn(stack, x);
    }

    /**
     * The settings as the first entries of a probe's JSON document: {@code cell}, {@code layers},
     * {@code hidden}, {@code input}, {@code length}, {@code init}, {@code scale} or
     * {@code spectralRadius}, {@code forgetBias} if set, then the random stream and seed.
     */
    public Map<String, Object> describe(String rng, long seed) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("cell", cell.id());
        d.put("layers", layers);
        d.put("hidden", hidden);
        d.put("input", input);
        d.put("length", length);
        d.put("init", init.id());
        if (spectralRadius != null) {
            d.put("spectralRadius", spectralRadius);
        } else {
            d.put("scale", gain);
        }
        if (forgetBias != null) {
            d.put("forgetBias", forgetBias);
        }
        d.put("rng", rng);
        d.put("seed", seed);
        return d;
    }

    /** The settings in a line: {@code rnn_tanh, 1 x 64, input 1, W_hh gaussian x 0.9, T=80, default rng, seed 7}. */
    public String title(String rng, long seed) {
        String size = spectralRadius != null ? String.format(Locale.ROOT, "spectral radius %.3g", spectralRadius)
                : String.format(Locale.ROOT, "x %.3g", gain);
        return String.format(Locale.ROOT, "%s, %d x %d, input %d, W_hh %s %s%s, T=%d, %s rng, seed %d", cell.id(), layers, hidden,
                input, init.id(), size, forgetBias == null ? "" : String.format(Locale.ROOT, ", forget bias %.3g", forgetBias),
                length, rng, seed);
    }

    private static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " is " + value + ", expected at least 1");
        }
    }
}
