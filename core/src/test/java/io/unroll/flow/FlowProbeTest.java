package io.unroll.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.Memory;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.tensor.State;
import io.unroll.train.Init;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The facade and the probe: what {@link FlowProbe#of} returns fits together (the top layer's
 * probe is the seed times the Jacobian products), the stack it measures is left as it was, and
 * every malformed call is refused with a message naming what is wrong.
 */
class FlowProbeTest {
    private static final int STEPS = 9;

    private static Recurrent stack(CellType type, int layers) {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(type, 3, 5, layers));
        pb.build();
        Init.apply(rnn, InitScheme.PYTORCH, Rng.seeded(41));
        return rnn;
    }

    private static float[] input(int steps) {
        float[] x = new float[steps * 3];
        Rng.seeded(42).fillGaussian(x, 0, x.length, 1.0);
        return x;
    }

    private static State initial(Recurrent rnn) {
        State s = rnn.zeroState(1);
        Rng.seeded(43).fillGaussian(s.h(), 0, s.h().length, 0.5);
        if (s.c() != null) {
            Rng.seeded(44).fillGaussian(s.c(), 0, s.c().length, 0.5);
        }
        return s;
    }

    /** The top layer's ‖dL/dh_k‖ is ‖(1/√H)·1ᵀ P_k‖ over the h part, from the same backward machinery by two routes. */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void theProbeIsTheSeedTimesTheJacobianProducts(CellType type) {
        Recurrent rnn = stack(type, 2);
        float[] x = input(STEPS);
        State h0 = initial(rnn);
        int h = 5;
        double[] expected = new double[STEPS];
        double[] expectedCell = new double[STEPS];
        StateJacobians.measure(rnn, x, h0, 1, 0, (k, p, n) -> {
            double hs = 0;
            double cs = 0;
            for (int j = 0; j < n; j++) {
                double g = 0;
                for (int i = 0; i < h; i++) {
                    g += p[i * n + j] / Math.sqrt(h);
                }
                if (j < h) {
                    hs += g * g;
                } else {
                    cs += g * g;
                }
            }
            expected[k] = Math.sqrt(hs);
            expectedCell[k] = Math.sqrt(cs);
        });
        FlowProbe probe = FlowProbe.of(rnn, x, h0);
        double[] measured = probe.gradients().dh(1);
        for (int k = 0; k < STEPS; k++) {
            assertEquals(expected[k], measured[k], 1e-5 * expected[k], type.id() + " k=" + k);
            if (type.hasCellState()) {
                assertEquals(expectedCell[k], probe.gradients().dc(1)[k], 1e-5 * expectedCell[k] + 1e-30, type.id() + " k=" + k);
            }
        }
        assertEquals(1.0, measured[STEPS - 1], 1e-6);
        assertEquals(1, probe.jacobians().layer());
        assertEquals(2, probe.gradients().layers());
        assertEquals(2, probe.spectra().size());
        assertEquals(probe.spectra().get(1).largestSingularValue(), probe.bound().gammaW(), 0.0);
        if (!type.hasCellState()) {
            assertNull(probe.gradients().dc());
        }
    }

    /** A probe neither adds to the stack's gradients nor changes its weights, and the stack's own next backward is unchanged. */
    @ParameterizedTest
    @EnumSource(value = CellType.class, names = {"LSTM", "INDRNN_RELU"})
    void theMeasuredStackIsLeftAsItWas(CellType type) {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(type, 3, 5, 2));
        ParamStore store = pb.build();
        Init.apply(rnn, InitScheme.PYTORCH, Rng.seeded(45));
        float[] x = input(STEPS);
        Rng.seeded(46).fillGaussian(store.grads(), 0, store.size(), 1.0);
        float[] values = store.values().clone();
        float[] grads = store.grads().clone();
        Recurrent.Output before = rnn.forward(x, 1, STEPS, null).copy();
        FlowProbe.of(rnn, x, null, 0);
        assertArrayEquals(values, store.values());
        assertArrayEquals(grads, store.grads());
        // the stack's workspace still holds its own forward: backward runs on it without a new forward
        Recurrent.Gradients g = rnn.backward(before.output(), null);
        assertEquals(1 * STEPS * 3, g.dInput().length);
    }

    @Test
    void theDefaultLayerIsTheTopOne() {
        Recurrent rnn = stack(CellType.GRU, 3);
        JacobianNorms top = JacobianNorms.of(rnn, input(STEPS), null);
        assertEquals(2, top.layer());
        assertArrayEquals(top.spectral(), JacobianNorms.of(rnn, input(STEPS), null, 2).spectral(), 0.0);
    }

    @Test
    void malformedCallsAreRefusedWithWhatWasExpected() {
        Recurrent lstm = stack(CellType.LSTM, 2);
        float[] x = input(STEPS);
        refuse(() -> FlowProbe.of(lstm, null, null), "input is missing (null), expected one sequence [1, T, 3]");
        refuse(() -> StepGradients.of(lstm, new float[7], null),
                "input has 7 values, expected one sequence [1, T, 3]: a positive multiple of the input size 3");
        refuse(() -> JacobianNorms.of(lstm, new float[0], null), "input has 0 values, expected one sequence [1, T, 3]");
        float[] bad = x.clone();
        bad[4] = Float.POSITIVE_INFINITY;
        refuse(() -> FlowProbe.of(lstm, bad, null), "input", "Infinity");
        refuse(() -> JacobianNorms.of(lstm, x, State.zeros(2, 2, 5, true)),
                "initial state has shape [2, 2, 5], expected [layers, 1, hidden size] = [2, 1, 5] (one sequence)");
        refuse(() -> StepGradients.of(lstm, x, State.zeros(1, 1, 5, true)), "initial state has shape [1, 1, 5]");
        refuse(() -> FlowProbe.of(lstm, x, State.zeros(2, 1, 5, false)),
                "initial state has no cell state c, which a lstm needs");
        refuse(() -> FlowProbe.of(stack(CellType.GRU, 1), x, State.zeros(1, 1, 5, true)),
                "initial state has a cell state c, which a gru does not have");
        refuse(() -> JacobianNorms.of(lstm, x, null, 2), "layer is 2, expected 0 to 1 (the stack has 2 layers)");
        refuse(() -> FlowProbe.of(lstm, x, null, -1), "layer is -1, expected 0 to 1");
    }

    @Test
    void jacobiansAddedToAProbeWithoutThemGiveTheWholeProbe() {
        Recurrent rnn = stack(CellType.LSTM, 2);
        float[] x = input(STEPS);
        FlowProbe first = FlowProbe.withoutJacobians(rnn, x, null);
        assertEquals(null, first.jacobians());
        assertEquals(FlowProbe.of(rnn, x, null), first.withJacobians(rnn, x, null));
        refuse(() -> first.withJacobians(rnn, input(STEPS + 1), null), "this probe is of a lstm of 5 units in 2 layers over "
                + STEPS + " steps", "the sequence " + (STEPS + 1) + " steps");
        refuse(() -> first.withJacobians(stack(CellType.LSTM, 1), x, null), "the stack given is a lstm of 5 units in 1 layer and");
        refuse(() -> first.withJacobians(stack(CellType.GRU, 2), x, null), "the stack given is a gru of 5 units in 2 layers");
    }

    /** A state of 46,000 units needs a 46,000² product of doubles, 15.8 GB: refused before anything is allocated. */
    @Test
    void aProductTooLargeForTheHeapIsRefusedUpFront() {
        Recurrent huge = new Recurrent(ParamStore.builder(), "", RecurrentConfig.of(CellType.RNN_TANH, 1, 46_000, 1));
        Memory.InsufficientMemoryException e = assertThrows(Memory.InsufficientMemoryException.class,
                () -> JacobianNorms.of(huge, new float[10], null));
        assertTrue(e.getMessage().startsWith("the Jacobians of a rnn_tanh layer of 46,000 units (state size 46,000) over 10 steps"
                + " needs about "), e.getMessage());
        // an IndRNN's recurrent weight is a vector, so its H can exceed what one [S, S] array holds
        Recurrent wide = new Recurrent(ParamStore.builder(), "", RecurrentConfig.of(CellType.INDRNN_RELU, 1, 50_000, 1));
        IllegalArgumentException tooLarge = assertThrows(IllegalArgumentException.class, () -> JacobianNorms.of(wide, new float[10], null));
        assertTrue(tooLarge.getMessage().contains("Jacobian product [state size, state size] = [50000, 50000]"), tooLarge.getMessage());
    }

    @Test
    void resultsCannotBeChangedFromOutside() {
        FlowProbe probe = FlowProbe.of(stack(CellType.RNN_TANH, 1), input(STEPS), null);
        probe.jacobians().spectral()[0] = -1;
        probe.jacobians().direction()[0] = -1;
        probe.gradients().dh()[0][0] = -1;
        probe.gradients().dh(0)[0] = -1;
        probe.bound().values()[0] = -1;
        assertTrue(probe.jacobians().spectral()[0] > 0);
        assertTrue(probe.jacobians().direction()[0] != -1);
        assertTrue(probe.gradients().dh(0)[0] > 0);
        assertTrue(probe.bound().values()[0] > 0);
        assertThrows(UnsupportedOperationException.class, () -> probe.spectra().clear());
    }

    /** The activity figures are the shares a plain forward pass shows, counted here from its output. */
    @Test
    void theActivityIsCountedFromTheForwardPass() {
        for (CellType type : new CellType[] {CellType.RNN_TANH, CellType.RNN_RELU}) {
            Recurrent rnn = stack(type, 1);
            for (int i = 0; i < rnn.weightIh(0).size(); i++) { // larger inputs: some tanh units saturate
                rnn.weightIh(0).data()[rnn.weightIh(0).offset() + i] *= 4;
            }
            float[] x = input(40);
            float[] h = rnn.forward(x, 1, 40, null).output().clone(); // [1, T, H]
            LayerActivity a = FlowProbe.of(rnn, x, null).activity().get(0);
            int saturated = 0;
            boolean[] fired = new boolean[5];
            for (int i = 0; i < h.length; i++) {
                saturated += Math.abs(h[i]) > 0.95f ? 1 : 0;
                fired[i % 5] |= h[i] > 0;
            }
            int dead = 0;
            for (boolean f : fired) {
                dead += f ? 0 : 1;
            }
            if (type == CellType.RNN_TANH) {
                assertTrue(saturated > 0 && saturated < h.length, "the case must show some saturation: " + saturated);
                assertEquals((double) saturated / h.length, a.tanhSaturation(), 1e-12);
                assertTrue(Double.isNaN(a.deadUnits()));
            } else {
                assertEquals(dead / 5.0, a.deadUnits(), 1e-12);
                assertTrue(Double.isNaN(a.tanhSaturation()));
            }
            assertNull(a.gate());
        }
        LayerActivity lstm = FlowProbe.of(stack(CellType.LSTM, 2), input(STEPS), null).activity().get(1);
        assertEquals("f", lstm.gate().name());
        assertTrue(lstm.gate().mean() > 0.1 && lstm.gate().mean() < 0.9, "PyTorch's init starts f near 1/2: " + lstm.gate());
        assertEquals("z", FlowProbe.of(stack(CellType.GRU, 1), input(STEPS), null).activity().get(0).gate().name());
    }

    /**
     * The probe's verdict over 80 steps: a gaussian W_hh at half the usual scale vanishes within 8
     * steps, an orthogonal one at 1.5 grows the gradient 50x over the far half of its way back, orthogonal at 1 does neither.
     */
    @Test
    void theVerdictOfAProbeNamesWhatItsCurveShows() {
        assertTrue(verdictOf(InitScheme.GAUSSIAN, 0.5).has(Health.Condition.VANISHING));
        assertTrue(verdictOf(InitScheme.ORTHOGONAL, 1.5).has(Health.Condition.EXPLODING));
        Health.Verdict orthogonal = verdictOf(InitScheme.ORTHOGONAL, 1.0);
        assertTrue(!orthogonal.has(Health.Condition.VANISHING) && !orthogonal.has(Health.Condition.EXPLODING), orthogonal.words());
    }

    private static Health.Verdict verdictOf(InitScheme scheme, double scale) {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(CellType.RNN_TANH, 1, 64, 1).withBiases(false, false));
        pb.build();
        Rng rng = Rng.seeded(7);
        GradientDecay.drawRecurrentWeights(rnn.cell(0), scheme, scale, rng);
        io.unroll.init.Weights.gaussian(rnn.weightIh(0), 0.1, rng);
        float[] x = new float[80];
        rng.fillGaussian(x, 0, x.length, 1.0);
        FlowProbe probe = FlowProbe.of(rnn, x, null);
        assertEquals(1, probe.horizons().length);
        return probe.verdict();
    }

    /** Plain records: Jackson writes every component and reads back an equal value. */
    @ParameterizedTest
    @EnumSource(value = CellType.class, names = {"LSTM", "INDRNN_TANH"})
    void theResultsRoundTripThroughJson(CellType type) throws Exception {
        FlowProbe probe = FlowProbe.of(stack(type, 2), input(STEPS), null);
        ObjectMapper json = new ObjectMapper();
        String text = json.writeValueAsString(probe);
        for (String key : new String[] {"\"gradients\"", "\"dh\"", "\"jacobians\"", "\"spectral\"", "\"frobenius\"",
            "\"direction\"", "\"spectra\"", "\"eigenvalueImag\"", "\"bound\"", "\"reason\""}) {
            assertTrue(text.contains(key), key + " missing from " + text);
        }
        assertEquals(probe, json.readValue(text, FlowProbe.class));
    }

    private static void refuse(Runnable call, String... words) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), "message '" + e.getMessage() + "' lacks '" + w + "'");
        }
    }
}
