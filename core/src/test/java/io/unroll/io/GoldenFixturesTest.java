package io.unroll.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The committed fixtures written by tools/reference/*.py are complete: every file opens with the
 * Java reader, holds every expected tensor with the expected shape and dtype, and all values are
 * finite. A missing file fails. The numbers themselves are compared against the engine elsewhere.
 */
class GoldenFixturesTest {

    private static final int B = 3;
    private static final int T = 5;
    private static final int I = 4;
    private static final int H = 6;

    /** name, cell kind, layers: the cell fixtures of make_golden.py. */
    private static final Object[][] CELLS = {
        {"rnn_tanh_l1", "rnn_tanh", 1}, {"rnn_tanh_l2", "rnn_tanh", 2},
        {"rnn_relu_l1", "rnn_relu", 1}, {"rnn_relu_l2", "rnn_relu", 2},
        {"lstm_l1", "lstm", 1}, {"lstm_l2", "lstm", 2},
        {"gru_l1", "gru", 1}, {"gru_l2", "gru", 2},
    };

    /** name, cell kind: the whole-model fixtures of make_golden.py (V = 7, E = 5, 2 layers). */
    private static final String[][] MODELS = {
        {"model_lstm_ce", "lstm"}, {"model_gru_ce", "gru"}, {"model_rnn_ce", "rnn_tanh"},
    };

    private static int gates(String kind) {
        return switch (kind) {
            case "lstm" -> 4;
            case "gru" -> 3;
            default -> 1;
        };
    }

    /** Parameter names and shapes of a PyTorch RNN/LSTM/GRU stack, in state_dict order. */
    private static Map<String, int[]> rnnParameters(String prefix, String kind, int layers, int input) {
        Map<String, int[]> p = new LinkedHashMap<>();
        int g = gates(kind);
        for (int k = 0; k < layers; k++) {
            p.put(prefix + "weight_ih_l" + k, new int[] {g * H, k == 0 ? input : H});
            p.put(prefix + "weight_hh_l" + k, new int[] {g * H, H});
            p.put(prefix + "bias_ih_l" + k, new int[] {g * H});
            p.put(prefix + "bias_hh_l" + k, new int[] {g * H});
        }
        return p;
    }

    @Test
    void cellFixturesAreComplete() throws Exception {
        for (Object[] cell : CELLS) {
            String name = (String) cell[0];
            String kind = (String) cell[1];
            int layers = (Integer) cell[2];
            boolean lstm = kind.equals("lstm");
            Map<String, int[]> params = rnnParameters("", kind, layers, I);
            Map<String, int[]> expected = new LinkedHashMap<>();
            expected.put("input", new int[] {B, T, I});
            expected.put("h0", new int[] {layers, B, H});
            if (lstm) {
                expected.put("c0", new int[] {layers, B, H});
            }
            expected.putAll(params);
            expected.put("output", new int[] {B, T, H});
            expected.put("h_n", new int[] {layers, B, H});
            if (lstm) {
                expected.put("c_n", new int[] {layers, B, H});
            }
            expected.put("loss_weight_output", new int[] {B, T, H});
            expected.put("loss_weight_h_n", new int[] {layers, B, H});
            if (lstm) {
                expected.put("loss_weight_c_n", new int[] {layers, B, H});
            }
            expected.put("loss", new int[] {1});
            params.forEach((p, shape) -> expected.put("grad." + p, shape));
            expected.put("grad.input", new int[] {B, T, I});
            expected.put("grad.h0", new int[] {layers, B, H});
            if (lstm) {
                expected.put("grad.c0", new int[] {layers, B, H});
            }

            Safetensors.Contents c = Safetensors.read(fixture("golden", name));
            assertExactly(c, expected, Safetensors.Dtype.F64);
            Map<String, String> m = c.metadata();
            assertEquals(kind, m.get("cell"), name);
            assertEquals(String.valueOf(layers), m.get("layers"), name);
            assertEquals(String.valueOf(B), m.get("batch"), name);
            assertEquals(String.valueOf(T), m.get("steps"), name);
            assertEquals(String.valueOf(I), m.get("input_size"), name);
            assertEquals(String.valueOf(H), m.get("hidden_size"), name);
            assertNotNull(m.get("torch_version"), name);
            for (String p : params.keySet()) {
                assertTrue(maxAbs(c.doubles("grad." + p)) > 0, name + ": grad." + p + " is all zero");
            }
        }
    }

    @Test
    void reluFixturesHaveManyButNotAllNegativePreactivations() throws Exception {
        for (String name : List.of("rnn_relu_l1", "rnn_relu_l2")) {
            Safetensors.Contents c = Safetensors.read(fixture("golden", name));
            double[] out = c.doubles("output");
            long zeros = java.util.Arrays.stream(out).filter(v -> v == 0.0).count();
            assertTrue(zeros > out.length / 5 && zeros < out.length * 4 / 5,
                    name + ": " + zeros + " of " + out.length + " outputs clipped at 0");
        }
    }

