package io.unroll.tensor;

/**
 * The recurrent state of a stack of L layers: {@code h [L, B, H]} and, for an LSTM, the cell
 * {@code c [L, B, H]} ({@code null} otherwise). A value: layers take a state in and return a new
 * one, and never remember it between calls.
 */
public final class State {
    private final int layers;
    private final int batch;
    private final int hidden;
    private final float[] h; // [L, B, H]
    private final float[] c; // [L, B, H] or null

    public State(int layers, int batch, int hidden, float[] h, float[] c) {
        Check.positive("layers", layers);
        Check.positive("batch", batch);
        Check.positive("hidden size", hidden);
        Check.shape("state h", h, layers, batch, hidden);
        if (c != null) {
            Check.shape("state c", c, layers, batch, hidden);
        }
        this.layers = layers;
        this.batch = batch;
        this.hidden = hidden;
        this.h = h;
        this.c = c;
    }

    /** An all-zero state, with a cell part when {@code withCell}. */
    public static State zeros(int layers, int batch, int hidden, boolean withCell) {
        int n = layers * batch * hidden;
        return new State(layers, batch, hidden, new float[n], withCell ? new float[n] : null);
    }

    public int layers() {
        return layers;
    }

    public int batch() {
        return batch;
    }

    public int hidden() {
        return hidden;
    }

    /** Hidden state {@code [L, B, H]}. */
    public float[] h() {
        return h;
    }

    /** Cell state {@code [L, B, H]}, or {@code null} for cells without one. */
    public float[] c() {
        return c;
    }

    public boolean hasCell() {
        return c != null;
    }

    /** Overwrites this state's values with {@code other}'s, which must have the same shape and kind. */
    public void copyFrom(State other) {
        if (other.layers != layers || other.batch != batch || other.hidden != hidden || other.hasCell() != hasCell()) {
            throw new IllegalArgumentException("state has shape " + Check.describe(other.layers, other.batch, other.hidden)
                    + (other.hasCell() ? " with" : " without") + " a cell state, expected " + Check.describe(layers, batch, hidden)
                    + (hasCell() ? " with" : " without") + " one");
        }
        System.arraycopy(other.h, 0, h, 0, h.length);
        if (c != null) {
            System.arraycopy(other.c, 0, c, 0, c.length);
        }
    }

    /** Sets every value to zero: the state before an unrelated sequence. */
    public void clear() {
        java.util.Arrays.fill(h, 0f);
        if (c != null) {
            java.util.Arrays.fill(c, 0f);
        }
    }

    /** A deep copy. */
    public State copy() {
        return new State(layers, batch, hidden, h.clone(), c == null ? null : c.clone());
    }
}
