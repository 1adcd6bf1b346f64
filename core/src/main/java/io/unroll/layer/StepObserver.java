package io.unroll.layer;

/**
 * Watches backpropagation through time, one step at a time. The gradient-flow diagnostics read the
 * math through this hook; they must not change the arrays they are shown.
 */
@FunctionalInterface
public interface StepObserver {
    /** Observes nothing. */
    StepObserver NONE = (layer, t, dh, dc, batch, hidden) -> { };

    /**
     * Called once per layer and step during backward, from the last step to the first, with the
     * gradient reaching the state the step left, {@code s_t = h_t} or {@code (h_t, c_t)}, each part
     * taken as a variable of its own: {@code dh} is the total gradient reaching h_t, from the loss at
     * step t and from all later steps; {@code dc} the gradient reaching c_t from later steps (c_t
     * enters nothing else), which is where an LSTM carries its memory.
     *
     * @param dh {@code [B, H]} from index 0; valid only during the call
     * @param dc {@code [B, H]} from index 0, or null for a cell without a cell state; valid only during the call
     */
    void onStep(int layer, int t, float[] dh, float[] dc, int batch, int hidden);
}
