package io.unroll.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.cell.IndRnnCell;
import io.unroll.init.InitScheme;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Init;
import org.junit.jupiter.api.Test;

/** How the initialisation schemes set the IndRNN's recurrent vector u. */
class IndRnnInitTest {

    private static Recurrent stack() {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(CellType.INDRNN_RELU, 3, 200, 1));
        pb.build();
        return rnn;
    }

    @Test
    void theDefaultDrawsEveryUnitsMemoryBetweenNoneAndFull() {
        Recurrent rnn = stack();
        assertEquals(1, rnn.weightHh(0).shape().length, "u is a vector [H]");
        Init.apply(rnn, InitScheme.PYTORCH, Rng.seeded(1));
        float[] u = rnn.weightHh(0).copyValues();
        double min = 1, max = 0;
        for (float v : u) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertTrue(min >= 0 && min < 0.05 && max <= 1 && max > 0.95, "u in [0, 1]: " + min + " .. " + max);
    }

    @Test
    void identityIsOnePlusNoise() {
        Recurrent rnn = stack();
        Init.apply(rnn, InitScheme.IDENTITY, 0.0, Rng.seeded(2));
        for (float v : rnn.weightHh(0).copyValues()) {
            assertEquals(1f, v);
        }
    }

    @Test
    void aGainRangeOverTStepsBoundsEveryUnitsGain() {
        Recurrent rnn = stack();
        ((IndRnnCell) rnn.cell(0)).initRecurrentForGain(0.5, 2.0, 100, Rng.seeded(3));
        for (float v : rnn.weightHh(0).copyValues()) {
            double gain = Math.pow(v, 100);
            assertTrue(gain >= 0.5 * (1 - 1e-4) && gain <= 2.0 * (1 + 1e-4), "|u|^T = " + gain);
        }
        assertThrows(IllegalArgumentException.class, () -> ((IndRnnCell) rnn.cell(0)).initRecurrentForGain(2, 1, 100, Rng.seeded(3)));
    }

    @Test
    void matrixSchemesAreRefusedWithAReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Init.apply(stack(), InitScheme.ORTHOGONAL, Rng.seeded(4)));
        assertTrue(e.getMessage().contains("vector u"), e.getMessage());
    }
}
