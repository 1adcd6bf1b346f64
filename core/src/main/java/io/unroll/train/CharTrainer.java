package io.unroll.train;

import io.unroll.cell.CellType;
import io.unroll.data.CharVocabulary;
import io.unroll.init.InitScheme;
import io.unroll.init.Weights;
import io.unroll.io.Checkpoint;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.SequenceModel;
import io.unroll.tensor.Check;
import io.unroll.tensor.Memory;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Character language modelling the char-rnn way (Karpathy 2015): an embedding, a recurrent stack
 * and a linear head over the characters of a text, trained on the {@link TextStreams} of the text
 * by a {@link TrainingRun} (truncated BPTT, Adam, clipping by global norm).
 *
 * <p>{@link #create} starts a run with PyTorch's default initialisation; {@link #resume} continues
 * one from its checkpoint. Every checkpoint records the text ({@link TextFingerprint}) and the
 * {@link Config} in its metadata, and a resumed run keeps them: see docs/training.md.
 */
public final class CharTrainer {
    private final Config config;
    private final TextStreams text;
    private final TrainingRun run;

    /**
     * The settings of a character model's run; {@link #defaults()} trains a useful Shakespeare
     * model in minutes on 2 cores. Build one with {@link #builder()}.
     *
     * @param seq          characters of every stream per step
     * @param tbptt        the truncated-BPTT window (at most {@code seq} is used)
     * @param batch        parallel streams through the text
     * @param valFraction  the share of the text, at its end, held out for validation, in [0, 0.5)
     * @param rngMode      the random stream the seed drives ({@link Rng#create})
     */
    public record Config(CellType cell, int hidden, int layers, int embedding, int seq, int tbptt, int batch,
                         double learningRate, double clip, double valFraction, long seed, String rngMode) {
        public Config {
            if (cell == null) {
                throw new IllegalArgumentException("cell is required");
            }
            Check.positive("hidden size", hidden);
            Check.positive("layers", layers);
            Check.positive("embedding size", embedding);
            Check.positive("sequence length", seq);
            Check.positive("truncated-BPTT window", tbptt);
            Check.positive("batch (parallel streams)", batch);
            Check.positive("learning rate", learningRate);
            Check.positive("clipping norm", clip);
            Check.inRange("validation fraction", valFraction, 0, 0.5);
            if (rngMode == null) {
                throw new IllegalArgumentException("random stream is required");
            }
        }

        /** LSTM, 1 layer of 256, embedding 64, seq 100, tbptt 50, batch 32, Adam lr 3e-3, clip 5, validation 5%, seed 42. */
        public static Config defaults() {
            return builder().build();
        }

        /** A builder starting from {@link #defaults()}. */
        public static Builder builder() {
            return new Builder();
        }

        /** A builder starting from these settings. */
        public Builder toBuilder() {
            return new Builder().cell(cell).hidden(hidden).layers(layers).embedding(embedding).seq(seq).tbptt(tbptt)
                    .batch(batch).learningRate(learningRate).clip(clip).valFraction(valFraction).seed(seed).rngMode(rngMode);
        }

        /** Writes the settings that have a metadata entry ({@link Setting#key()}), in {@link Setting} order. */
        public void writeTo(Map<String, String> info) {
            for (Setting s : Setting.values()) {
                if (s.key() != null) {
                    info.put(s.key(), s.valueIn(this));
                }
            }
        }

        /**
         * The settings of the run saved in {@code checkpoint}: the model's sizes and cell from the
         * model itself, the others from its metadata, and those it does not record from
         * {@code fallback}.
         *
         * @throws IllegalArgumentException if a recorded value is malformed
         */
        public static Config recordedIn(Checkpoint.Loaded checkpoint, Config fallback) {
            RecurrentConfig rc = checkpoint.model().rnn().config();
            Builder b = fallback.toBuilder().cell(rc.cell()).hidden(rc.hiddenSize()).layers(rc.layers()).embedding(rc.inputSize());
            Map<String, String> info = checkpoint.metadata();
            List<String> recorded = new ArrayList<>();
            for (Setting s : Setting.values()) {
                if (s.key() != null && info.containsKey(s.key())) {
                    s.read(b, info.get(s.key()));
                    recorded.add("unroll.info." + s.key() + " '" + info.get(s.key()) + "'");
                }
            }
            try {
                return b.build();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the checkpoint records settings that make no valid run ("
                        + String.join(", ", recorded) + "): " + e.getMessage() + "; the file is corrupt or was edited", e);
            }
        }

        /** The settings among {@code settings} whose value in {@code requested} is not this config's, in {@link Setting} order. */
        public List<Difference> differencesFrom(Config requested, Set<Setting> settings) {
            List<Difference> out = new ArrayList<>();
            for (Setting s : Setting.values()) {
                if (settings.contains(s) && !s.valueIn(this).equals(s.valueIn(requested))) {
                    out.add(new Difference(s, s.valueIn(this), s.valueIn(requested)));
                }
            }
            return out;
        }

        /** Builds a {@link Config} by name; unset settings keep their defaults. */
        public static final class Builder {
            private CellType cell = CellType.LSTM;
            private int hidden = 256;
            private int layers = 1;
            private int embedding = 64;
            private int seq = 100;
            private int tbptt = 50;
            private int batch = 32;
            private double learningRate = 3e-3;
            private double clip = 5.0;
            private double valFraction = 0.05;
            private long seed = 42;
            private String rngMode = "default";

            private Builder() {}

            public Builder cell(CellType cell) {
                this.cell = cell;
                return this;
            }

            public Builder hidden(int hidden) {
                this.hidden = hidden;
                return this;
            }

            public Builder layers(int layers) {
                this.layers = layers;
                return this;
            }

            public Builder embedding(int embedding) {
                this.embedding = embedding;
                return this;
            }

            public Builder seq(int seq) {
                this.seq = seq;
                return this;
            }

            public Builder tbptt(int tbptt) {
                this.tbptt = tbptt;
                return this;
            }

            public Builder batch(int batch) {
                this.batch = batch;
                return this;
            }

            public Builder learningRate(double learningRate) {
                this.learningRate = learningRate;
                return this;
            }

            public Builder clip(double clip) {
                this.clip = clip;
                return this;
            }

            public Builder valFraction(double valFraction) {
                this.valFraction = valFraction;
                return this;
            }

            public Builder seed(long seed) {
                this.seed = seed;
                return this;
            }

            public Builder rngMode(String rngMode) {
                this.rngMode = rngMode;
                return this;
            }

            public Config build() {
                return new Config(cell, hidden, layers, embedding, seq, tbptt, batch, learningRate, clip, valFraction, seed, rngMode);
            }
        }
    }

    /**
     * The settings of a {@link Config}, in the order they are checked and recorded, each with its
     * {@code unroll.info.*} metadata key (null for the model's sizes and cell, which the tensors
     * and {@code unroll.cell} record) and the words that name it in messages.
     */
    public enum Setting {
        CELL(null, "cell"),
        HIDDEN(null, "hidden size"),
        LAYERS(null, "layers"),
        EMBEDDING(null, "embedding size"),
        SEQ("seq", "sequence length (characters per stream per step)"),
        TBPTT("tbptt", "truncated-BPTT window"),
        BATCH("batch", "batch (parallel streams)"),
        LEARNING_RATE("lr", "learning rate"),
        CLIP("clip", "clipping norm"),
        VALIDATION_FRACTION("val_fraction", "validation fraction"),
        SEED("seed", "seed"),
        RNG("rng", "random stream");

        private final String key;
        private final String concept;

        Setting(String key, String concept) {
            this.key = key;
            this.concept = concept;
        }

        /** The {@code unroll.info.*} entry that records it, or null. */
        public String key() {
            return key;
        }

        /** What it is, in words: {@code batch (parallel streams)}. */
        public String concept() {
            return concept;
        }

        /** Its value in {@code c} as recorded and shown: {@code lstm}, {@code 32}, {@code 0.003}. */
        public String valueIn(Config c) {
            switch (this) {
                case CELL: return c.cell().id();
                case HIDDEN: return Integer.toString(c.hidden());
                case LAYERS: return Integer.toString(c.layers());
                case EMBEDDING: return Integer.toString(c.embedding());
                case SEQ: return Integer.toString(c.seq());
                case TBPTT: return Integer.toString(c.tbptt());
                case BATCH: return Integer.toString(c.batch());
                case LEARNING_RATE: return Double.toString(c.learningRate());
                case CLIP: return Double.toString(c.clip());
                case VALIDATION_FRACTION: return Double.toString(c.valFraction());
                case SEED: return Long.toString(c.seed());
                case RNG: return c.rngMode();
                default: throw new AssertionError(this);
            }
        }

        /** Sets the value recorded as {@code text} on {@code b}. */
        private void read(Config.Builder b, String text) {
            try {
                switch (this) {
                    case SEQ: b.seq(Integer.parseInt(text)); break;
                    case TBPTT: b.tbptt(Integer.parseInt(text)); break;
                    case BATCH: b.batch(Integer.parseInt(text)); break;
                    case LEARNING_RATE: b.learningRate(Double.parseDouble(text)); break;
                    case CLIP: b.clip(Double.parseDouble(text)); break;
                    case VALIDATION_FRACTION: b.valFraction(Double.parseDouble(text)); break;
                    case SEED: b.seed(Long.parseLong(text)); break;
                    case RNG: b.rngMode(text); break;
                    default: throw new AssertionError(this + " has no metadata entry");
                }
            } catch (IllegalArgumentException e) { // a NumberFormatException too
                throw new IllegalArgumentException("the checkpoint records the " + concept + " as '" + text
                        + "' (unroll.info." + key + "), " + (e instanceof NumberFormatException ? "expected a number"
                        : "not a valid value (" + e.getMessage() + ")") + ": the file is corrupt or was edited", e);
            }
        }
    }

    /** A setting whose requested value is not the one a checkpoint recorded. */
    public record Difference(Setting setting, String recorded, String requested) {
        /** {@code batch (parallel streams) 4 differs from the checkpoint's 2}. */
        public String describe() {
            return setting.concept() + " " + requested + " differs from the checkpoint's " + recorded;
        }
    }

    /**
     * Which text a run trains on, as its checkpoints record it: a name (the file name), its length
     * in characters (code points) and the SHA-256 of its UTF-8 bytes, which tells whether a resumed
     * run has the same text.
     */
    public record TextFingerprint(String name, long characters, String sha256) {
        private static final String NAME = "text";
        private static final String CHARACTERS = "text_characters";
        private static final String SHA256 = "text_sha256";

        public static TextFingerprint of(String name, String text) {
            return new TextFingerprint(name, text.codePointCount(0, text.length()), sha256(text));
        }

        /** The fingerprint a checkpoint's metadata records, or null if it records none. */
        public static TextFingerprint recordedIn(Map<String, String> info) {
            String sha = info.get(SHA256);
            if (sha == null) {
                return null;
            }
            if (!sha.matches("[0-9a-f]{64}")) {
                throw corrupt(SHA256, sha, "a SHA-256 in 64 lowercase hex digits");
            }
            long characters = -1;
            String count = info.get(CHARACTERS);
            if (count != null) {
                try {
                    characters = Long.parseLong(count);
                } catch (NumberFormatException e) {
                    // reported below
                }
                if (characters < 0) {
                    throw corrupt(CHARACTERS, count, "a whole number >= 0");
                }
            }
            return new TextFingerprint(info.getOrDefault(NAME, "unknown"), characters, sha);
        }

        private static IllegalArgumentException corrupt(String key, String value, String expected) {
            return new IllegalArgumentException("the checkpoint records '" + value + "' as unroll.info." + key
                    + ", expected " + expected + ": the file is corrupt or was edited");
        }

        public void writeTo(Map<String, String> info) {
            info.put(NAME, name);
            info.put(CHARACTERS, Long.toString(characters));
            info.put(SHA256, sha256);
        }

        /** Whether both are the same text (whatever their names). */
        public boolean sameText(TextFingerprint other) {
            return sha256.equals(other.sha256);
        }

        /** {@code tiny.txt, 3,000 characters}. */
        public String describe() {
            return name + ", " + (characters < 0 ? "?" : Long.toString(characters)) + " characters";
        }

        private static String sha256(String text) {
            try {
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is not available in this Java runtime", e);
            }
        }
    }

    private CharTrainer(Config config, TextStreams text, TrainingRun.Builder run, TextFingerprint fingerprint) {
        this.config = config;
        this.text = text;
        Map<String, String> info = new LinkedHashMap<>();
        fingerprint.writeTo(info);
        config.writeTo(info);
        this.run = run.data(text).tbptt(config.tbptt()).clip(config.clip()).taskInfo(info).build();
    }

    /**
     * A new model on {@code text} (called {@code textName} in its checkpoints), initialised from
     * {@code config.seed()}.
     *
     * @throws Memory.InsufficientMemoryException before anything large is allocated, if the model,
     *         its training and the text need more memory than the heap may hold
     */
    public static CharTrainer create(String textName, String text, Config config) {
        CharVocabulary vocabulary = CharVocabulary.of(text);
        ParamStore.Builder pb = ParamStore.builder();
        SequenceModel model = SequenceModel.embedded(pb, vocabulary.size(),
                RecurrentConfig.of(config.cell(), config.embedding(), config.hidden(), config.layers()));
        requireMemory(config, text, pb.size(), model);
        TextStreams streams = new TextStreams(vocabulary.encode(text), config.batch(), config.seq(), config.valFraction());
        ParamStore params = pb.build();
        Rng rng = Rng.create(config.rngMode(), config.seed());
        // PyTorch's defaults: nn.Embedding N(0, 1); nn.LSTM/GRU/RNN and nn.Linear U(±1/√fan_in)
        Weights.gaussian(model.embedding().weight(), 1.0, rng);
        Init.apply(model.rnn(), InitScheme.PYTORCH, rng);
        if (model.rnn().cell(0).forgetGateBlock() >= 0) {
            Init.forgetGateBias(model.rnn(), 1.0);
        }
        Weights.uniform(model.head().weight(), 1 / Math.sqrt(config.hidden()), rng);
        Weights.uniform(model.head().bias(), 1 / Math.sqrt(config.hidden()), rng);
        return new CharTrainer(config, streams, TrainingRun.builder().model(model, params).vocabulary(vocabulary)
                .optimizer(Adam.adam(config.learningRate())).rng(rng), TextFingerprint.of(textName, text));
    }

    /**
     * Weighs what training the declared {@code model} on {@code text} allocates against the heap:
     * the parameters with their gradients and Adam's two moments, the workspace of a step of
     * {@code [batch, seq]} (validation's shape, the largest), the text as ids, once encoded and once
     * cut into streams, and what saving a checkpoint holds besides.
     */
    private static void requireMemory(Config config, String text, int parameters, SequenceModel model) {
        long parameterBytes = 4L * 4 * parameters;
        long workspaceBytes = 4 * model.workspaceFloats(config.batch(), config.seq());
        long textBytes = 8L * text.length();
        // A save holds a copy of the parameters, Adam's state (8 bytes a parameter) and that state as
        // base64 text in the file's header, more than once while the header is built: some 64 bytes
        // a parameter at its peak, measured on 13 M parameters (and G1 needs room to place them).
        long saveBytes = 64L * parameters;
        Memory.require(String.format(Locale.ROOT, "training this model (%s, %d layer%s of %d, embedding %d, vocabulary %d:"
                        + " %,d parameters) on %d streams x %d characters (parameters with gradients and Adam moments %s,"
                        + " workspace %s, text %s, saving a checkpoint %s)", config.cell().id(), config.layers(),
                        config.layers() == 1 ? "" : "s", config.hidden(), config.embedding(), model.vocabularySize(), parameters,
                        config.batch(), config.seq(), Memory.format(parameterBytes), Memory.format(workspaceBytes),
                        Memory.format(textBytes), Memory.format(saveBytes)),
                parameterBytes + workspaceBytes + textBytes + saveBytes,
                "use a smaller hidden size, fewer layers, a smaller batch, shorter sequences or a shorter text, or a larger heap");
    }

    /**
     * Continues the run saved in {@code checkpoint} on {@code text}, whose characters must be the
     * checkpoint's vocabulary, with the settings the checkpoint records
     * ({@link Config#recordedIn}, the defaults where it records none).
     */
    public static CharTrainer resume(String textName, String text, Checkpoint.Loaded checkpoint) {
        return resume(textName, text, checkpoint, Config.recordedIn(checkpoint, Config.defaults()));
    }

    /**
     * Continues the run saved in {@code checkpoint} on {@code text} with {@code config}, which must
     * agree with every setting the checkpoint records; a setting it does not record is taken from
     * {@code config}.
     *
     * @throws IllegalArgumentException if the checkpoint holds no vocabulary or training state, the
     *                                  text's characters are not its vocabulary, or a setting differs
     */
    public static CharTrainer resume(String textName, String text, Checkpoint.Loaded checkpoint, Config config) {
        return resume(TextFingerprint.of(textName, text), text, checkpoint, config);
    }

    /** {@link #resume(String, String, Checkpoint.Loaded, Config)} with the text's fingerprint already taken. */
    public static CharTrainer resume(TextFingerprint fingerprint, String text, Checkpoint.Loaded checkpoint, Config config) {
        if (checkpoint.vocabulary() == null || checkpoint.training() == null) {
            throw new IllegalArgumentException("the checkpoint holds no " + (checkpoint.vocabulary() == null ? "vocabulary" : "training state")
                    + "; only checkpoints saved by a character model's training run can be resumed");
        }
        CharVocabulary vocabulary = CharVocabulary.of(text);
        if (!vocabulary.equals(checkpoint.vocabulary())) {
            throw new IllegalArgumentException("the text's vocabulary (" + vocabulary.size() + " characters) differs from the checkpoint's ("
                    + checkpoint.vocabulary().size() + "); resume on the text the model was trained on");
        }
        Config recorded = Config.recordedIn(checkpoint, config);
        List<Difference> differences = recorded.differencesFrom(config, EnumSet.allOf(Setting.class));
        if (!differences.isEmpty()) {
            throw new IllegalArgumentException(differences.get(0).describe()
                    + "; a resumed run keeps the model and settings of its checkpoint");
        }
        TextStreams streams = new TextStreams(vocabulary.encode(text), recorded.batch(), recorded.seq(), recorded.valFraction());
        return new CharTrainer(recorded, streams, TrainingRun.builder().resumeFrom(checkpoint), fingerprint);
    }

    public Config config() {
        return config;
    }

    /** The text's training and validation streams. */
    public TextStreams text() {
        return text;
    }

    /** The run that trains the model: single steps, or {@link TrainingRun#run} to a target. */
    public TrainingRun run() {
        return run;
    }

    public CharVocabulary vocabulary() {
        return run.vocabulary();
    }
}
