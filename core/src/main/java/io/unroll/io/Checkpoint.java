package io.unroll.io;

import io.unroll.cell.CellType;
import io.unroll.data.CharVocabulary;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.SequenceModel;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.State;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A token model ({@link SequenceModel} with an embedding) as a safetensors file that PyTorch's
 * {@code load_state_dict} accepts unchanged: the tensors are exactly the {@code state_dict} of a
 * module with attributes {@code embedding} ({@code nn.Embedding}), {@code rnn}
 * ({@code nn.RNN/LSTM/GRU}, {@code batch_first=True}) and {@code head} ({@code nn.Linear}), in
 * float32. Everything else lives in the header's {@code __metadata__} under {@code unroll.*} keys:
 * cell, sizes, the character vocabulary, the training step, and the optimizer, random-stream and
 * carried-state bytes (base64) that let a run resume exactly.
 *
 * <p>Loading infers the architecture from the tensor names and shapes, so a file with no Unroll
 * metadata (a PyTorch-trained model) loads too; {@code unroll.cell} only settles tanh against relu.
 * Saving is atomic: the previous file survives a crash mid-save.
 */
public final class Checkpoint {
    public static final String FORMAT = "unroll-checkpoint/1";

    private Checkpoint() {}

    /** Where a training run stands: enough to continue it bit for bit. */
    public record TrainingState(long step, byte[] optimizer, byte[] rng, State carried) {}

    /** A loaded model with its parameters, vocabulary (null if the file has none), metadata and training state (or null). */
    public record Loaded(SequenceModel model, ParamStore params, CharVocabulary vocabulary,
                         Map<String, String> metadata, TrainingState training) {}

    /**
     * Writes {@code model} to {@code file} atomically.
     *
     * @param vocabulary the characters of the token ids, or null
     * @param info       extra metadata to keep (e.g. validation loss), stored under {@code unroll.info.*}
     * @param training   the run's state, or null for a model alone
     */
    public static void save(Path file, SequenceModel model, ParamStore params, CharVocabulary vocabulary,
                            Map<String, String> info, TrainingState training) throws IOException {
        if (model.embedding() == null) {
            throw new IllegalArgumentException("only models with an embedding can be saved as a checkpoint "
                    + "(PyTorch's module has an nn.Embedding); this model takes one-hot inputs");
        }
        RecurrentConfig config = model.rnn().config();
        Safetensors.Writer w = Safetensors.writer();
        for (Param p : params.params()) {
            w.putFloats(p.name(), p.shape(), p.data(), p.offset());
        }
        w.metadata("format", "pt");
        w.metadata("unroll.format", FORMAT);
        w.metadata("unroll.cell", config.cell().id());
        w.metadata("unroll.vocab_size", Integer.toString(model.vocabularySize()));
        w.metadata("unroll.embedding_dim", Integer.toString(config.inputSize()));
        w.metadata("unroll.hidden_size", Integer.toString(config.hiddenSize()));
        w.metadata("unroll.num_layers", Integer.toString(config.layers()));
        if (vocabulary != null) {
            w.metadata("unroll.vocabulary", vocabulary.decode(allIds(vocabulary.size())));
        }
        if (info != null) {
            info.forEach((k, v) -> w.metadata("unroll.info." + k, v));
        }
        if (training != null) {
            Base64.Encoder b64 = Base64.getEncoder();
            w.metadata("unroll.step", Long.toString(training.step()));
            w.metadata("unroll.optimizer_state", b64.encodeToString(training.optimizer()));
            w.metadata("unroll.rng_state", b64.encodeToString(training.rng()));
            if (training.carried() != null) {
                w.metadata("unroll.carried_state", b64.encodeToString(stateBytes(training.carried())));
            }
        }
        w.write(file);
    }

