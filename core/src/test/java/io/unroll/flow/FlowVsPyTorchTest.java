package io.unroll.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.unroll.cell.CellType;
import io.unroll.io.Safetensors;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.reference.Fixtures;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.State;
import java.io.IOException;
import java.util.Locale;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The gradient-flow diagnostics of the float32 engine against PyTorch 1.13 in float64 (fixtures
 * written by {@code tools/reference/make_flow_golden.py}, a 2-layer stack of every cell on one
 * sequence of 12 steps): for both layers and every step, {@code ‖P_k‖₂} and {@code ‖P_k‖_F} from
 * {@code torch.autograd.functional.jacobian}, and the probe's {@code ‖dL/dh_t‖} (and
 * {@code ‖dL/dc_t‖}), each within {@value #REL} relative; the dominant direction at k = 0 within
 * {@value #ANGLE} of the cosine where the top singular value leads the next by 5 %; and the
 * singular values and eigenvalues of every {@code W_hh} and gate block against NumPy's
 * ({@code numpy.linalg.svd}, {@code numpy.linalg.eigvals}) within {@value #SPECTRUM} relative to
 * the largest. The fixture's weights and data are float32 values, so both sides start from the
 * same numbers. A missing fixture fails.
 */
class FlowVsPyTorchTest {
    private static final double REL = 1e-4;
    private static final double ANGLE = 1e-6;
    private static final double SPECTRUM = 1e-12;

    private static Safetensors.Contents open(String cell) throws IOException {
        return Fixtures.open("src/test/resources/golden/flow_" + cell + ".safetensors", "tools/reference/make_flow_golden.py");
    }

    @ParameterizedTest
    @ValueSource(strings = {"rnn_tanh", "rnn_relu", "lstm", "gru", "indrnn_relu", "indrnn_tanh"})
    void jacobiansProbeAndSpectraMatchPyTorch(String cellId) throws IOException {
        Safetensors.Contents f = open(cellId);
        CellType cell = CellType.parse(cellId);
        int layers = Integer.parseInt(f.metadata().get("layers"));
        int steps = Integer.parseInt(f.metadata().get("steps"));
        int hidden = Integer.parseInt(f.metadata().get("hidden_size"));
        int input = Integer.parseInt(f.metadata().get("input_size"));
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(cell, input, hidden, layers));
        ParamStore store = pb.build();
        for (Param p : store.params()) {
            p.set(f.shape(p.name()), f.floats(p.name()));
        }
        State initial = new State(layers, 1, hidden, f.floats("h0"), cell.hasCellState() ? f.floats("c0") : null);
        float[] x = f.floats("input");
        assertEquals(steps * input, x.length);

        Worst worst = new Worst();
        for (int layer = 0; layer < layers; layer++) {
            JacobianNorms j = JacobianNorms.of(rnn, x, initial, layer);
            assertTrue(j.allConverged(), cellId + " layer " + layer);
            worst.jacobian = Math.max(worst.jacobian, relative(cellId + " layer " + layer + " ‖P_k‖₂",
                    f.doubles("jacobian_spectral_l" + layer), j.spectral()));
            worst.jacobian = Math.max(worst.jacobian, relative(cellId + " layer " + layer + " ‖P_k‖_F",
                    f.doubles("jacobian_frobenius_l" + layer), j.frobenius()));
            double[] expected = f.doubles("jacobian_direction_l" + layer);
            if (f.doubles("jacobian_spectral_l" + layer)[0] > 1.05 * f.doubles("jacobian_sigma2_l" + layer)[0]) {
                double cos = 0;
                for (int i = 0; i < expected.length; i++) {
                    cos += expected[i] * j.direction()[i];
                }
                assertTrue(1 - cos <= ANGLE, cellId + " layer " + layer + ": direction at step 0 off by 1 - cos = " + (1 - cos));
                worst.direction = Math.max(worst.direction, 1 - cos);
                worst.directions++;
            }
        }
        assertTrue(worst.directions > 0, cellId + ": no layer has a top singular value 5 % above the next at step 0");

        StepGradients g = StepGradients.of(rnn, x, initial);
        double[] dh = f.doubles("probe_dh");
        double[] dc = cell.hasCellState() ? f.doubles("probe_dc") : null;
        for (int layer = 0; layer < layers; layer++) {
            worst.probe = Math.max(worst.probe, relative(cellId + " layer " + layer + " ‖dL/dh_t‖",
                    slice(dh, layer, steps), g.dh(layer)));
            if (dc != null) {
                worst.probe = Math.max(worst.probe, relative(cellId + " layer " + layer + " ‖dL/dc_t‖",
                        slice(dc, layer, steps), g.dc(layer)));
            } else {
                assertNull(g.dc(layer));
            }
        }
        assertEquals(1.0, g.dh(layers - 1)[steps - 1], 1e-6, "the unit gradient on the top layer's last h");

        for (int layer = 0; layer < layers; layer++) {
            WeightSpectrum s = WeightSpectrum.of(rnn, layer);
            String at = cellId + " layer " + layer;
            double scale = f.doubles("svd_l" + layer)[0];
            worst.spectrum = Math.max(worst.spectrum, absolute(at + " singular values", f.doubles("svd_l" + layer),
                    s.singularValues(), scale));
            for (WeightSpectrum.Block b : s.blocks()) {
                String key = "l" + layer + "_" + b.gate();
                worst.spectrum = Math.max(worst.spectrum, absolute(at + " block " + b.gate() + " singular values",
                        f.doubles("svd_" + key), b.singularValues(), scale));
                double[] eig = f.doubles("eig_" + key); // [H, 2]: real, imaginary
                for (int i = 0; i < hidden; i++) {
                    double gap = Math.hypot(eig[2 * i] - b.eigenvalueReal()[i], eig[2 * i + 1] - b.eigenvalueImag()[i]);
                    if (!(gap <= SPECTRUM * scale)) {
                        fail(at + " block " + b.gate() + " eigenvalue " + i + " = " + b.eigenvalueReal()[i] + " + "
                                + b.eigenvalueImag()[i] + "i, NumPy " + eig[2 * i] + " + " + eig[2 * i + 1] + "i");
                    }
                    worst.spectrum = Math.max(worst.spectrum, gap / scale);
                }
                assertEquals(Math.hypot(eig[0], eig[1]), b.spectralRadius(), SPECTRUM * scale, at + " spectral radius");
            }
        }
        System.out.printf(Locale.ROOT, "flow vs PyTorch %-11s max relative error: Jacobian norms %.2e, probe %.2e,"
                + " direction 1-cos %.1e, spectrum %.1e%n", cellId, worst.jacobian, worst.probe, worst.direction, worst.spectrum);
    }

    private static final class Worst {
        double jacobian;
        double probe;
        double direction;
        double spectrum;
        int directions;
    }

    /** Every entry within {@link #REL} of the expected one, relative to it (an expected 0 must be 0); returns the largest relative error. */
    private static double relative(String what, double[] expected, double[] actual) {
        assertEquals(expected.length, actual.length, what);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double err = expected[i] == 0 ? (actual[i] == 0 ? 0 : Double.POSITIVE_INFINITY)
                    : Math.abs(actual[i] - expected[i]) / Math.abs(expected[i]);
            if (!(err <= REL)) {
                fail(what + "[" + i + "] = " + actual[i] + ", expected " + expected[i] + " (relative error " + err + ")");
            }
            worst = Math.max(worst, err);
        }
        return worst;
    }

    /** Every entry within {@link #SPECTRUM}·scale; returns the largest error over scale. */
    private static double absolute(String what, double[] expected, double[] actual, double scale) {
        assertEquals(expected.length, actual.length, what);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(actual[i] - expected[i]);
            if (!(err <= SPECTRUM * scale)) {
                fail(what + "[" + i + "] = " + actual[i] + ", expected " + expected[i] + " (error " + err + ")");
            }
            worst = Math.max(worst, err / scale);
        }
        return worst;
    }

    private static double[] slice(double[] a, int row, int length) {
        double[] s = new double[length];
        System.arraycopy(a, row * length, s, 0, length);
        return s;
    }
}
