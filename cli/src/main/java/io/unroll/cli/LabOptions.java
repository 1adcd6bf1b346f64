package io.unroll.cli;

import io.unroll.cell.CellType;
import io.unroll.flow.FlowTelemetry;
import io.unroll.init.InitScheme;
import io.unroll.lab.TaskBatches;
import io.unroll.lab.TaskModel;
import io.unroll.tensor.Rng;
import io.unroll.train.Adam;
import io.unroll.train.LearningRateSchedule;
import io.unroll.train.Optimizer;
import io.unroll.train.Sgd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The options every {@code unroll lab} task shares, mixed in with {@code @Mixin LabOptions lab;}:
 * the model (cell, activation, init, hidden units, layers), the training (optimizer, learning
 * rate, clipping, batch, steps), the measurement (held-out sequences, how often) and the output
 * (gradient-flow sampling, report, progress). {@link #check} validates them once into
 * {@link Settings}; {@link Settings#initialise} initialises a model's stack and head the same way
 * for every task.
 */
final class LabOptions {
    @Option(names = "--cell", defaultValue = "lstm", completionCandidates = CellNames.class,
            description = "One of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    String cell;
    @Option(names = "--activation", defaultValue = "tanh",
            description = "tanh or relu, for a cell family with a choice (rnn, indrnn) (default: ${DEFAULT-VALUE}).")
    String activation;
    @Option(names = "--init", defaultValue = "pytorch",
            description = "Recurrent init: pytorch, gaussian, orthogonal, identity, xavier (default: ${DEFAULT-VALUE}).")
    String init;
    @Option(names = "--scale", paramLabel = "<sigma>",
            description = "The sigma of a gaussian init, or of the noise added to an identity one (default: 0.01, 0.001).")
    Double scale;
    @Option(names = "--forget-bias", paramLabel = "<b>", defaultValue = "1",
            description = "LSTM only: the forget gate's bias at the start (default: ${DEFAULT-VALUE}).")
    double forgetBias;
    @Option(names = "--chrono", paramLabel = "<steps>", arity = "0..1", fallbackValue = TASK_LENGTH,
            description = "LSTM or GRU: chrono initialisation of the gate biases instead of --forget-bias, each unit"
                    + " forgetting over a time drawn up to this many steps (alone: the task's sequence length).")
    String chrono;
    /** {@code --chrono} without a value: the task's sequence length. */
    static final String TASK_LENGTH = "task";
    @Option(names = "--hidden", defaultValue = "128", description = "Hidden units (default: ${DEFAULT-VALUE}).")
    int hidden;
    @Option(names = "--layers", defaultValue = "1", description = "Layers (default: ${DEFAULT-VALUE}).")
    int layers;
    @Option(names = "--optimizer", defaultValue = "adam", description = "adam or sgd (default: ${DEFAULT-VALUE}).")
    String optimizer;
    @Option(names = "--lr", description = "Learning rate (default: 0.003 for copy, 0.001 for adding and signal).")
    Double lr;
    @Option(names = "--lr-schedule", paramLabel = "<schedule>", defaultValue = "constant",
            description = "constant, or cosine: annealed to 0 over --steps, as PyTorch's CosineAnnealingLR"
                    + " (default: ${DEFAULT-VALUE}).")
    String lrSchedule;
    @Option(names = "--clip", defaultValue = "1", description = "Clip the gradient to this global norm (default: ${DEFAULT-VALUE}).")
    double clip;
    @Option(names = "--batch", defaultValue = "64", description = "Sequences per step (default: ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--steps", description = "The most training steps (default: 3000 for copy, 10000 for adding and signal).")
    Long steps;
    @Option(names = "--until-solved", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Stop at the first held-out measurement that solves the task (the default);"
                    + " --no-until-solved trains all --steps.")
    boolean untilSolved;
    @Option(names = "--eval-every", defaultValue = "100",
            description = "Measure on the held-out sequences every n steps (default: ${DEFAULT-VALUE}).")
    int evalEvery;
    @Option(names = "--held-out", defaultValue = "" + TaskBatches.DEFAULT_HELD_OUT,
            description = "Held-out sequences (default: ${DEFAULT-VALUE}).")
    int heldOut;
    @Option(names = "--flow-every", paramLabel = "<n>", defaultValue = "" + FlowTelemetry.DEFAULT_EVERY,
            description = "Sample the gradient flow on every n-th step (default: ${DEFAULT-VALUE}).")
    int flowEvery;
    @Option(names = "--report", paramLabel = "FILE.html",
            description = "Write the run's loss against the baseline and its gradient flow as a self-contained HTML page.")
    Path report;
    @Option(names = "--weights", paramLabel = "FILE.safetensors",
            description = "Start from these weights instead of --init: a playground download, or another run's --save"
                    + " (same --cell, --hidden and --layers, a task with the same inputs and outputs).")
    Path weights;
    @Option(names = "--save", paramLabel = "FILE.safetensors",
            description = "Write the trained weights at the end (also when stopped), as --weights and PyTorch read them.")
    Path save;
    @Option(names = "--progress", paramLabel = "<mode>", defaultValue = "auto",
            description = "auto, bar, lines or none (default: ${DEFAULT-VALUE}).")
    String progress;

    /**
     * The options checked and resolved: the cell, the init, the learning rate ({@code defaultLr}
     * unless given), the steps ({@code defaultSteps} unless given) and the progress mode.
     *
     * @throws ParameterException naming the option, its value and what was expected
     */
    Settings check(CommandSpec spec, double defaultLr, long defaultSteps) {
        long stepCount = steps == null ? defaultSteps : steps;
        positive(spec, "--hidden", hidden);
        positive(spec, "--layers", layers);
        positive(spec, "--batch", batch);
        positive(spec, "--steps", stepCount);
        positive(spec, "--eval-every", evalEvery);
        positive(spec, "--held-out", heldOut);
        positive(spec, "--flow-every", flowEvery);
        double rate = lr == null ? defaultLr : lr;
        if (!(rate > 0 && Double.isFinite(rate))) {
            throw usage(spec, "--lr is " + rate + ", expected a number > 0");
        }
        if (!(clip > 0)) {
            throw usage(spec, "--clip is " + clip + ", expected a number > 0 (Infinity for no clipping)");
        }
        CellType type = CellType.parse(cell, activation);
        InitScheme scheme = InitScheme.parse(init);
        if (scale != null && scheme != InitScheme.GAUSSIAN && scheme != InitScheme.IDENTITY) {
            throw usage(spec, "--scale is the sigma of a gaussian or identity init; --init " + scheme.id() + " takes none");
        }
        if (spec.commandLine().getParseResult().hasMatchedOption("--forget-bias") && type != CellType.LSTM) {
            throw usage(spec, "--forget-bias is for an lstm (the only cell with a forget gate), not a " + type.id());
        }
        int chronoSteps = 0;
        if (chrono != null) {
            if (type != CellType.LSTM && type != CellType.GRU) {
                throw usage(spec, "--chrono sets the gate biases of an lstm or a gru, not a " + type.id());
            }
            if (!chrono.equals(TASK_LENGTH)) {
                try {
                    chronoSteps = Integer.parseInt(chrono);
                } catch (NumberFormatException e) {
                    chronoSteps = -1;
                }
                if (chronoSteps < 3) {
                    throw usage(spec, "--chrono is " + chrono + ", expected a whole number of steps, at least 3 (usually the"
                            + " task's length), or nothing for the task's length");
                }
            }
            if (spec.commandLine().getParseResult().hasMatchedOption("--forget-bias")) {
                throw usage(spec, "--chrono and --forget-bias both set the forget gate's bias; give one");
            }
            if (weights != null) {
                throw usage(spec, "--chrono initialises the biases, and --weights brings its own; give one");
            }
        }
        if (!optimizer.equals("adam") && !optimizer.equals("sgd")) {
            throw usage(spec, "--optimizer is '" + optimizer + "', expected adam or sgd");
        }
        if (!lrSchedule.equals("constant") && !lrSchedule.equals("cosine")) {
            throw usage(spec, "--lr-schedule is '" + lrSchedule + "', expected constant or cosine");
        }
        ProgressBar.Mode mode = ProgressBar.Mode.parse(progress);
        if (report != null) {
            OutputFiles.checkWritable(report, "--report");
        }
        if (save != null) {
            OutputFiles.checkWritable(save, "--save");
        }
        if (weights != null && !Files.isRegularFile(weights)) {
            throw usage(spec, "--weights " + weights + " is not a file; give a playground download or another run's --save");
        }
        return new Settings(type, scheme, rate, stepCount, mode, chronoSteps);
    }

    /** The checked options; the raw ones are read from the enclosing {@link LabOptions}. */
    final class Settings {
        final CellType type;
        final InitScheme scheme;
        final double learningRate;
        final long steps;
        final ProgressBar.Mode mode;
        /** {@code --chrono}'s steps, or 0 for the task's length (or no {@code --chrono}). */
        private final int chronoSteps;

        private Settings(CellType type, InitScheme scheme, double learningRate, long steps, ProgressBar.Mode mode,
                         int chronoSteps) {
            this.type = type;
            this.scheme = scheme;
            this.learningRate = learningRate;
            this.steps = steps;
            this.mode = mode;
            this.chronoSteps = chronoSteps;
        }

        /** The learning rate over the run: constant, or annealed to 0 over {@code --steps}. */
        LearningRateSchedule schedule() {
            return lrSchedule.equals("cosine") ? LearningRateSchedule.cosine(steps) : LearningRateSchedule.constant();
        }

        /** A new optimizer of its own for one run: Adam's moments belong to the parameters of one model. */
        Optimizer newOptimizer() {
            return optimizer.equals("adam") ? Adam.adam(learningRate) : new Sgd(learningRate);
        }

        LabOptions options() {
            return LabOptions.this;
        }

        /** {@code --chrono}'s longest forgetting time for a task of {@code taskSteps} steps, or 0 without {@code --chrono}. */
        int chronoSteps(int taskSteps) {
            if (chrono == null) {
                return 0;
            }
            if (chronoSteps > 0) {
                return chronoSteps;
            }
            if (taskSteps < 3) {
                throw new IllegalArgumentException("--chrono alone takes the task's length, " + taskSteps + " steps here, and"
                        + " needs at least 3; give --chrono 3 or more");
            }
            return taskSteps;
        }

        /**
         * The model by {@code --init} (with {@code --scale}), then {@code --chrono} or {@code --forget-bias}, as the
         * lab initialises one for a task of {@code taskSteps} steps.
         */
        void initialise(TaskModel model, int taskSteps, Rng rng) {
            model.initialise(scheme, scale, forgetBias, chronoSteps(taskSteps), rng);
        }

        /**
         * The run's settings in one line: {@code gru, 1 layer of 128, init pytorch, adam lr 0.001, clip 1.0, batch 64, seed 1;
         * at most 10,000 steps, stopping once solved}.
         */
        String describe(long seed, int taskSteps) {
            String start = weights != null ? "weights from " + weights : "init " + scheme.id() + (scale == null ? "" : " sigma " + scale);
            return String.format(Locale.ROOT, "%s, %d layer%s of %d, %s%s, %s lr %s%s, clip %s, batch %d, seed %d",
                    type.id(), layers, layers == 1 ? "" : "s", hidden, start,
                    gateBiases(taskSteps), optimizer, learningRate,
                    lrSchedule.equals("constant") ? "" : " " + lrSchedule, clip, batch, seed)
                    + String.format(Locale.ROOT, untilSolved ? "; at most %,d steps, stopping once solved" : "; %,d steps", steps);
        }

        /** How the gate biases start, for {@link #describe}: {@code , chrono 70}, {@code , forget bias 1.0} or nothing. */
        private String gateBiases(int taskSteps) {
            if (weights != null) {
                return "";
            }
            if (chrono != null) {
                return ", chrono " + chronoSteps(taskSteps);
            }
            return type == CellType.LSTM ? ", forget bias " + forgetBias : "";
        }

        /** The settings as JSON entries, in the order {@code unroll lab} writes them. */
        void json(Map<String, Object> doc, long seed, int taskSteps) {
            doc.put("cell", type.id());
            doc.put("hidden", hidden);
            doc.put("layers", layers);
            doc.put("init", init);
            doc.put("scale", scale);
            doc.put("forgetBias", chrono == null ? forgetBias : null);
            doc.put("chrono", chrono == null ? null : chronoSteps(taskSteps));
            doc.put("weights", weights == null ? null : weights.toString());
            doc.put("save", save == null ? null : save.toString());
            doc.put("optimizer", optimizer);
            doc.put("lr", learningRate);
            doc.put("lrSchedule", lrSchedule);
            doc.put("clip", clip);
            doc.put("batch", batch);
            doc.put("maxSteps", steps);
            doc.put("untilSolved", untilSolved);
            doc.put("seed", seed);
        }
    }

    private static void positive(CommandSpec spec, String option, long value) {
        if (value <= 0) {
            throw usage(spec, option + " is " + value + ", expected a positive number");
        }
    }

    static ParameterException usage(CommandSpec spec, String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
