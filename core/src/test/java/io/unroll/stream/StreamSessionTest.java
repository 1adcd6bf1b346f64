package io.unroll.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.tensor.State;
import io.unroll.train.Init;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

    @ParameterizedTest
    @EnumSource(CellType.class)
    void snapshotsOfTheEarlierFlatLayoutStillRestore(CellType cell) {
        Recurrent rnn = stack(cell);
        StreamSession session = new StreamSession(rnn);
        float[] a = {0.3f, -1f, 2f, 0.5f, 0f};
        session.step(a);
        session.step(a);
        State state = session.state();
        // magic "UNSS", value count, step count, then h and c: what snapshot() wrote before State had its bytes
        int floats = state.h().length * (state.hasCell() ? 2 : 1);
        ByteBuffer flat = ByteBuffer.allocate(16 + 4 * floats).order(ByteOrder.LITTLE_ENDIAN);
        flat.putInt(0x554e5353).putInt(floats).putLong(session.steps());
        for (float v : state.h()) {
            flat.putFloat(v);
        }
        if (state.hasCell()) {
            for (float v : state.c()) {
                flat.putFloat(v);
            }
        }
        float[] next = session.step(a).clone();
        session.reset();
        session.restore(flat.array());
        assertEquals(2, session.steps());
        assertArrayEquals(next, session.step(a));
    }

    @ParameterizedTest
    @EnumSource(CellType.class)
    void aSnapshotOfAnotherModelOrWithBrokenValuesIsRefused(CellType cell) {
        StreamSession session = new StreamSession(stack(cell));
        session.step(new float[] {1, 2, 3, 4, 5});
        byte[] good = session.snapshot();

        ParamStore.Builder pb = ParamStore.builder();
        Recurrent wider = new Recurrent(pb, "", RecurrentConfig.of(cell, 5, 20, 2));
        pb.build();
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> new StreamSession(wider).restore(good));
        assertTrue(other.getMessage().contains("[2, 1, 19]") && other.getMessage().contains("expected [2, 1, 20]")
                && other.getMessage().contains("snapshot of another model"), other.getMessage());

        byte[] nan = good.clone();
        ByteBuffer.wrap(nan).order(ByteOrder.LITTLE_ENDIAN).putFloat(12 + State.HEADER_BYTES + 4 * 3, Float.NaN);
        IllegalArgumentException broken = assertThrows(IllegalArgumentException.class, () -> session.restore(nan));
        assertTrue(broken.getMessage().startsWith("stream snapshot: state h holds NaN at flat index 3"), broken.getMessage());

        byte[] foreign = good.clone();
        foreign[0] = 'X';
        IllegalArgumentException magic = assertThrows(IllegalArgumentException.class, () -> session.restore(foreign));
        assertTrue(magic.getMessage().contains("expected a StreamSession snapshot"), magic.getMessage());

        byte[] flatWrongCount = ByteBuffer.allocate(16 + 8).order(ByteOrder.LITTLE_ENDIAN).putInt(0x554e5353).putInt(2).putLong(1)
                .putFloat(0).putFloat(0).array();
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class, () -> session.restore(flatWrongCount));
        assertTrue(count.getMessage().contains("holds 2 values") && count.getMessage().contains("snapshot of another model"),
                count.getMessage());
    }
}
