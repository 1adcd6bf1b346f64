package io.unroll.cell;

/**
 * One recurrent step, forward and backward, of one layer. The time loop ({@link
 * io.unroll.layer.Recurrent}) has already put the input projection {@code W_ih x_t + b_ih} (plus
 * {@code b_hh} where {@link #foldsHiddenBias()}) of every step into the gate buffer; the cell adds
 * the recurrent part and applies the gate math. Backward mirrors forward in reverse: from the total
 * gradient at h_t it writes the pre-activation gradients of step t and the gradient carried to
 * h_{t-1}. Weight gradients are not the cell's business: the loop computes them in one GEMM over all
 * steps after the backward loop.
 */
public interface Cell {
    CellType type();

    /** True when {@code b_hh} may be added once with the input projection (RNN, LSTM; not GRU). */
    boolean foldsHiddenBias();

    /** Step t forward: reads {@code hs[t]} (and {@code cs[t]}), completes {@code gates[t]}, writes {@code hs[t+1]}. */
    void forward(StepBuffers buf, int t);

    /**
     * Step t backward: reads {@code dh} (the total gradient at h_t) and the stored activations,
     * writes {@code dPreIh[t]}, {@code dPreHh[t]} and {@code dhCarry} (the gradient at h_{t-1});
     * for the LSTM also turns {@code dc} from the gradient at c_t into the one at c_{t-1}.
     */
    void backward(StepBuffers buf, int t);
}
