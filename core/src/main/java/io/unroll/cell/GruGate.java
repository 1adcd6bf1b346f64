package io.unroll.cell;

/** GRU gate blocks in PyTorch's row order: reset, update, new. */
public enum GruGate {
    R, Z, N;

    /** First row of this gate's block in a {@code [3H, ...]} weight or a {@code [B, 3H]} gate row. */
    public int offset(int hidden) {
        return ordinal() * hidden;
    }
}
