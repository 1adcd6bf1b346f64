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

    /**
     * The state and step count as bytes: a magic number, the step count (int64) and the state's
     * {@link State#toBytes()} form, little-endian.
     */
    public byte[] snapshot() {
        byte[] stateBytes = state.toBytes();
        ByteBuffer buf = ByteBuffer.allocate(SNAPSHOT_HEADER + stateBytes.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(MAGIC).putLong(steps).put(stateBytes);
        return buf.array();
    }

    /**
     * Restores a {@link #snapshot()} of a session of the same shape. Snapshots of the earlier
     * layout (magic, value count, step count, then the values alone) are read too.
     */
    public void restore(byte[] snapshot) {
        int expectedBytes = SNAPSHOT_HEADER + State.HEADER_BYTES + 4 * state.h().length * (state.hasCell() ? 2 : 1);
        if (snapshot == null || snapshot.length < SNAPSHOT_HEADER) {
            throw new IllegalArgumentException("stream snapshot has " + (snapshot == null ? "no" : snapshot.length)
                    + " bytes, expected " + expectedBytes + " for " + describeModel() + "; the likely cause is a snapshot of another model");
        }
        ByteBuffer buf = ByteBuffer.wrap(snapshot).order(ByteOrder.LITTLE_ENDIAN);
        int magic = buf.getInt();
        long restoredSteps;
        byte[] stateBytes;
        if (magic == MAGIC) {
            restoredSteps = buf.getLong();
            stateBytes = new byte[buf.remaining()];
            buf.get(stateBytes);
        } else if (magic == FLAT_MAGIC) {
            int floats = buf.getInt();
            restoredSteps = buf.getLong();
            int expectedFloats = state.h().length * (state.hasCell() ? 2 : 1);
            if (floats != expectedFloats || buf.remaining() != 4L * floats) {
                throw new IllegalArgumentException("stream snapshot holds " + floats + " values in " + buf.remaining()
                        + " bytes, expected " + expectedFloats + " for " + describeModel()
                        + "; the likely cause is a snapshot of another model");
            }
            // the values alone are this session's state: give them the header they imply
            ByteBuffer withHeader = ByteBuffer.allocate(State.HEADER_BYTES + buf.remaining()).order(ByteOrder.LITTLE_ENDIAN);
            withHeader.putInt(state.layers()).putInt(1).putInt(state.hidden()).putInt(state.hasCell() ? 1 : 0).put(buf);
            stateBytes = withHeader.array();
        } else {
            throw new IllegalArgumentException("stream snapshot starts with 0x" + Integer.toHexString(magic)
                    + ", expected a StreamSession snapshot (0x" + Integer.toHexString(MAGIC) + ")");
        }
        State restored;
        try {
            restored = State.fromBytes(stateBytes);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("stream snapshot: " + e.getMessage(), e);
        }
        if (restored.layers() != state.layers() || restored.batch() != 1 || restored.hidden() != state.hidden()
                || restored.hasCell() != state.hasCell()) {
            throw new IllegalArgumentException("stream snapshot holds a state of shape "
                    + Check.describe(restored.layers(), restored.batch(), restored.hidden())
                    + (restored.hasCell() ? " with" : " without") + " a cell state, expected "
                    + Check.describe(state.layers(), 1, state.hidden()) + " for " + describeModel()
                    + "; the likely cause is a snapshot of another model");
        }
        state.copyFrom(restored);
        steps = restoredSteps;
    }

    private String describeModel() {
        return config.cell().id() + " with " + config.layers() + " layers of " + config.hiddenSize() + " units";
    }

    /** Magic number and step count before the state's bytes. */
    private static final int SNAPSHOT_HEADER = 12;
    private static final int MAGIC = 0x32534e55; // "UNS2" in the little-endian bytes
    /** The earlier layout: magic, value count, step count, values. */
    private static final int FLAT_MAGIC = 0x554e5353;
}