    /** Reads a checkpoint, or a PyTorch {@code state_dict} of the same module shape. */
    public static Loaded load(Path file) throws IOException {
        Safetensors.Contents f = Safetensors.read(file);
        Map<String, String> meta = f.metadata();
        require(f, "embedding.weight");
        require(f, "rnn.weight_ih_l0");
        require(f, "rnn.weight_hh_l0");
        require(f, "head.weight");
        int[] embedding = f.shape("embedding.weight");
        int[] hh = f.shape("rnn.weight_hh_l0");
        if (embedding.length != 2 || hh.length != 2 || hh[1] == 0 || hh[0] % hh[1] != 0) {
            throw new IllegalArgumentException(file + ": embedding.weight " + java.util.Arrays.toString(embedding)
                    + " and rnn.weight_hh_l0 " + java.util.Arrays.toString(hh) + " are not the shapes of an "
                    + "embedding [V, E] and a recurrent weight [G*H, H]");
        }
        int hidden = hh[1];
        int gates = hh[0] / hidden;
        CellType cell = cellOf(gates, meta.get("unroll.cell"), file);
        int layers = 0;
        while (f.has("rnn.weight_ih_l" + layers)) {
            layers++;
        }
        boolean bias = f.has("rnn.bias_ih_l0");
        RecurrentConfig config = RecurrentConfig.of(cell, embedding[1], hidden, layers).withBiases(bias, f.has("rnn.bias_hh_l0"));
        ParamStore.Builder pb = ParamStore.builder();
        SequenceModel model = SequenceModel.embedded(pb, embedding[0], config);
        ParamStore params = pb.build();
        java.util.List<String> missing = new java.util.ArrayList<>();
        for (Param p : params.params()) {
            if (!f.has(p.name())) {
                missing.add(p.name());
            }
        }
        java.util.List<String> unexpected = new java.util.ArrayList<>();
        for (String name : f.names()) {
            if (!params.has(name)) {
                unexpected.add(name);
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new IllegalArgumentException(file + " does not hold the " + params.params().size() + " tensors of a "
                    + layers + "-layer " + cell.id() + " model (" + names(params) + "): "
                    + (missing.isEmpty() ? "" : "missing " + missing + (unexpected.isEmpty() ? "" : ", "))
                    + (unexpected.isEmpty() ? "" : "unexpected " + unexpected)
                    + (unexpected.isEmpty() ? "; the file is incomplete or its layers disagree"
                            : "; the likely cause is a module with other attributes than embedding, rnn and head,"
                            + " or other options (bidirectional, proj_size)"));
        }
        for (Param p : params.params()) {
            require(f, p.name());
            int[] shape = f.shape(p.name());
            if (!java.util.Arrays.equals(shape, p.shape())) {
                throw new IllegalArgumentException(file + ": " + p.name() + " has shape " + java.util.Arrays.toString(shape)
                        + ", expected " + java.util.Arrays.toString(p.shape()) + " for this architecture");
            }
            float[] values = f.floats(p.name());
            io.unroll.tensor.Check.finite(file + ": " + p.name(), values);
            p.set(shape, values);
        }
        String chars = meta.get("unroll.vocabulary");
        CharVocabulary vocabulary = chars == null ? null : CharVocabulary.of(chars);
        if (vocabulary != null && vocabulary.size() != embedding[0]) {
            throw new IllegalArgumentException(file + ": the vocabulary has " + vocabulary.size()
                    + " characters but embedding.weight has " + embedding[0] + " rows");
        }
        TrainingState training = null;
        if (meta.containsKey("unroll.step")) {
            Base64.Decoder b64 = Base64.getDecoder();
            String carried = meta.get("unroll.carried_state");
            training = new TrainingState(Long.parseLong(meta.get("unroll.step")),
                    b64.decode(meta.getOrDefault("unroll.optimizer_state", "")),
                    b64.decode(meta.getOrDefault("unroll.rng_state", "")),
                    carried == null ? null : stateOf(b64.decode(carried), config));
        }
        Map<String, String> info = new LinkedHashMap<>();
        meta.forEach((k, v) -> {
            if (k.startsWith("unroll.info.")) {
                info.put(k.substring("unroll.info.".length()), v);
            }
        });
        return new Loaded(model, params, vocabulary, info, training);
    }

    private static void require(Safetensors.Contents f, String name) {
        if (!f.has(name)) {
            throw new IllegalArgumentException(f.file() + " has no tensor " + name + "; expected the state_dict of a module"
                    + " with attributes embedding, rnn and head (found " + f.names() + ")");
        }
    }

    private static CellType cellOf(int gates, String declared, Path file) {
        if (declared != null) {
            CellType c = CellType.parse(declared);
            if (c.gates() != gates) {
                throw new IllegalArgumentException(file + " says cell " + declared + " but its weights have " + gates + " gate blocks");
            }
            return c;
        }
        switch (gates) {
            case 1: return CellType.RNN_TANH;
            case 3: return CellType.GRU;
            case 4: return CellType.LSTM;
            default: throw new IllegalArgumentException(file + ": rnn.weight_hh_l0 has " + gates
                    + " blocks of rows, expected 1 (RNN), 3 (GRU) or 4 (LSTM)");
        }
    }

    private static String names(ParamStore params) {
        StringBuilder sb = new StringBuilder();
        for (Param p : params.params()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(p.name());
        }
        return sb.toString();
    }

    private static int[] allIds(int n) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = i;
        }
        return ids;
    }

    private static byte[] stateBytes(State s) {
        int n = s.h().length;
        ByteBuffer out = ByteBuffer.allocate(4 * 4 + 4 * n * (s.c() == null ? 1 : 2)).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(s.layers()).putInt(s.batch()).putInt(s.hidden()).putInt(s.c() == null ? 0 : 1);
        for (float v : s.h()) {
            out.putFloat(v);
        }
        if (s.c() != null) {
            for (float v : s.c()) {
                out.putFloat(v);
            }
        }
        return out.array();
    }

    private static State stateOf(byte[] bytes, RecurrentConfig config) {
        if (bytes.length < 16) {
            throw new IllegalArgumentException("the carried state in the checkpoint has " + bytes.length
                    + " bytes, fewer than its 16-byte header: the file is corrupt");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int layers = in.getInt();
        int batch = in.getInt();
        int hidden = in.getInt();
        boolean cell = in.getInt() == 1;
        if (layers != config.layers() || hidden != config.hiddenSize() || cell != config.cell().hasCellState()
                || batch <= 0 || (long) layers * batch * hidden * 4 * (cell ? 2 : 1) != in.remaining()) {
            throw new IllegalArgumentException("the carried state in the checkpoint does not fit the model (layers " + layers
                    + ", batch " + batch + ", hidden " + hidden + "): the file is corrupt");
        }
        float[] h = new float[layers * batch * hidden];
        float[] c = cell ? new float[h.length] : null;
        for (int i = 0; i < h.length; i++) {
            h[i] = in.getFloat();
        }
        if (c != null) {
            for (int i = 0; i < c.length; i++) {
                c[i] = in.getFloat();
            }
        }
        return new State(layers, batch, hidden, h, c);
    }
}
