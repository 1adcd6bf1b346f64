package io.unroll.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.unroll.cell.CellType;
import io.unroll.data.CharVocabulary;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.SequenceModel;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.State;
import io.unroll.train.CharTrainer;
import io.unroll.train.TrainingRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints cross the border to PyTorch and back (docs/spec.md#interchange), against the fixtures of
 * tools/reference/make_checkpoint_roundtrip.py in core/src/test/resources/interchange/:
 * <ul>
 *   <li>PyTorch → Unroll: {@code torch_<cell>.safetensors}, the float32 state_dict of a trained
 *       torch module, loads with {@link Checkpoint#load} and computes PyTorch's logits and loss;</li>
 *   <li>Unroll → PyTorch: {@code unroll_<cell>.safetensors}, written by {@link Checkpoint#save}
 *       from a {@link CharTrainer}, was accepted by PyTorch's {@code load_state_dict(strict=True)}, and
 *       what PyTorch computed with it ({@code unroll_<cell>_torch.safetensors}) is what Unroll computes;</li>
 *   <li>save → load in Java keeps everything; malformed files are clear errors.</li>
 * </ul>
 * A missing fixture fails. The Unroll checkpoints are regenerated only on request, by
 * {@link #writeUnrollCheckpoints} (see tools/reference/README.md).
 */
class CheckpointInterchangeTest {

    private static final String[] CELLS = {"rnn_tanh", "rnn_relu", "lstm", "gru"};
    private static final int B = 3;
    private static final int T = 7;
    private static final int V = 11;
    private static final int E = 6;
    private static final int H = 9;
    private static final int LAYERS = 2;

    /** The text the Unroll checkpoints were trained on (28 characters). */
    static final String TEXT = "the quick brown fox jumps over the lazy dog. ".repeat(40);
    static final int UNROLL_STEPS = 5;

    static CharTrainer.Config trainerConfig(CellType cell) {
        return CharTrainer.Config.builder().cell(cell).hidden(H).layers(LAYERS).embedding(E).seq(12).tbptt(5).batch(4)
                .learningRate(1e-2).clip(1.0).valFraction(0.1).seed(7).build();
    }

    @TempDir
    Path dir;

    // ------------------------------------------------------------------ PyTorch -> Unroll

    @Test
    void pytorchStateDictsLoadAndComputePytorchsLogitsAndLoss() throws Exception {
        for (String cell : CELLS) {
            Path file = fixture("torch_" + cell);
            Safetensors.Contents raw = Safetensors.read(file);
            Map<String, String> expectedMeta = new LinkedHashMap<>(Map.of("format", "pt"));
            if (cell.equals("rnn_relu")) {
                expectedMeta.put("unroll.cell", "rnn_relu");
            }
            assertEquals(expectedMeta, raw.metadata(), cell + ": a plain PyTorch file, no Unroll metadata");

            if (!cell.equals("rnn_relu")) {
                IllegalArgumentException unnamed = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(file), cell);
                assertTrue(unnamed.getMessage().contains("no unroll.cell") && unnamed.getMessage().contains("Checkpoint.load(file, cell)"),
                        unnamed.getMessage());
            }
            Checkpoint.Loaded loaded = Checkpoint.load(file, CellType.parse(cell));
            RecurrentConfig rc = loaded.model().rnn().config();
            assertEquals(CellType.parse(cell), rc.cell(), cell);
            assertEquals(E, rc.inputSize(), cell);
            assertEquals(H, rc.hiddenSize(), cell);
            assertEquals(LAYERS, rc.layers(), cell);
            assertEquals(V, loaded.model().vocabularySize(), cell);
            assertNull(loaded.vocabulary(), cell);
            assertNull(loaded.training(), cell);
            assertTrue(loaded.metadata().isEmpty(), cell);
            for (Param p : loaded.params().params()) {
                assertArrayEquals(raw.floats(p.name()), p.copyValues(), cell + ": " + p.name());
            }

            Safetensors.Contents expected = Safetensors.read(fixture("torch_" + cell + "_expected"));
            double diff = compare(cell + " torch->unroll", loaded.model(), expected);
            System.out.printf("PyTorch -> Unroll %-8s max |logit - torch f64| %.3e%n", cell, diff);
        }
    }

    @Test
    void aStateDictWithoutUnrollCellLoadsOnlyWithTheCellNamed() throws Exception {
        // why unroll.cell exists: the shapes of a relu RNN are those of a tanh RNN, so they cannot tell
        Safetensors.Contents raw = Safetensors.read(fixture("torch_rnn_relu"));
        Path plain = dir.resolve("relu_without_cell.safetensors");
        copy(raw, m -> m.meta.remove("unroll.cell")).write(plain);
        IllegalArgumentException unnamed = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(plain));
        assertTrue(unnamed.getMessage().contains("no unroll.cell") && unnamed.getMessage().contains("relu"), unnamed.getMessage());

        Safetensors.Contents expected = Safetensors.read(fixture("torch_rnn_relu_expected"));
        Checkpoint.Loaded relu = Checkpoint.load(plain, CellType.RNN_RELU);
        assertEquals(CellType.RNN_RELU, relu.model().rnn().config().cell());
        compare("relu named", relu.model(), expected);
        Checkpoint.Loaded tanh = Checkpoint.load(plain, CellType.RNN_TANH);
        tanh.model().forward(expected.ints("tokens"), expected.ints("targets"), null, B, T, null);
        assertTrue(maxAbsDiff(tanh.model().logits(), expected.doubles("logits_f64")) > 1e-2, "the wrong cell computes something else");

        // a file that names its cell refuses another one
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class,
                () -> Checkpoint.load(fixture("torch_rnn_relu"), CellType.RNN_TANH));
        assertTrue(other.getMessage().contains("rnn_relu") && other.getMessage().contains("not the rnn_tanh asked for"), other.getMessage());
        IllegalArgumentException gates = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(plain, CellType.GRU));
        assertTrue(gates.getMessage().contains("1 gate blocks, expected 3"), gates.getMessage());
    }

    // ------------------------------------------------------------------ Unroll -> PyTorch

    @Test
    void unrollCheckpointsWereAcceptedByPytorchAndComputeWhatPytorchComputed() throws Exception {
        for (String cell : CELLS) {
            Path file = fixture("unroll_" + cell);
            Safetensors.Contents torch = Safetensors.read(fixture("unroll_" + cell + "_torch"));
            Map<String, String> tm = torch.metadata();
            assertEquals("ok", tm.get("strict_load"), cell);
            assertNotNull(tm.get("torch_version"), cell);
            assertEquals(sha256(file), tm.get("source_sha256"),
                    cell + ": PyTorch's results belong to another unroll_" + cell + ".safetensors; rerun the script's unroll step");

            Safetensors.Contents raw = Safetensors.read(file);
            assertEquals(List.of(tm.get("state_dict_keys").split(",")), raw.names(),
                    cell + ": the file's tensors are PyTorch's state_dict, in its order");
            for (String t : raw.names()) {
                assertEquals(Safetensors.Dtype.F32, raw.dtype(t), cell + ": " + t);
            }
            Map<String, String> meta = raw.metadata();
            assertEquals("pt", meta.get("format"));
            assertEquals(Checkpoint.FORMAT, meta.get("unroll.format"));
            assertEquals(cell, meta.get("unroll.cell"));
            assertEquals(Integer.toString(UNROLL_STEPS), meta.get("unroll.step"));

            Checkpoint.Loaded loaded = Checkpoint.load(file);
            assertEquals(CellType.parse(cell), loaded.model().rnn().config().cell());
            assertEquals(CharTrainer.create("text", TEXT, trainerConfig(CellType.parse(cell))).vocabulary(), loaded.vocabulary());
            assertEquals(UNROLL_STEPS, loaded.training().step());
            double diff = compare(cell + " unroll->torch", loaded.model(), torch);
            System.out.printf("Unroll -> PyTorch %-8s max |logit - torch f64| %.3e (torch %s, strict load ok)%n",
                    cell, diff, tm.get("torch_version"));
        }
    }

    /**
     * Writes unroll_&lt;cell&gt;.safetensors the way the committed fixtures were made and checks each
     * loads back as the same architecture. Into a temporary folder by default; to regenerate the
     * fixtures, point {@code -Dunroll.interchange.write=/abs/path/core/src/test/resources/interchange}
     * at them and run the script's {@code unroll} step afterwards so PyTorch checks the new files.
     */
    @Test
    void writeUnrollCheckpoints() throws Exception {
        String target = System.getProperty("unroll.interchange.write");
        Path out = target == null ? dir.resolve("written") : Path.of(target);
        Files.createDirectories(out);
        for (String cell : CELLS) {
            TrainingRun trainer = CharTrainer.create("text", TEXT, trainerConfig(CellType.parse(cell))).run();
            for (int i = 0; i < UNROLL_STEPS; i++) {
                trainer.trainStep();
            }
            Path file = out.resolve("unroll_" + cell + ".safetensors");
            trainer.save(file, Map.of("writer", "CheckpointInterchangeTest.writeUnrollCheckpoints",
                    "text", "\"the quick brown fox jumps over the lazy dog. \" x 40",
                    "val_loss", String.format("%.6f", trainer.validationLoss())));
            Checkpoint.Loaded back = Checkpoint.load(file);
            assertEquals(CellType.parse(cell), back.model().rnn().config().cell(), file.toString());
            assertEquals(UNROLL_STEPS, back.training().step());
        }
    }

    // ------------------------------------------------------------------ Java round trip

    @Test
    void saveThenLoadKeepsParametersVocabularyInfoAndTrainingState() throws Exception {
        for (CellType cell : CellType.values()) {
            TrainingRun trainer = CharTrainer.create("text", TEXT, trainerConfig(cell)).run();
            for (int i = 0; i < 3; i++) {
                trainer.trainStep();
            }
            Path file = dir.resolve(cell.id() + ".safetensors");
            Map<String, String> info = new LinkedHashMap<>();
            info.put("val_loss", "1.2345");
            info.put("note", "héllo \"quoted\" ∑");
            trainer.save(file, info);
            Checkpoint.Loaded a = Checkpoint.load(file);

            // the same model, saved directly with a known training state
            Checkpoint.TrainingState state = new Checkpoint.TrainingState(17, new byte[] {1, 2, 3, -4},
                    new byte[] {9, 8, 7}, a.training().carried());
            Path second = dir.resolve(cell.id() + "-2.safetensors");
            Checkpoint.save(second, (SequenceModel) trainer.model(), trainer.params(), trainer.vocabulary(), info, state);
            Checkpoint.Loaded b = Checkpoint.load(second);

            assertEquals(trainer.model().rnn().config(), a.model().rnn().config(), cell.id());
            assertEquals(names(trainer.params()), names(a.params()), cell.id());
            for (Param p : trainer.params().params()) {
                assertArrayEquals(bits(p.copyValues()), bits(a.params().get(p.name()).copyValues()), cell.id() + " " + p.name());
                assertArrayEquals(bits(p.copyValues()), bits(b.params().get(p.name()).copyValues()), cell.id() + " " + p.name());
            }
            assertEquals(trainer.vocabulary(), a.vocabulary(), cell.id());
            assertEquals(info, a.metadata(), cell.id());
            assertEquals(info, b.metadata(), cell.id());
            assertEquals(3, a.training().step(), cell.id());
            assertTrue(a.training().optimizer().length > 0 && a.training().rng().length > 0, cell.id());
            assertNotNull(a.training().carried(), cell.id());
            assertEquals(cell.hasCellState(), a.training().carried().hasCell(), cell.id());
            assertEquals(17, b.training().step());
            assertArrayEquals(state.optimizer(), b.training().optimizer());
            assertArrayEquals(state.rng(), b.training().rng());
            assertStateEquals(a.training().carried(), b.training().carried(), cell.id());

            // saving what was loaded gives the same bytes
            Path third = dir.resolve(cell.id() + "-3.safetensors");
            Checkpoint.save(third, a.model(), a.params(), a.vocabulary(), a.metadata(), a.training());
            assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(third), cell.id());

            // and the loaded model continues the run exactly
            TrainingRun resumed = CharTrainer.resume("text", TEXT, a, trainerConfig(cell)).run();
            trainer.trainStep();
            resumed.trainStep();
            assertArrayEquals(bits(trainer.params().values()), bits(resumed.params().values()), cell.id());
        }
    }

    @Test
    void aModelAloneRoundTripsWithoutVocabularyOrTrainingState() throws Exception {
        Checkpoint.Loaded torch = Checkpoint.load(fixture("torch_lstm"), CellType.LSTM);
        Path file = dir.resolve("alone.safetensors");
        Checkpoint.save(file, torch.model(), torch.params(), null, null, null);
        Map<String, String> meta = Safetensors.read(file).metadata();
        assertTrue(meta.keySet().stream().noneMatch(k -> k.equals("unroll.vocabulary") || k.equals("unroll.step")), meta.toString());
        Checkpoint.Loaded back = Checkpoint.load(file);
        assertNull(back.vocabulary());
        assertNull(back.training());
        assertTrue(back.metadata().isEmpty());
        assertArrayEquals(bits(torch.params().values()), bits(back.params().values()));
    }

    // ------------------------------------------------------------------ bad files

    @Test
    void malformedCheckpointsAreClearErrors() throws Exception {
        Safetensors.Contents gru = Safetensors.read(fixture("unroll_gru"));

        assertBad("missing", copy(gru, m -> m.remove("rnn.bias_hh_l1")), "rnn.bias_hh_l1", "missing");
        // the shapes of the tensors the sizes are not read from are the ones the layers declare
        assertBad("missing-deeper", copy(gru, m -> m.remove("rnn.weight_hh_l1")), "rnn.weight_hh_l1", "missing");
        assertBad("bias-shape", copy(gru, m -> m.put("rnn.bias_ih_l1", new int[] {3 * H + 1}, new float[3 * H + 1])),
                "rnn.bias_ih_l1", "[28]", "expected [27]");
        assertBad("missing-head", copy(gru, m -> m.remove("head.weight")), "no tensor head.weight");
        assertBad("extra", copy(gru, m -> m.put("rnn.weight_ih_l0_reverse", new int[] {3 * H, E}, new float[3 * H * E])),
                "rnn.weight_ih_l0_reverse", "unexpected");
        assertBad("renamed", copy(gru, m -> {
            m.put("head.b", new int[] {28}, m.values.get("head.bias"));
            m.remove("head.bias");
        }), "head.bias", "head.b");
        assertBad("shape", copy(gru, m -> m.put("head.weight", new int[] {28, H + 1}, new float[28 * (H + 1)])),
                "head.weight", "shape", "[28, 10]", "[28, 9]");
        assertBad("shape-ih", copy(gru, m -> m.put("rnn.weight_ih_l1", new int[] {3 * H, H - 1}, new float[3 * H * (H - 1)])),
                "rnn.weight_ih_l1", "shape");
        assertBad("nan", copy(gru, m -> m.values.get("rnn.weight_hh_l1")[5] = Float.NaN), "rnn.weight_hh_l1", "NaN", "finite");
        assertBad("inf", copy(gru, m -> m.values.get("embedding.weight")[0] = Float.NEGATIVE_INFINITY),
                "embedding.weight", "Infinity", "finite");
        assertBad("unknown-cell", copy(gru, m -> m.meta.put("unroll.cell", "transformer")), "unknown cell", "transformer");
        assertBad("contradiction", copy(gru, m -> m.meta.put("unroll.cell", "lstm")), "lstm", "3 gate blocks");
        assertBad("vanilla-contradiction", copy(gru, m -> m.meta.put("unroll.cell", "rnn_relu")), "rnn_relu", "3 gate blocks");
        assertBad("gates", copy(gru, m -> m.put("rnn.weight_hh_l0", new int[] {2 * H, H}, new float[2 * H * H])),
                "gru", "2 gate blocks");
        assertBad("no-cell", copy(gru, m -> m.meta.remove("unroll.cell")), "no unroll.cell", "Checkpoint.load(file, cell)");
        assertBad("vocabulary", copy(gru, m -> m.meta.put("unroll.vocabulary", "abc")), "unroll.vocabulary", "28 characters", "found 3");
        assertBad("carried", copy(gru, m -> m.meta.put("unroll.carried_state", "AAAA")), "carried state", "fewer than the 16-byte header");
        assertBad("carried-shape", copy(gru, m -> m.meta.put("unroll.carried_state",
                Base64.getEncoder().encodeToString(State.zeros(1, 4, H, false).toBytes()))), "carried state", "[1, 4, 9]", "2-layer gru");
        State nan = State.zeros(LAYERS, 4, H, false);
        nan.h()[5] = Float.NaN;
        assertBad("carried-nan", copy(gru, m -> m.meta.put("unroll.carried_state", Base64.getEncoder().encodeToString(nan.toBytes()))),
                "carried state", "NaN at flat index 5");
        assertBad("not-a-model", Safetensors.writer().putFloats("weight", new int[] {2}, new float[2]), "no tensor embedding.weight");
    }

    @Test
    void everyMetadataFieldIsCheckedNamingTheKeyTheValueAndWhatWasExpected() throws Exception {
        Safetensors.Contents gru = Safetensors.read(fixture("unroll_gru"));
        assertBad("step", copy(gru, m -> m.meta.put("unroll.step", "-1")), "unroll.step", "'-1'", "whole number >= 0");
        assertBad("step-text", copy(gru, m -> m.meta.put("unroll.step", "ten")), "unroll.step", "'ten'", "whole number");
        assertBad("vocab-size", copy(gru, m -> m.meta.put("unroll.vocab_size", "29")), "unroll.vocab_size", "'29'", "28");
        assertBad("hidden-size", copy(gru, m -> m.meta.put("unroll.hidden_size", "x")), "unroll.hidden_size", "'x'");
        assertBad("layers", copy(gru, m -> m.meta.put("unroll.num_layers", "3")), "unroll.num_layers", "'3'", "2");
        assertBad("embedding-dim", copy(gru, m -> m.meta.put("unroll.embedding_dim", "-8")), "unroll.embedding_dim", "'-8'");
        assertBad("format", copy(gru, m -> m.meta.put("unroll.format", "unroll-checkpoint/9")), "unroll.format",
                "'unroll-checkpoint/9'", "newer Unroll");
        assertBad("optimizer", copy(gru, m -> m.meta.put("unroll.optimizer_state", "not base64!")),
                "unroll.optimizer_state", "base64");
        assertBad("rng", copy(gru, m -> m.meta.put("unroll.rng_state", "%%%%")), "unroll.rng_state", "base64");
        assertBad("carried-base64", copy(gru, m -> m.meta.put("unroll.carried_state", "@@@@")), "unroll.carried_state", "base64");
        assertBad("vocabulary-twice", copy(gru, m -> {
            String v = m.meta.get("unroll.vocabulary");
            m.meta.put("unroll.vocabulary", v.substring(0, v.length() - 1) + v.charAt(0));
        }), "unroll.vocabulary", "twice");

        // a checkpoint of this format without checksums was changed: they cannot have been dropped by the writer
        Safetensors.Writer unchecked = copy(gru, m -> { });
        Path plain = dir.resolve("unchecked.safetensors");
        Safetensors.Writer w = Safetensors.writer();
        gru.metadata().forEach((k, v) -> {
            if (!k.startsWith(Safetensors.METADATA_SHA256)) {
                w.metadata(k, v);
            }
        });
        for (String t : gru.names()) {
            w.putFloats(t, gru.shape(t), gru.floats(t));
        }
        assertBad("no-checksums", w, "must carry checksums");
        // the same file marked with the earlier format, which had none, loads
        w.metadata("unroll.format", Checkpoint.FORMAT_WITHOUT_CHECKSUMS).write(plain);
        assertEquals(28, Checkpoint.load(plain).vocabulary().size());
        assertEquals(28, Checkpoint.load(dir.resolve(writeTo(unchecked, "fresh"))).vocabulary().size());
    }

    @Test
    void shapesThatWouldNeedAHugeModelAreRefusedBeforeAnythingIsAllocated() throws Exception {
        // 4 MB on disk, but an embedding of a million rows makes the head [1000000, 1000]: 4 GB
        Safetensors.Writer amplified = Safetensors.writer()
                .metadata("unroll.cell", "rnn_tanh")
                .putFloats("embedding.weight", new int[] {1_000_000, 1}, new float[1_000_000])
                .putFloats("rnn.weight_ih_l0", new int[] {1000, 1}, new float[1000])
                .putFloats("rnn.weight_hh_l0", new int[] {1000, 1000}, new float[1_000_000])
                .putFloats("head.weight", new int[] {1}, new float[1]);
        assertBad("amplified", amplified, "head.weight", "[1]", "expected [1000000, 1000]");
        // with V = 2,000,000 and H = 1,100 the head alone has more values than an int counts
        Safetensors.Writer overflow = Safetensors.writer()
                .metadata("unroll.cell", "rnn_tanh")
                .putFloats("embedding.weight", new int[] {2_000_000, 1}, new float[2_000_000])
                .putFloats("rnn.weight_ih_l0", new int[] {1100, 1}, new float[1100])
                .putFloats("rnn.weight_hh_l0", new int[] {1100, 1100}, new float[1100 * 1100])
                .putFloats("head.weight", new int[] {1}, new float[1]);
        assertBad("overflow", overflow, "head.weight", "expected [2000000, 1100]");
        assertBad("deeper-layer", copy(Safetensors.read(fixture("unroll_gru")),
                m -> m.put("rnn.weight_hh_l1", new int[] {3 * H, H + 1}, new float[3 * H * (H + 1)])),
                "rnn.weight_hh_l1", "[27, 10]", "expected [27, 9]");
    }

    @Test
    void anErrorAboutAHundredThousandTensorsStaysOneShortLine() throws Exception {
        Safetensors.Writer many = Safetensors.writer();
        Safetensors.Writer extra = copy(Safetensors.read(fixture("unroll_gru")), m -> { });
        for (int i = 0; i < 100_000; i++) {
            many.putFloats("t" + i, new int[] {0}, new float[0]);
            extra.putFloats("t" + i, new int[] {0}, new float[0]);
        }
        for (Safetensors.Writer w : List.of(many, extra)) {
            Path file = dir.resolve(writeTo(w, "many" + badFiles++));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(file));
            assertTrue(e.getMessage().length() < 2000 && e.getMessage().contains("99980 more"), e.getMessage());
        }
    }

    @Test
    void aVocabularyIsTakenInTheOrderItIsStored() throws Exception {
        Safetensors.Contents gru = Safetensors.read(fixture("unroll_gru"));
        String sorted = gru.metadata().get("unroll.vocabulary");
        String reversed = new StringBuilder(sorted).reverse().toString();
        Path file = dir.resolve(writeTo(copy(gru, m -> m.meta.put("unroll.vocabulary", reversed)), "reversed"));
        CharVocabulary vocabulary = Checkpoint.load(file).vocabulary();
        for (int id = 0; id < reversed.length(); id++) {
            assertEquals(reversed.charAt(id), vocabulary.codePoint(id), "id " + id);
            assertEquals(id, vocabulary.id(reversed.charAt(id)));
        }
        assertEquals(reversed, vocabulary.decode(vocabulary.encode(reversed)));
    }

    // ------------------------------------------------------------------ helpers

    /** Runs {@code model} on the fixture's tokens and checks logits and loss against it; returns max |logit - f64 logit|. */
    private static double compare(String what, SequenceModel model, Safetensors.Contents expected) throws IOException {
        int[] tokens = expected.ints("tokens");
        int[] targets = expected.ints("targets");
        assertArrayEquals(new int[] {B, T}, expected.shape("tokens"), what);
        int v = model.vocabularySize();
        assertArrayEquals(new int[] {B, T, v}, expected.shape("logits"), what);
        double loss = model.forward(tokens, targets, null, B, T, null);
        float[] logits = model.logits();
        double[] f32 = expected.doubles("logits");
        double[] f64 = expected.doubles("logits_f64");
        for (int i = 0; i < logits.length; i++) {
            close(what + " logit " + i + " (torch float64)", f64[i], logits[i]);
            close(what + " logit " + i + " (torch float32)", f32[i], logits[i]);
        }
        close(what + " loss (torch float64)", expected.doubles("loss_f64")[0], loss);
        close(what + " loss (torch float32)", expected.doubles("loss")[0], loss);
        return maxAbsDiff(logits, f64);
    }

    private static void close(String what, double expected, double actual) {
        if (!(Math.abs(actual - expected) <= 1e-4 * Math.abs(expected) + 1e-5)) {
            fail(what + ": expected " + expected + ", got " + actual + " (difference " + (actual - expected) + ")");
        }
    }

    private static double maxAbsDiff(float[] a, double[] b) {
        assertEquals(b.length, a.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    private int badFiles;

    private String writeTo(Safetensors.Writer w, String name) throws IOException {
        Path file = dir.resolve(name + ".safetensors");
        w.write(file);
        return file.getFileName().toString();
    }

    private void assertBad(String name, Safetensors.Writer w, String... keywords) throws IOException {
        Path file = dir.resolve("case" + (++badFiles) + ".safetensors"); // no keyword in the file name
        w.write(file);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(file), name);
        for (String k : keywords) {
            assertTrue(e.getMessage().contains(k), name + ": message lacks \"" + k + "\": " + e.getMessage());
        }
    }

    /** An editable copy of a checkpoint's tensors (as float32) and metadata, written with fresh checksums. */
    private static final class Editable {
        final LinkedHashMap<String, int[]> shapes = new LinkedHashMap<>();
        final LinkedHashMap<String, float[]> values = new LinkedHashMap<>();
        final LinkedHashMap<String, String> meta = new LinkedHashMap<>();

        void put(String name, int[] shape, float[] data) {
            shapes.put(name, shape);
            values.put(name, data);
        }

        void remove(String name) {
            assertNotNull(shapes.remove(name), name);
            values.remove(name);
        }
    }

    private static Safetensors.Writer copy(Safetensors.Contents c, Consumer<Editable> edit) throws IOException {
        Editable m = new Editable();
        for (String t : c.names()) {
            m.put(t, c.shape(t), c.floats(t));
        }
        c.metadata().forEach((key, value) -> {
            if (!key.startsWith(Safetensors.METADATA_SHA256)) {
                m.meta.put(key, value);
            }
        });
        edit.accept(m);
        Safetensors.Writer w = Safetensors.writer().checksums();
        m.meta.forEach(w::metadata);
        m.shapes.forEach((t, shape) -> w.putFloats(t, shape, m.values.get(t)));
        return w;
    }

    private static void assertStateEquals(State a, State b, String what) {
        assertEquals(a.layers(), b.layers(), what);
        assertEquals(a.batch(), b.batch(), what);
        assertEquals(a.hidden(), b.hidden(), what);
        assertArrayEquals(bits(a.h()), bits(b.h()), what);
        if (a.c() == null) {
            assertNull(b.c(), what);
        } else {
            assertArrayEquals(bits(a.c()), bits(b.c()), what);
        }
    }

    private static List<String> names(ParamStore params) {
        List<String> out = new ArrayList<>();
        params.params().forEach(p -> out.add(p.name()));
        return out;
    }

    private static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    /** A committed fixture of core/src/test/resources/interchange/; a missing one fails. */
    private static Path fixture(String name) throws Exception {
        return SafetensorsTest.resource("/interchange/" + name + ".safetensors");
    }
}
