package io.unroll.bench;

import io.unroll.cell.CellType;
import io.unroll.flow.FlowProbe;
import io.unroll.flow.FreshStack;
import io.unroll.flow.GradientDecay;
import io.unroll.init.InitScheme;
import io.unroll.tensor.Rng;
import java.util.Map;

/**
 * What the playground's server computes when a control moves (docs/playground.md), timed as it
 * runs there: a fresh one-layer stack at the page's default init (gaussian, gain 0.9) is drawn
 * with its sequence, probed, and turned into the document the page reads. The <em>first
 * picture</em> is every figure but the Jacobian norms ({@link FlowProbe#withoutJacobians}: the
 * gradient reaching every step, the spectra of {@code W_hh}, the activity, the verdict); the
 * <em>whole picture</em> adds them ({@link FlowProbe#of}). Every iteration draws anew from the
 * same seed, as a request does.
 */
final class ProbeStep {
    private final FreshStack fresh;
    private final long seed;

    ProbeStep(CellType cell, BenchConfig.Probe probe, long seed) {
        this.fresh = new FreshStack(cell, 1, probe.hidden(), 1, probe.length(), InitScheme.GAUSSIAN,
                GradientDecay.defaultScale(InitScheme.GAUSSIAN), null, null);
        this.seed = seed;
    }

    /** {@code iterations} first pictures. */
    void first(long iterations) {
        for (long i = 0; i < iterations; i++) {
            FreshStack.Drawn drawn = fresh.draw(Rng.seeded(seed));
            FlowProbe.withoutJacobians(drawn.stack(), drawn.input(), null).document(Map.of());
        }
    }

    /** {@code iterations} whole pictures. */
    void whole(long iterations) {
        for (long i = 0; i < iterations; i++) {
            FreshStack.Drawn drawn = fresh.draw(Rng.seeded(seed));
            FlowProbe.of(drawn.stack(), drawn.input(), null).document(Map.of());
        }
    }
}
