package io.unroll.flow;

import io.unroll.kernel.Kernels;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.StepObserver;
import io.unroll.tensor.Check;
import io.unroll.tensor.Memory;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.State;
import java.util.Arrays;
import java.util.Locale;

/**
 * The computation behind {@link JacobianNorms#of(Recurrent, float[], State, int)}: every Jacobian
 * product {@code P_k = ∂s_{T-1}/∂s_k} of one layer from the engine's backward pass over a batch
 * of S identical rows seeded with the identity, segment by segment, and its norms.
 */
final class StateJacobians {
    private StateJacobians() {}

    /** The most floats the batch-S workspace of one segment may take (128 MiB). */
    static final long SEGMENT_FLOATS = 1L << 25;
    /**
     * The most steps of one segment. At every segment boundary the seed is rescaled to a largest
     * entry in [1, 2) by a power of two (exact in floating point) and the power kept, so products far
     * outside float32's range (1e-38 to 3e38) are still measured: within 8 steps they stay in range
     * unless one step shrinks or grows them by more than about 10^4 on average.
     */
    static final int RESCALE_STEPS = 8;

    /** Sees every product as it is formed, for tests. */
    interface Products {
        /** @param p {@code P_k [n, n]} row-major, valid only during the call */
        void accept(int k, double[] p, int n);
    }

    /**
     * @param segment  steps per segment, or 0 for the default: {@link #RESCALE_STEPS}, fewer if
     *                 {@link #SEGMENT_FLOATS} requires
     * @param products sees every {@code P_k}, or null
     */
    static JacobianNorms measure(Recurrent stack, float[] input, State initial, int layer, int segment, Products products) {
        int steps = StackCopies.checkSequence(stack, input, initial);
        RecurrentConfig config = stack.config();
        if (layer < 0 || layer >= config.layers()) {
            throw new IllegalArgumentException("layer is " + layer + ", expected 0 to " + (config.layers() - 1)
                    + " (the stack has " + config.layers() + " layer" + (config.layers() == 1 ? "" : "s") + ")");
        }
        int hidden = config.hiddenSize();
        boolean cellState = config.cell().hasCellState();
        int size = cellState ? 2 * hidden : hidden;         // S
        // P_k is one array (an IndRNN's vector u lets H grow past what S² allows)
        Check.arrayLength("Jacobian product [state size, state size]", size, size);
        segment = segment > 0 ? Math.min(segment, steps) : segmentSteps(stack, layer, size, steps);
        requireMemory(stack, layer, size, steps, segment);

        // the layer's input sequence [T, I_l]: the input, or the output of the layers below
        float[] xs = input;
        if (layer > 0) {
            Recurrent below = StackCopies.layers(stack, 0, layer);
            xs = below.forward(input, 1, steps, StackCopies.layers(initial, 0, layer)).output().clone();
        }
        Recurrent probe = StackCopies.layers(stack, layer, layer + 1);

        // the segments, and one batch-1 forward over the whole sequence whose stored values they repeat
        int count = (steps + segment - 1) / segment;
        int[] start = new int[count + 1];
        for (int j = 0; j < count; j++) {
            start[j] = Math.max(0, steps - (count - j) * segment);
        }
        start[count] = steps;
        Recurrent single = probe.sharingParameters();
        single.forward(xs, 1, steps, initial == null ? null : StackCopies.layers(initial, layer, layer + 1));

        // backward segment by segment from the last, seeded with dL/ds_{T-1} = I
        Observer observer = new Observer(size, hidden, steps, products);
        State seed = State.zeros(1, size, hidden, cellState);
        for (int i = 0; i < hidden; i++) {
            seed.h()[i * hidden + i] = 1;
            if (cellState) {
                seed.c()[(hidden + i) * hidden + i] = 1;
            }
        }
        for (int j = count - 1; j >= 0; j--) {
            probe.repeatForward(single, start[j], start[j + 1] - start[j], size);
            observer.offset = start[j];
            Recurrent.Gradients g = probe.backward(null, seed, observer, Recurrent.InputGradient.SKIP,
                    Recurrent.ParameterGradients.SKIP);
            seed.copyFrom(g.dInitialState());               // P just before this segment: the next one's seed
            observer.exponent += rescale(seed);
        }
        return new JacobianNorms(config.cell(), layer, size, observer.spectral, observer.frobenius, observer.iterations,
                observer.converged, observer.direction);
    }

