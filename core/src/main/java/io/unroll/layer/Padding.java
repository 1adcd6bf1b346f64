package io.unroll.layer;

import io.unroll.cell.StepBuffers;
import java.util.Arrays;

/**
 * The lengths of the sequences of a padded batch and what they do to the time loop, so that a
 * sequence of n real steps gives exactly what it gives alone (the job of PyTorch's
 * {@code pack_padded_sequence}): after its last step its state stops changing, its outputs are 0,
 * its gradient passes the padded steps unchanged and none of it reaches the weights. Every method
 * does nothing when no sequence is shorter than the batch.
 */
final class Padding {
    private int batch;
    private int steps;
    private int hidden;
    private int[] lengths = new int[0]; // [B] real steps per sequence
    private boolean padded;             // some sequence is shorter than the batch's steps
    private boolean stepHasEnded;       // some sequence has ended before the step being run backward
    private float[] dcKeep;             // [B, H] cell-state gradient, kept across a backward step; null without a cell state

    /** Sizes the workspace for {@code batch} sequences of {@code hidden} units. */
    void resize(int batch, int steps, int hidden, boolean cellState) {
        this.batch = batch;
        this.steps = steps;
        this.hidden = hidden;
        this.lengths = new int[batch];
        this.dcKeep = cellState ? new float[batch * hidden] : null;
    }

    /** The lengths of the next batch, each in {@code [1, steps]} (checked by the caller), or null when all are full. */
    void set(int[] lengths) {
        padded = false;
        for (int b = 0; b < batch; b++) {
            this.lengths[b] = lengths == null ? steps : lengths[b];
            padded |= this.lengths[b] < steps;
        }
    }

    /** Whether some sequence of the current batch is shorter than its steps. */
    boolean padded() {
        return padded;
    }

    /** Forward at step t: a sequence that has ended keeps its state, {@code h_t = h_{t-1}} (and c). */
    void holdEndedSequences(StepBuffers buf, int t) {
        if (!padded) {
            return;
        }
        for (int b = 0; b < batch; b++) {
            if (t >= lengths[b]) {
                System.arraycopy(buf.hs, buf.stateSlot(t) + b * hidden, buf.hs, buf.stateSlot(t + 1) + b * hidden, hidden);
                if (buf.cs != null) {
                    System.arraycopy(buf.cs, buf.stateSlot(t) + b * hidden, buf.cs, buf.stateSlot(t + 1) + b * hidden, hidden);
                }
            }
        }
    }

    /** The outputs {@code [B, T, H]} of every padded step set to 0. */
    void zeroPaddedOutputs(float[] output) {
        if (!padded) {
            return;
        }
        for (int b = 0; b < batch; b++) {
            Arrays.fill(output, (b * steps + lengths[b]) * hidden, (b + 1) * steps * hidden, 0f);
        }
    }

    /** Backward at step t, before the cell: the loss does not see an ended sequence here, only what is carried. */
    void beforeStepBackward(StepBuffers buf, int t) {
        stepHasEnded = padded && endedBefore(t);
        if (!stepHasEnded) {
            return;
        }
        for (int b = 0; b < batch; b++) {
            if (t >= lengths[b]) {
                System.arraycopy(buf.dhCarry, b * hidden, buf.dh, b * hidden, hidden);
            }
        }
        if (buf.dc != null) {
            System.arraycopy(buf.dc, 0, dcKeep, 0, dcKeep.length);
        }
    }

    /**
     * Backward at step t, after the cell: the step was an identity for an ended sequence, so its
     * gradient passes through unchanged and its pre-activation gradients are 0.
     */
    void afterStepBackward(StepBuffers buf, int t) {
        if (!stepHasEnded) {
            return;
        }
        int gw = buf.gateWidth;
        int g0 = buf.gateStep(t);
        for (int b = 0; b < batch; b++) {
            if (t >= lengths[b]) {
                Arrays.fill(buf.dPreIh, g0 + b * gw, g0 + (b + 1) * gw, 0f);
                Arrays.fill(buf.dPreHh, g0 + b * gw, g0 + (b + 1) * gw, 0f);
                System.arraycopy(buf.dh, b * hidden, buf.dhCarry, b * hidden, hidden);
                if (buf.dc != null) {
                    System.arraycopy(dcKeep, b * hidden, buf.dc, b * hidden, hidden);
                }
            }
        }
    }

    /** True when some sequence's last real step comes before step t. */
    private boolean endedBefore(int t) {
        for (int b = 0; b < batch; b++) {
            if (t >= lengths[b]) {
                return true;
            }
        }
        return false;
    }
}
