package io.unroll.train;

import io.unroll.cell.CellType;
import io.unroll.data.CharVocabulary;
import io.unroll.io.Checkpoint;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.SequenceModel;
import io.unroll.tensor.Check;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.tensor.State;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * Character language modelling the char-rnn way (Karpathy 2015): the training text is cut into
 * B contiguous streams; each training step takes the next {@code seq} characters of every stream,
 * trains on them with truncated BPTT (window {@code tbptt}, an Adam update per window, clipping by
 * global norm) and carries the state on, so the model sees each stream as one long sequence. At the
 * end of an epoch the streams start over from zero state. The last {@code valFraction} of the text
 * is held out and scored the same way, without updates.
 *
 * <p>Everything that decides the next step (weights, Adam moments, carried state, step count) is in
 * a checkpoint, so N steps, save, resume and M more steps give the same weights as N + M in one run.
 */
public final class CharTrainer {
    /** The settings of a run; {@link #defaults()} trains a useful Shakespeare model in minutes on 2 cores. */
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
            Check.positive("tbptt window", tbptt);
            Check.positive("batch", batch);
            Check.positive("learning rate", learningRate);
            Check.positive("clip", clip);
            Check.inRange("validation fraction", valFraction, 0, 0.5);
        }

        public static Config defaults() {
            return new Config(CellType.LSTM, 256, 1, 64, 100, 50, 32, 3e-3, 5.0, 0.05, 42, "default");
        }
    }

    /** One training step: mean loss, bits per character, mean pre- and post-clip gradient norm over its windows. */
    public record StepReport(long step, double loss, double bitsPerChar, double preClipNorm, double postClipNorm, int clippedWindows) {}

    private final Config config;
    private final CharVocabulary vocabulary;
    private final int[] train;   // [N_train] ids
    private final int[] valid;   // [N_val] ids
    private final SequenceModel model;
    private final ParamStore params;
    private final Optimizer optimizer;
    private final Rng rng;
    private final TruncatedBptt tbptt;
    private final int streamLength;
    private final int batchesPerEpoch;
    private final int[] tokens;  // [B, seq]
    private final int[] targets; // [B, seq]
    private final State validState; // [L, B, H] carried along the validation streams
    private long step;
    // per-step accumulators of the window listener
    private double normSum;
    private double clippedNormSum;
    private int windows;
    private int clippedWindows;
    private final TruncatedBptt.ChunkListener windowListener = this::onWindow;

    private CharTrainer(Config config, String text, CharVocabulary vocabulary, SequenceModel model, ParamStore params,
                        Optimizer optimizer, Rng rng) {
        this.config = config;
        this.vocabulary = vocabulary;
        int[] ids = vocabulary.encode(text);
        int validLength = (int) Math.floor(ids.length * config.valFraction());
        this.train = Arrays.copyOfRange(ids, 0, ids.length - validLength);
        this.valid = Arrays.copyOfRange(ids, ids.length - validLength, ids.length);
        this.streamLength = (train.length - 1) / config.batch();
        this.batchesPerEpoch = streamLength / config.seq();
        if (batchesPerEpoch == 0) {
            throw new IllegalArgumentException("the training text has " + train.length + " characters, too few for "
                    + config.batch() + " streams of " + config.seq() + " characters plus one; use a smaller --batch or --seq, or a longer text");
        }
        if (validLength > 0 && (validLength - 1) / config.batch() < config.seq()) {
            throw new IllegalArgumentException("the validation text has " + validLength + " characters, too few for "
                    + config.batch() + " streams of " + config.seq() + "; raise --val-fraction or lower --batch/--seq");
        }
        this.model = model;
        this.params = params;
        this.optimizer = optimizer;
        this.rng = rng;
        this.tbptt = new TruncatedBptt(model, params, optimizer, config.batch(), Math.min(config.tbptt(), config.seq()), config.clip());
        this.tokens = new int[config.batch() * config.seq()];
        this.targets = new int[config.batch() * config.seq()];
        RecurrentConfig rc = model.rnn().config();
        this.validState = State.zeros(rc.layers(), config.batch(), rc.hiddenSize(), rc.cell().hasCellState());
    }

    /** A new model on {@code text}, initialised from {@code config.seed()}. */
    public static CharTrainer create(String text, Config config) {
        CharVocabulary vocabulary = CharVocabulary.of(text);
        ParamStore.Builder pb = ParamStore.builder();
        SequenceModel model = SequenceModel.embedded(pb, vocabulary.size(),
                RecurrentConfig.of(config.cell(), config.embedding(), config.hidden(), config.layers()));
        ParamStore params = pb.build();
        Rng rng = Rng.create(config.rngMode(), config.seed());
        // PyTorch's defaults: nn.Embedding N(0, 1); nn.LSTM/GRU/RNN and nn.Linear U(±1/√fan_in)
        Init.gaussian(model.embedding().weight(), 1.0, rng);
        Init.apply(model.rnn(), InitScheme.PYTORCH, rng);
        if (model.rnn().cell(0).forgetGateBlock() >= 0) {
            Init.forgetGateBias(model.rnn(), 1.0);
        }
        Init.uniform(model.head().weight(), 1 / Math.sqrt(config.hidden()), rng);
        Init.uniform(model.head().bias(), 1 / Math.sqrt(config.hidden()), rng);
        return new CharTrainer(config, text, vocabulary, model, params, Adam.adam(config.learningRate()), rng);
    }

    /**
     * Continues the run saved in {@code checkpoint} on the same text. The text's vocabulary must be the
     * checkpoint's; {@code config}'s sizes are replaced by the checkpoint's.
     */
    public static CharTrainer resume(String text, Checkpoint.Loaded checkpoint, Config config) {
        if (checkpoint.vocabulary() == null || checkpoint.training() == null) {
            throw new IllegalArgumentException("the checkpoint holds no " + (checkpoint.vocabulary() == null ? "vocabulary" : "training state")
                    + "; only checkpoints written by 'unroll train' can be resumed");
        }
        CharVocabulary vocabulary = CharVocabulary.of(text);
        if (!vocabulary.equals(checkpoint.vocabulary())) {
            throw new IllegalArgumentException("the text's vocabulary (" + vocabulary.size() + " characters) differs from the checkpoint's ("
                    + checkpoint.vocabulary().size() + "); resume on the text the model was trained on");
        }
        RecurrentConfig rc = checkpoint.model().rnn().config();
        Config c = new Config(rc.cell(), rc.hiddenSize(), rc.layers(), rc.inputSize(), config.seq(), config.tbptt(),
                config.batch(), config.learningRate(), config.clip(), config.valFraction(), config.seed(), config.rngMode());
        Checkpoint.TrainingState t = checkpoint.training();
        CharTrainer trainer = new CharTrainer(c, text, vocabulary, checkpoint.model(), checkpoint.params(),
                Optimizer.restoreState(t.optimizer()), Rng.restoreState(t.rng()));
        trainer.step = t.step();
        if (t.carried() != null) {
            trainer.tbptt.restoreState(t.carried());
        }
        return trainer;
    }

    public Config config() {
        return config;
    }

    public CharVocabulary vocabulary() {
        return vocabulary;
    }

    public SequenceModel model() {
        return model;
    }

    public ParamStore params() {
        return params;
    }

    /** Training steps taken (batches of B × seq characters). */
    public long step() {
        return step;
    }

    public int batchesPerEpoch() {
        return batchesPerEpoch;
    }

    /** Characters of training text consumed per step. */
    public long charactersPerStep() {
        return (long) config.batch() * config.seq();
    }

    public int trainingCharacters() {
        return train.length;
    }

    public int validationCharacters() {
        return valid.length;
    }

    /** Trains on the next batch of the streams. */
    public StepReport trainStep() {
        int index = (int) (step % batchesPerEpoch);
        if (index == 0) {
            tbptt.resetState();
        }
        fill(train, streamLength, index);
        normSum = 0;
        clippedNormSum = 0;
        windows = 0;
        clippedWindows = 0;
        double loss = tbptt.train(tokens, targets, config.seq(), windowListener);
        step++;
        return new StepReport(step, loss, loss / Math.log(2), normSum / windows, clippedNormSum / windows, clippedWindows);
    }

    private void onWindow(long chunk, double loss, double preClipNorm) {
        normSum += preClipNorm;
        clippedNormSum += Math.min(preClipNorm, config.clip());
        clippedWindows += preClipNorm > config.clip() ? 1 : 0;
        windows++;
    }

    /** Mean cross-entropy (nats per character) on the held-out text, state carried along its streams; NaN without one. */
    public double validationLoss() {
        if (valid.length == 0) {
            return Double.NaN;
        }
        int validStream = (valid.length - 1) / config.batch();
        int batches = validStream / config.seq();
        validState.clear();
        double total = 0;
        for (int i = 0; i < batches; i++) {
            fill(valid, validStream, i);
            total += model.forward(tokens, targets, null, config.batch(), config.seq(), validState);
            validState.copyFrom(model.finalState());
        }
        return total / batches;
    }

    /** Saves the model and everything needed to resume, atomically. */
    public void save(Path file, Map<String, String> info) throws IOException {
        Checkpoint.save(file, model, params, vocabulary, info,
                new Checkpoint.TrainingState(step, optimizer.saveState(), rng.saveState(), tbptt.state()));
    }

    /** Batch {@code index} of the B streams of {@code ids}, each {@code stream} characters long. */
    private void fill(int[] ids, int stream, int index) {
        int seq = config.seq();
        for (int b = 0; b < config.batch(); b++) {
            int start = b * stream + index * seq;
            System.arraycopy(ids, start, tokens, b * seq, seq);
            System.arraycopy(ids, start + 1, targets, b * seq, seq);
        }
    }
}
