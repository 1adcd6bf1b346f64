package io.unroll.flow;

import static io.unroll.reference.Close.assertClose;
import static io.unroll.reference.Close.toFloat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.io.Safetensors;
import io.unroll.reference.Fixtures;
import io.unroll.tensor.Rng;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * The gradient-decay experiment (docs/spec.md#gradient-decay) through the engine's ordinary BPTT
 * loop and observer, against a float64 NumPy computation of the same procedure with the same
 * draws: every step's mean norm within 1e-4 relative, for tanh and relu.
 */
class GradientDecayVsNumpyTest {
    private static Safetensors.Contents fixture() throws IOException {
        return Fixtures.open("src/test/resources/reference/numpy_decay.safetensors", "tools/reference/make_numpy_reference.py");
    }

    @Test
    void tanhDecayMatchesNumpy() throws IOException {
        GradientDecay.Result r = GradientDecay.run(GradientDecay.Config.lesson(), Rng.numpy(7));
        double[] expected = fixture().doubles("mean_norm");
        assertClose("mean gradient norm per step", expected, toFloat(r.meanNorm()), 1e-4, 0);
        assertEquals(1.0, r.meanNorm()[79], 1e-6, "the injected gradient has norm 1");
        assertEquals(expected[0] / expected[79], r.ratio(), 1e-4 * expected[0]);
    }

    @Test
    void reluDecayMatchesNumpy() throws IOException {
        GradientDecay.Config relu = new GradientDecay.Config(80, 64, 20, CellType.RNN_RELU, InitScheme.GAUSSIAN, Double.NaN);
        GradientDecay.Result r = GradientDecay.run(relu, Rng.numpy(7));
        assertClose("relu mean gradient norm per step", fixture().doubles("relu_mean_norm"), toFloat(r.meanNorm()), 1e-4, 0);
    }

    /** A scale outside (0, 10] is refused with the range; NaN stays the documented "the scheme's default". */
    @Test
    void scaleIsAGainInItsRange() {
        for (double bad : new double[] {1e300, Double.POSITIVE_INFINITY, 0, -1, 10.5}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new GradientDecay.Config(80, 64, 1, CellType.RNN_TANH, InitScheme.GAUSSIAN, bad));
            assertTrue(e.getMessage().startsWith("scale is " + bad + ", expected a number in (0, 10]: the gain of W_hh"),
                    e.getMessage());
        }
        assertEquals(10, new GradientDecay.Config(80, 64, 1, CellType.RNN_TANH, InitScheme.GAUSSIAN, 10).effectiveScale());
        assertEquals(0.9, new GradientDecay.Config(80, 64, 1, CellType.RNN_TANH, InitScheme.GAUSSIAN, Double.NaN).effectiveScale());
    }
}
