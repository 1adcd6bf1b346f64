package io.unroll.cell;

/** LSTM gate blocks in PyTorch's row order: input, forget, cell candidate, output. */
public enum LstmGate {
    I, F, G, O;

    /** First row of this gate's block in a {@code [4H, ...]} weight or a {@code [B, 4H]} gate row. */
    public int offset(int hidden) {
        return ordinal() * hidden;
    }
}
