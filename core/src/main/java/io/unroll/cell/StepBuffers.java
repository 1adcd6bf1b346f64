package io.unroll.cell;

import io.unroll.tensor.Check;
import io.unroll.tensor.State;
import java.util.Arrays;

/**
 * The memory every cell needs for one (batch, steps) shape: what forward stores for backward and
 * backward's per-step scratch. Sized once per shape and reused, so a training step allocates
 * nothing. Everything is time-major: step {@code t} of a {@code [T, B, X]} buffer starts at
 * {@code t * B * X}. What only one kind of cell needs (the GRU's {@code W_hn h + b_hn}) the cell
 * keeps itself.
 *
 * <p>Stored for backward: all hidden states {@code hs}; the gate activations (when the one gate
 * <em>is</em> the next hidden state, as for the vanilla RNN, the gate buffer aliases {@code hs}
 * one step ahead and costs nothing); the cell states {@code cs} of cells that have one.
 */
public final class StepBuffers {
    public final int batch;
    public final int steps;
    public final int hidden;
    /** G·H: the width of one gate row. */
    public final int gateWidth;

    /** Gate pre-activations, then activations, {@code [T, B, GH]} starting at {@link #gatesBase}. */
    public final float[] gates;
    /** Offset of step 0 in {@link #gates}: B·H when the gates alias {@link #hs}, else 0. */
    public final int gatesBase;
    /** Hidden states {@code [T+1, B, H]}: slot 0 is the initial state, slot t+1 is h_t. */
    public final float[] hs;
    /** Cell states {@code [T+1, B, H]}, slot 0 the initial cell; null for cells without one. */
    public final float[] cs;

    /** Gradient of the input-side pre-activations {@code [T, B, GH]}. */
    public final float[] dPreIh;
    /**
     * Gradient of the hidden-side pre-activations {@code [T, B, GH]}: its own array for a cell
     * whose two sides differ (the GRU), else the same array as {@link #dPreIh}.
     */
    public final float[] dPreHh;
    /** Total gradient reaching h_t at the current step {@code [B, H]}. */
    public final float[] dh;
    /** Gradient passed back to h_{t-1} {@code [B, H]}. */
    public final float[] dhCarry;
    /** Gradient carried along the cell state {@code [B, H]}; null for cells without one. */
    public final float[] dc;
    private final boolean gatesAreHidden;

    /**
     * @param gatesAreHidden         the one gate activation is the next hidden state (G = 1), so gates alias {@code hs}
     * @param cellState              the cell carries a cell state c
     * @param separateHiddenGradient the hidden-side pre-activation gradient differs from the input side's
     */
    public StepBuffers(int batch, int steps, int hidden, int gateWidth, boolean gatesAreHidden, boolean cellState,
                       boolean separateHiddenGradient) {
        this.batch = batch;
        this.steps = steps;
        this.hidden = hidden;
        this.gateWidth = gateWidth;
        this.gatesAreHidden = gatesAreHidden;
        int states = Check.arrayLength("hidden states [steps + 1, batch, hidden size]", steps + 1, batch, hidden);
        int gateValues = Check.arrayLength("gates [steps, batch, gates x hidden size]", steps, batch, gateWidth);
        int bh = batch * hidden;
        this.hs = new float[states];
        this.gates = gatesAreHidden ? hs : new float[gateValues];
        this.gatesBase = gatesAreHidden ? bh : 0;
        this.cs = cellState ? new float[states] : null;
        this.dPreIh = new float[gateValues];
        this.dPreHh = separateHiddenGradient ? new float[gateValues] : dPreIh;
        this.dh = new float[bh];
        this.dhCarry = new float[bh];
        this.dc = cellState ? new float[bh] : null;
    }

    /**
     * Floats the buffers of this shape hold, computed without allocating them: what the constructor
     * with the same arguments allocates.
     */
    public static long floats(int batch, int steps, int hidden, int gateWidth, boolean gatesAreHidden, boolean cellState,
                              boolean separateHiddenGradient) {
        long states = ((long) steps + 1) * batch * hidden;
        long gateValues = (long) steps * batch * gateWidth;
        long bh = (long) batch * hidden;
        return states * (cellState ? 2 : 1)                          // hs, cs
                + gateValues * ((gatesAreHidden ? 0 : 1) + (separateHiddenGradient ? 2 : 1)) // gates, dPreIh, dPreHh
                + bh * (cellState ? 3 : 2);                           // dh, dhCarry, dc
    }

    /** Offset of step t in a {@code [T, B, GH]} gate buffer (gradients; add {@link #gatesBase} for {@link #gates}). */
    public int gateStep(int t) {
        return t * batch * gateWidth;
    }

    /** Offset of slot s in a {@code [T(+1), B, H]} state buffer. */
    public int stateSlot(int s) {
        return s * batch * hidden;
    }

    /** Slot 0 (h_{-1}, c_{-1}) from layer {@code layer} of {@code initial}, or zeros when it is null. */
    public void setInitialState(State initial, int layer) {
        copySlice(hs, initial == null ? null : initial.h(), layer);
        if (cs != null) {
            copySlice(cs, initial == null ? null : initial.c(), layer);
        }
    }

    /** The state after the last step into layer {@code layer} of {@code target}. */
    public void storeFinalState(State target, int layer) {
        store(hs, cs, stateSlot(steps), target, layer);
    }

    /** The gradient arriving at the final state, from layer {@code layer} of {@code dFinal} or zeros. */
    public void setFinalStateGradient(State dFinal, int layer) {
        copySlice(dhCarry, dFinal == null ? null : dFinal.h(), layer);
        if (dc != null) {
            copySlice(dc, dFinal == null ? null : dFinal.c(), layer);
        }
    }

    /** The gradient that reached the initial state, after the backward loop, into layer {@code layer} of {@code target}. */
    public void storeInitialStateGradient(State target, int layer) {
        store(dhCarry, dc, 0, target, layer);
    }

    /** {@code [B, H]} of h (and of c, where the cell has one) from {@code offset} into layer {@code layer} of {@code target}. */
    private void store(float[] h, float[] c, int offset, State target, int layer) {
        int bh = batch * hidden;
        System.arraycopy(h, offset, target.h(), layer * bh, bh);
        if (c != null) {
            System.arraycopy(c, offset, target.c(), layer * bh, bh);
        }
    }

    /** Number of floats held for backward (the stored activations, not the scratch). */
    public long storedFloats() {
        long n = hs.length;
        if (!gatesAreHidden) {
            n += gates.length;
        }
        if (cs != null) {
            n += cs.length;
        }
        return n;
    }

    /** {@code dst[0, B·H)} from layer {@code layer} of a state array {@code [L, B, H]}, or zeros when it is null. */
    private void copySlice(float[] dst, float[] state, int layer) {
        int bh = batch * hidden;
        if (state == null) {
            Arrays.fill(dst, 0, bh, 0f);
        } else {
            System.arraycopy(state, layer * bh, dst, 0, bh);
        }
    }
}
