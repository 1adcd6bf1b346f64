package io.unroll.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.reference.GradientCase;
import io.unroll.reference.ReferenceRecurrent;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.State;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Jacobian norms of the float32 engine against central finite differences (eps 1e-6) of the
 * double reference ({@link ReferenceRecurrent}): for every cell, 1 and 2 layers, every layer of the
 * stack and every step k, {@code P_k = ∂s_{T-1}/∂s_k} is built column by column by perturbing one
 * entry of the layer's state at step k and running the reference layer from step k+1 to T-1; its
 * spectral norm (EJML's SVD) and Frobenius norm must match the engine's within {@value #REL}
 * relative, and the engine's dominant direction at k = 0 must match the reference's top right
 * singular vector within {@value #ANGLE} of the cosine where the top singular value is separated
 * from the next by at least 5 %. Weights and data are rounded to float32 first, so both sides start
 * from the same numbers.
 */
class JacobianFiniteDifferenceTest {
    private static final double EPS = 1e-6;
    private static final double REL = 1e-5;
    private static final double ANGLE = 1e-6;
    private static final int STEPS = 6;
    private static final int HIDDEN = 4;
    private static final int INPUT = 3;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        long seed = 101;
        for (CellType type : CellType.values()) {
            for (int layers = 1; layers <= 2; layers++) {
                for (int layer = 0; layer < layers; layer++) {
                    out.add(Arguments.of(type, layers, layer, seed++));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} layers={1} layer={2}")
    @MethodSource("cases")
    void normsMatchFiniteDifferencesOfTheReference(CellType type, int layers, int layer, long seed) {
        GradientCase c = new GradientCase(type, layers, 1, STEPS, INPUT, HIDDEN, true, true, seed);
        ReferenceRecurrent ref = c.ref;
        if (type.family().equals("indrnn")) {
            keepIndRnnAlive(ref);
        }
        roundToFloat(ref, c);
        Recurrent rnn = engineCopy(ref);
        boolean lstm = type.hasCellState();
        State initial = new State(layers, 1, HIDDEN, toFloat(c.h0), lstm ? toFloat(c.c0) : null);
        JacobianNorms j = JacobianNorms.of(rnn, toFloat(c.input), initial, layer);

        int size = lstm ? 2 * HIDDEN : HIDDEN;
        assertEquals(size, j.stateSize());
        assertEquals(STEPS, j.steps());
        assertTrue(j.allConverged());
        ref.forward(c.input, 1, STEPS, c.h0, c.c0);
        double[] hs = ref.hiddenStates(layer, 0);
        double[] cs = ref.cellStates(layer, 0);
        double[] xs = ref.layerInput(layer);
        ReferenceRecurrent one = layerOf(ref, layer);
        for (int k = 0; k < STEPS; k++) {
            double[] p = finiteDifferenceJacobian(one, xs, hs, cs, k, size);
            SingularValueDecomposition_F64<DMatrixRMaj> svd = svd(p, size);
            double[] sv = svd.getSingularValues();
            double top = 0;
            double second = 0;
            int topIndex = 0;
            for (int i = 0; i < sv.length; i++) {
                if (sv[i] > top) {
                    second = top;
                    top = sv[i];
                    topIndex = i;
                } else if (sv[i] > second) {
                    second = sv[i];
                }
            }
            double frobenius = 0;
            for (double v : p) {
                frobenius += v * v;
            }
            frobenius = Math.sqrt(frobenius);
            String at = type.id() + " layers=" + layers + " layer=" + layer + " k=" + k;
            assertTrue(top > 1e-3, at + ": ‖P_k‖₂ = " + top + " too small to compare relative errors");
            assertRelative(at + " spectral", top, j.spectral()[k]);
            assertRelative(at + " Frobenius", frobenius, j.frobenius()[k]);
            if (k == 0 && top > 1.05 * second) {
                DMatrixRMaj v = svd.getV(null, false);
                double cos = 0;
                for (int i = 0; i < size; i++) {
                    cos += v.get(i, topIndex) * j.direction()[i];
                }
                assertTrue(1 - Math.abs(cos) <= ANGLE, at + ": direction off by 1 - |cos| = " + (1 - Math.abs(cos)));
            }
        }
        assertEquals(1.0, j.spectral()[STEPS - 1], 0.0, "P_{T-1} is the identity");
        assertEquals(Math.sqrt(size), j.frobenius()[STEPS - 1], 1e-12, "‖I‖_F = √S");
    }

    /**
     * A product far below float32's smallest number (1e-38) is still measured: a tanh RNN whose
     * W_hh has norm 0.35 over 200 steps, against the product {@code Π diag(1 - h_j²) W_hh} formed
     * explicitly in double along the reference's trajectory and EJML's SVD of it, at every step
     * within 1e-4 relative (float32 rounding accumulated over up to 200 steps: 6e-6 measured).
     */
    @org.junit.jupiter.api.Test
    void productsBelowTheRangeOfFloat32AreMeasured() {
        int steps = 200;
        int h = 6;
        GradientCase c = new GradientCase(CellType.RNN_TANH, 1, 1, steps, INPUT, h, true, true, 7);
        ReferenceRecurrent ref = c.ref;
        for (int i = 0; i < ref.wHh[0].length; i++) {
            ref.wHh[0][i] *= 0.35 / 1.5; // GradientCase draws N(0, (1.5/√H)²)
        }
        roundToFloat(ref, c);
        JacobianNorms j = JacobianNorms.of(engineCopy(ref), toFloat(c.input), new State(1, 1, h, toFloat(c.h0), null));
        ref.forward(c.input, 1, steps, c.h0, null);
        double[] hs = ref.hiddenStates(0, 0);
        DMatrixRMaj w = new DMatrixRMaj(h, h, true, ref.wHh[0]);
        DMatrixRMaj p = org.ejml.dense.row.CommonOps_DDRM.identity(h);
        for (int k = steps - 1; k >= 0; k--) {
            if (k < steps - 1) {
                // P_k = P_{k+1} diag(1 - h_{k+1}²) W_hh, with h_{k+1} in slot k + 2
                DMatrixRMaj jac = new DMatrixRMaj(h, h);
                for (int r = 0; r < h; r++) {
                    double hv = hs[(k + 2) * h + r];
                    for (int m = 0; m < h; m++) {
                        jac.set(r, m, (1 - hv * hv) * w.get(r, m));
                    }
                }
                DMatrixRMaj next = new DMatrixRMaj(h, h);
                org.ejml.dense.row.CommonOps_DDRM.mult(p, jac, next);
                p = next;
            }
            SingularValueDecomposition_F64<DMatrixRMaj> svd = svd(p.data, h);
            double top = java.util.Arrays.stream(svd.getSingularValues()).max().orElseThrow();
            double err = Math.abs(j.spectral()[k] - top) / top;
            assertTrue(err <= 1e-4, "k=" + k + ": " + j.spectral()[k] + ", expected " + top);
        }
        assertTrue(j.spectral()[0] < 1e-60, "‖P_0‖₂ = " + j.spectral()[0] + ": the case is meant to leave float32's range");
    }

    /**
     * The IndRNN's u drawn like a matrix row (|u| about 0.6) forgets within these few steps and, with
     * relu, can leave P_0 exactly 0; u in [0.8, 1.1] (alternating signs for tanh) keeps every unit's
     * memory so the comparison means something.
     */
    private static void keepIndRnnAlive(ReferenceRecurrent ref) {
        boolean relu = ref.type == CellType.INDRNN_RELU;
        for (int k = 0; k < ref.layers; k++) {
            for (int i = 0; i < ref.hidden; i++) {
                ref.wHh[k][i] = (relu || i % 2 == 0 ? 1 : -1) * (0.8 + 0.1 * i);
            }
        }
    }

    private static void assertRelative(String what, double expected, double actual) {
        double err = Math.abs(actual - expected) / Math.abs(expected);
        assertTrue(err <= REL, what + ": " + actual + ", expected " + expected + " (relative error " + err + ")");
    }

    /**
     * Column j of {@code P_k}: the central difference of the layer's state at T-1 when entry j of
     * its state at step k (h then c) moves by ±eps, the layer rerun from step k+1.
     */
    private static double[] finiteDifferenceJacobian(ReferenceRecurrent one, double[] xs, double[] hs, double[] cs, int k, int size) {
        double[] p = new double[size * size];
        if (k == STEPS - 1) {
            for (int i = 0; i < size; i++) {
                p[i * size + i] = 1;
            }
            return p;
        }
        int in = one.inputSize;
        double[] x = java.util.Arrays.copyOfRange(xs, (k + 1) * in, STEPS * in);
        double[] state = new double[size];
        System.arraycopy(hs, (k + 1) * HIDDEN, state, 0, HIDDEN);
        if (size > HIDDEN) {
            System.arraycopy(cs, (k + 1) * HIDDEN, state, HIDDEN, HIDDEN);
        }
        for (int j = 0; j < size; j++) {
            double keep = state[j];
            state[j] = keep + EPS;
            double[] plus = last(one, x, state, size);
            state[j] = keep - EPS;
            double[] minus = last(one, x, state, size);
            state[j] = keep;
            for (int i = 0; i < size; i++) {
                p[i * size + j] = (plus[i] - minus[i]) / (2 * EPS);
            }
        }
        return p;
    }

    /** The layer's state (h, then c) after running {@code x} from {@code state}. */
    private static double[] last(ReferenceRecurrent one, double[] x, double[] state, int size) {
        double[] h = java.util.Arrays.copyOfRange(state, 0, HIDDEN);
        double[] c = size > HIDDEN ? java.util.Arrays.copyOfRange(state, HIDDEN, size) : null;
        ReferenceRecurrent.Result r = one.forward(x, 1, x.length / one.inputSize, h, c);
        double[] s = new double[size];
        System.arraycopy(r.hN(), 0, s, 0, HIDDEN);
        if (c != null) {
            System.arraycopy(r.cN(), 0, s, HIDDEN, HIDDEN);
        }
        return s;
    }

    /** Layer {@code layer} of {@code ref} as a one-layer reference with the same weights. */
    private static ReferenceRecurrent layerOf(ReferenceRecurrent ref, int layer) {
        ReferenceRecurrent one = new ReferenceRecurrent(ref.type, ref.inputSize(layer), ref.hidden, 1, ref.biasIh, ref.biasHh);
        one.wIh[0] = ref.wIh[layer];
        one.wHh[0] = ref.wHh[layer];
        one.bIh[0] = ref.bIh[layer];
        one.bHh[0] = ref.bHh[layer];
        return one;
    }

    private static SingularValueDecomposition_F64<DMatrixRMaj> svd(double[] p, int n) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(n, n, false, true, false);
        assertTrue(svd.decompose(new DMatrixRMaj(n, n, true, p)));
        return svd;
    }

    /** The engine with the reference's weights. */
    static Recurrent engineCopy(ReferenceRecurrent ref) {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", new RecurrentConfig(ref.type, ref.inputSize, ref.hidden, ref.layers,
                ref.biasIh, ref.biasHh));
        pb.build();
        for (int k = 0; k < ref.layers; k++) {
            set(rnn.weightIh(k), ref.wIh[k]);
            set(rnn.weightHh(k), ref.wHh[k]);
            set(rnn.biasIh(k), ref.bIh[k]);
            set(rnn.biasHh(k), ref.bHh[k]);
        }
        return rnn;
    }

    private static void set(Param p, double[] values) {
        if (p != null) {
            p.set(p.shape(), toFloat(values));
        }
    }

    /** Rounds every weight, input and initial state of a case to float32, in place. */
    static void roundToFloat(ReferenceRecurrent ref, GradientCase c) {
        for (int k = 0; k < ref.layers; k++) {
            for (double[] a : new double[][] {ref.wIh[k], ref.wHh[k], ref.bIh[k], ref.bHh[k]}) {
                round(a);
            }
        }
        round(c.input);
        round(c.h0);
        if (c.c0 != null) {
            round(c.c0);
        }
    }

    private static void round(double[] a) {
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) a[i];
        }
    }

    static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }
}
