package io.unroll.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.tensor.Rng;
import org.junit.jupiter.api.Test;

class FreshStackTest {
    @Test
    void theSameSettingsAndSeedDrawTheSameStackAndSequence() {
        FreshStack f = new FreshStack(CellType.GRU, 2, 8, 2, 5, InitScheme.ORTHOGONAL, 1.0, null, null);
        FreshStack.Drawn a = f.draw(Rng.create("default", 3));
        FreshStack.Drawn b = f.draw(Rng.create("default", 3));
        FreshStack.Drawn c = f.draw(Rng.create("default", 4));
        assertEquals(5 * 2, a.input().length);
        assertArrayEquals(a.input(), b.input());
        assertArrayEquals(a.stack().cell(1).weightHh().copyValues(), b.stack().cell(1).weightHh().copyValues());
        assertTrue(a.input()[0] != c.input()[0]);
    }

    @Test
    void aSpectralRadiusRescalesEveryGateBlock() {
        FreshStack f = new FreshStack(CellType.RNN_TANH, 1, 16, 1, 3, InitScheme.GAUSSIAN, 1.0, 0.5, null);
        FreshStack.Drawn d = f.draw(Rng.create("default", 1));
        double radius = WeightSpectrum.of(d.stack()).get(0).blocks().get(0).spectralRadius();
        assertEquals(0.5, radius, 1e-5);
        assertEquals(0.5, f.describe("default", 1).get("spectralRadius"));
    }

    @Test
    void aProbeWithoutJacobiansHasEveryOtherFigureTheSame() {
        FreshStack f = new FreshStack(CellType.LSTM, 1, 6, 2, 9, InitScheme.PYTORCH, 1.0, null, 1.0);
        FreshStack.Drawn d = f.draw(Rng.create("default", 2));
        java.util.Map<String, Object> full = FlowProbe.of(d.stack(), d.input(), null).document(f.describe("default", 2));
        java.util.Map<String, Object> quick = FlowProbe.withoutJacobians(d.stack(), d.input(), null).document(f.describe("default", 2));
        java.util.List<String> jacobianEntries = java.util.List.of("jacobianLayer", "jacobianNorms", "jacobianFrobeniusNorms",
                "jacobianIterations", "jacobianConverged", "jacobianDirection");
        java.util.Map<String, Object> rest = new java.util.LinkedHashMap<>(full);
        rest.keySet().removeAll(jacobianEntries);
        assertEquals(rest.keySet(), quick.keySet());
        for (String key : rest.keySet()) {
            Object a = rest.get(key);
            Object b = quick.get(key);
            assertTrue(java.util.Objects.deepEquals(a, b) || String.valueOf(a).equals(String.valueOf(b)), key + ": " + a + " vs " + b);
        }
    }

    @Test
    void badSettingsAreRefusedNamingTheField() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FreshStack(CellType.LSTM, 1, 0, 1, 3,
                InitScheme.GAUSSIAN, 1.0, null, null)).getMessage().startsWith("hidden is 0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FreshStack(CellType.LSTM, 1, 4, 1, 3,
                InitScheme.GAUSSIAN, 11, null, null)).getMessage().startsWith("scale is 11"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FreshStack(CellType.GRU, 1, 4, 1, 3,
                InitScheme.GAUSSIAN, 1, null, 1.0)).getMessage().startsWith("forget bias is 1.0 for a gru"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FreshStack(CellType.GRU, 1, 4, 1, 3,
                InitScheme.GAUSSIAN, 1, Double.NaN, null)).getMessage().startsWith("spectral radius is NaN"));
    }
}