    /**
     * Scales {@code seed} so that its largest |entry| lies in [1, 2), by a power of two, and returns
     * that power's exponent e: the seed before was 2^e times the seed after. A seed that is zero or
     * not finite is left as it is (e = 0).
     */
    static int rescale(State seed) {
        float max = 0;
        for (float[] a : seed.c() == null ? new float[][] {seed.h()} : new float[][] {seed.h(), seed.c()}) {
            for (float v : a) {
                max = Math.max(max, Math.abs(v));
            }
        }
        if (!(max > 0) || !Float.isFinite(max)) {
            return 0;
        }
        int e = Math.getExponent((double) max);
        double factor = Math.scalb(1.0, -e); // a power of two: each product is exact unless it falls below float's normal range
        for (float[] a : seed.c() == null ? new float[][] {seed.h()} : new float[][] {seed.h(), seed.c()}) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (a[i] * factor);
            }
        }
        return e;
    }

    /** Steps per segment: at most {@link #RESCALE_STEPS}, and as many as keep the batch-S workspace within {@link #SEGMENT_FLOATS}, at least 1. */
    private static int segmentSteps(Recurrent stack, int layer, int size, int steps) {
        Recurrent declared = StackCopies.declared(stack, layer, layer + 1, ParamStore.builder());
        long one = declared.workspaceFloats(size, 1);
        long perStep = declared.workspaceFloats(size, 2) - one;
        long fit = (SEGMENT_FLOATS - (one - perStep)) / perStep;
        return (int) Math.max(1, Math.min(Math.min(steps, RESCALE_STEPS), fit));
    }

    private static void requireMemory(Recurrent stack, int layer, int size, int steps, int segment) {
        RecurrentConfig config = stack.config();
        long in = config.layerInputSize(layer);
        long floats = StackCopies.parameterFloats(stack, 0, layer + 1)
                + (layer > 0 ? StackCopies.declared(stack, 0, layer, ParamStore.builder()).workspaceFloats(1, steps) : 0)
                + (long) steps * in                                      // the layer's input sequence
                + StackCopies.declared(stack, layer, layer + 1, ParamStore.builder()).workspaceFloats(1, steps)
                + StackCopies.declared(stack, layer, layer + 1, ParamStore.builder()).workspaceFloats(size, segment)
                + 4L * size * config.hiddenSize();                       // the seed
        long doubles = (long) size * size + TopSingularValue.doubles(size) + 4L * steps; // P_k, its top singular value, the norms
        Memory.require(String.format(Locale.ROOT, "the Jacobians of a %s layer of %,d units (state size %,d) over %,d steps",
                config.cell().id(), config.hiddenSize(), size, steps), 4 * floats + 8 * doubles,
                "use a shorter sequence, a smaller model or a larger heap");
    }

    /** Forms {@code P_k} from the observed rows, and its norms. */
    private static final class Observer implements StepObserver {
        final int size;
        final int hidden;
        final double[] p;          // [S, S]: P_k / 2^exponent
        final TopSingularValue top;
        final Products sink;       // or null
        final double[] scaled;     // [S, S]: P_k for the sink, or null
        final double[] spectral;   // [T]
        final double[] frobenius;  // [T]
        final int[] iterations;    // [T]
        final boolean[] converged; // [T]
        double[] direction;        // [S]
        int offset;                // the first step of the current segment
        int exponent;              // P_k = 2^exponent times what the current segment's backward computes

        Observer(int size, int hidden, int steps, Products sink) {
            this.size = size;
            this.hidden = hidden;
            this.p = new double[size * size];
            this.top = new TopSingularValue(size);
            this.sink = sink;
            this.scaled = sink == null ? null : new double[size * size];
            this.spectral = new double[steps];
            this.frobenius = new double[steps];
            this.iterations = new int[steps];
            this.converged = new boolean[steps];
        }

        @Override
        public void onStep(int layer, int t, float[] dh, float[] dc, int batch, int hiddenSize) {
            int k = offset + t;
            // row i of P_k: the gradient of seed row i at h_k, then at c_k
            for (int i = 0; i < size; i++) {
                int row = i * size, from = i * hidden;
                for (int j = 0; j < hidden; j++) {
                    p[row + j] = dh[from + j];
                }
                if (dc != null) {
                    for (int j = 0; j < hidden; j++) {
                        p[row + hidden + j] = dc[from + j];
                    }
                }
            }
            double squares = Kernels.sumOfSquares(dh, 0, size * hidden)
                    + (dc == null ? 0 : Kernels.sumOfSquares(dc, 0, size * hidden));
            // both norms scale with P: the Lanczos method runs on the matrix as computed
            frobenius[k] = Math.scalb(Math.sqrt(squares), exponent);
            if (Double.isFinite(squares)) {
                top.run(p);
                spectral[k] = Math.scalb(top.sigma(), exponent);
                iterations[k] = top.iterations();
                converged[k] = top.converged();
            } else {
                spectral[k] = frobenius[k]; // an infinite entry makes both infinite; a NaN both NaN
            }
            if (k == 0) {
                direction = Double.isFinite(squares) ? top.direction() : nanVector(size);
            }
            if (sink != null) {
                for (int i = 0; i < p.length; i++) {
                    scaled[i] = Math.scalb(p[i], exponent);
                }
                sink.accept(k, scaled, size);
            }
        }

        private static double[] nanVector(int n) {
            double[] d = new double[n];
            Arrays.fill(d, Double.NaN);
            return d;
        }
    }
}
