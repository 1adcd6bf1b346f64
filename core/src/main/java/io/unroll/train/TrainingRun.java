package io.unroll.train;

import io.unroll.data.Batch;
import io.unroll.data.CharVocabulary;
import io.unroll.io.Checkpoint;
import io.unroll.layer.Recurrent;
import io.unroll.layer.SequenceModel;
import io.unroll.layer.StepObserver;
import io.unroll.layer.TrainableModel;
import io.unroll.tensor.Check;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A training run of a model on any {@link BatchSource}: every step takes the source's next batch
 * {@code [B, T]} and trains on it with {@link TruncatedBptt} (an optimizer update per window of k
 * steps, clipping by global norm, the state carried on until the source starts new sequences).
 * The model is a {@link TrainableModel} of either kind: a token model ({@link SequenceModel}, a
 * cross-entropy at every step, in nats) or a model of vectors with a real target at the last step
 * ({@link io.unroll.layer.SequenceRegressor}, a mean squared error, trained with full BPTT: a
 * window shorter than its sequences is refused). The source must give the kind of batch the model
 * reads. {@link #run(Plan)} trains to a target step, validates every n steps and at the end,
 * and saves a checkpoint with each validation plus {@value CheckpointDirectory#LATEST}; listeners
 * see every step and every validation and checkpoint.
 *
 * <p>Everything that decides the next step (weights, optimizer moments, random stream, carried
 * state, step count) is in each checkpoint, so N steps, save, resume ({@link Builder#resumeFrom})
 * and M more give bit for bit the weights of N + M steps in one go.
 *
 * <p>A run ends in one of three ways ({@link Outcome}): the target is reached; a stop was requested
 * ({@link #requestStop()}, from any thread), honoured at the next step boundary, after which the run
 * saves {@value CheckpointDirectory#LATEST}; or a step's loss or gradient norm, or a validation
 * loss, stopped being finite, after which nothing more is saved and the result names the last
 * good checkpoint. The checkpoint metadata this class writes is described in docs/training.md.
 * Checkpoints hold token models with an embedding ({@link Checkpoint}); a run of any other model
 * trains without them and refuses a checkpoint directory.
 *
 * <p>A {@link Telemetry} ({@link Builder#telemetry}, e.g. {@code io.unroll.flow.FlowTelemetry})
 * watches the steps from inside: every window's clipping and, when it asks, a window's backward
 * time loop (docs/telemetry.md).
 */
public final class TrainingRun {
    // the run's entries of a checkpoint's unroll.info.* metadata, after the task's own
    private static final String TARGET_STEPS = "target_steps";
    private static final String VAL_STEP = "val_step";
    private static final String VAL_LOSS = "val_loss";
    private static final String VAL_BITS = "val_bits_per_char";
    private static final String STEP = "step";
    private static final String EPOCH = "epoch";
    private static final String TRAIN_LOSS = "train_loss";
    /** Steps over which {@link Pace} averages the step time: it follows the recent rate, not the JIT's warm-up. */
    static final int RECENT_STEPS = 50;

    private final TrainableModel model;
    private final ParamStore params;
    private final CharVocabulary vocabulary;
    private final Optimizer optimizer;
    private final LearningRateSchedule schedule; // null: the optimizer's own rate
    private final Rng rng;
    private final BatchSource data;
    private final TruncatedBptt tbptt;
    private final double clip;
    private final Map<String, String> taskInfo;
    private final boolean resumed;
    private final Batch batch;   // the model's kind, [B, T], refilled every step
    private long step;
    private Path savedIn; // the checkpoint directory of the last run(): this run's own
    private volatile boolean stopRequested;
    // the current step's windows, summed by the window listener
    private double normSum;
    private double clippedNormSum;
    private int windows;
    private int clippedWindows;
    private Telemetry telemetry;
    private final TruncatedBptt.ChunkListener windowListener = new TruncatedBptt.ChunkListener() {
        @Override
        public void onChunk(long chunk, double loss, double preClipNorm) {
            onWindow(loss, preClipNorm);
        }

        @Override
        public StepObserver backwardObserver(long chunk) {
            return telemetry.backwardObserver(windows);
        }

        @Override
        public void beforeClip(long chunk) {
            telemetry.afterBackward(windows);
        }
    };

    /**
     * One training step: its number (1 for the first), the mean loss over its windows (nats, or the
     * mean squared error of a real target) and in bits (bits per character for a character model;
     * NaN for a squared error), the mean pre- and post-clip global gradient norm, how many windows
     * were clipped, and its wall time.
     */
    public record StepReport(long step, double loss, double bitsPerToken, double preClipNorm, double postClipNorm,
                             int clippedWindows, double seconds) {}

    /**
     * A validation after {@code step}: the loss on held-out data (nats or squared error, NaN
     * without any), in bits (NaN for a squared error), the step's training loss, the checkpoint
     * saved with it (null without a directory) and how long the validation took.
     */
    public record Validation(long step, double epoch, double loss, double bitsPerToken, double trainLoss, Path checkpoint,
                             double seconds) {}

    /**
     * How fast the run goes, from the mean time of its last {@value #RECENT_STEPS} steps: seconds
     * per step, tokens (characters, or input steps of a model of vectors) per second, and the time
     * left to the target, the remaining validations counted at the duration of the last one.
     */
    public record Pace(double secondsPerStep, double tokensPerSecond, double secondsLeft) {}

    /**
     * Watches a run's steps from inside, on the training thread: gradient-flow telemetry
     * ({@code io.unroll.flow.FlowTelemetry}). The calls of one step come in this order:
     * {@link #beginStep}; then for each truncated-BPTT window w (0 for the step's first; one window
     * unless the run has a window shorter than its sequences) {@link #backwardObserver}(w) after the
     * window's forward, {@link #afterBackward}(w), then {@link #onWindow}(w). A window whose loss is
     * not finite takes no gradient: only its {@code onWindow} comes, with a NaN norm. A telemetry
     * reads the math and must not change it; one that throws ends the run with its exception.
     */
    public interface Telemetry {
        /**
         * The run is built: the stack it trains, the store of the model's parameters, and the
         * global-norm clipping threshold ({@code Double.POSITIVE_INFINITY} without clipping).
         */
        void attach(Recurrent rnn, ParamStore params, double maxNorm);

        /** Step {@code step} (1 for a run's first; a resumed run counts on) begins. */
        void beginStep(long step);

        /** The observer of window {@code window}'s backward time loop, or {@link StepObserver#NONE}. */
        StepObserver backwardObserver(int window);

        /**
         * After window {@code window}'s backward, before clipping: the parameter gradients are the
         * window's own, unclipped, and the stack's buffers still hold its forward.
         */
        void afterBackward(int window);

        /**
         * Every window of every step, after its clipping and before its update: its mean loss and
         * the pre-clip global gradient norm, either of them possibly not finite.
         */
        void onWindow(int window, double loss, double preClipNorm);
    }

    /** The telemetry of a run without one. */
    private static final Telemetry NO_TELEMETRY = new Telemetry() {
        @Override
        public void attach(Recurrent rnn, ParamStore params, double maxNorm) {}

        @Override
        public void beginStep(long step) {}

        @Override
        public StepObserver backwardObserver(int window) {
            return StepObserver.NONE;
        }

        @Override
        public void afterBackward(int window) {}

        @Override
        public void onWindow(int window, double loss, double preClipNorm) {}
    };

    /** Receives a run's progress on the training thread; a listener that throws ends the run with its exception. */
    public interface Listener {
        /** After every finite step (a step whose loss or norm is not finite ends the run, see {@link Outcome#DIVERGED}). */
        default void onStep(StepReport report, Pace pace) {}

        /** After a validation and the checkpoints saved with it. */
        default void onValidation(Validation validation) {}

        /** After every checkpoint file written. */
        default void onCheckpoint(long step, Path file) {}
    }

    /**
     * Where a run diverged: the step, and the loss that stopped being finite, of that step's
     * training (with its mean pre-clip norm, NaN if no gradient was taken) or of the validation
     * after it ({@code validation}; the norm is then the step's).
     */
    public record Divergence(long step, double loss, double preClipNorm, boolean validation) {}

    /** How a run ended. */
    public enum Outcome {
        /** The target step was reached, validated and saved. */
        COMPLETED,
        /** {@link #requestStop()} stopped it before the target; {@value CheckpointDirectory#LATEST} holds where it stopped. */
        STOPPED,
        /** A step's loss or gradient norm, or a validation loss, was not finite; nothing was saved after it. */
        DIVERGED
    }

    /**
     * What {@link #run(Plan)} did.
     *
     * @param last     the last finite step, or null if none was taken
     * @param diverged what was not finite, for {@link Outcome#DIVERGED}, else null
     * @param latest   the {@value CheckpointDirectory#LATEST} this run wrote, or null if it wrote none
     * @param trainingSeconds time spent in training steps, validation excluded
     */
    public record Result(Outcome outcome, long startStep, long step, long targetSteps, StepReport last, Divergence diverged,
                         List<Validation> validations, Path latest, double trainingSeconds) {
        public Result {
            validations = List.copyOf(validations);
        }

        /** The validation with the lowest loss, or null if none had a finite one. */
        public Validation best() {
            Validation best = null;
            for (Validation v : validations) {
                if (!Double.isNaN(v.loss()) && (best == null || v.loss() < best.loss())) {
                    best = v;
                }
            }
            return best;
        }

        /** The newest checkpoint of a validation of this run, or null: after a divergence, the state to go back to. */
        public Path lastGoodCheckpoint() {
            return validations.isEmpty() ? null : validations.get(validations.size() - 1).checkpoint();
        }
    }

    /**
     * What {@link #run(Plan)} should do: train to {@code targetSteps} (counted from the start of
     * the run, resumed steps included), validate every {@code validateEvery} steps and at the end,
     * keep checkpoints in {@code directory} (none if null), and whether a new run may write into a
     * directory that already holds checkpoints ({@code overwrite}; a resumed run always may, and so
     * may a run in the directory of its own previous {@link #run(Plan)}).
     */
    public record Plan(long targetSteps, int validateEvery, Path directory, boolean overwrite, List<Listener> listeners) {
        public Plan {
            if (targetSteps <= 0) {
                throw new IllegalArgumentException("target is " + targetSteps + " steps, expected a positive number");
            }
            Check.positive("validation interval (steps)", validateEvery);
            listeners = List.copyOf(listeners);
        }

        /** A plan to reach {@code targetSteps}: by default validating every 200 steps, no checkpoints, no listeners. */
        public static Builder to(long targetSteps) {
            return new Builder(targetSteps);
        }

        /** Builds a {@link Plan} with named settings. */
        public static final class Builder {
            private final long targetSteps;
            private int validateEvery = 200;
            private Path directory;
            private boolean overwrite;
            private final List<Listener> listeners = new ArrayList<>();

            private Builder(long targetSteps) {
                this.targetSteps = targetSteps;
            }

            public Builder validateEvery(int steps) {
                this.validateEvery = steps;
                return this;
            }

            /** Keep checkpoints in {@code dir}, created when the run starts. */
            public Builder checkpointsIn(Path dir) {
                this.directory = dir;
                return this;
            }

            /** Whether a new run may write into a directory that holds checkpoints (same-named files are replaced). */
            public Builder overwrite(boolean overwrite) {
                this.overwrite = overwrite;
                return this;
            }

            public Builder listener(Listener listener) {
                listeners.add(Objects.requireNonNull(listener, "listener"));
                return this;
            }

            public Plan build() {
                return new Plan(targetSteps, validateEvery, directory, overwrite, listeners);
            }
        }
    }

    private TrainingRun(Builder b) {
        this.model = b.model;
        this.params = b.params;
        this.vocabulary = b.vocabulary;
        this.optimizer = b.optimizer;
        this.rng = b.rng;
        this.data = b.data;
        this.clip = b.clip;
        this.schedule = b.schedule;
        this.taskInfo = new LinkedHashMap<>(b.taskInfo);
        this.resumed = b.resumedFrom != null;
        int batch = data.batchSize();
        int steps = data.sequenceLength();
        if (data.batchKind() != model.batchKind()) {
            throw new IllegalArgumentException("the batch source gives " + data.batchKind().description() + ", but the model"
                    + " reads " + model.batchKind().description() + ": train a SequenceModel on token batches and a"
                    + " SequenceRegressor on vector batches");
        }
        data.checkModel(model);
        if (model.batchKind() == Batch.Kind.VECTORS && b.window != 0 && b.window < steps) {
            throw TruncatedBptt.lastStepLossNeedsFullBptt(b.window, steps);
        }
        int window = b.window == 0 ? steps : Math.min(b.window, steps);
        this.tbptt = new TruncatedBptt(model, params, optimizer, batch, window, clip);
        watch(b.telemetry);
        this.batch = model.newBatch(batch, steps);
        if (b.resumedFrom != null) {
            this.step = b.resumedFrom.step();
            if (b.resumedFrom.carried() != null) {
                tbptt.restoreState(b.resumedFrom.carried());
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Assembles a run: the model and its parameters, an optimizer, the random stream, the data; the rest optional. */
    public static final class Builder {
        private TrainableModel model;
        private ParamStore params;
        private CharVocabulary vocabulary;
        private Optimizer optimizer;
        private Rng rng;
        private BatchSource data;
        private int window;
        private double clip = Double.POSITIVE_INFINITY;
        private Map<String, String> taskInfo = Map.of();
        private Checkpoint.TrainingState resumedFrom;
        private Telemetry telemetry = NO_TELEMETRY;
        private LearningRateSchedule schedule;

        private Builder() {}

        /**
         * The model to train and the store of its parameters; checkpoints need a {@link SequenceModel}
         * with an embedding.
         */
        public Builder model(TrainableModel model, ParamStore params) {
            this.model = model;
            this.params = params;
            return this;
        }

        /** The characters of the token ids, saved in every checkpoint; optional. */
        public Builder vocabulary(CharVocabulary vocabulary) {
            this.vocabulary = vocabulary;
            return this;
        }

        public Builder optimizer(Optimizer optimizer) {
            this.optimizer = optimizer;
            return this;
        }

        /** The random stream of the run (the one the initialisers drew from), saved so a resumed run continues it. */
        public Builder rng(Rng rng) {
            this.rng = rng;
            return this;
        }

        public Builder data(BatchSource data) {
            this.data = data;
            return this;
        }

        /**
         * k, the steps between gradient cuts and updates; by default the whole sequence (one update
         * per step). A model with a loss at the last step only needs k at least the sequence length.
         */
        public Builder tbptt(int window) {
            this.window = Check.positive("truncated-BPTT window", window);
            return this;
        }

        /** Clip the gradient to this global norm before every update; by default no clipping. */
        /**
         * Scales the optimizer's learning rate before every step by the schedule's factor at that
         * step (default: none, the optimizer's own rate throughout).
         */
        public Builder learningRateSchedule(LearningRateSchedule schedule) {
            this.schedule = schedule;
            return this;
        }

        public Builder clip(double maxNorm) {
            this.clip = maxNorm == Double.POSITIVE_INFINITY ? maxNorm : Check.positive("clipping norm", maxNorm);
            return this;
        }

        /** Gradient-flow telemetry to watch every step ({@code io.unroll.flow.FlowTelemetry}); by default none. */
        public Builder telemetry(Telemetry telemetry) {
            this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
            return this;
        }

        /**
         * The task's entries of every checkpoint's metadata (its settings and data, in order), written
         * before the run's own; see docs/training.md.
         */
        public Builder taskInfo(Map<String, String> entries) {
            this.taskInfo = Objects.requireNonNull(entries, "entries");
            return this;
        }

        /**
         * Continues the run saved in {@code checkpoint}: its model, parameters, vocabulary,
         * optimizer, random stream, step and carried state. The data and the settings are given
         * as for a new run, and must be the run's.
         */
        public Builder resumeFrom(Checkpoint.Loaded checkpoint) {
            Checkpoint.TrainingState t = checkpoint.training();
            if (t == null) {
                throw new IllegalArgumentException("the checkpoint holds a model but no training state (optimizer, step);"
                        + " only checkpoints saved by a training run can be resumed");
            }
            model(checkpoint.model(), checkpoint.params());
            vocabulary(checkpoint.vocabulary());
            try {
                optimizer(Optimizer.restoreState(t.optimizer()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the checkpoint's optimizer state (unroll.optimizer_state) is unusable: "
                        + e.getMessage(), e);
            }
            try {
                rng(Rng.restoreState(t.rng()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the checkpoint's random state (unroll.rng_state) is unusable: "
                        + e.getMessage(), e);
            }
            this.resumedFrom = t;
            return this;
        }

        public TrainingRun build() {
            if (model == null || params == null || optimizer == null || rng == null || data == null) {
                throw new IllegalArgumentException("a training run needs a model, its parameters, an optimizer, a random stream"
                        + " and a batch source; missing: " + missing());
            }
            return new TrainingRun(this);
        }

        private String missing() {
            List<String> names = new ArrayList<>();
            if (model == null || params == null) {
                names.add("model");
            }
            if (optimizer == null) {
                names.add("optimizer");
            }
            if (rng == null) {
                names.add("random stream");
            }
            if (data == null) {
                names.add("batch source");
            }
            return String.join(", ", names);
        }
    }

    /** The model: a {@link SequenceModel} for token batches, a {@link io.unroll.layer.SequenceRegressor} for vectors. */
    public TrainableModel model() {
        return model;
    }

    public ParamStore params() {
        return params;
    }

    /** The characters of the token ids, or null. */
    public CharVocabulary vocabulary() {
        return vocabulary;
    }

    public BatchSource data() {
        return data;
    }

    /** Steps taken since the start of the run (resumed steps included). */
    public long step() {
        return step;
    }

    /** Whether the run continues a checkpoint. */
    public boolean resumed() {
        return resumed;
    }

    /** The truncated-BPTT window k actually used: at most the sequence length. */
    public int window() {
        return tbptt.window();
    }

    public long stepsPerEpoch() {
        return data.stepsPerEpoch();
    }

    /** Tokens (characters, or input steps of a model of vectors) trained on per step, B·T. */
    public long tokensPerStep() {
        return (long) data.batchSize() * data.sequenceLength();
    }

    /** {@code step} in epochs. */
    public double epoch(long step) {
        return (double) step / data.stepsPerEpoch();
    }

    /** The steps of {@code epochs} passes over the training data, at least 1. */
    public long stepsFor(double epochs) {
        return Math.max(1, Math.round(epochs * data.stepsPerEpoch()));
    }

    /**
     * Watches the following steps with {@code telemetry} in place of the run's present one (the
     * builder's, or none): for a run made by someone else's code, such as a character model's
     * trainer. Call it between steps, on the training thread.
     */
    public void watch(Telemetry telemetry) {
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
        telemetry.attach(model.rnn(), params, clip);
    }

    /**
     * Asks the run to stop at the next step boundary; safe from any thread (a signal handler). A
     * request made before {@link #run(Plan)} stops it before its first step; {@code run} consumes it.
     */
    public void requestStop() {
        stopRequested = true;
    }

    /** Trains on the source's next batch. Does not check the result: a non-finite loss is reported as it is. */
    public StepReport trainStep() {
        long t0 = System.nanoTime();
        if (data.fillBatch(step, batch)) {
            tbptt.resetState();
        }
        normSum = 0;
        clippedNormSum = 0;
        windows = 0;
        clippedWindows = 0;
        if (schedule != null) {
            optimizer.scaleLearningRate(schedule.factor(step));
        }
        telemetry.beginStep(step + 1);
        double loss = tbptt.train(batch, windowListener);
        step++;
        return new StepReport(step, loss, bits(loss), normSum / windows, clippedNormSum / windows, clippedWindows,
                (System.nanoTime() - t0) / 1e9);
    }

    private void onWindow(double loss, double preClipNorm) {
        telemetry.onWindow(windows, loss, preClipNorm);
        normSum += preClipNorm;
        clippedNormSum += Math.min(preClipNorm, clip);
        clippedWindows += preClipNorm > clip ? 1 : 0;
        windows++;
    }

    /** A loss in bits: a cross-entropy in nats over ln 2; NaN for a squared error, which has no such unit. */
    private double bits(double loss) {
        return model.batchKind() == Batch.Kind.TOKENS ? loss / Math.log(2) : Double.NaN;
    }

    /** The model's loss on the source's held-out data now; NaN without any. */
    public double validationLoss() {
        return data.hasValidationData() ? data.validationLoss(model) : Double.NaN;
    }

    /**
     * Saves the model and everything needed to resume, atomically, with {@code info} as its {@code unroll.info.*} entries.
     *
     * @throws IllegalArgumentException if the model is not one a checkpoint holds (a {@link SequenceModel} with an embedding)
     */
    public void save(Path file, Map<String, String> info) throws IOException {
        String refused = uncheckpointable();
        if (refused != null) {
            throw new IllegalArgumentException(refused);
        }
        Checkpoint.save(file, (SequenceModel) model, params, vocabulary, info,
                new Checkpoint.TrainingState(step, optimizer.saveState(), rng.saveState(), tbptt.state()));
    }

    /** Why this run's model cannot be saved as a checkpoint, or null if it can. */
    private String uncheckpointable() {
        if (model instanceof SequenceModel m && m.embedding() != null) {
            return null;
        }
        String what = model instanceof SequenceModel ? "a token model with one-hot inputs (PyTorch's module has an nn.Embedding)"
                : "a " + model.getClass().getSimpleName() + ", which reads " + model.batchKind().description();
        return "checkpoints hold token models with an embedding; this run's model is " + what
                + ", so it cannot be saved: run it without a checkpoint directory";
    }

    /**
     * The target step recorded in a checkpoint's {@code unroll.info.*} entries by the run that saved it, or -1.
     *
     * @throws IllegalArgumentException if the recorded value is not a whole number >= 1
     */
    public static long recordedTargetSteps(Map<String, String> info) {
        String s = info.get(TARGET_STEPS);
        if (s == null) {
            return -1;
        }
        try {
            long steps = Long.parseLong(s);
            if (steps >= 1) {
                return steps;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("the checkpoint records its target step as '" + s + "' (unroll.info."
                + TARGET_STEPS + "), expected a whole number >= 1: the file is corrupt or was edited");
    }

    /**
     * Trains to the plan's target; see the class comment for how it ends.
     *
     * @throws IllegalArgumentException if the run is already at the target, or the plan has a checkpoint
     *                                  directory and the model cannot be saved or the directory cannot be
     *                                  used ({@link CheckpointDirectory#prepare})
     * @throws IOException              if a checkpoint cannot be written
     */
    public Result run(Plan plan) throws IOException {
        if (plan.targetSteps() <= step) {
            throw new IllegalArgumentException("the run is at step " + step + ", already at the target of " + plan.targetSteps()
                    + " steps; set a later target");
        }
        if (plan.directory() != null) {
            String refused = uncheckpointable();
            if (refused != null) {
                throw new IllegalArgumentException(refused);
            }
            CheckpointDirectory.prepare(plan.directory(), resumed || plan.overwrite() || plan.directory().equals(savedIn));
            savedIn = plan.directory();
        }
        try {
            return new Session(plan).execute();
        } finally {
            stopRequested = false;
        }
    }

    /** One call of {@link #run(Plan)}: its metadata, validations and timing. */
    private final class Session {
        private final Plan plan;
        private final long startStep = step;
        private final Map<String, String> info = new LinkedHashMap<>(taskInfo);
        private final List<Validation> validations = new ArrayList<>();
        private final long[] recent = new long[RECENT_STEPS]; // ns of the last steps
        private long recentSum;
        private int recentCount;
        private double trainingSeconds;
        private double lastValidationSeconds;
        private double lastValidationLoss;
        private StepReport last;
        private Path latest;

        Session(Plan plan) {
            this.plan = plan;
            info.put(TARGET_STEPS, Long.toString(plan.targetSteps()));
        }

        Result execute() throws IOException {
            while (step < plan.targetSteps()) {
                if (stopRequested) {
                    save(CheckpointDirectory.LATEST);
                    return result(Outcome.STOPPED, null);
                }
                StepReport report = trainStep();
                trainingSeconds += report.seconds();
                Pace pace = pace(report);
                if (!Double.isFinite(report.loss()) || !Double.isFinite(report.preClipNorm())) {
                    return result(Outcome.DIVERGED, new Divergence(report.step(), report.loss(), report.preClipNorm(), false));
                }
                last = report;
                for (Listener l : plan.listeners()) {
                    l.onStep(report, pace);
                }
                if (step % plan.validateEvery() == 0 && step < plan.targetSteps() && !stopRequested && !validate()) {
                    return result(Outcome.DIVERGED, validationDivergence());
                }
            }
            // the target step, never validated in the loop: validate it, unless a stop cut that short
            if (stopRequested) {
                save(CheckpointDirectory.LATEST);
            } else if (!validate()) {
                return result(Outcome.DIVERGED, validationDivergence());
            }
            return result(Outcome.COMPLETED, null);
        }

        private Result result(Outcome outcome, Divergence diverged) {
            return new Result(outcome, startStep, step, plan.targetSteps(), last, diverged, validations, latest, trainingSeconds);
        }

        private Pace pace(StepReport report) {
            long nanos = Math.round(report.seconds() * 1e9);
            int slot = (int) (report.step() % RECENT_STEPS);
            recentSum += nanos - (recentCount == RECENT_STEPS ? recent[slot] : 0);
            recent[slot] = nanos;
            recentCount = Math.min(recentCount + 1, RECENT_STEPS);
            double perStep = recentSum / 1e9 / recentCount;
            long remaining = plan.targetSteps() - report.step();
            long validationsLeft = remaining / plan.validateEvery() + 1;
            return new Pace(perStep, tokensPerStep() / perStep, remaining * perStep + validationsLeft * lastValidationSeconds);
        }

        private Divergence validationDivergence() {
            return new Divergence(step, lastValidationLoss, last == null ? Double.NaN : last.preClipNorm(), true);
        }

        /** Validates and saves; returns false, saving nothing, if the validation loss is not finite. */
        private boolean validate() throws IOException {
            long t0 = System.nanoTime();
            double loss = validationLoss();
            lastValidationSeconds = (System.nanoTime() - t0) / 1e9;
            lastValidationLoss = loss;
            if (data.hasValidationData() && !Double.isFinite(loss)) {
                return false;
            }
            String name = CheckpointDirectory.validationFileName(step, loss);
            double bits = bits(loss);
            info.put(VAL_STEP, Long.toString(step));
            info.put(VAL_LOSS, Double.toString(loss));
            info.put(VAL_BITS, Double.toString(bits));
            Path file = save(name);
            save(CheckpointDirectory.LATEST);
            Validation v = new Validation(step, epoch(step), loss, bits, last == null ? Double.NaN : last.loss(), file,
                    lastValidationSeconds);
            validations.add(v);
            for (Listener l : plan.listeners()) {
                l.onValidation(v);
            }
            return true;
        }

        /** Saves the checkpoint {@code name} in the plan's directory; returns it, or null without a directory. */
        private Path save(String name) throws IOException {
            if (plan.directory() == null) {
                return null;
            }
            info.put(STEP, Long.toString(step));
            info.put(EPOCH, String.format(Locale.ROOT, "%.4f", epoch(step)));
            if (last != null) {
                info.put(TRAIN_LOSS, Double.toString(last.loss()));
            }
            Path file = plan.directory().resolve(name);
            TrainingRun.this.save(file, info);
            if (name.equals(CheckpointDirectory.LATEST)) {
                latest = file;
            }
            for (Listener l : plan.listeners()) {
                l.onCheckpoint(step, file);
            }
            return file;
        }
    }
}
