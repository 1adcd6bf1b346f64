package io.unroll.train;

import io.unroll.tensor.ParamStore;

/** Updates every parameter of a store from its accumulated gradient. */
public interface Optimizer {
    /** One update; the gradients are read, not cleared. */
    void step(ParamStore params);

    /** Number of steps taken so far. */
    long steps();
}
