package io.unroll.io;

import io.unroll.cell.CellType;
import io.unroll.data.CharVocabulary;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.SequenceModel;
import io.unroll.tensor.Check;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.State;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
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
 * <p>Loading reads the cell from {@code unroll.cell} and the sizes from the tensor shapes, then
 * loads the tensors by name with {@link StateDict} (strict: nothing missing, nothing extra, every
 * shape exact). A file without {@code unroll.cell}, such as a PyTorch-trained model's
 * {@code state_dict}, loads when the caller names the cell ({@link #load(Path, CellType)}): the
 * shapes alone cannot tell a tanh RNN from a relu one. Saving is atomic: the previous file
 * survives a crash mid-save.
 */
public final class Checkpoint {
    public static final String FORMAT = "unroll-checkpoint/1";
    /** The metadata entry that names the cell: rnn_tanh, rnn_relu, lstm or gru. */
    public static final String CELL = "unroll.cell";
    /** The prefix of the caller's entries ({@code info} of {@link #save}). */
    private static final String INFO = "unroll.info.";

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
        w.metadata(CELL, config.cell().id());
        w.metadata("unroll.vocab_size", Integer.toString(model.vocabularySize()));
        w.metadata("unroll.embedding_dim", Integer.toString(config.inputSize()));
        w.metadata("unroll.hidden_size", Integer.toString(config.hiddenSize()));
        w.metadata("unroll.num_layers", Integer.toString(config.layers()));
        if (vocabulary != null) {
            w.metadata("unroll.vocabulary", vocabulary.decode(allIds(vocabulary.size())));
        }
        if (info != null) {
            info.forEach((k, v) -> w.metadata(INFO + k, v));
        }
        if (training != null) {
            Base64.Encoder b64 = Base64.getEncoder();
            w.metadata("unroll.step", Long.toString(training.step()));
            w.metadata("unroll.optimizer_state", b64.encodeToString(training.optimizer()));
            w.metadata("unroll.rng_state", b64.encodeToString(training.rng()));
            if (training.carried() != null) {
                w.metadata("unroll.carried_state", b64.encodeToString(training.carried().toBytes()));
            }
        }
        w.write(file);
    }

    /**
     * Reads a checkpoint that names its cell ({@code unroll.cell}, which every checkpoint Unroll
     * writes has).
     *
     * @throws IllegalArgumentException if the file does not name its cell (a bare PyTorch
     *                                  {@code state_dict}: use {@link #load(Path, CellType)}), or is
     *                                  not the state of such a model
     */
    public static Loaded load(Path file) throws IOException {
        return load(file, null);
    }

    /**
     * Reads a checkpoint or a PyTorch {@code state_dict} of the module of the class comment, as a
     * model with the given cell. The sizes come from the tensor shapes; the cell cannot (a tanh and
     * a relu RNN have the same shapes), so a file without {@code unroll.cell} loads only through
     * this method, and a file that names another cell than {@code cell} is refused.
     *
     * @param cell the architecture of the saved module, or null to take it from {@code unroll.cell}
     */
    public static Loaded load(Path file, CellType cell) throws IOException {
        Safetensors.Contents f = Safetensors.read(file);
        Map<String, String> meta = f.metadata();
        require(f, "embedding.weight");
        require(f, "rnn.weight_ih_l0");
        require(f, "rnn.weight_hh_l0");
        CellType declared = null;
        if (meta.containsKey(CELL)) {
            try {
                declared = CellType.parse(meta.get(CELL));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + ": " + CELL + " says " + e.getMessage(), e);
            }
        }
        if (declared == null && cell == null) {
            throw new IllegalArgumentException(file + " does not say which cell its model has (no " + CELL
                    + " metadata, as in a state_dict saved by PyTorch); a tanh and a relu RNN have the same shapes, so the"
                    + " cell must be named by the caller: Checkpoint.load(file, cell)");
        }
        if (declared != null && cell != null && declared != cell) {
            throw new IllegalArgumentException(file + " holds a " + declared.id() + " model (" + CELL + "), not the "
                    + cell.id() + " asked for");
        }
        CellType type = declared != null ? declared : cell;
        int[] embedding = f.shape("embedding.weight");
        int[] ih = f.shape("rnn.weight_ih_l0");
        int[] hh = f.shape("rnn.weight_hh_l0");
        // H from the recurrent weight: [G*H, H] for a matrix, [H] for a vector (the IndRNN's u)
        int hidden = hh.length == 2 ? hh[1] : hh.length == 1 ? hh[0] : 0;
        if (embedding.length != 2 || ih.length != 2 || hidden == 0 || (hh.length == 2 ? hh[0] : ih[0]) % hidden != 0) {
            throw new IllegalArgumentException(file + ": embedding.weight " + Arrays.toString(embedding)
                    + ", rnn.weight_ih_l0 " + Arrays.toString(ih) + " and rnn.weight_hh_l0 " + Arrays.toString(hh)
                    + " are not the shapes of an embedding [V, E], an input weight [G*H, E] and a recurrent weight"
                    + " [G*H, H] (or [H])");
        }
        int gates = (hh.length == 2 ? hh[0] : ih[0]) / hidden;
        if (gates != type.gates()) {
            throw new IllegalArgumentException(file + " holds a " + type.id() + " model" + (declared != null ? " (" + CELL + ")" : "")
                    + " but its weights have " + gates + " gate blocks, expected " + type.gates()
                    + " (rnn.weight_hh_l0 is " + Arrays.toString(hh) + ")");
        }
        int layers = 0;
        while (f.has("rnn.weight_ih_l" + layers)) {
            layers++;
        }
        RecurrentConfig config = RecurrentConfig.of(type, embedding[1], hidden, layers)
                .withBiases(f.has("rnn.bias_ih_l0"), f.has("rnn.bias_hh_l0"));
        ParamStore.Builder pb = ParamStore.builder();
        SequenceModel model = SequenceModel.embedded(pb, embedding[0], config);
        ParamStore params = pb.build();
        StateDict.load(f, params);
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
                    carried == null ? null : carried(file, b64.decode(carried), config));
        }
        Map<String, String> info = new LinkedHashMap<>();
        meta.forEach((k, v) -> {
            if (k.startsWith(INFO)) {
                info.put(k.substring(INFO.length()), v);
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

    /** The carried state of {@code unroll.carried_state}: any batch, the model's layers, hidden size and cell. */
    private static State carried(Path file, byte[] bytes, RecurrentConfig config) {
        State s;
        try {
            s = State.fromBytes(bytes);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": the carried state (unroll.carried_state) is unreadable: "
                    + e.getMessage(), e);
        }
        if (s.layers() != config.layers() || s.hidden() != config.hiddenSize() || s.hasCell() != config.cell().hasCellState()) {
            throw new IllegalArgumentException(file + ": the carried state (unroll.carried_state) has shape "
                    + Check.describe(s.layers(), s.batch(), s.hidden()) + (s.hasCell() ? " with" : " without")
                    + " a cell state, which does not fit the " + config.layers() + "-layer " + config.cell().id() + " model of "
                    + config.hiddenSize() + " units: the file is corrupt");
        }
        return s;
    }

    private static int[] allIds(int n) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = i;
        }
        return ids;
    }
}
