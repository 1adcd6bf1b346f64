package io.unroll.layer;

/**
 * Watches backpropagation through time, one step at a time. The gradient-flow diagnostics read the
 * math through this hook; they must not change the arrays they are shown.
 */
@FunctionalInterface
public interface StepObserver {
    /** Observes nothing. */
    StepObserver NONE = (layer, t, dh, batch, hidden) -> { };

    /**
     * Called once per layer and step during backward, from the last step to the first, with the
     * total gradient reaching h_t: from the loss at step t and from all later steps.
     *
     * @param dh {@code [B, H]} from index 0; valid only during the call
     */
    void onStep(int layer, int t, float[] dh, int batch, int hidden);
}
