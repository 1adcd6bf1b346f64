package io.unroll.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.cell.GruGate;
import io.unroll.cell.LstmGate;
import io.unroll.cell.StepBuffers;
import io.unroll.init.InitScheme;
import io.unroll.init.Weights;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.SequenceModel;
import io.unroll.layer.StepObserver;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Adam;
import io.unroll.train.Clipping;
import io.unroll.train.Init;
import io.unroll.train.TrainingRun;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link FlowTelemetry}: it never changes training, it records what the backward pass and the
 * stored activations hold, its replay is the gradient of the last step's loss alone, it samples
 * and keeps what its settings say, and it refuses what it cannot use.
 */
class FlowTelemetryTest {
    private static final int B = 3;
    private static final int T = 7;
    private static final int I = 4;
    private static final int H = 5;

    /** A stack with random weights (large enough that tanh units saturate and ReLU units die now and then). */
    private static final class Stack {
        final ParamStore params;
        final Recurrent rnn;
        final float[] input = new float[B * T * I];
        final float[] dOutput = new float[B * T * H];

        Stack(CellType cell, int layers, long seed) {
            ParamStore.Builder pb = ParamStore.builder();
            rnn = new Recurrent(pb, "rnn.", RecurrentConfig.of(cell, I, H, layers));
            params = pb.build();
            Rng rng = Rng.seeded(seed);
            Init.apply(rnn, InitScheme.PYTORCH, rng);
            for (Param p : params.params()) {
                Weights.gaussian(p, 0.8, rng);
            }
            rng.fillGaussian(input, 0, input.length, 1.5);
            rng.fillGaussian(dOutput, 0, dOutput.length, 1.0);
        }

        /** One step of a loop of one's own: forward, backward watched by the telemetry, its calls around clipping. */
        double step(FlowTelemetry telemetry, long step, float[] dOut) {
            telemetry.beginStep(step);
            params.zeroGrads();
            rnn.forward(input, B, T, null);
            rnn.backward(dOut, null, telemetry.backwardObserver(0), Recurrent.InputGradient.COMPUTE);
            telemetry.afterBackward(0);
            double pre = Clipping.clipByGlobalNorm(params, 1.0);
            telemetry.onWindow(0, 0.5, pre);
            return pre;
        }
    }

    private static FlowTelemetry everyStep() {
        return FlowTelemetry.builder().every(1).replayEvery(1).build();
    }

    /** ‖(dh, dc)‖ per step of a backward: what the telemetry calls the state gradient. */
    private static final class StateNorms implements StepObserver {
        final double[][] norms;

        StateNorms(int layers) {
            norms = new double[layers][T];
        }

        @Override
        public void onStep(int layer, int t, float[] dh, float[] dc, int batch, int hidden) {
            double s = 0;
            for (int i = 0; i < batch * hidden; i++) {
                s += (double) dh[i] * dh[i] + (dc == null ? 0 : (double) dc[i] * dc[i]);
            }
            norms[layer][t] = Math.sqrt(s);
        }
    }

    @ParameterizedTest
    @EnumSource(CellType.class)
    void trainingWithTelemetryGivesTheSameWeightsBitForBit(CellType cell) throws Exception {
        float[][] weights = new float[2][];
        for (int on = 0; on < 2; on++) {
            ParamStore.Builder pb = ParamStore.builder();
            SequenceModel model = SequenceModel.embedded(pb, Recall.V, RecurrentConfig.of(cell, 6, 10, 2));
            ParamStore params = pb.build();
            Rng rng = Rng.seeded(9);
            Weights.gaussian(model.embedding().weight(), 1.0, rng);
            Init.apply(model.rnn(), InitScheme.PYTORCH, rng);
            Weights.uniform(model.head().weight(), 0.3, rng);
            TrainingRun.Builder b = TrainingRun.builder().model(model, params).optimizer(Adam.adam(0.02)).rng(rng)
                    .data(new Recall(4, 12, 2)).tbptt(5).clip(0.5);
            if (on == 1) {
                b.telemetry(everyStep());
            }
            b.build().run(TrainingRun.Plan.to(6).build());
            weights[on] = params.values().clone();
        }
        assertArrayEquals(weights[0], weights[1], "the replay and the scans change nothing the step uses");
    }

