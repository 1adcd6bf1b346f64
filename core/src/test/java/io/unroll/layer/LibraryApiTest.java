package io.unroll.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.tensor.State;
import io.unroll.train.Init;
import org.junit.jupiter.api.Test;

/** What a PyTorch user expects of the library's surface: shapes checked, names explicit, results that can be kept. */
class LibraryApiTest {

    private static Recurrent stack(CellType cell, int layers) {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(cell, 3, 4, layers));
        pb.build();
        Init.apply(rnn, InitScheme.PYTORCH, Rng.seeded(5));
        return rnn;
    }

    @Test
    void aParameterTakesOnlyATensorOfItsOwnShape() {
        Param w = stack(CellType.LSTM, 1).weightIh(0); // [16, 3]
        float[] values = new float[48];
        values[5] = 2.5f;
        IllegalArgumentException transposed = assertThrows(IllegalArgumentException.class, () -> w.set(new int[] {3, 16}, values));
        assertTrue(transposed.getMessage().contains("transposed"), transposed.getMessage());
        assertThrows(IllegalArgumentException.class, () -> w.set(new int[] {48}, values));
        assertThrows(IllegalArgumentException.class, () -> w.set(new int[] {16, 3}, new float[47]));
        w.set(new int[] {16, 3}, values);
        assertEquals(2.5f, w.copyValues()[5]);
    }

    @Test
    void cellNamesAreExplicitAboutTheActivation() {
        assertEquals(CellType.RNN_TANH, CellType.parse("rnn_tanh"));
        assertEquals(CellType.RNN_RELU, CellType.parse("RNN_relu"));
        assertEquals(CellType.RNN_RELU, CellType.parse("rnn", "relu"));
        assertEquals(CellType.RNN_TANH, CellType.parse("rnn", null), "nn.RNN's default nonlinearity");
        assertEquals(CellType.LSTM, CellType.parse("lstm", "tanh"));
        for (CellType t : CellType.values()) {
            assertEquals(t, CellType.parse(t.id()));
            assertTrue(CellType.ids().contains(t.id()));
        }
    }

    @Test
    void theStackMakesItsOwnZeroState() {
        State lstm = stack(CellType.LSTM, 2).zeroState(5);
        assertEquals(2, lstm.layers());
        assertEquals(5, lstm.batch());
        assertEquals(4, lstm.hidden());
        assertTrue(lstm.hasCell());
        assertNull(stack(CellType.GRU, 1).zeroState(2).c());
    }

    @Test
    void resultsAreViewsUntilCopied() {
        Recurrent rnn = stack(CellType.GRU, 1);
        float[] a = new float[2 * 3 * 3];
        float[] b = new float[2 * 3 * 3];
        Rng.seeded(1).fillGaussian(a, 0, a.length, 1.0);
        Rng.seeded(2).fillGaussian(b, 0, b.length, 1.0);
        Recurrent.Output view = rnn.forward(a, 2, 3, null);
        Recurrent.Output kept = view.copy();
        float[] first = view.output().clone();
        Recurrent.Output next = rnn.forward(b, 2, 3, null);
        assertTrue(view.output() == next.output(), "the workspace is reused");
        assertNotEquals(first[0], view.output()[0], "the view shows the second call");
        assertArrayEquals(first, kept.output(), "the copy keeps the first");

        Recurrent.Gradients g = rnn.backward(new float[2 * 3 * 4], null).copy();
        assertEquals(a.length, g.dInput().length);
    }
}
