package io.unroll.cell;

import java.util.Locale;

/** The non-linearity φ of the cells that let you choose one (the vanilla RNN, the IndRNN). */
public enum Activation {
    /** {@code φ(z) = tanh z}, {@code φ' = 1 - h²}. */
    TANH,
    /** {@code φ(z) = max(z, 0)}, {@code φ' = [h > 0]}. */
    RELU;

    /** {@code tanh} or {@code relu}: the suffix of a cell id and the value of PyTorch's {@code nonlinearity}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
