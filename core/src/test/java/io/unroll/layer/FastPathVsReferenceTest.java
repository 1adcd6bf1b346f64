package io.unroll.layer;

import static io.unroll.reference.Close.assertClose;
import static io.unroll.reference.Close.toFloat;

import io.unroll.cell.CellType;
import io.unroll.reference.GradientCase;
import io.unroll.reference.ReferenceRecurrent;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.State;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The float32 production path ({@link Recurrent} on the default kernels) against the double
 * reference: outputs, final states and every gradient within {@code 1e-4·|expected| + 1e-5}.
 * The forward and backward run twice on the same workspace to show reuse changes nothing, and the
 * parameter gradients of the two runs accumulate.
 */
class FastPathVsReferenceTest {
    private static final double REL = 1e-4;
    private static final double ABS = 1e-5;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        long seed = 101;
        for (CellType type : CellType.values()) {
            for (int layers = 1; layers <= 2; layers++) {
                out.add(Arguments.of(new GradientCase(type, layers, 3, 7, 5, 9, true, true, seed++)));
            }
            out.add(Arguments.of(new GradientCase(type, 1, 2, 4, 3, 4, false, false, seed++)));
            // larger than a SIMD vector in every dimension, odd sizes
            out.add(Arguments.of(new GradientCase(type, 2, 5, 6, 37, 33, true, true, seed++)));
        }
        // one bias only (a GRU cannot have b_hh alone): the bias gradients come from sums of dPre
        // that the GRU keeps apart for its two sides and the other cells share
        out.add(Arguments.of(new GradientCase(CellType.RNN_TANH, 1, 2, 5, 3, 4, true, false, seed++)));
        out.add(Arguments.of(new GradientCase(CellType.GRU, 1, 3, 5, 3, 4, true, false, seed++)));
        out.add(Arguments.of(new GradientCase(CellType.LSTM, 1, 3, 5, 3, 4, false, true, seed)));
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void float32MatchesDoubleReference(GradientCase c) {
        ReferenceRecurrent ref = c.ref;
        ReferenceRecurrent.Result expected = ref.forward(c.input, c.batch, c.steps, c.h0, c.c0);
        ReferenceRecurrent.Grads grads = ref.backward(c.wOut, c.wH, c.wC);

        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", new RecurrentConfig(ref.type, ref.inputSize, ref.hidden, ref.layers,
                ref.biasIh, ref.biasHh));
        ParamStore store = pb.build();
        for (int k = 0; k < ref.layers; k++) {
            rnn.weightIh(k).set(rnn.weightIh(k).shape(), toFloat(ref.wIh[k]));
            rnn.weightHh(k).set(rnn.weightHh(k).shape(), toFloat(ref.wHh[k]));
            if (ref.biasIh) {
                rnn.biasIh(k).set(rnn.biasIh(k).shape(), toFloat(ref.bIh[k]));
            }
            if (ref.biasHh) {
                rnn.biasHh(k).set(rnn.biasHh(k).shape(), toFloat(ref.bHh[k]));
            }
        }
        State initial = new State(ref.layers, c.batch, ref.hidden, toFloat(c.h0), c.c0 == null ? null : toFloat(c.c0));
        State dFinal = new State(ref.layers, c.batch, ref.hidden, toFloat(c.wH), c.wC == null ? null : toFloat(c.wC));

        for (int run = 1; run <= 2; run++) {
            Recurrent.Output out = rnn.forward(toFloat(c.input), c.batch, c.steps, initial);
            assertClose(c + " output", expected.output(), out.output(), REL, ABS);
            assertClose(c + " h_n", expected.hN(), out.finalState().h(), REL, ABS);
            if (expected.cN() != null) {
                assertClose(c + " c_n", expected.cN(), out.finalState().c(), REL, ABS);
            }
            Recurrent.Gradients g = rnn.backward(toFloat(c.wOut), dFinal);
            assertClose(c + " d input", grads.dInput(), g.dInput(), REL, ABS);
            assertClose(c + " d h0", grads.dh0(), g.dInitialState().h(), REL, ABS);
            if (grads.dc0() != null) {
                assertClose(c + " d c0", grads.dc0(), g.dInitialState().c(), REL, ABS);
            }
            for (int k = 0; k < ref.layers; k++) {
                assertClose(c + " d weight_ih_l" + k + " run " + run, times(grads.dWIh()[k], run), rnn.weightIh(k).copyGrad(), REL, ABS);
                assertClose(c + " d weight_hh_l" + k + " run " + run, times(grads.dWHh()[k], run), rnn.weightHh(k).copyGrad(), REL, ABS);
                if (ref.biasIh) {
                    assertClose(c + " d bias_ih_l" + k, times(grads.dBIh()[k], run), rnn.biasIh(k).copyGrad(), REL, ABS);
                }
                if (ref.biasHh) {
                    assertClose(c + " d bias_hh_l" + k, times(grads.dBHh()[k], run), rnn.biasHh(k).copyGrad(), REL, ABS);
                }
            }
        }
        store.zeroGrads();
    }

    private static double[] times(double[] a, int factor) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] * factor;
        }
        return out;
    }
}