    @Test
    void modelFixturesAreComplete() throws Exception {
        int v = 7;
        int e = 5;
        for (String[] model : MODELS) {
            String name = model[0];
            Map<String, int[]> params = new LinkedHashMap<>();
            params.put("embedding.weight", new int[] {v, e});
            params.putAll(rnnParameters("rnn.", model[1], 2, e));
            params.put("head.weight", new int[] {v, H});
            params.put("head.bias", new int[] {v});
            Map<String, int[]> expected = new LinkedHashMap<>(params);
            expected.put("logits", new int[] {B, T, v});
            expected.put("loss", new int[] {1});
            params.forEach((p, shape) -> expected.put("grad." + p, shape));

            Safetensors.Contents c = Safetensors.read(fixture("golden", name));
            List<String> names = new ArrayList<>(c.names());
            assertTrue(names.remove("tokens") && names.remove("targets"), name + " lacks tokens/targets");
            for (String ids : List.of("tokens", "targets")) {
                assertEquals(Safetensors.Dtype.I64, c.dtype(ids), name + ": " + ids);
                assertArrayEquals(new int[] {B, T}, c.shape(ids), name + ": " + ids);
                for (int id : c.ints(ids)) {
                    assertTrue(id >= 0 && id < v, name + ": " + ids + " holds " + id);
                }
            }
            assertEquals(List.copyOf(expected.keySet()), names, name + ": tensor names");
            for (Map.Entry<String, int[]> x : expected.entrySet()) {
                assertTensor(c, x.getKey(), x.getValue(), Safetensors.Dtype.F64);
            }
            assertEquals(model[1], c.metadata().get("cell"));
            double loss = c.doubles("loss")[0];
            assertTrue(loss > 0 && loss < 2 * Math.log(v), name + ": cross-entropy " + loss);
        }
    }

    /** name, cell kind, layers, outputs: the regression fixtures of make_regression_golden.py (B = 4, T = 8, I = 2). */
    private static final Object[][] REGRESSIONS = {
        {"regression_rnn_tanh", "rnn_tanh", 2, 1}, {"regression_rnn_relu", "rnn_relu", 2, 1},
        {"regression_lstm", "lstm", 2, 1}, {"regression_gru", "gru", 2, 1}, {"regression_gru_o2", "gru", 1, 2},
    };

    @Test
    void regressionFixturesAreCompleteAndHoldFloat32Values() throws Exception {
        int b = 4;
        int t = 8;
        int in = 2;
        for (Object[] r : REGRESSIONS) {
            String name = (String) r[0];
            int layers = (Integer) r[2];
            int outputs = (Integer) r[3];
            Map<String, int[]> params = rnnParameters("rnn.", (String) r[1], layers, in);
            params.put("head.weight", new int[] {outputs, H});
            params.put("head.bias", new int[] {outputs});
            Map<String, int[]> expected = new LinkedHashMap<>();
            expected.put("input", new int[] {b, t, in});
            expected.put("target", new int[] {b, outputs});
            expected.putAll(params);
            expected.put("prediction", new int[] {b, outputs});
            expected.put("loss", new int[] {1});
            params.forEach((p, shape) -> expected.put("grad." + p, shape));

            Safetensors.Contents c = Safetensors.read(fixture("golden", name));
            assertExactly(c, expected, Safetensors.Dtype.F64);
            assertEquals(r[1], c.metadata().get("cell"), name);
            for (String x : List.of("input", "target", "head.weight", "rnn.weight_hh_l0")) {
                for (double v : c.doubles(x)) {
                    assertEquals(v, (double) (float) v, 0.0, name + ": " + x + " holds " + v + ", not a float32 value");
                }
            }
            for (String p : params.keySet()) {
                assertTrue(maxAbs(c.doubles("grad." + p)) > 0, name + ": grad." + p + " is all zero");
            }
        }
    }

    @Test
    void numpyRngFixtureIsComplete() throws Exception {
        Safetensors.Contents c = Safetensors.read(fixture("reference", "numpy_rng"));
        assertTensor(c, "interleaved_kind", new int[] {1000}, Safetensors.Dtype.I64);
        for (long seed : new long[] {0, 42, 7, 4294967295L}) {
            String p = "seed_" + seed + ".";
            assertTensor(c, p + "randn", new int[] {1000}, Safetensors.Dtype.F64);
            assertTensor(c, p + "random_sample", new int[] {1000}, Safetensors.Dtype.F64);
            assertTensor(c, p + "interleaved", new int[] {1000}, Safetensors.Dtype.F64);
            assertTensor(c, p + "uniform_m2_3", new int[] {100}, Safetensors.Dtype.F64);
            assertTensor(c, p + "randn_8x5_times_0.01_f32", new int[] {8, 5}, Safetensors.Dtype.F32);
            assertTensor(c, p + "randint_10", new int[] {200}, Safetensors.Dtype.I64);
            assertTensor(c, p + "randint_1000", new int[] {200}, Safetensors.Dtype.I64);
        }
    }

