package io.unroll.train;

import io.unroll.tensor.ParamStore;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Updates every parameter of a store from its accumulated gradient. */
public interface Optimizer {
    /** One update; the gradients are read, not cleared. */
    void step(ParamStore params);

    /**
     * The next updates use {@code factor} times the learning rate the optimizer was made with (1
     * until set): what a {@link LearningRateSchedule} changes before each training step. It is
     * not part of the saved state; a schedule sets it again from the step number.
     */
    void scaleLearningRate(double factor);

    /** Number of steps taken so far. */
    long steps();

    /**
     * Settings, step count and moment buffers as bytes, so that a restored optimizer continues
     * exactly (checkpoints).
     */
    byte[] saveState();

    /** The optimizer a {@link #saveState()} captured. */
    static Optimizer restoreState(byte[] state) {
        if (state == null || state.length < 5) {
            throw new IllegalArgumentException("saved optimizer state has " + (state == null ? "no" : state.length)
                    + " bytes, expected a state written by Optimizer.saveState()");
        }
        ByteBuffer in = ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN);
        if (in.getInt() != STATE_MAGIC) {
            throw new IllegalArgumentException("saved optimizer state does not start with Unroll's marker; it was not written by Optimizer.saveState()");
        }
        byte kind = in.get();
        try {
            switch (kind) {
                case Sgd.KIND: return Sgd.restore(in);
                case Adam.KIND: return Adam.restore(in);
                default: throw new IllegalArgumentException("saved optimizer state names kind " + kind
                        + ", expected " + Sgd.KIND + " (SGD) or " + Adam.KIND + " (Adam)");
            }
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("saved optimizer state is truncated (" + state.length + " bytes)", e);
        }
    }

    /** Marker at the start of every saved optimizer state ("UNOP"). */
    int STATE_MAGIC = 0x554e4f50;

    /** Writes a float buffer (null as length -1). */
    static void putFloats(ByteBuffer out, float[] values) {
        out.putInt(values == null ? -1 : values.length);
        if (values != null) {
            for (float v : values) {
                out.putFloat(v);
            }
        }
    }

    /** Reads a float buffer written by {@link #putFloats}. */
    static float[] getFloats(ByteBuffer in) {
        int n = in.getInt();
        if (n < -1 || n > in.remaining() / 4) {
            throw new IllegalArgumentException("saved optimizer state holds a buffer of " + n + " floats in "
                    + in.remaining() + " remaining bytes: the state is corrupt or truncated");
        }
        if (n == -1) {
            return null;
        }
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = in.getFloat();
        }
        return a;
    }

    /** Bytes {@link #putFloats} needs. */
    static int floatBytes(float[] values) {
        return 4 + (values == null ? 0 : 4 * values.length);
    }

    /** A buffer for a state of {@code bytes} bytes after the marker and kind. */
    static ByteBuffer stateBuffer(byte kind, int bytes) {
        return ByteBuffer.allocate(5 + bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(STATE_MAGIC).put(kind);
    }
}
