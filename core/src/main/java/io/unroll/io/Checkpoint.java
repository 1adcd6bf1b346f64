package io.unroll.io;

import io.unroll.cell.CellType;
import io.unroll.data.CharVocabulary;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.SequenceModel;
import io.unroll.tensor.Check;
import io.unroll.tensor.Memory;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.State;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
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
    /** The format this class writes: tensors and metadata with SHA-256 checksums. */
    public static final String FORMAT = "unroll-checkpoint/2";
    /** The format of earlier files, without checksums; they still load. */
    public static final String FORMAT_WITHOUT_CHECKSUMS = "unroll-checkpoint/1";
    /** The metadata entry that names the cell: rnn_tanh, rnn_relu, lstm or gru. */
    public static final String CELL = "unroll.cell";
    private static final String FORMAT_KEY = "unroll.format";
    private static final String VOCABULARY = "unroll.vocabulary";
    private static final String STEP = "unroll.step";
    private static final String OPTIMIZER_STATE = "unroll.optimizer_state";
    private static final String RNG_STATE = "unroll.rng_state";
    private static final String CARRIED_STATE = "unroll.carried_state";
    /** The prefix of the caller's entries ({@code info} of {@link #save}). */
    private static final String INFO = "unroll.info.";
    /**
     * Heap bytes loading costs per parameter: its value and gradient, and the decoded copy held
     * until the whole file is known to fit, 4 bytes each (the kernels' packed copies of the weights
     * come with the first forward).
     */
    private static final long LOAD_BYTES_PER_PARAMETER = 3 * Float.BYTES;

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
        w.checksums();
        w.metadata(FORMAT_KEY, FORMAT);
        w.metadata(CELL, config.cell().id());
        w.metadata("unroll.vocab_size", Integer.toString(model.vocabularySize()));
        w.metadata("unroll.embedding_dim", Integer.toString(config.inputSize()));
        w.metadata("unroll.hidden_size", Integer.toString(config.hiddenSize()));
        w.metadata("unroll.num_layers", Integer.toString(config.layers()));
        if (vocabulary != null) {
            w.metadata(VOCABULARY, vocabulary.decode(allIds(vocabulary.size())));
        }
        if (info != null) {
            info.forEach((k, v) -> w.metadata(INFO + k, v));
        }
        if (training != null) {
            Base64.Encoder b64 = Base64.getEncoder();
            w.metadata(STEP, Long.toString(training.step()));
            w.metadata(OPTIMIZER_STATE, b64.encodeToString(training.optimizer()));
            w.metadata(RNG_STATE, b64.encodeToString(training.rng()));
            if (training.carried() != null) {
                w.metadata(CARRIED_STATE, b64.encodeToString(training.carried().toBytes()));
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
        Metadata meta = new Metadata(file, f.metadata());
        String format = meta.text(FORMAT_KEY);
        if (format != null && !format.equals(FORMAT) && !format.equals(FORMAT_WITHOUT_CHECKSUMS)) {
            throw meta.invalid(FORMAT_KEY, "'" + FORMAT + "' or '" + FORMAT_WITHOUT_CHECKSUMS + "' (the likely cause is a"
                    + " file from a newer Unroll)");
        }
        if (FORMAT.equals(format) && !f.checksummed()) {
            throw new IllegalArgumentException(file + ": an " + FORMAT + " file must carry checksums, and this one has none"
                    + " (" + Safetensors.METADATA_SHA256 + "): the file was changed after it was written");
        }
        require(f, "embedding.weight");
        require(f, "rnn.weight_ih_l0");
        require(f, "rnn.weight_hh_l0");
        require(f, "head.weight");
        CellType type = cellOf(f, meta, cell);
        RecurrentConfig config = configOf(f, type);
        int vocabularySize = f.shape("embedding.weight")[0];
        // The model is declared, not yet allocated: each shape a layer declares is held against the
        // file's as it is declared, and the names against the file's before build(), so the model
        // holds no more values than the file, whatever its header claims.
        ParamStore.Builder pb = ParamStore.builder((name, shape) -> expectShape(f, name, shape));
        SequenceModel model = SequenceModel.embedded(pb, vocabularySize, config);
        meta.expectSize("unroll.vocab_size", vocabularySize, "embedding.weight's rows");
        meta.expectSize("unroll.embedding_dim", config.inputSize(), "embedding.weight's columns");
        meta.expectSize("unroll.hidden_size", config.hiddenSize(), "the recurrent weights' hidden size");
        meta.expectSize("unroll.num_layers", config.layers(), "the number of rnn.weight_ih_l* tensors");
        long parameters = 0;
        for (String name : f.names()) {
            parameters += f.elementCount(name);
        }
        Memory.require(String.format(Locale.ROOT, "%s: loading a model of %,d parameters", file, parameters),
                LOAD_BYTES_PER_PARAMETER * parameters, "the file is corrupt, or the model larger than this machine can hold");
        StateDict.requireFits(f, pb.params());
        ParamStore params = pb.build();
        StateDict.load(f, params);
        CharVocabulary vocabulary = vocabularyOf(meta, vocabularySize);
        TrainingState training = meta.has(STEP) ? trainingOf(meta, config) : null;
        Map<String, String> info = new LinkedHashMap<>();
        f.metadata().forEach((k, v) -> {
            if (k.startsWith(INFO)) {
                info.put(k.substring(INFO.length()), v);
            }
        });
        return new Loaded(model, params, vocabulary, info, training);
    }

    /** The cell the file declares ({@code unroll.cell}), checked against the caller's, or the caller's. */
    private static CellType cellOf(Safetensors.Contents f, Metadata meta, CellType asked) {
        CellType declared = null;
        if (meta.has(CELL)) {
            try {
                declared = CellType.parse(meta.text(CELL));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(f.file() + ": " + CELL + " says " + e.getMessage(), e);
            }
        }
        if (declared == null && asked == null) {
            throw new IllegalArgumentException(f.file() + " does not say which cell its model has (no " + CELL
                    + " metadata, as in a state_dict saved by PyTorch); a tanh and a relu RNN have the same shapes, so the"
                    + " cell must be named by the caller: Checkpoint.load(file, cell)");
        }
        if (declared != null && asked != null && declared != asked) {
            throw new IllegalArgumentException(f.file() + " holds a " + declared.id() + " model (" + CELL + "), not the "
                    + asked.id() + " asked for");
        }
        return declared != null ? declared : asked;
    }

    /**
     * The recurrent stack's configuration, from the shapes of {@code embedding.weight},
     * {@code rnn.weight_ih_l0} and {@code rnn.weight_hh_l0} and the number of layers. The shapes of
     * the other tensors are the layers' to declare; {@link #load} holds them against the file.
     */
    private static RecurrentConfig configOf(Safetensors.Contents f, CellType type) {
        Path file = f.file();
        int[] embedding = f.shape("embedding.weight");
        int[] ih = f.shape("rnn.weight_ih_l0");
        int[] hh = f.shape("rnn.weight_hh_l0");
        // H from the recurrent weight: [G*H, H] for a matrix, [H] for a vector (the IndRNN's u)
        int hidden = hh.length == 2 ? hh[1] : hh.length == 1 ? hh[0] : 0;
        if (embedding.length != 2 || embedding[0] == 0 || embedding[1] == 0 || ih.length != 2 || hidden == 0
                || (hh.length == 2 ? hh[0] : ih[0]) % hidden != 0) {
            throw new IllegalArgumentException(file + ": embedding.weight " + Arrays.toString(embedding)
                    + ", rnn.weight_ih_l0 " + Arrays.toString(ih) + " and rnn.weight_hh_l0 " + Arrays.toString(hh)
                    + " are not the shapes of an embedding [V, E], an input weight [G*H, E] and a recurrent weight"
                    + " [G*H, H] (or [H]), all sizes positive");
        }
        int gates = (hh.length == 2 ? hh[0] : ih[0]) / hidden;
        if (gates != type.gates()) {
            throw new IllegalArgumentException(file + " holds a " + type.id() + " model but its weights have " + gates
                    + " gate blocks, expected " + type.gates() + " (rnn.weight_hh_l0 is " + Arrays.toString(hh) + ")");
        }
        int layers = 0;
        while (f.has("rnn.weight_ih_l" + layers)) {
            layers++;
        }
        return RecurrentConfig.of(type, embedding[1], hidden, layers)
                .withBiases(f.has("rnn.bias_ih_l0"), f.has("rnn.bias_hh_l0"));
    }

    private static void require(Safetensors.Contents f, String name) {
        if (!f.has(name)) {
            throw new IllegalArgumentException(f.file() + " has no tensor " + name + "; expected the state_dict of a module"
                    + " with attributes embedding, rnn and head (found " + StateDict.list(f.names()) + ")");
        }
    }

    /**
     * Refuses a parameter, as a layer declares it, that the file holds at another shape; one the
     * file lacks is left to the list of {@link StateDict#requireFits}.
     */
    private static void expectShape(Safetensors.Contents f, String name, int[] shape) {
        if (f.has(name) && !Arrays.equals(f.shape(name), shape)) {
            throw new IllegalArgumentException(f.file() + ": " + name + " has shape " + Arrays.toString(f.shape(name))
                    + ", expected " + Arrays.toString(shape) + " from the shapes of embedding.weight and rnn.weight_hh_l0");
        }
    }

    /** The vocabulary of {@code unroll.vocabulary} in its stored order, or null without one. */
    private static CharVocabulary vocabularyOf(Metadata meta, int rows) {
        String chars = meta.text(VOCABULARY);
        if (chars == null) {
            return null;
        }
        CharVocabulary vocabulary;
        try {
            vocabulary = CharVocabulary.inOrder(chars);
        } catch (IllegalArgumentException e) {
            throw meta.invalid(VOCABULARY, "each character once, in the order of the ids (" + e.getMessage() + ")");
        }
        if (vocabulary.size() != rows) {
            throw meta.invalid(VOCABULARY, rows + " characters (one per row of embedding.weight), found "
                    + vocabulary.size());
        }
        return vocabulary;
    }

    private static TrainingState trainingOf(Metadata meta, RecurrentConfig config) {
        long step = meta.natural(STEP);
        String carried = meta.text(CARRIED_STATE);
        meta.require(OPTIMIZER_STATE, "the optimizer's state, which every checkpoint with a step has");
        meta.require(RNG_STATE, "the random stream's state, which every checkpoint with a step has");
        return new TrainingState(step, meta.base64(OPTIMIZER_STATE), meta.base64(RNG_STATE),
                carried == null ? null : carried(meta.file, meta.base64(CARRIED_STATE), config));
    }

    /** The carried state of {@code unroll.carried_state}: any batch, the model's layers, hidden size and cell. */
    private static State carried(Path file, byte[] bytes, RecurrentConfig config) {
        State s;
        try {
            s = State.fromBytes(bytes);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": the carried state (" + CARRIED_STATE + ") is unreadable: "
                    + e.getMessage(), e);
        }
        if (s.layers() != config.layers() || s.hidden() != config.hiddenSize() || s.hasCell() != config.cell().hasCellState()) {
            throw new IllegalArgumentException(file + ": the carried state (" + CARRIED_STATE + ") has shape "
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

    /** The file's metadata, read entry by entry with errors that name the key, the value and what was expected. */
    private static final class Metadata {
        private final Path file;
        private final Map<String, String> entries;

        Metadata(Path file, Map<String, String> entries) {
            this.file = file;
            this.entries = entries;
        }

        boolean has(String key) {
            return entries.containsKey(key);
        }

        /** The value, or null if the key is absent. */
        String text(String key) {
            return entries.get(key);
        }

        void require(String key, String what) {
            if (!has(key)) {
                throw new IllegalArgumentException(file + ": metadata " + key + " is missing, expected " + what
                        + "; the file is corrupt or was edited");
            }
        }

        /** A whole number >= 0. */
        long natural(String key) {
            String value = entries.get(key);
            try {
                long n = Long.parseLong(value);
                if (n >= 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw invalid(key, "a whole number >= 0");
        }

        /** If present, a size that must equal {@code expected}, which the tensors give as {@code source}. */
        void expectSize(String key, int expected, String source) {
            if (has(key) && natural(key) != expected) {
                throw invalid(key, expected + ", " + source);
            }
        }

        /** Base64 bytes. */
        byte[] base64(String key) {
            try {
                return Base64.getDecoder().decode(entries.get(key));
            } catch (IllegalArgumentException e) {
                throw invalid(key, "base64 bytes (" + e.getMessage() + ")");
            }
        }

        IllegalArgumentException invalid(String key, String expected) {
            String value = entries.get(key);
            String shown = value.length() <= 80 ? value : value.substring(0, 80) + "... (" + value.length() + " characters)";
            return new IllegalArgumentException(file + ": metadata " + key + " is '" + shown + "', expected " + expected
                    + "; the file is corrupt or was edited");
        }
    }
}
