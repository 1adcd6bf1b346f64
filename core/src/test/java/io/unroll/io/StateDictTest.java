package io.unroll.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.unroll.cell.CellType;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.State;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link StateDict}: a PyTorch {@code state_dict} into any parameter store by name, strict as
 * {@code load_state_dict(strict=True)}. The bare {@code nn.LSTM} case uses the weights of the
 * golden fixture {@code lstm_l2} (PyTorch, float64) and checks the loaded stack computes PyTorch's output.
 */
class StateDictTest {
    private static final List<String> LSTM_L2 = List.of("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
            "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1");

    @TempDir
    Path dir;

    private record Stack(Recurrent rnn, ParamStore params) {}

    /** {@code nn.LSTM(4, hidden, 2, batch_first=True)} as a stack of its own: bare names. */
    private static Stack bareLstm(int hidden) {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(CellType.LSTM, 4, hidden, 2));
        return new Stack(rnn, pb.build());
    }

    private static Safetensors.Contents golden() throws Exception {
        return Safetensors.read(SafetensorsTest.resource("/golden/lstm_l2.safetensors"));
    }

    /** The weights of the golden fixture alone, as PyTorch's {@code torch.save(lstm.state_dict())} would hold them. */
    private Path weightsOnly(String name, Safetensors.Contents golden, String prefix) throws Exception {
        Safetensors.Writer w = Safetensors.writer();
        for (String t : LSTM_L2) {
            w.putDoubles(prefix + t, golden.shape(t), golden.doubles(t));
        }
        Path file = dir.resolve(name + ".safetensors");
        w.write(file);
        return file;
    }

    @Test
    void aBareLstmStateDictLoadsByNameAndComputesPytorchsOutput() throws Exception {
        Safetensors.Contents golden = golden();
        Stack s = bareLstm(6);
        StateDict.load(weightsOnly("lstm", golden, ""), s.params());
        for (String t : LSTM_L2) {
            double[] expected = golden.doubles(t);
            float[] actual = s.params().get(t).copyValues();
            for (int i = 0; i < expected.length; i++) {
                assertEquals((float) expected[i], actual[i], t + " " + i + ": float64 rounded to float32");
            }
        }
        // the names went to the right tensors: the stack computes PyTorch's output
        State initial = new State(2, 3, 6, floats(golden.doubles("h0")), floats(golden.doubles("c0")));
        float[] output = s.rnn().forward(floats(golden.doubles("input")), 3, 5, initial).output();
        double[] expected = golden.doubles("output");
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(output[i] - expected[i]) <= 1e-5 + 1e-4 * Math.abs(expected[i]))) {
                fail("output " + i + ": " + output[i] + ", PyTorch " + expected[i]);
            }
        }
    }

    @Test
    void prefixedNamesLoadIntoAStoreWithTheSamePrefix() throws Exception {
        ParamStore.Builder pb = ParamStore.builder();
        new Recurrent(pb, "rnn.", RecurrentConfig.of(CellType.LSTM, 4, 6, 2));
        ParamStore params = pb.build();
        StateDict.load(weightsOnly("prefixed", golden(), "rnn."), params);
        assertEquals((float) golden().doubles("bias_hh_l1")[3], params.get("rnn.bias_hh_l1").copyValues()[3]);
    }

    @Test
    void unexpectedTensorsAreListedAndNothingIsLoaded() throws Exception {
        Stack s = bareLstm(6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StateDict.load(SafetensorsTest.resource("/golden/lstm_l2.safetensors"), s.params()));
        assertTrue(e.getMessage().contains("does not fit the model's 8 parameters (weight_ih_l0, weight_hh_l0,"), e.getMessage());
        assertTrue(e.getMessage().contains("unexpected input, h0, c0, output, h_n, c_n, loss_weight_output,"), e.getMessage());
        assertTrue(e.getMessage().contains("grad.weight_ih_l0"), e.getMessage());
        assertTrue(!e.getMessage().contains("missing"), e.getMessage());
        assertUntouched(s.params());
    }

    @Test
    void missingAndUnexpectedNamesAreBothListedWithTheLikelyCause() throws Exception {
        Stack s = bareLstm(6);
        Path prefixed = weightsOnly("prefixed", golden(), "rnn.");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StateDict.load(prefixed, s.params()));
        assertTrue(e.getMessage().contains("missing weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, weight_ih_l1,"
                + " weight_hh_l1, bias_ih_l1, bias_hh_l1; unexpected rnn.weight_ih_l0, rnn.weight_hh_l0,"), e.getMessage());
        assertTrue(e.getMessage().contains("a prefix such as 'rnn.'"), e.getMessage());
        assertUntouched(s.params());

        Safetensors.Writer w = Safetensors.writer();
        Safetensors.Contents g = golden();
        for (String t : LSTM_L2.subList(0, 4)) {
            w.putDoubles(t, g.shape(t), g.doubles(t));
        }
        Path oneLayer = dir.resolve("one-layer.safetensors");
        w.write(oneLayer);
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> StateDict.load(oneLayer, s.params()));
        assertTrue(missing.getMessage().contains(": missing weight_ih_l1, weight_hh_l1, bias_ih_l1, bias_hh_l1; the file is incomplete"),
                missing.getMessage());
    }

    @Test
    void everyShapeThatDiffersIsNamedWithBothShapes() throws Exception {
        Stack s = bareLstm(7);
        Path file = weightsOnly("lstm", golden(), "");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StateDict.load(file, s.params()));
        assertTrue(e.getMessage().contains("weight_ih_l0 has shape [24, 4] in the file, [28, 4] in the model; "
                + "weight_hh_l0 has shape [24, 6] in the file, [28, 7] in the model; bias_ih_l0 has shape [24] in the file,"
                + " [28] in the model"), e.getMessage());
        assertTrue(e.getMessage().contains("bias_hh_l1 has shape [24] in the file, [28] in the model"), e.getMessage());
        assertTrue(e.getMessage().endsWith("the likely cause is a model built with other sizes than the saved one"), e.getMessage());
        assertUntouched(s.params());
    }

    @Test
    void integerTensorsAndNonFiniteValuesAreRefusedBeforeAnythingIsLoaded() throws Exception {
        Safetensors.Contents g = golden();
        Safetensors.Writer ints = Safetensors.writer();
        for (String t : LSTM_L2) {
            if (t.equals("bias_hh_l0")) {
                ints.putInts(t, g.shape(t), new int[24]);
            } else {
                ints.putDoubles(t, g.shape(t), g.doubles(t));
            }
        }
        Path intFile = dir.resolve("ints.safetensors");
        ints.write(intFile);
        Stack s = bareLstm(6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StateDict.load(intFile, s.params()));
        assertTrue(e.getMessage().contains("bias_hh_l0 has dtype I32, expected a float tensor (F32 or F64)"), e.getMessage());
        assertUntouched(s.params());

        Safetensors.Writer nan = Safetensors.writer();
        for (String t : LSTM_L2) {
            double[] v = g.doubles(t);
            if (t.equals("weight_hh_l1")) {
                v[10] = Double.POSITIVE_INFINITY;
            }
            nan.putDoubles(t, g.shape(t), v);
        }
        Path nanFile = dir.resolve("inf.safetensors");
        nan.write(nanFile);
        IllegalArgumentException inf = assertThrows(IllegalArgumentException.class, () -> StateDict.load(nanFile, s.params()));
        assertTrue(inf.getMessage().contains("weight_hh_l1 holds Infinity at flat index 10"), inf.getMessage());
        assertUntouched(s.params());
    }

    private static void assertUntouched(ParamStore params) {
        for (Param p : params.params()) {
            assertArrayEquals(new float[p.size()], p.copyValues(), p.name() + " was written by a failed load");
        }
    }

    private static float[] floats(double[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) v[i];
        }
        return out;
    }

    @Test
    void aRecurrentStackIsReadFromItsTensorsAndTheCellInTheMetadata() throws Exception {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent gru = new Recurrent(pb, "rnn.", RecurrentConfig.of(CellType.GRU, 3, 5, 2));
        ParamStore params = pb.build();
        for (int i = 0; i < params.values().length; i++) {
            params.values()[i] = (float) Math.sin(i);
        }
        Safetensors.Writer w = Safetensors.writer();
        for (Param p : params.params()) {
            w.putFloats(p.name(), p.shape(), p.data(), p.offset());
        }
        w.putFloats("head.weight", new int[] {2, 5}, new float[10]);
        Path file = dir.resolve("gru.safetensors");
        w.metadata("unroll.cell", "gru").write(file);
        Recurrent read = StateDict.recurrentStack(Safetensors.read(file));
        assertEquals(RecurrentConfig.of(CellType.GRU, 3, 5, 2), read.config());
        assertArrayEquals(gru.cell(1).weightHh().copyValues(), read.cell(1).weightHh().copyValues());
        assertArrayEquals(gru.cell(0).biasHh().copyValues(), read.cell(0).biasHh().copyValues());

        Path anonymous = dir.resolve("anonymous.safetensors");
        Safetensors.writer().putFloats("rnn.weight_ih_l0", new int[] {15, 3}, new float[45]).write(anonymous);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> StateDict.recurrentStack(Safetensors.read(anonymous)))
                .getMessage().contains("has no unroll.cell entry in its metadata"));
        Path headless = dir.resolve("headless.safetensors");
        Safetensors.writer().putFloats("head.weight", new int[] {2, 5}, new float[10]).metadata("unroll.cell", "gru").write(headless);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> StateDict.recurrentStack(Safetensors.read(headless)))
                .getMessage().contains("has no tensor named weight_ih_l0"));
        Path wrong = dir.resolve("wrong.safetensors");
        Safetensors.writer().putFloats("weight_ih_l0", new int[] {15, 3}, new float[45])
                .putFloats("weight_hh_l0", new int[] {15, 4}, new float[60]).metadata("unroll.cell", "gru").write(wrong);
        String m = assertThrows(IllegalArgumentException.class, () -> StateDict.recurrentStack(Safetensors.read(wrong))).getMessage();
        assertTrue(m.contains("weight_hh_l0 has shape [15, 4], expected [15, 5]") && m.contains("bias") == false, m);
    }
}
