package io.unroll.flow;

import io.unroll.cell.CellType;
import io.unroll.layer.Recurrent;
import io.unroll.tensor.State;
import java.util.Arrays;
import java.util.Locale;

/**
 * How much the state of one layer at the last step depends on its state at every earlier step,
 * along a real trajectory: the norms of the Jacobian products
 * <pre>
 *   P_k = ∂s_{T-1}/∂s_k = J_{T-1} ⋯ J_{k+1},   J_j = ∂s_j/∂s_{j-1},   k = 0 .. T-1
 * </pre>
 * with s the layer's whole recurrent state: h for the RNN, GRU and IndRNN ({@code S = H}), and
 * {@code (h, c)} side by side for the LSTM ({@code S = 2H}). {@code P_{T-1}} is the identity. In a
 * stack, layer l's state at step k reaches layer l at T-1 only through layer l's own recurrence;
 * the layers below only set its input sequence.
 *
 * <p>For every k: the spectral norm {@code ‖P_k‖₂} (the most any state perturbation at step k is
 * amplified by step T-1), the Frobenius norm {@code ‖P_k‖_F} (the root of the sum of squared
 * sensitivities, ≥ the spectral norm, ≤ √S times it), and the work the spectral norm took; the
 * dominant direction at k = 0, the state perturbation at step 0 that step T-1 feels most. How they
 * are computed, and what "converged" means: {@link #of(Recurrent, float[], State, int)}.
 *
 * <p>A record of arrays indexed by step; the arrays are copied in and out, so a value never
 * changes. Non-finite entries report a product that overflowed float32 within one segment.
 *
 * @param cell       the stack's cell
 * @param layer      the layer measured, 0 the first
 * @param stateSize  S: H, or 2H for the LSTM
 * @param spectral   {@code ‖P_k‖₂}, {@code [T]}
 * @param frobenius  {@code ‖P_k‖_F}, {@code [T]}
 * @param iterations the Lanczos steps spent on {@code ‖P_k‖₂}, {@code [T]} (0 where the answer is exact)
 * @param converged  whether that Lanczos run met its bound, {@code [T]}
 * @param direction  the top right singular vector of {@code P_0}, {@code [S]} (h then c), unit length, its
 *                   largest entry positive; zeros when {@code P_0 = 0}
 */
public record JacobianNorms(CellType cell, int layer, int stateSize, double[] spectral, double[] frobenius,
                            int[] iterations, boolean[] converged, double[] direction) {
    public JacobianNorms {
        if (cell == null || spectral == null || frobenius == null || iterations == null || converged == null
                || direction == null) {
            throw new IllegalArgumentException("Jacobian norms need the cell, every per-step array and the direction");
        }
        int steps = spectral.length;
        if (steps == 0 || frobenius.length != steps || iterations.length != steps || converged.length != steps) {
            throw new IllegalArgumentException("Jacobian norms have " + steps + " spectral, " + frobenius.length + " Frobenius, "
                    + iterations.length + " iteration and " + converged.length
                    + " convergence entries, expected one positive number of steps for all");
        }
        if (stateSize <= 0 || direction.length != stateSize) {
            throw new IllegalArgumentException("the direction has " + direction.length + " entries, expected the state size "
                    + stateSize);
        }
        spectral = spectral.clone();
        frobenius = frobenius.clone();
        iterations = iterations.clone();
        converged = converged.clone();
        direction = direction.clone();
    }

    /** {@link #of(Recurrent, float[], State, int)} for the top layer. */
    public static JacobianNorms of(Recurrent stack, float[] input, State initial) {
        return of(stack, input, initial, stack.config().layers() - 1);
    }

    /**
     * Measures layer {@code layer} of {@code stack} along the trajectory of one sequence, on a copy
     * of the weights (the stack, its gradients and its workspace are left as they were).
     *
     * <p>Method: the engine's own backward pass computes every {@code P_k} at once. The layer runs
     * forward on the sequence, and what it stored is repeated into a batch of S rows (what a forward
     * over S identical rows stores, {@link Recurrent#repeatForward}); then the ordinary backward pass
     * starts from {@code dL/ds_{T-1} = I}: row i of the batch is seeded with
     * the unit vector e_i (for the LSTM rows 0..H-1 on h, rows H..2H-1 on c), and no loss is put on
     * the outputs. At step k the observer of the time loop then sees row i of the gradient equal to
     * row i of {@code P_k}, {@code dh [S, H]} and {@code dc [S, H]} side by side. So every product is
     * made by the cells' own derivatives in float32, with nothing written twice. The sequence is cut
     * into segments of at most 8 steps (fewer if the batch-S workspace would pass 32 Mi floats): a
     * segment starts from the state a batch-1 forward reached there, and its backward is seeded with
     * the {@code P} the later segment handed back as its initial-state gradient, which is the same
     * chain rule. That seed is first scaled by a power of two to a largest entry in [1, 2) and the
     * power is kept, so products far outside float32's range (below 1e-38, above 3e38) are measured,
     * within double's; the batch-S memory is that of 8 steps, not of T.
     *
     * <p>Then {@code ‖P_k‖_F} directly, and {@code ‖P_k‖₂} by the Lanczos method on {@code P_kᵀP_k} in
     * double precision, warm-started from the top left singular vector of {@code P_{k+1}} (left
     * vectors live in the state space of step T-1 for every k) with a fixed pseudo-random vector of
     * norm 10⁻³ mixed in. Converged means the residual
     * {@code ‖P_kᵀP_k v − σ²v‖ ≤ 10⁻⁶·σ²}: σ is then a singular value of {@code P_k} to 5·10⁻⁷
     * relative, the largest one unless the start had almost no component along the top direction.
     *
     * @param input   one sequence {@code [1, T, I]}, finite
     * @param initial the stack's state before step 0, {@code [L, 1, H]} (with c for an LSTM), or null for zeros
     * @param layer   the layer to measure, in {@code [0, L)}
     * @throws IllegalArgumentException naming what is wrong with the input, the state or the layer
     * @throws io.unroll.tensor.Memory.InsufficientMemoryException before anything large is allocated,
     *         if the heap cannot hold the run
     */
    public static JacobianNorms of(Recurrent stack, float[] input, State initial, int layer) {
        return StateJacobians.measure(stack, input, initial, layer, 0, null);
    }

    public int steps() {
        return spectral.length;
    }

    @Override
    public double[] spectral() {
        return spectral.clone();
    }

    @Override
    public double[] frobenius() {
        return frobenius.clone();
    }

    @Override
    public int[] iterations() {
        return iterations.clone();
    }

    @Override
    public boolean[] converged() {
        return converged.clone();
    }

    @Override
    public double[] direction() {
        return direction.clone();
    }

    /** Whether the Lanczos method converged at every step. */
    public boolean allConverged() {
        for (boolean c : converged) {
            if (!c) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JacobianNorms j && cell == j.cell && layer == j.layer && stateSize == j.stateSize
                && Arrays.equals(spectral, j.spectral) && Arrays.equals(frobenius, j.frobenius)
                && Arrays.equals(iterations, j.iterations) && Arrays.equals(converged, j.converged)
                && Arrays.equals(direction, j.direction);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {cell.hashCode(), layer, stateSize, Arrays.hashCode(spectral),
            Arrays.hashCode(frobenius), Arrays.hashCode(iterations), Arrays.hashCode(converged), Arrays.hashCode(direction)});
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s layer %d, S = %d, T = %d: ‖∂s_T-1/∂s_0‖₂ = %.3e, ‖.‖_F = %.3e", cell.id(),
                layer, stateSize, steps(), spectral[0], frobenius[0]);
    }
}
