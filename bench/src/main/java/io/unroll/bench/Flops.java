package io.unroll.bench;

import io.unroll.cell.CellType;

/**
 * The standard operation counts of a recurrent layer, the ones papers and cuDNN's tables use, so
 * GFLOP/s figures compare across libraries.
 *
 * <pre>
 *   forward  = 2 · G · H · (I + H) · B · T      (the two GEMMs per step; G = 1 RNN, 4 LSTM, 3 GRU)
 *   backward = 2 · forward                      (dGates·W for the inputs and the carry, dGatesᵀ·[x h] for the weights)
 *   step     = forward + backward = 6 · G · H · (I + H) · B · T
 * </pre>
 *
 * The element-wise gate math, the linear head, the loss, clipping and the optimizer are not
 * counted (they are timed, though: a training step's time includes them).
 */
public final class Flops {
    private Flops() {}

    /** Floating-point operations of a forward pass over {@code [B, T, I]} of one layer of H units. */
    public static double forward(CellType cell, int input, int hidden, int batch, int steps) {
        return 2.0 * cell.gates() * hidden * ((double) input + hidden) * batch * steps;
    }

    /** Floating-point operations of the matching backward pass: twice the forward. */
    public static double backward(CellType cell, int input, int hidden, int batch, int steps) {
        return 2 * forward(cell, input, hidden, batch, steps);
    }

    /** Forward plus backward: the count one training step is credited with. */
    public static double trainingStep(CellType cell, int input, int hidden, int batch, int steps) {
        return forward(cell, input, hidden, batch, steps) + backward(cell, input, hidden, batch, steps);
    }

    /**
     * Floats that full BPTT over T steps strictly has to keep from forward for backward, for one
     * layer of H units and batch B:
     * <ul>
     *   <li>RNN: the hidden states h_0..h_T, {@code (T+1)·B·H} (tanh' is read from h itself);</li>
     *   <li>LSTM: h_0..h_T and c_0..c_T, {@code 2·(T+1)·B·H}, plus the four gate activations of every
     *       step, {@code T·B·4H};</li>
     *   <li>GRU: h_0..h_T, {@code (T+1)·B·H}, the three gate activations, {@code T·B·3H}, and
     *       {@code W_hn h_{t-1} + b_hn} (which r multiplies), {@code T·B·H}.</li>
     * </ul>
     */
    public static long requiredStoredFloats(CellType cell, int hidden, int batch, int steps) {
        long states = (long) (steps + 1) * batch * hidden;
        long perStep = (long) steps * batch * hidden;
        switch (cell) {
            case RNN_TANH:
            case RNN_RELU:
                return states;
            case LSTM:
                return 2 * states + 4 * perStep;
            case GRU:
                return states + 3 * perStep + perStep;
            default:
                throw new AssertionError(cell);
        }
    }
}
