package io.unroll.flow;

import io.unroll.cell.CellType;
import java.util.Arrays;
import java.util.Locale;

/**
 * The textbook bound on the Jacobian products of one layer, for drawing against the measured
 * {@link JacobianNorms#spectral()}:
 * <pre>
 *   ‖∂h_{T-1}/∂h_k‖₂ ≤ (γ_W · γ_φ)^(T-1-k),   k = 0 .. T-1
 * </pre>
 * γ_W is the largest singular value of {@code W_hh} and γ_φ the largest |φ'| (1 for tanh, whose
 * derivative {@code 1 - tanh²} reaches 1 at 0, and for relu, whose derivative is 0 or 1). It holds
 * because every step's Jacobian is {@code diag(φ'(z_j)) W_hh} and the spectral norm is
 * submultiplicative: {@code ‖diag(φ')W_hh‖₂ ≤ γ_φ γ_W}. For the IndRNN the Jacobian is
 * {@code diag(φ'(z_j) ⊙ u)} and γ_W = max |u_j|, the largest singular value of {@code diag(u)}.
 *
 * <p>For the gated cells the bound does not hold as stated, and none is returned
 * ({@link #applicable()} false, {@link #values()} null; γ_W and γ_φ are still given): a step's
 * Jacobian is not {@code diag(φ') W_hh}. The LSTM's state {@code (h, c)} has the block
 * {@code ∂c_t/∂c_{t-1} = diag(f_t)}, which {@code W_hh} does not scale at all; the GRU's
 * {@code h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}} has the direct term {@code diag(z_t)} added to the terms
 * through {@code W_hh}. So with a small {@code W_hh} and gates that keep memory the products stay
 * near 1 while {@code (γ_W γ_φ)^(T-1-k)} vanishes. A bound that does hold has to add those direct
 * terms, {@code ‖J‖ ≤ max f + ...}, and is at least 1 per step whenever a gate can open: it says
 * nothing the measurement does not say better. {@link #reason()} says this in a sentence.
 *
 * <p>A record; the array is copied in and out, so a value never changes.
 *
 * @param cell       the layer's cell
 * @param applicable whether the bound holds for this cell
 * @param gammaW     γ_W, the largest singular value of the layer's {@code W_hh} (max |u| for the IndRNN)
 * @param gammaPhi   γ_φ, the largest |φ'| of the cell's non-linearity: 1 for tanh and relu
 *                   (and for the gated cells' tanh)
 * @param values     {@code (γ_W·γ_φ)^(T-1-k)}, {@code [T]}, or null when not applicable (may overflow to infinity)
 * @param reason     why the bound holds or does not, one sentence
 */
public record JacobianBound(CellType cell, boolean applicable, double gammaW, double gammaPhi, double[] values, String reason) {
    public JacobianBound {
        if (cell == null || reason == null || applicable != (values != null)) {
            throw new IllegalArgumentException("a Jacobian bound needs its cell and reason, and values exactly when it applies");
        }
        values = values == null ? null : values.clone();
    }

    /** γ_φ of every cell here: tanh' = 1 - tanh² ≤ 1 and relu' ∈ {0, 1}. */
    static final double GAMMA_PHI = 1.0;

    /**
     * The bound for a layer with this spectrum over {@code steps} steps.
     *
     * @throws IllegalArgumentException when {@code steps} is not positive
     */
    public static JacobianBound of(WeightSpectrum spectrum, int steps) {
        if (steps <= 0) {
            throw new IllegalArgumentException("steps is " + steps + ", expected a positive number");
        }
        CellType cell = spectrum.cell();
        double gammaW = spectrum.largestSingularValue();
        if (cell.hasCellState() || cell.gates() > 1) {
            String why = cell.hasCellState()
                    ? "the LSTM's step Jacobian has the block ∂c_t/∂c_(t-1) = diag(f_t), which W_hh does not scale,"
                    : "the GRU's step Jacobian has the direct term diag(z_t) besides the terms through W_hh,";
            return new JacobianBound(cell, false, gammaW, GAMMA_PHI, null, "not applicable: " + why
                    + " so its norm is not bounded by γ_W·γ_φ; gates that keep memory hold the products near 1 "
                    + "however small W_hh is");
        }
        double base = gammaW * GAMMA_PHI;
        double[] values = new double[steps];
        for (int k = 0; k < steps; k++) {
            values[k] = Math.pow(base, steps - 1 - k);
        }
        String why = cell.family().equals("indrnn")
                ? "each step's Jacobian is diag(φ'(z) ⊙ u), of norm at most max|u|·max|φ'|"
                : "each step's Jacobian is diag(φ'(z)) W_hh, of norm at most γ_φ·γ_W";
        return new JacobianBound(cell, true, gammaW, GAMMA_PHI, values, why);
    }

    /** {@code (γ_W·γ_φ)^(T-1-k)}, {@code [T]}, or null when the bound does not apply: a copy. */
    @Override
    public double[] values() {
        return values == null ? null : values.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JacobianBound b && cell == b.cell && applicable == b.applicable && gammaW == b.gammaW
                && gammaPhi == b.gammaPhi && Arrays.equals(values, b.values) && reason.equals(b.reason);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {cell.hashCode(), Boolean.hashCode(applicable), Double.hashCode(gammaW),
            Double.hashCode(gammaPhi), Arrays.hashCode(values), reason.hashCode()});
    }

    @Override
    public String toString() {
        return applicable
                ? String.format(Locale.ROOT, "%s: (γ_W·γ_φ)^(T-1-k) with γ_W = %.4g, γ_φ = %.4g", cell.id(), gammaW, gammaPhi)
                : cell.id() + ": " + reason;
    }
}
