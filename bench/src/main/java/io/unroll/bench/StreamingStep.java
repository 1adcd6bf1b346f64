package io.unroll.bench;

import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.stream.StreamSession;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Init;

/**
 * The timed streaming step: a one-layer network of H units with I inputs, batch 1, one
 * {@link StreamSession#step} per input, the state carried from step to step (never reset). The
 * inputs cycle through 16 fixed random vectors; weights start from PyTorch's default
 * initialisation. Not thread-safe.
 */
public final class StreamingStep {
    private static final int INPUTS = 16;

    private final StreamSession session;
    private final float[][] inputs; // [16][I]
    private long position;
    private float sink;

    public StreamingStep(CellType cell, int hidden, int inputSize, long seed) {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "rnn.", RecurrentConfig.of(cell, inputSize, hidden, 1));
        pb.build();
        Rng rng = Rng.seeded(seed);
        Init.apply(rnn, InitScheme.PYTORCH, rng);
        this.session = new StreamSession(rnn);
        this.inputs = new float[INPUTS][inputSize];
        for (float[] x : inputs) {
            rng.fillGaussian(x, 0, inputSize, 1.0);
        }
    }

    /** The input size of a streaming row: 8 for H <= 64, else H (docs/benchmarks.md, What is timed). */
    public static int inputSizeFor(int hidden) {
        return hidden <= 64 ? 8 : hidden;
    }

    /** {@code iterations} streaming steps. */
    public void run(long iterations) {
        float s = sink;
        for (long i = 0; i < iterations; i++) {
            float[] h = session.step(inputs[(int) (position++ & (INPUTS - 1))]);
            s += h[0];
        }
        sink = s;
    }

    /** A value depending on every output so far, so no step can be optimised away. */
    public float sink() {
        return sink;
    }
}
