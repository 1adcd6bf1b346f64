package io.unroll.tensor;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The recurrent state of a stack of L layers: {@code h [L, B, H]} and, for an LSTM, the cell
 * {@code c [L, B, H]} ({@code null} otherwise). A value: layers take a state in and return a new
 * one, and never remember it between calls.
 *
 * <p>{@link #toBytes()} and {@link #fromBytes(byte[])} are the one serialised form, used by
 * checkpoints (the state a training run carries) and stream snapshots: a header of four
 * little-endian int32 (L, B, H, then 1 with a cell state or 0 without), then {@code h} and, if
 * present, {@code c}, little-endian float32.
 */
public final class State {
    /** Bytes of the header: layers, batch, hidden size and the cell flag, int32 each. */
    public static final int HEADER_BYTES = 16;

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

    /** This state in the serialised form of the class comment: {@value #HEADER_BYTES} + 4·L·B·H (·2 with c) bytes. */
    public byte[] toBytes() {
        ByteBuffer out = ByteBuffer.allocate(HEADER_BYTES + 4 * h.length * (c == null ? 1 : 2)).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(layers).putInt(batch).putInt(hidden).putInt(c == null ? 0 : 1);
        out.asFloatBuffer().put(h);
        if (c != null) {
            out.position(HEADER_BYTES + 4 * h.length);
            out.asFloatBuffer().put(c);
        }
        return out.array();
    }

    /**
     * Reads a state written by {@link #toBytes()}. The header is checked before anything is
     * allocated (positive sizes, a cell flag of 0 or 1, exactly as many bytes as it announces), and
     * every value must be finite.
     *
     * @throws IllegalArgumentException naming what is wrong: too short, a header that does not
     *                                  describe a state, a length that does not match it, or a non-finite value
     */
    public static State fromBytes(byte[] bytes) {
        if (bytes == null) {
            throw new IllegalArgumentException("state bytes are missing (null), expected a serialised State");
        }
        if (bytes.length < HEADER_BYTES) {
            throw new IllegalArgumentException("state bytes hold " + bytes.length + " bytes, fewer than the " + HEADER_BYTES
                    + "-byte header (layers, batch, hidden size, cell flag); the data is truncated or not a serialised State");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int layers = in.getInt();
        int batch = in.getInt();
        int hidden = in.getInt();
        int flag = in.getInt();
        if (layers <= 0 || batch <= 0 || hidden <= 0 || (flag != 0 && flag != 1)) {
            throw new IllegalArgumentException("state header says layers " + layers + ", batch " + batch + ", hidden size " + hidden
                    + ", cell flag " + flag + "; expected positive sizes and a flag of 0 or 1: the data is corrupt or not a serialised State");
        }
        // L·B·H·4·(1 + flag) computed exactly: each size is below 2^31
        BigInteger expected = BigInteger.valueOf((long) layers * batch).multiply(BigInteger.valueOf(hidden))
                .multiply(BigInteger.valueOf(4L * (flag + 1))).add(BigInteger.valueOf(HEADER_BYTES));
        if (!expected.equals(BigInteger.valueOf(bytes.length))) {
            throw new IllegalArgumentException("state bytes hold " + bytes.length + " bytes, expected " + expected + " for "
                    + Check.describe(layers, batch, hidden) + (flag == 1 ? " with" : " without")
                    + " a cell state; the data is truncated or corrupt");
        }
        long values = (long) layers * batch * hidden; // fits: the bytes hold 4 per value
        float[] h = new float[(int) values];
        in.asFloatBuffer().get(h);
        Check.finite("state h", h);
        float[] c = null;
        if (flag == 1) {
            c = new float[h.length];
            in.position(HEADER_BYTES + 4 * h.length);
            in.asFloatBuffer().get(c);
            Check.finite("state c", c);
        }
        return new State(layers, batch, hidden, h, c);
    }
}
