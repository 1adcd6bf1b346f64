package io.unroll.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Init;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The bound {@code (γ_W·γ_φ)^(T-1-k)}: it holds on measured trajectories of the cells it is
 * stated for (at every step, with room only for float32 rounding), and for the gated cells it is
 * refused, with a trajectory that shows why: a small {@code W_hh} and forget gates near 1 keep the
 * LSTM's products near 1 while the would-be bound vanishes.
 */
class JacobianBoundTest {
    private static Recurrent stack(CellType type, int hidden, long seed, double gain) {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(type, 2, hidden, 1));
        pb.build();
        Init.apply(rnn, InitScheme.PYTORCH, Rng.seeded(seed));
        Param w = rnn.weightHh(0);
        for (int i = w.offset(); i < w.offset() + w.size(); i++) {
            w.data()[i] *= (float) gain;
        }
        return rnn;
    }

    private static float[] input(int steps, long seed) {
        float[] x = new float[steps * 2];
        Rng.seeded(seed).fillGaussian(x, 0, x.length, 1.0);
        return x;
    }

    @ParameterizedTest
    @EnumSource(value = CellType.class, names = {"RNN_TANH", "RNN_RELU", "INDRNN_RELU", "INDRNN_TANH"})
    void theBoundHoldsAtEveryStep(CellType type) {
        int steps = 30;
        for (double gain : new double[] {0.8, 1.0, 2.5}) {
            Recurrent rnn = stack(type, 8, 31, gain);
            FlowProbe probe = FlowProbe.of(rnn, input(steps, 32), null);
            JacobianBound bound = probe.bound();
            assertTrue(bound.applicable(), type.id());
            assertEquals(probe.spectra().get(0).largestSingularValue(), bound.gammaW(), 0.0);
            assertEquals(1.0, bound.gammaPhi(), 0.0);
            double[] b = bound.values();
            double[] measured = probe.jacobians().spectral();
            assertEquals(steps, b.length);
            assertEquals(1.0, b[steps - 1], 0.0);
            for (int k = 0; k < steps; k++) {
                assertEquals(Math.pow(bound.gammaW(), steps - 1 - k), b[k], 1e-12 * b[k]);
                assertTrue(measured[k] <= b[k] * (1 + 1e-5), type.id() + " gain " + gain + " k=" + k
                        + ": measured " + measured[k] + " above the bound " + b[k]);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = CellType.class, names = {"LSTM", "GRU"})
    void theGatedCellsGetNoBoundAndAReason(CellType type) {
        FlowProbe probe = FlowProbe.of(stack(type, 5, 33, 1.0), input(10, 34), null);
        JacobianBound bound = probe.bound();
        assertFalse(bound.applicable());
        assertNull(bound.values());
        assertTrue(bound.reason().startsWith("not applicable: "), bound.reason());
        assertTrue(bound.reason().contains(type == CellType.LSTM ? "diag(f_t)" : "diag(z_t)"), bound.reason());
        assertEquals(probe.spectra().get(0).largestSingularValue(), bound.gammaW(), 0.0);
    }

    /** Why the LSTM gets none: with γ_W = 0.05 the "bound" at k = 0 is 0.05^39 ≈ 2e-51, the product stays above 0.1. */
    @Test
    void anLstmThatRemembersBreaksTheSimpleBound() {
        int steps = 40;
        Recurrent lstm = stack(CellType.LSTM, 6, 35, 1.0);
        Param w = lstm.weightHh(0);
        double gammaW = WeightSpectrum.of(lstm, 0).largestSingularValue();
        for (int i = w.offset(); i < w.offset() + w.size(); i++) {
            w.data()[i] *= (float) (0.05 / gammaW);
        }
        Init.forgetGateBias(lstm, 6.0); // f = σ(6 + ...) ≈ 0.998
        FlowProbe probe = FlowProbe.of(lstm, input(steps, 36), null);
        assertEquals(0.05, probe.bound().gammaW(), 1e-6);
        double wouldBe = Math.pow(probe.bound().gammaW() * probe.bound().gammaPhi(), steps - 1);
        assertTrue(wouldBe < 1e-50);
        assertTrue(probe.jacobians().spectral()[0] > 0.1, "‖P_0‖₂ = " + probe.jacobians().spectral()[0]);
    }

    @Test
    void aBoundNeedsSteps() {
        WeightSpectrum s = WeightSpectrum.of(stack(CellType.RNN_TANH, 3, 37, 1.0), 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JacobianBound.of(s, 0));
        assertEquals("steps is 0, expected a positive number", e.getMessage());
    }
}
