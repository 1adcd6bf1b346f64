package io.unroll.bench;

import io.unroll.layer.Recurrent;

/**
 * The standard operation counts of a recurrent stack, the ones papers and cuDNN's tables use, so
 * GFLOP/s figures compare across libraries. Each cell states its own forward count
 * ({@link io.unroll.cell.Cell#forwardFlops}: one multiply-add per weight per step and row, for a
 * matrix cell {@code 2·G·H·(I + H)·B·T}); backward is twice that ({@code dGates·W} for the inputs
 * and the carry, {@code dGatesᵀ·[x h]} for the weights), so a training step is credited with
 * three times the forward.
 *
 * The element-wise gate math, the linear head, the loss, clipping and the optimizer are not
 * counted (they are timed, though: a training step's time includes them).
 */
public final class Flops {
    private Flops() {}

    /** Floating-point operations of a forward pass of {@code rnn} over B sequences of T steps. */
    public static double forward(Recurrent rnn, int batch, int steps) {
        return rnn.forwardFlops(batch, steps);
    }

    /** Floating-point operations of the matching backward pass: twice the forward. */
    public static double backward(Recurrent rnn, int batch, int steps) {
        return 2 * forward(rnn, batch, steps);
    }

    /** Forward plus backward: the count one training step is credited with. */
    public static double trainingStep(Recurrent rnn, int batch, int steps) {
        return forward(rnn, batch, steps) + backward(rnn, batch, steps);
    }
}
