package io.unroll.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.train.Adam;
import io.unroll.train.Sgd;
import io.unroll.train.TrainingRun;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every rule of {@link Health} on real short training runs, one built to trigger it and one built
 * not to; then the rules on the plain evidence a one-shot look at a model has.
 */
class HealthTest {
    private static Health.Finding finding(Health.Verdict v, Health.Condition c) {
        return v.findings().stream().filter(f -> f.condition() == c).findFirst().orElseThrow(
                () -> new AssertionError("no " + c + " finding in: " + v.words()));
    }

    @Test
    void aModestRunIsHealthy() {
        Runs.Outcome o = Runs.of(CellType.RNN_TANH).run();
        assertTrue(o.verdict().healthy(), o.verdict().words());
        Health.Finding f = o.verdict().findings().get(0);
        assertTrue(f.words().startsWith("healthy: pre-clip norm median"), f.words());
        assertEquals(0.0, f.figures().get("clippedShare"));
        assertTrue(f.words().contains("memory horizon"), f.words());
    }

    @Test
    void aHugeLearningRateWithClippingIsExploding() {
        Runs.Outcome o = Runs.of(CellType.RNN_TANH).optimizer(new Sgd(10), 1.0).run();
        Health.Finding f = finding(o.verdict(), Health.Condition.EXPLODING);
        assertTrue(f.figures().get("clippedShare") >= Health.EXPLODING_CLIP_SHARE, f.figures().toString());
        assertTrue(f.figures().get("medianPreClipNorm") > 1.0, f.figures().toString());
        assertTrue(f.words().contains("clipping fired on") && f.words().contains("learning rate"), f.words());
        assertEquals(o.summary().clipped(), f.figures().get("clipped").intValue());
    }

    @Test
    void aModestLearningRateIsNotExploding() {
        Runs.Outcome o = Runs.of(CellType.RNN_TANH).optimizer(Adam.adam(1e-2), 1.0).run();
        assertFalse(o.verdict().has(Health.Condition.EXPLODING), o.verdict().words());
        assertTrue(o.summary().clippedShare() < Health.EXPLODING_CLIP_SHARE);
    }

    @Test
    void aTanhRnnWithSmallGaussianWeightsOnALongSequenceVanishes() {
        Runs.Outcome o = Runs.of(CellType.RNN_TANH).init(InitScheme.GAUSSIAN, 0.01).optimizer(Adam.adam(1e-3), 5)
                .length(100).steps(20).run();
        Health.Finding f = finding(o.verdict(), Health.Condition.VANISHING);
        MemoryHorizon h = o.summary().layers().get(0).horizon();
        assertTrue(h.reached() && h.steps() < 0.25 * 100, h.toString());
        assertEquals(h.steps(), f.figures().get("horizonSteps").intValue());
        assertEquals(100, f.figures().get("windowSteps").intValue());
        assertTrue(f.words().contains("LSTM or GRU"), f.words());
        assertTrue(o.summary().layers().get(0).firstToLast() < 1e-6, "the last step's gradient reaches step 0");
    }

    @Test
    void anLstmWithAnOpenForgetGateKeepsItsGradientOverTheSameSequence() {
        Runs.Outcome o = Runs.of(CellType.LSTM).forgetBias(3).optimizer(Adam.adam(1e-3), 5).length(100).steps(20).run();
        assertFalse(o.verdict().has(Health.Condition.VANISHING), o.verdict().words());
        FlowSample.Layer layer = o.summary().layers().get(0);
        assertTrue(layer.horizon().steps() >= 25, layer.horizon().toString());
        assertTrue(layer.gate().mean() > 0.9, layer.gate().toString());
    }

    /**
     * The lesson in horizons (docs/telemetry.md prints these runs' figures): on 100 steps, a tanh RNN
     * forgets within a few steps, the more so with small weights; an LSTM with PyTorch's forget
     * gate (f about 0.5) hardly better; a forget-gate bias of 1 doubles its horizon, and one of 3
     * keeps more than 1 % of the last step's gradient over the whole window.
     */
    @Test
    void theHorizonsOfTheClassicModelsComeInTheOrderOfTheLesson() {
        int[] horizons = new int[5];
        Runs[] runs = {
            Runs.of(CellType.RNN_TANH).init(InitScheme.GAUSSIAN, 0.01),
            Runs.of(CellType.RNN_TANH),
            Runs.of(CellType.LSTM),
            Runs.of(CellType.LSTM).forgetBias(1),
            Runs.of(CellType.LSTM).forgetBias(3)};
        for (int i = 0; i < runs.length; i++) {
            FlowSample.Layer layer = runs[i].hidden(32).optimizer(Adam.adam(1e-3), 5).length(100).steps(40).run()
                    .summary().layers().get(0);
            horizons[i] = layer.horizon().reached() ? layer.horizon().steps() : Integer.MAX_VALUE;
        }
        for (int i = 1; i < horizons.length; i++) {
            assertTrue(horizons[i - 1] < horizons[i], java.util.Arrays.toString(horizons));
        }
        assertTrue(horizons[1] < 25, "a tanh RNN vanishes within a quarter of 100 steps: " + horizons[1]);
        assertEquals(Integer.MAX_VALUE, horizons[4], "not within the window: " + java.util.Arrays.toString(horizons));
    }

