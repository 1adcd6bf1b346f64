package io.unroll.stream;

import io.unroll.cell.Cell;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.Check;
import io.unroll.tensor.State;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One stream of stateful inference on a recurrent stack: {@link #step} takes one input vector and
 * returns the top layer's new hidden state, carrying {@code h} (and {@code c}) to the next call,
 * until {@link #reset()}. It computes what {@link Recurrent#forward} computes for that step, with the
 * same cells' gate kernels.
 *
 * <p>Batch-1 streaming is bound by reading weights, so each layer's cell keeps its weights packed
 * for a matrix-vector product ({@link Cell#newStreamStep()}). The packing is a copy taken when the
 * session is made: after the parameters change (training), call {@link #refreshWeights()}. A warm
 * step allocates nothing. Not thread-safe: one session per stream.
 */
public final class StreamSession {
    private final RecurrentConfig config;
    private final Cell.StreamStep[] layers; // one per layer
    private final float[] output;           // [H]
    private final State state;              // [L, 1, H], carried between steps
    private long steps;

    public StreamSession(Recurrent model) {
        this.config = model.config();
        this.layers = new Cell.StreamStep[config.layers()];
        for (int k = 0; k < layers.length; k++) {
            layers[k] = model.cell(k).newStreamStep();
        }
        this.output = new float[config.hiddenSize()];
        this.state = model.zeroState(1);
    }

    /** Re-reads the stack's parameters into the packed copy: call it after they change. */
    public void refreshWeights() {
        for (Cell.StreamStep layer : layers) {
            layer.refreshWeights();
        }
    }

    /**
     * Advances the stream by one step.
     *
     * @param input {@code [I]}, finite
     * @return the top layer's hidden state after this step, {@code [H]}; valid until the next call
     */
    public float[] step(float[] input) {
        Check.shape("stream input [input size]", input, config.inputSize());
        Check.finite("stream input", input);
        int h = config.hiddenSize();
        float[] x = input;
        int xOff = 0;
        for (int k = 0; k < layers.length; k++) {
            layers[k].step(x, xOff, state.h(), state.c(), k * h);
            x = state.h();
            xOff = k * h;
        }
        System.arraycopy(state.h(), (layers.length - 1) * h, output, 0, h);
        steps++;
        return output;
    }

    /** Starts a new, unrelated sequence: the state returns to zero. */
    public void reset() {
        state.clear();
        steps = 0;
    }

    /** Steps taken since the last reset (or restore). */
    public long steps() {
        return steps;
    }

    /** A copy of the current state, {@code [L, 1, H]}. */
    public State state() {
        return state.copy();
    }

    /** The state and step count as bytes: h, then c for an LSTM, little-endian float32, after a small header. */
    public byte[] snapshot() {
        int n = state.h().length;
        int floats = state.c() == null ? n : 2 * n;
        ByteBuffer buf = ByteBuffer.allocate(16 + 4 * floats).order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(MAGIC).putInt(floats).putLong(steps);
        for (float v : state.h()) {
            buf.putFloat(v);
        }
        if (state.c() != null) {
            for (float v : state.c()) {
                buf.putFloat(v);
            }
        }
        return buf.array();
    }

    /** Restores a {@link #snapshot()} of a session of the same shape. */
    public void restore(byte[] snapshot) {
        int n = state.h().length;
        int floats = state.c() == null ? n : 2 * n;
        if (snapshot == null || snapshot.length != 16 + 4 * floats) {
            throw new IllegalArgumentException("stream snapshot has " + (snapshot == null ? "no" : snapshot.length)
                    + " bytes, expected " + (16 + 4 * floats) + " for " + config.cell().id() + " with "
                    + config.layers() + " layers of " + config.hiddenSize() + " units; the likely cause is a snapshot of another model");
        }
        ByteBuffer buf = ByteBuffer.wrap(snapshot).order(ByteOrder.LITTLE_ENDIAN);
        if (buf.getInt() != MAGIC || buf.getInt() != floats) {
            throw new IllegalArgumentException("stream snapshot header is not a StreamSession snapshot of this model");
        }
        long restoredSteps = buf.getLong();
        float[] h = new float[n];
        float[] c = state.c() == null ? null : new float[n];
        for (int i = 0; i < n; i++) {
            h[i] = buf.getFloat();
        }
        if (c != null) {
            for (int i = 0; i < n; i++) {
                c[i] = buf.getFloat();
            }
        }
        Check.finite("snapshot h", h);
        if (c != null) {
            Check.finite("snapshot c", c);
        }
        System.arraycopy(h, 0, state.h(), 0, n);
        if (c != null) {
            System.arraycopy(c, 0, state.c(), 0, n);
        }
        steps = restoredSteps;
    }

    private static final int MAGIC = 0x554e5353; // "UNSS"
}