    @Test
    void numpyHelloFixtureIsComplete() throws Exception {
        Safetensors.Contents c = Safetensors.read(fixture("reference", "numpy_hello"));
        assertTensor(c, "loss", new int[] {300}, Safetensors.Dtype.F64);
        assertTensor(c, "grad_norm", new int[] {300}, Safetensors.Dtype.F64);
        assertTensor(c, "W_x", new int[] {64, 9}, Safetensors.Dtype.F64);
        assertTensor(c, "W_h", new int[] {64, 64}, Safetensors.Dtype.F64);
        assertTensor(c, "W_y", new int[] {9, 64}, Safetensors.Dtype.F64);
        assertTensor(c, "input_ids", new int[] {37}, Safetensors.Dtype.I64);
        assertTensor(c, "target_ids", new int[] {37}, Safetensors.Dtype.I64);
        for (int epoch : new int[] {0, 50, 100, 150, 200, 250, 299}) {
            assertTensor(c, "pred_epoch_" + epoch, new int[] {37}, Safetensors.Dtype.I64);
        }
        assertEquals(" !dehlorw", c.metadata().get("vocabulary"));
        // uniform predictions at the start: the first loss is close to ln 9
        assertEquals(Math.log(9), c.doubles("loss")[0], 1e-3);
    }

    @Test
    void numpyDecayFixtureIsComplete() throws Exception {
        Safetensors.Contents c = Safetensors.read(fixture("reference", "numpy_decay"));
        assertTensor(c, "mean_norm", new int[] {80}, Safetensors.Dtype.F64);
        assertTensor(c, "per_trial_norm", new int[] {20, 80}, Safetensors.Dtype.F64);
        assertTensor(c, "relu_mean_norm", new int[] {80}, Safetensors.Dtype.F64);
        assertTensor(c, "relu_per_trial_norm", new int[] {20, 80}, Safetensors.Dtype.F64);
        double[] mean = c.doubles("mean_norm");
        assertEquals(1.0, mean[79], 1e-15, "the norm is recorded before the first step back");
        assertEquals(3.2e-3, mean[0] / mean[79], 0.1e-3, "the gradient-decay ratio NumPy gives (docs/spec.md#gradient-decay)");
        assertTrue(c.metadata().get("numpy_calls").contains("np.random.randn(64, 64) * 0.9 / np.sqrt(64)"));
    }

    @Test
    void everyCommittedFixtureOpensAndIsFinite() throws Exception {
        int files = 0;
        for (String folder : List.of("golden", "reference")) {
            Path dir = fixture(folder, null);
            List<Path> found;
            try (Stream<Path> s = Files.list(dir)) {
                found = s.filter(p -> p.toString().endsWith(".safetensors")).sorted().collect(Collectors.toList());
            }
            for (Path file : found) {
                Safetensors.Contents c = Safetensors.read(file);
                assertFalse(c.names().isEmpty(), file + " holds no tensors");
                for (String t : c.names()) {
                    if (c.dtype(t) == Safetensors.Dtype.F32 || c.dtype(t) == Safetensors.Dtype.F64) {
                        for (double x : c.doubles(t)) {
                            if (!Double.isFinite(x)) {
                                fail(file.getFileName() + ": " + t + " holds " + x);
                            }
                        }
                    }
                }
                files++;
            }
        }
        assertTrue(files >= CELLS.length + MODELS.length + REGRESSIONS.length + 3, files + " fixture files");
    }

    // ------------------------------------------------------------------ helpers

    private static void assertExactly(Safetensors.Contents c, Map<String, int[]> expected, Safetensors.Dtype dtype) {
        assertEquals(List.copyOf(expected.keySet()), c.names(), c.file().getFileName() + ": tensor names");
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            assertTensor(c, e.getKey(), e.getValue(), dtype);
        }
    }

    private static void assertTensor(Safetensors.Contents c, String name, int[] shape, Safetensors.Dtype dtype) {
        String where = c.file().getFileName() + ": " + name;
        assertTrue(c.has(name), where + " is missing; available: " + c.names());
        assertArrayEquals(shape, c.shape(name), where + " shape");
        assertEquals(dtype, c.dtype(name), where + " dtype");
    }

    private static double maxAbs(double[] values) {
        double m = 0;
        for (double v : values) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    /** The fixture file (or, with a null name, its folder); a missing one fails the test. */
    private static Path fixture(String folder, String name) throws URISyntaxException, IOException {
        String resource = "/" + folder + (name == null ? "" : "/" + name + ".safetensors");
        return SafetensorsTest.resource(resource);
    }
}