    @Test
    void largeInitialWeightsSaturateTheTanh() {
        Runs.Outcome o = Runs.of(CellType.RNN_TANH).init(InitScheme.GAUSSIAN, 1.0).optimizer(Adam.adam(1e-3), 5).run();
        Health.Finding f = finding(o.verdict(), Health.Condition.SATURATED_TANH);
        assertTrue(f.figures().get("saturatedShare") >= Health.SATURATED_SHARE, f.figures().toString());
        assertTrue(f.words().contains("0.0975"), f.words());
    }

    @Test
    void pytorchsInitialisationDoesNotSaturateTheTanh() {
        Runs.Outcome o = Runs.of(CellType.RNN_TANH).optimizer(Adam.adam(1e-3), 5).run();
        assertFalse(o.verdict().has(Health.Condition.SATURATED_TANH), o.verdict().words());
        assertTrue(o.summary().layers().get(0).tanhSaturation() < Health.SATURATED_SHARE);
    }

    @Test
    void stronglyNegativeBiasesKillReluUnits() {
        Runs.Outcome o = Runs.of(CellType.RNN_RELU).bias(-5).optimizer(Adam.adam(1e-3), 5).run();
        Health.Finding f = finding(o.verdict(), Health.Condition.DEAD_RELU);
        assertEquals(1.0, f.figures().get("deadShare"), "every unit is dead");
        assertTrue(f.words().contains("never fired"), f.words());
    }

    @Test
    void pytorchsInitialisationKeepsReluUnitsAlive() {
        Runs.Outcome o = Runs.of(CellType.RNN_RELU).run();
        assertFalse(o.verdict().has(Health.Condition.DEAD_RELU), o.verdict().words());
        assertTrue(o.summary().layers().get(0).deadUnits() < Health.DEAD_SHARE);
    }

    @Test
    void aNanNamesTheStepAndTheLastGoodCheckpoint(@TempDir Path dir) {
        Runs.Outcome o = Runs.of(CellType.GRU).checkpoints(dir, 2).poisonAfter(5).run();
        assertEquals(TrainingRun.Outcome.DIVERGED, o.result().outcome());
        Health.Finding f = finding(o.verdict(), Health.Condition.NON_FINITE);
        assertEquals(6.0, f.figures().get("step"));
        assertEquals(6, o.summary().nonFiniteStep());
        assertTrue(Double.isNaN(o.summary().nonFiniteLoss()));
        Path good = o.result().lastGoodCheckpoint();
        assertNotNull(good);
        assertTrue(good.getFileName().toString().startsWith("step-000004"), good.toString());
        assertTrue(f.words().contains("step 6") && f.words().contains(good.toString()), f.words());
        assertEquals(5, o.summary().latest().step(), "the sample of the step that was not finite is dropped");
    }

    @Test
    void aNanWithoutCheckpointsSaysNoneIsKnown() {
        Runs.Outcome o = Runs.of(CellType.GRU).poisonAfter(3).run();
        assertTrue(finding(o.verdict(), Health.Condition.NON_FINITE).words().contains("no checkpoint of this run"));
    }

    @Test
    void aRunThatStaysFiniteHasNoNanFinding(@TempDir Path dir) {
        Runs.Outcome o = Runs.of(CellType.GRU).checkpoints(dir, 2).run();
        assertEquals(TrainingRun.Outcome.COMPLETED, o.result().outcome());
        assertFalse(o.verdict().has(Health.Condition.NON_FINITE), o.verdict().words());
        assertEquals(-1, o.summary().nonFiniteStep());
    }

    // ------------------------------------------------------------------ the rules on plain evidence

    @Test
    void aProbeOfAModelGetsTheRulesItHasEvidenceFor() {
        double[] curve = new double[50]; // a single loss at the last step, halving at every step back
        for (int t = 0; t < curve.length; t++) {
            curve[t] = Math.pow(0.5, curve.length - 1 - t);
        }
        MemoryHorizon h = MemoryHorizon.of(curve);
        Health.Verdict v = Health.judge(Health.Evidence.ofModel(CellType.RNN_TANH, new MemoryHorizon[] {h},
                new double[] {Health.growth(curve)}, new double[] {0.6}, null));
        assertTrue(v.has(Health.Condition.VANISHING) && v.has(Health.Condition.SATURATED_TANH), v.words());
        assertEquals("vanishing, saturated tanh", v.brief());
        assertEquals(2, v.findings().size(), "no clipping history, nothing non-finite, no dead units: " + v.words());
        Health.Verdict quiet = Health.judge(Health.Evidence.ofModel(CellType.LSTM, null, null, new double[] {0.1}, null));
        assertTrue(quiet.healthy(), quiet.words());
    }

