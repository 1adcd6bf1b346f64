package io.unroll.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.train.Adam;
import io.unroll.train.TrainingRun;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The history of a run is what the run and its telemetry said, step by step and sample by sample,
 * and stays bounded however long the run.
 */
class FlowHistoryTest {
    @Test
    void everyStepAndSampleOfARunIsRecorded() {
        List<TrainingRun.StepReport> reports = new ArrayList<>();
        Runs.Outcome o = Runs.of(CellType.LSTM).history().steps(30).listener(new TrainingRun.Listener() {
            @Override
            public void onStep(TrainingRun.StepReport report, TrainingRun.Pace pace) {
                reports.add(report);
            }
        }).run();
        FlowHistory.Series s = o.history().series();
        assertEquals(30, s.step().length);
        for (int i = 0; i < 30; i++) {
            TrainingRun.StepReport r = reports.get(i);
            assertEquals(r.step(), (long) s.step()[i]);
            assertEquals(r.loss(), s.loss()[i], 0.0);
            assertEquals(r.preClipNorm(), s.preClipNorm()[i], 0.0);
            assertEquals(r.postClipNorm(), s.postClipNorm()[i], 0.0);
            assertEquals(r.clippedWindows() > 0 ? 1.0 : 0.0, s.clipRate()[i], 0.0);
        }
        assertEquals(30, s.samples().size(), "every step sampled");
        FlowSample latest = o.telemetry().latest();
        FlowHistory.Sample last = s.samples().get(29);
        assertEquals(latest.step(), last.step());
        assertArrayEquals(latest.layers().get(0).hNorms(), last.hNorms());
        assertArrayEquals(latest.layers().get(0).lastLossNorms(), last.lastLossNorms());
        assertEquals(latest.layers().get(0).horizon().steps(), last.horizon()[0]);
        assertEquals(latest.layers().get(0).gate().mean(), last.gateMean()[0], 0.0);
        assertTrue(Double.isNaN(last.deadUnits()[0]));
        assertTrue(!s.spectra().isEmpty() && s.spectra().get(0).step() == 1, "the first sample's spectrum is always taken");
        for (FlowHistory.Spectrum sp : s.spectra()) {
            assertTrue(sp.spectralRadius()[0] > 0 && Double.isFinite(sp.spectralRadius()[0]), sp.toString());
        }
        assertEquals(1, s.verdicts().get(0).step());
        assertEquals(o.verdict().words(), s.verdict().words(), "the last verdict is the summary's at the end");
        assertEquals(5.0, s.maxNorm(), 0.0);
    }

    @Test
    void aVanishingRunShowsTheChangeInItsVerdicts() {
        Runs.Outcome o = Runs.of(CellType.RNN_TANH).init(InitScheme.GAUSSIAN, 0.01).optimizer(Adam.adam(1e-3), 5)
                .length(100).steps(12).history().run();
        FlowHistory.Series s = o.history().series();
        assertTrue(s.verdicts().stream().anyMatch(v -> v.conditions().contains("VANISHING")), s.verdicts().toString());
        assertTrue(s.verdict().has(Health.Condition.VANISHING), s.verdict().words());
        assertEquals(100, s.samples().get(0).hNorms().length);
    }

    @Test
    void perStepFiguresAreAveragedIntoABoundedNumberOfEvenPoints() {
        FlowHistory.Averaged a = new FlowHistory.Averaged(2);
        int n = 5 * FlowHistory.CAPACITY + 3;
        for (int i = 1; i <= n; i++) {
            a.add(i, i);
        }
        double[][] c = a.columns();
        assertTrue(c[0].length <= FlowHistory.CAPACITY + 1, "points: " + c[0].length);
        assertEquals(n, c[0][c[0].length - 1], 0.0, "the last point ends at the last step");
        int stride = (int) c[0][0];
        for (int p = 0; p < c[0].length - 1; p++) {
            long last = (long) c[0][p];
            assertEquals(stride * (p + 1), last, "equal runs of steps");
            assertEquals(last - (stride - 1) / 2.0, c[1][p], 1e-9, "the mean of steps " + (last - stride + 1) + ".." + last);
        }
    }

    @Test
    void samplesAreThinnedEvenlyToTheCapacity() {
        FlowHistory.Thinned<Integer> t = new FlowHistory.Thinned<>(16);
        for (int i = 0; i < 1000; i++) {
            t.add(i);
        }
        List<Integer> kept = t.list();
        assertTrue(kept.size() <= 16 && kept.size() >= 8, kept.toString());
        assertEquals(0, kept.get(0));
        int gap = kept.get(1) - kept.get(0);
        for (int i = 1; i < kept.size(); i++) {
            assertEquals(gap, kept.get(i) - kept.get(i - 1), kept.toString());
        }
        assertTrue(kept.get(kept.size() - 1) > 1000 - gap - 1, "reaches the end: " + kept);
    }
}