    @ParameterizedTest
    @EnumSource(CellType.class)
    void aSampleHoldsTheNormsOfTheBackwardAndOfTheGradientsBeforeClipping(CellType cell) {
        Stack s = new Stack(cell, 2, 11);
        FlowTelemetry telemetry = everyStep();
        telemetry.attach(s.rnn, s.params, 1.0);
        // the same step once more without telemetry, for the reference figures
        StateNorms reference = new StateNorms(2);
        s.params.zeroGrads();
        s.rnn.forward(s.input, B, T, null);
        double[][] hOnly = new double[2][T];
        s.rnn.backward(s.dOutput, null, (layer, t, dh, dc, batch, hidden) -> {
            reference.onStep(layer, t, dh, dc, batch, hidden);
            hOnly[layer][t] = Math.sqrt(io.unroll.kernel.Kernels.sumOfSquares(dh, 0, batch * hidden));
        });
        List<Double> paramNorms = new ArrayList<>();
        for (Param p : s.params.params()) {
            double sum = 0;
            for (float g : p.copyGrad()) {
                sum += (double) g * g;
            }
            paramNorms.add(Math.sqrt(sum));
        }
        double pre = s.step(telemetry, 1, s.dOutput);

        FlowSample sample = telemetry.latest();
        assertEquals(1, sample.step());
        assertEquals(cell, sample.cell());
        assertEquals(B, sample.batch());
        assertEquals(T, sample.steps());
        assertEquals(pre, sample.preClipNorm());
        assertTrue(pre > 1.0 && sample.clipped(), "large weights, clipped at 1: " + pre);
        assertEquals(1.0, sample.postClipNorm(), 1e-5);
        assertEquals(List.copyOf(sample.parameterNorms().keySet()), s.params.params().stream().map(Param::name).toList());
        for (int i = 0; i < paramNorms.size(); i++) {
            String name = s.params.params().get(i).name();
            assertEquals(paramNorms.get(i), sample.parameterNorms().get(name), 1e-6 * paramNorms.get(i), name);
        }
        for (int k = 0; k < 2; k++) {
            FlowSample.Layer layer = sample.layers().get(k);
            assertEquals(k, layer.layer());
            assertArrayEquals(hOnly[k], layer.hNorms(), 1e-9);
            if (cell.hasCellState()) {
                double[] state = new double[T];
                for (int t = 0; t < T; t++) {
                    state[t] = Math.hypot(layer.hNorms()[t], layer.cNorms()[t]);
                }
                assertArrayEquals(reference.norms[k], state, 1e-5 * reference.norms[k][T - 1]);
                assertEquals(0.0, layer.cNorms()[T - 1], "nothing reaches c_{T-1} from later steps");
            } else {
                assertNull(layer.cNorms());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(CellType.class)
    void withALossAtTheLastStepOnlyTheReplayIsTheBackwardItself(CellType cell) {
        Stack s = new Stack(cell, 1, 21);
        float[] lastOnly = new float[B * T * H];
        for (int b = 0; b < B; b++) {
            int at = (b * T + T - 1) * H;
            System.arraycopy(s.dOutput, at, lastOnly, at, H);
        }
        FlowTelemetry telemetry = everyStep();
        telemetry.attach(s.rnn, s.params, 1.0);
        StateNorms reference = new StateNorms(1);
        s.rnn.forward(s.input, B, T, null);
        s.rnn.backward(lastOnly, null, reference);
        s.step(telemetry, 1, lastOnly);
        FlowSample.Layer layer = telemetry.latest().layers().get(0);
        double[] replayed = layer.lastLossNorms();
        assertArrayEquals(reference.norms[0], replayed, 1e-6 * reference.norms[0][T - 1]);
        assertEquals(replayed[0] / replayed[T - 1], layer.firstToLast(), 1e-12);
    }

    @ParameterizedTest
    @EnumSource(CellType.class)
    void withALossAtEveryStepTheReplayFollowsTheLastStepsGradientAlone(CellType cell) {
        // the top layer of a stack of two: a twin over the same weights, backward from the last step's gradient only
        Stack s = new Stack(cell, 2, 31);
        Recurrent twin = s.rnn.sharingParameters();
        float[] lastOnly = new float[B * T * H];
        for (int b = 0; b < B; b++) {
            int at = (b * T + T - 1) * H;
            System.arraycopy(s.dOutput, at, lastOnly, at, H);
        }
        StateNorms reference = new StateNorms(2);
        twin.forward(s.input, B, T, null);
        twin.backward(lastOnly, null, reference);
        FlowTelemetry telemetry = everyStep();
        telemetry.attach(s.rnn, s.params, 1.0);
        s.step(telemetry, 1, s.dOutput);
        FlowSample.Layer top = telemetry.latest().layers().get(1);
        assertArrayEquals(reference.norms[1], top.lastLossNorms(), 1e-5 * reference.norms[1][T - 1]);
        MemoryHorizon expected = null;
        if (reference.norms[1][T - 1] > 0) {
            expected = MemoryHorizon.of(reference.norms[1]);
        }
        assertEquals(expected, top.horizon());
        assertFalse(java.util.Arrays.equals(top.hNorms(), top.lastLossNorms()), "the losses of the earlier steps add to hNorms");
    }

    @ParameterizedTest
    @EnumSource(CellType.class)
    void activationFiguresAreCountedOverTheStoredBatchAndSteps(CellType cell) {
        Stack s = new Stack(cell, 1, 41);
        FlowTelemetry telemetry = everyStep();
        telemetry.attach(s.rnn, s.params, 1.0);
        s.step(telemetry, 1, s.dOutput);
        FlowSample.Layer layer = telemetry.latest().layers().get(0);
        StepBuffers buf = s.rnn.cell(0).buffers();
        int n = B * T * H;
        switch (cell) {
            case RNN_TANH, INDRNN_TANH -> {
                int saturated = 0;
                for (int i = 0; i < n; i++) {
                    saturated += Math.abs(buf.hs[B * H + i]) > 0.95 ? 1 : 0;
                }
                assertEquals((double) saturated / n, layer.tanhSaturation(), 1e-12);
                assertTrue(saturated > 0 && saturated < n, "a case with both kinds: " + saturated);
                assertTrue(Double.isNaN(layer.deadUnits()));
                assertNull(layer.gate());
            }
            case RNN_RELU, INDRNN_RELU -> {
                int never = 0;
                for (int j = 0; j < H; j++) {
                    boolean fired = false;
                    for (int r = 0; r < B * T; r++) {
                        fired |= buf.hs[B * H + r * H + j] > 0;
                    }
                    never += fired ? 0 : 1;
                }
                assertEquals((double) never / H, layer.deadUnits(), 1e-12);
                assertTrue(Double.isNaN(layer.tanhSaturation()));
            }
            case LSTM, GRU -> {
                int candidate = cell == CellType.LSTM ? LstmGate.G.offset(H) : GruGate.N.offset(H);
                int keep = cell == CellType.LSTM ? LstmGate.F.offset(H) : GruGate.Z.offset(H);
                int g = buf.gateWidth;
                int saturated = 0;
                int open = 0;
                int shut = 0;
                double sum = 0;
                for (int r = 0; r < B * T; r++) {
                    for (int j = 0; j < H; j++) {
                        saturated += Math.abs(buf.gates[buf.gatesBase + r * g + candidate + j]) > 0.95 ? 1 : 0;
                        float v = buf.gates[buf.gatesBase + r * g + keep + j];
                        sum += v;
                        open += v > 0.9 ? 1 : 0;
                        shut += v < 0.1 ? 1 : 0;
                    }
                }
                assertEquals((double) saturated / n, layer.tanhSaturation(), 1e-12);
                assertEquals(cell == CellType.LSTM ? "f" : "z", layer.gate().name());
                assertEquals(sum / n, layer.gate().mean(), 1e-6);
                assertEquals((double) open / n, layer.gate().openShare(), 1e-12);
                assertEquals((double) shut / n, layer.gate().shutShare(), 1e-12);
                assertTrue(open + shut > 0, "a case with open or shut gates");
            }
            default -> throw new AssertionError(cell);
        }
    }

    @Test
    void stepsAreSampledAndReplayedOnTheirScheduleAndEveryWindowIsCounted() throws Exception {
        ParamStore.Builder pb = ParamStore.builder();
        SequenceModel model = SequenceModel.embedded(pb, Recall.V, RecurrentConfig.of(CellType.LSTM, 6, 10, 1));
        ParamStore params = pb.build();
        Rng rng = Rng.seeded(4);
        Weights.gaussian(model.embedding().weight(), 1.0, rng);
        Init.apply(model.rnn(), InitScheme.PYTORCH, rng);
        Weights.uniform(model.head().weight(), 0.3, rng);
        List<FlowSample> pushed = new ArrayList<>();
        FlowTelemetry telemetry = FlowTelemetry.builder().every(3).replayEvery(5).samples(3).window(7)
                .onSample(pushed::add).build();
        TrainingRun run = TrainingRun.builder().model(model, params).optimizer(Adam.adam(0.01)).rng(rng)
                .data(new Recall(4, 8, 2)).tbptt(3).clip(0.05).telemetry(telemetry).build();
        run.run(TrainingRun.Plan.to(12).build());

        // sampled: 1, 4, 7, 10; replayed: 1 (the first), 7 (6 steps after it); 4 and 10 are too close
        assertEquals(List.of(1L, 4L, 7L, 10L), pushed.stream().map(FlowSample::step).toList());
        assertEquals(List.of(true, false, true, false),
                pushed.stream().map(p -> p.layers().get(0).lastLossNorms() != null).toList());
        assertEquals(List.of(4L, 7L, 10L), telemetry.samples().stream().map(FlowSample::step).toList(), "3 kept");
        FlowSample latest = telemetry.latest();
        assertEquals(10, latest.step());
        assertArrayEquals(pushed.get(3).layers().get(0).hNorms(), latest.layers().get(0).hNorms());
        assertEquals(3, latest.steps(), "a sample is the step's first window of k = 3");
        assertNull(latest.layers().get(0).horizon());

        FlowSummary summary = telemetry.summary();
        assertEquals(12, summary.steps());
        assertEquals(36, summary.updates(), "three windows (3 + 3 + 2) per step");
        assertEquals(7, summary.preClipNorms().length, "the last 7 updates");
        assertEquals(0.05, summary.maxNorm());
        assertEquals(7, summary.clipped(), "clipped at 0.05, every update is");
        assertEquals(1.0, summary.clippedShare());
        assertEquals(3, summary.samples());
        assertEquals(2, summary.replays());
        assertEquals(-1, summary.nonFiniteStep());
        FlowSample.Layer mean = summary.layers().get(0);
        for (int t = 0; t < 3; t++) {
            double expected = 0;
            for (FlowSample p : telemetry.samples()) {
                expected += p.layers().get(0).hNorms()[t] / 3;
            }
            assertEquals(expected, mean.hNorms()[t], 1e-12);
            double replayed = (pushed.get(0).layers().get(0).lastLossNorms()[t]
                    + pushed.get(2).layers().get(0).lastLossNorms()[t]) / 2;
            assertEquals(replayed, mean.lastLossNorms()[t], 1e-12, "the replays are kept apart from the samples");
        }
        assertNotNull(mean.horizon());
        assertEquals(10, summary.latest().step());
    }

    @Test
    void recordsAreCopies() {
        Stack s = new Stack(CellType.LSTM, 1, 51);
        FlowTelemetry telemetry = everyStep();
        telemetry.attach(s.rnn, s.params, 1.0);
        s.step(telemetry, 1, s.dOutput);
        FlowSample sample = telemetry.latest();
        double before = sample.layers().get(0).hNorms()[0];
        sample.layers().get(0).hNorms()[0] = -1;
        sample.layers().get(0).lastLossNorms()[0] = -1;
        assertEquals(before, sample.layers().get(0).hNorms()[0]);
        assertTrue(sample.layers().get(0).lastLossNorms()[0] >= 0);
        assertThrows(UnsupportedOperationException.class, () -> sample.parameterNorms().put("x", 1.0));
        s.step(telemetry, 2, s.dOutput);
        assertEquals(before, sample.layers().get(0).hNorms()[0], "a later step leaves an earlier record alone");
        FlowSummary summary = telemetry.summary();
        summary.preClipNorms()[0] = -1;
        assertTrue(summary.preClipNorms()[0] > 0);
    }

    @Test
    void settingsAndMisuseAreRefusedWithWhatWasExpected() {
        assertMessage(() -> FlowTelemetry.every(0), "sampling interval (steps) is 0");
        assertMessage(() -> FlowTelemetry.builder().replayEvery(-1), "replay interval (steps) is -1");
        assertMessage(() -> FlowTelemetry.builder().window(0), "clipping window (updates) is 0");
        assertMessage(() -> FlowTelemetry.builder().samples(0), "samples kept is 0");
        Stack a = new Stack(CellType.GRU, 1, 61);
        Stack b = new Stack(CellType.GRU, 1, 62);
        FlowTelemetry telemetry = FlowTelemetry.every(1);
        assertMessage(() -> telemetry.attach(a.rnn, a.params, 0), "clipping threshold is 0.0", "Infinity for no clipping");
        assertMessage(() -> telemetry.attach(a.rnn, a.params, Double.NaN), "clipping threshold is NaN");
        IllegalStateException early = assertThrows(IllegalStateException.class, () -> telemetry.beginStep(1));
        assertTrue(early.getMessage().contains("attach first"), early.getMessage());
        assertThrows(IllegalStateException.class, telemetry::summary);
        telemetry.attach(a.rnn, a.params, 1.0);
        telemetry.attach(a.rnn, a.params, 2.0); // the same model again: a new threshold
        assertMessage(() -> telemetry.attach(b.rnn, b.params, 1.0), "already watches another model", "one FlowTelemetry per model");
        assertNull(telemetry.latest());
        assertTrue(telemetry.samples().isEmpty());
        FlowSummary empty = telemetry.summary();
        assertTrue(empty.layers().isEmpty() && empty.latest() == null && Double.isNaN(empty.clippedShare()));
        assertEquals(FlowTelemetry.DEFAULT_EVERY, FlowTelemetry.builder().build().every());
    }

    private static void assertMessage(Runnable r, String... parts) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should contain '" + p + "'");
        }
    }
}