    @Test
    void theThresholdsAreWhereTheConstantsSay() {
        double[] norms = new double[20];
        java.util.Arrays.fill(norms, 0, 10, 2.0); // 10 of 20 above the threshold of 1: exactly half
        java.util.Arrays.fill(norms, 10, 20, 0.5);
        Health.Evidence half = new Health.Evidence(null, -1, null, norms, 1.0, null, null, null, null);
        assertTrue(Health.judge(half).has(Health.Condition.EXPLODING));
        norms[0] = 0.5;
        Health.Evidence less = new Health.Evidence(null, -1, null, norms, 1.0, null, null, null, null);
        assertFalse(Health.judge(less).has(Health.Condition.EXPLODING));
        double[] few = {9, 9, 9};
        assertFalse(Health.judge(new Health.Evidence(null, -1, null, few, 1.0, null, null, null, null))
                .has(Health.Condition.EXPLODING), "fewer than MIN_UPDATES updates");
        MemoryHorizon quarter = new MemoryHorizon(25, true, 99, 0.01);
        MemoryHorizon under = new MemoryHorizon(24, true, 99, 0.01);
        assertFalse(Health.judge(Health.Evidence.ofModel(null, new MemoryHorizon[] {quarter}, null, null, null))
                .has(Health.Condition.VANISHING));
        assertTrue(Health.judge(Health.Evidence.ofModel(null, new MemoryHorizon[] {under}, null, null, null))
                .has(Health.Condition.VANISHING));
        MemoryHorizon shortWindow = new MemoryHorizon(1, true, 5, 0.01);
        assertFalse(Health.judge(Health.Evidence.ofModel(null, new MemoryHorizon[] {shortWindow}, null, null, null))
                .has(Health.Condition.VANISHING), "a window of 6 steps is too short to judge");
        assertTrue(Health.judge(Health.Evidence.ofModel(null, null, null, null, new double[] {Double.NaN, 0.2}))
                .has(Health.Condition.DEAD_RELU));
        assertFalse(Health.judge(Health.Evidence.ofModel(null, null, null, null, new double[] {0.19}))
                .has(Health.Condition.DEAD_RELU));
        assertTrue(Health.judge(Health.Evidence.ofModel(null, null, new double[] {1, 10}, null, null))
                .has(Health.Condition.EXPLODING));
        assertFalse(Health.judge(Health.Evidence.ofModel(null, null, new double[] {9.99, Double.NaN}, null, null))
                .has(Health.Condition.EXPLODING));
    }

    @Test
    void growthIsWhatTheFarHalfOfTheWayBackAdds() {
        assertEquals(4.0 / 3, Health.growth(new double[] {2, 4, 3, 1}), 1e-15, "near half: steps 3 and 2");
        assertEquals(1.0, Health.growth(new double[] {0.5, 0.25, 2}), "a gradient that only shrinks does not grow");
        double[] geometric = new double[41];
        double[] accumulating = new double[41];
        for (int d = 0; d <= 40; d++) {
            geometric[40 - d] = Math.pow(1.2, d);
            accumulating[40 - d] = (1 - Math.pow(0.9, d + 1)) / (1 - 0.9); // levels off at 10
        }
        assertEquals(Math.pow(1.2, 20), Health.growth(geometric), 1e-9, "1.2^40 over 1.2^20");
        assertTrue(Health.growth(accumulating) < 1.2, "accumulation levels off: " + Health.growth(accumulating));
        assertEquals(Double.POSITIVE_INFINITY, Health.growth(new double[] {Double.POSITIVE_INFINITY, 3, 1}));
        assertEquals(Double.POSITIVE_INFINITY, Health.growth(new double[] {Double.NaN, 3, 1}), "NaN: overflowed on the way");
        assertTrue(Double.isNaN(Health.growth(new double[] {1, 0})), "no gradient at the last step");
        Health.Verdict v = Health.judge(Health.Evidence.ofModel(CellType.RNN_TANH, null,
                new double[] {Double.POSITIVE_INFINITY}, null, null));
        assertTrue(v.has(Health.Condition.EXPLODING) && v.words().contains("beyond float range"), v.words());
    }

    @Test
    void evidenceIsACopy() {
        double[] norms = {1, 2, 3};
        Health.Evidence e = new Health.Evidence(null, -1, null, norms, 5, null, null, null, null);
        norms[0] = 99;
        e.preClipNorms()[1] = 99;
        assertEquals(1.0, e.preClipNorms()[0]);
        assertEquals(2.0, e.preClipNorms()[1]);
    }
}
