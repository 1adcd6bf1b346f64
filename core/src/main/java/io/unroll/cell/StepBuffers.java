package io.unroll.cell;

/**
 * The memory of one recurrent layer for one (batch, steps) shape: what forward stores for
 * backward, and backward's per-step scratch. Sized once per shape and reused, so a training step
 * allocates nothing. Everything is time-major: step {@code t} of a {@code [T, B, X]} buffer starts
 * at {@code t * B * X}.
 *
 * <p>What is stored is exactly what backward reads: all hidden states {@code hs}; the gate
 * activations (for the vanilla RNN the activation <em>is</em> the next hidden state, so its gate
 * buffer aliases {@code hs} one step ahead and costs nothing); the LSTM cell states; the GRU's
 * {@code W_hn h + b_hn}.
 */
public final class StepBuffers {
    public final int batch;
    public final int steps;
    public final int hidden;
    /** G·H: the width of one gate row. */
    public final int gateWidth;

    /** Gate pre-activations, then activations, {@code [T, B, GH]} starting at {@link #gatesBase}. */
    public final float[] gates;
    /** Offset of step 0 in {@link #gates} (B·H for the vanilla RNN, whose gates alias {@link #hs}). */
    public final int gatesBase;
    /** Hidden states {@code [T+1, B, H]}: slot 0 is the initial state, slot t+1 is h_t. */
    public final float[] hs;
    /** LSTM cell states {@code [T+1, B, H]}, slot 0 the initial cell; null for other cells. */
    public final float[] cs;
    /** GRU {@code W_hn h_{t-1} + b_hn} per step {@code [T, B, H]}; null for other cells. */
    public final float[] hn;
    /** GRU hidden projection of the current step {@code [B, 3H]}; null for other cells. */
    public final float[] hProj;
    /**
     * {@code W_hhᵀ [H, GH]} in the panel layout of {@code Kernels.packPanels}, packed by the layer
     * before each forward: the B of a step's {@code h_{t-1} W_hhᵀ}.
     */
    public final float[] weightHhTPanels;
    /**
     * {@code W_hh [GH, H]} in the panel layout, packed with {@link #weightHhTPanels}: the B of a
     * step's {@code dh_{t-1} = dGates_t W_hh} in backward (the weights forward used).
     */
    public final float[] weightHhPanels;

    /** Gradient of the input-side pre-activations {@code [T, B, GH]}. */
    public final float[] dPreIh;
    /** Gradient of the hidden-side pre-activations {@code [T, B, GH]}; the same array as
     * {@link #dPreIh} except for the GRU, whose n block differs between the two sides. */
    public final float[] dPreHh;
    /** Total gradient reaching h_t at the current step {@code [B, H]}. */
    public final float[] dh;
    /** Gradient passed back to h_{t-1} {@code [B, H]}. */
    public final float[] dhCarry;
    /** LSTM gradient carried along the cell state {@code [B, H]}; null for other cells. */
    public final float[] dc;

    public StepBuffers(CellType type, int batch, int steps, int hidden) {
        this.batch = batch;
        this.steps = steps;
        this.hidden = hidden;
        this.gateWidth = type.gates() * hidden;
        int bh = batch * hidden;
        int states = Math.multiplyExact(steps + 1, bh);
        int gateValues = Math.multiplyExact(Math.multiplyExact(steps, batch), gateWidth);
        this.hs = new float[states];
        if (type.isVanilla()) {
            this.gates = hs;
            this.gatesBase = bh;
        } else {
            this.gates = new float[gateValues];
            this.gatesBase = 0;
        }
        this.cs = type == CellType.LSTM ? new float[states] : null;
        this.hn = type == CellType.GRU ? new float[steps * bh] : null;
        this.hProj = type == CellType.GRU ? new float[batch * gateWidth] : null;
        this.weightHhTPanels = new float[hidden * gateWidth];
        this.weightHhPanels = new float[hidden * gateWidth];
        this.dPreIh = new float[gateValues];
        this.dPreHh = type == CellType.GRU ? new float[gateValues] : dPreIh;
        this.dh = new float[bh];
        this.dhCarry = new float[bh];
        this.dc = type == CellType.LSTM ? new float[bh] : null;
    }

    /** Offset of step t in a {@code [T, B, GH]} gate buffer (gradients; add {@link #gatesBase} for {@link #gates}). */
    public int gateStep(int t) {
        return t * batch * gateWidth;
    }

    /** Offset of slot s in a {@code [T(+1), B, H]} state buffer. */
    public int stateSlot(int s) {
        return s * batch * hidden;
    }

    /** Number of floats held for backward (the stored activations, not the scratch). */
    public long storedFloats() {
        long n = hs.length;
        if (gates != hs) {
            n += gates.length;
        }
        if (cs != null) {
            n += cs.length;
        }
        if (hn != null) {
            n += hn.length;
        }
        return n;
    }
}
