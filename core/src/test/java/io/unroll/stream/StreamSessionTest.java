package io.unroll.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Init;
import io.unroll.train.InitScheme;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class StreamSessionTest {
    private static Recurrent stack(CellType cell) {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(cell, 5, 19, 2));
        pb.build();
        Init.apply(rnn, InitScheme.PYTORCH, Rng.seeded(8));
        return rnn;
    }

    @ParameterizedTest
    @EnumSource(CellType.class)
    void steppingOneAtATimeEqualsTheWholeSequenceAtOnce(CellType cell) {
        Recurrent rnn = stack(cell);
        int steps = 23;
        float[] x = new float[steps * 5];
        Rng.seeded(3).fillGaussian(x, 0, x.length, 1.0);
        float[] whole = rnn.forward(x, 1, steps, null).output().clone();
        StreamSession session = new StreamSession(rnn);
        for (int t = 0; t < steps; t++) {
            float[] h = session.step(Arrays.copyOfRange(x, t * 5, (t + 1) * 5));
            for (int j = 0; j < 19; j++) {
                assertEquals(whole[t * 19 + j], h[j], 1e-6f, "step " + t + " unit " + j);
            }
        }
        assertEquals(steps, session.steps());
    }

    @ParameterizedTest
    @EnumSource(CellType.class)
    void resetStartsOverAndSnapshotsRestoreTheExactState(CellType cell) {
        Recurrent rnn = stack(cell);
        StreamSession session = new StreamSession(rnn);
        float[] a = {0.3f, -1f, 2f, 0.5f, 0f};
        float[] first = session.step(a).clone();
        session.step(a);
        byte[] snap = session.snapshot();
        float[] third = session.step(a).clone();
        session.restore(snap);
        assertArrayEquals(third, session.step(a));
        session.reset();
        assertArrayEquals(first, session.step(a));
        assertEquals(1, session.steps());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> session.restore(new byte[7]));
        assertTrue(e.getMessage().contains("expected"), e.getMessage());
    }
}
