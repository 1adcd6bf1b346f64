package io.unroll.stream;

import io.unroll.cell.CellType;
import io.unroll.kernel.Kernels;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.Check;
import io.unroll.tensor.Param;
import io.unroll.tensor.State;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One stream of stateful inference on a recurrent stack: {@link #step} takes one input vector and
 * returns the top layer's new hidden state, carrying {@code h} (and {@code c}) to the next call,
 * until {@link #reset()}. It computes what {@link Recurrent#forward} computes for that step, with the
 * same cells' gate kernels.
 *
 * <p>Batch-1 streaming is bound by reading weights, so the session keeps each layer's weights
 * packed for a matrix-vector product: {@code [W_ih | W_hh]ᵀ}, {@code [I_k + H, G·H]}, so one pass of
 * broadcast FMAs over {@code [x; h]} gives all gate pre-activations (for the GRU the x and h halves
 * are two passes, as r gates only the hidden side). The packing is a copy taken when the session is
 * made: after the parameters change (training), call {@link #refreshWeights()}. A warm step
 * allocates nothing. Not thread-safe: one session per stream.
 */
public final class StreamSession {
    private final Recurrent rnn;
    private final RecurrentConfig config;
    private final int gateWidth;       // G·H
    private final float[][] packed;    // per layer [I_k + H, G·H]: [W_ih | W_hh]ᵀ
    private final float[][] bias;      // per layer [G·H]: b_ih + b_hh (GRU: b_ih)
    private final float[][] hiddenBias; // per layer [G·H]: GRU b_hh, else null
    private final float[][] xh;        // per layer [I_k + H]: the step's input, then h_{t-1}
    private final float[] gates;       // [G·H]
    private final float[] hProj;       // [G·H] GRU hidden projection
    private final float[] hn;          // [H] GRU W_hn h + b_hn (kept by the kernel, unused here)
    private final float[] output;      // [H]
    private final State state;         // [L, 1, H], carried between steps
    private long steps;

    public StreamSession(Recurrent model) {
        this.rnn = model;
        this.config = model.config();
        int l = config.layers();
        int h = config.hiddenSize();
        this.gateWidth = config.cell().gates() * h;
        this.packed = new float[l][];
        this.bias = new float[l][gateWidth];
        this.hiddenBias = new float[l][];
        this.xh = new float[l][];
        for (int k = 0; k < l; k++) {
            packed[k] = new float[(config.layerInputSize(k) + h) * gateWidth];
            xh[k] = new float[config.layerInputSize(k) + h];
            hiddenBias[k] = config.cell() == CellType.GRU ? new float[gateWidth] : null;
        }
        this.gates = new float[gateWidth];
        this.hProj = new float[gateWidth];
        this.hn = new float[h];
        this.output = new float[h];
        this.state = State.zeros(l, 1, h, config.cell().hasCellState());
        refreshWeights();
    }

    /** Re-reads the stack's parameters into the packed copy: call it after they change. */
    public void refreshWeights() {
        int h = config.hiddenSize();
        for (int k = 0; k < config.layers(); k++) {
            int in = config.layerInputSize(k);
            // W_ih [G·H, I_k] into rows 0 .. I_k-1, W_hh [G·H, H] into rows I_k .. I_k+H-1
            Param wIh = rnn.weightIh(k), wHh = rnn.weightHh(k);
            Kernels.transpose(packed[k], 0, wIh.data(), wIh.offset(), gateWidth, in);
            Kernels.transpose(packed[k], in * gateWidth, wHh.data(), wHh.offset(), gateWidth, h);
            Arrays.fill(bias[k], 0f);
            addInto(bias[k], rnn.biasIh(k));
            if (hiddenBias[k] != null) {
                Arrays.fill(hiddenBias[k], 0f);
                addInto(hiddenBias[k], rnn.biasHh(k));
            } else {
                addInto(bias[k], rnn.biasHh(k));
            }
        }
    }

    private static void addInto(float[] dst, Param b) {
        if (b != null) {
            Kernels.add(dst, 0, b.data(), b.offset(), dst.length);
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
        float[] hState = state.h();
        float[] cState = state.c();
        float[] x = input;
        int xOff = 0;
        for (int k = 0; k < config.layers(); k++) {
            int in = config.layerInputSize(k);
            int hOff = k * h;
            System.arraycopy(x, xOff, xh[k], 0, in);
            System.arraycopy(hState, hOff, xh[k], in, h);
            System.arraycopy(bias[k], 0, gates, 0, gateWidth);
            switch (config.cell()) {
                case RNN_TANH:
                case RNN_RELU:
                    // h_t = φ(b + [x; h_{t-1}] [W_ih | W_hh]ᵀ)
                    Kernels.gemmNNAdd(gates, 0, xh[k], 0, packed[k], 0, 1, gateWidth, in + h);
                    Kernels.rnnActivate(gates, 0, h, config.cell() == CellType.RNN_RELU);
                    System.arraycopy(gates, 0, hState, hOff, h);
                    break;
                case LSTM:
                    Kernels.gemmNNAdd(gates, 0, xh[k], 0, packed[k], 0, 1, gateWidth, in + h);
                    // c and h updated in place
                    Kernels.lstmForward(gates, 0, cState, hOff, cState, hOff, hState, hOff, 1, h);
                    break;
                case GRU:
                    Kernels.gemmNNAdd(gates, 0, xh[k], 0, packed[k], 0, 1, gateWidth, in);
                    System.arraycopy(hiddenBias[k], 0, hProj, 0, gateWidth);
                    Kernels.gemmNNAdd(hProj, 0, xh[k], in, packed[k], in * gateWidth, 1, gateWidth, h);
                    Kernels.gruForward(gates, 0, hProj, 0, hn, 0, hState, hOff, hState, hOff, 1, h);
                    break;
                default:
                    throw new AssertionError(config.cell());
            }
            x = hState;
            xOff = hOff;
        }
        System.arraycopy(hState, (config.layers() - 1) * h, output, 0, h);
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
