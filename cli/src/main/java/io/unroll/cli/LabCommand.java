package io.unroll.cli;

import io.unroll.cell.CellType;
import io.unroll.flow.FlowHistory;
import io.unroll.flow.FlowTelemetry;
import io.unroll.flow.Health;
import io.unroll.init.InitScheme;
import io.unroll.init.Weights;
import io.unroll.lab.CopyTask;
import io.unroll.lab.LongRangeTask;
import io.unroll.lab.TaskBatches;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.SequenceModel;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Adam;
import io.unroll.train.Init;
import io.unroll.train.Optimizer;
import io.unroll.train.Sgd;
import io.unroll.train.TrainingRun;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code unroll lab}: long-range tasks that show which networks remember (docs/lab.md). Each task
 * trains a model on freshly drawn sequences and measures it on held-out ones against the task's
 * memoryless baseline, with the gradient flow watched as {@code unroll train} watches it.
 */
@Command(name = "lab", mixinStandardHelpOptions = true, subcommands = {LabCommand.Copy.class},
        description = {"Long-range tasks that show which networks remember: a model trained on freshly drawn",
            "sequences, measured on held-out ones against the loss of the best predictor without memory.",
            "The tasks, their baselines and the recipes: docs/lab.md."})
public final class LabCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "name a task: copy");
    }

    /** {@code unroll lab copy}: recall 10 symbols after a delay. */
    @Command(name = "copy", mixinStandardHelpOptions = true, description = {
        "The copy task: 10 symbols of 8, then --delay blanks, a marker, and the model must output the",
        "10 symbols in order. Loss: cross-entropy per step over the whole sequence (nats), against the",
        "memoryless baseline 10 ln 8 / (delay + 20); solved when 99% of the recalled symbols are right."})
    static final class Copy implements Callable<Integer> {
        @Mixin
        CommonOptions common;
        @Spec
        CommandSpec spec;
        @Option(names = "--delay", defaultValue = "20", description = "Blanks between the symbols and the marker (default: ${DEFAULT-VALUE}).")
        int delay;
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
        @Option(names = "--hidden", defaultValue = "128", description = "Hidden units (default: ${DEFAULT-VALUE}).")
        int hidden;
        @Option(names = "--layers", defaultValue = "1", description = "Layers (default: ${DEFAULT-VALUE}).")
        int layers;
        @Option(names = "--optimizer", defaultValue = "adam", description = "adam or sgd (default: ${DEFAULT-VALUE}).")
        String optimizer;
        @Option(names = "--lr", defaultValue = "0.003", description = "Learning rate (default: ${DEFAULT-VALUE}).")
        double lr;
        @Option(names = "--clip", defaultValue = "1", description = "Clip the gradient to this global norm (default: ${DEFAULT-VALUE}).")
        double clip;
        @Option(names = "--batch", defaultValue = "64", description = "Sequences per step (default: ${DEFAULT-VALUE}).")
        int batch;
        @Option(names = "--steps", defaultValue = "3000", description = "Training steps (default: ${DEFAULT-VALUE}).")
        long steps;
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
        @Option(names = "--progress", paramLabel = "<mode>", defaultValue = "auto",
                description = "auto, bar, lines or none (default: ${DEFAULT-VALUE}).")
        String progress;

        @Override
        public Integer call() throws IOException {
            if (delay < 1 || delay > LongRangeTask.MAX_LENGTH - 20) {
                throw usage("--delay is " + delay + ", expected 1 to " + (LongRangeTask.MAX_LENGTH - 20));
            }
            positive("--hidden", hidden);
            positive("--layers", layers);
            positive("--batch", batch);
            positive("--steps", steps);
            positive("--eval-every", evalEvery);
            positive("--held-out", heldOut);
            positive("--flow-every", flowEvery);
            if (!(lr > 0 && Double.isFinite(lr))) {
                throw usage("--lr is " + lr + ", expected a number > 0");
            }
            if (!(clip > 0)) {
                throw usage("--clip is " + clip + ", expected a number > 0 (Infinity for no clipping)");
            }
            CellType type = CellType.parse(cell, activation);
            InitScheme scheme = InitScheme.parse(init);
            if (scale != null && scheme != InitScheme.GAUSSIAN && scheme != InitScheme.IDENTITY) {
                throw usage("--scale is the sigma of a gaussian or identity init; --init " + scheme.id() + " takes none");
            }
            if (spec.commandLine().getParseResult().hasMatchedOption("--forget-bias") && type != CellType.LSTM) {
                throw usage("--forget-bias is for an lstm (the only cell with a forget gate), not a " + type.id());
            }
            Optimizer opt = switch (optimizer) {
                case "adam" -> Adam.adam(lr);
                case "sgd" -> new Sgd(lr);
                default -> throw usage("--optimizer is '" + optimizer + "', expected adam or sgd");
            };
            ProgressBar.Mode mode = ProgressBar.Mode.parse(progress);
            if (report != null) {
                OutputFiles.checkWritable(report, "--report");
            }

            CopyTask task = new CopyTask(delay);
            long seed = common.seedOr(1);
            Rng rng = common.newRng(1);
            ParamStore.Builder pb = ParamStore.builder();
            SequenceModel model = SequenceModel.oneHot(pb, task.inputSize(),
                    RecurrentConfig.of(type, task.inputSize(), hidden, layers));
            ParamStore params = pb.build();
            if (scale != null) {
                Init.apply(model.rnn(), scheme, scale, rng);
            } else {
                Init.apply(model.rnn(), scheme, rng);
            }
            if (type == CellType.LSTM) {
                Init.forgetGateBias(model.rnn(), forgetBias);
            }
            Weights.uniform(model.head().weight(), 1 / Math.sqrt(hidden), rng);
            Weights.uniform(model.head().bias(), 1 / Math.sqrt(hidden), rng);
            TaskBatches batches = new TaskBatches(task, batch, seed, heldOut);
            TrainingRun run = TrainingRun.builder().model(model, params).optimizer(opt).rng(rng).data(batches).clip(clip).build();
            String config = String.format(Locale.ROOT, "%s, %d layer%s of %d, init %s%s%s, %s lr %s, clip %s, batch %d, seed %d",
                    type.id(), layers, layers == 1 ? "" : "s", hidden, scheme.id(), scale == null ? "" : " sigma " + scale,
                    type == CellType.LSTM ? ", forget bias " + forgetBias : "", optimizer, lr, clip, batch, seed);
            return new Session(task, batches, run, config, mode).execute();
        }

        /** Runs the training and shows it: a header, a row per measurement, the summary or JSON. */
        private final class Session implements TrainingRun.Listener {
            private final CopyTask task;
            private final TaskBatches batches;
            private final TrainingRun run;
            private final String config;
            private final ProgressBar bar;
            private final FlowHistory history;
            private final PrintWriter out = spec.commandLine().getOut();
            private final List<Map<String, Object>> measured = new ArrayList<>();

            Session(CopyTask task, TaskBatches batches, TrainingRun run, String config, ProgressBar.Mode mode) {
                this.task = task;
                this.batches = batches;
                this.run = run;
                this.config = config;
                this.bar = new ProgressBar(spec.commandLine().getErr(), mode);
                this.history = FlowHistory.watch(run, FlowTelemetry.builder().every(flowEvery));
            }

            int execute() throws IOException {
                if (!common.json()) {
                    out.printf(Locale.ROOT, "Copy task, delay %d (T = %d): %s%n", delay, task.steps(), config);
                    out.printf(Locale.ROOT, "memoryless baseline %.4f nats per step; solved at %.0f%% of the %d recalled symbols;"
                            + " measured on %,d held-out sequences every %d steps%n%n", task.baseline(), 100 * CopyTask.SOLVED_ACCURACY,
                            CopyTask.COPIED, heldOut, evalEvery);
                    out.println("   step  held-out loss  / baseline  recall accuracy");
                    out.flush();
                }
                long start = System.nanoTime();
                TrainingRun.Plan plan = TrainingRun.Plan.to(steps).validateEvery(evalEvery).listener(history).listener(this).build();
                TrainingRun.Result result;
                try (TrainCommand.StopOnSignal stop = new TrainCommand.StopOnSignal(bar, run, "finishing the current step")) {
                    result = run.run(plan);
                    bar.close();
                    if (report != null) {
                        TrainingReport.of(String.format(Locale.ROOT, "Copy task, delay %d: %s", delay, config), history.series(),
                                new TrainingReport.Baseline("memoryless baseline", task.baseline())).write(report);
                    }
                    if (result.outcome() == TrainingRun.Outcome.DIVERGED) {
                        throw new IllegalArgumentException(String.format(Locale.ROOT, "training diverged at step %d: the loss became"
                                + " %s (pre-clip gradient norm %s); try a lower --lr or --clip", result.diverged().step(),
                                result.diverged().loss(), result.diverged().preClipNorm()));
                    }
                    summary((System.nanoTime() - start) / 1e9, result);
                } finally {
                    bar.close();
                }
                return result.outcome() == TrainingRun.Outcome.STOPPED ? TrainCommand.EXIT_INTERRUPTED : 0;
            }

            @Override
            public void onStep(TrainingRun.StepReport r, TrainingRun.Pace pace) {
                Health.Verdict v = history.verdict();
                bar.update(r.step(), steps, String.format(Locale.ROOT, "loss %.4f (%.2fx baseline)  norm %.2f  %s  ETA %s", r.loss(),
                        r.loss() / task.baseline(), r.preClipNorm(), v == null ? "" : v.brief(), ProgressBar.duration(pace.secondsLeft())));
            }

            @Override
            public void onValidation(TrainingRun.Validation v) {
                TaskBatches.Evaluation e = batches.lastEvaluation();
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("step", v.step());
                row.put("loss", e.loss());
                row.put("ratio", e.loss() / task.baseline());
                row.put("accuracy", e.accuracy());
                row.put("trainLoss", v.trainLoss());
                measured.add(row);
                if (!common.json()) {
                    bar.println(out, String.format(Locale.ROOT, "%7d  %13.4f  %10.3f  %14.1f%%", v.step(), e.loss(),
                            e.loss() / task.baseline(), 100 * e.accuracy()));
                }
            }

            private void summary(double seconds, TrainingRun.Result result) {
                TaskBatches.Evaluation last = batches.lastEvaluation();
                boolean solved = last != null && task.solved(last.accuracy());
                Health.Verdict verdict = history.verdict();
                if (common.json()) {
                    Map<String, Object> doc = new LinkedHashMap<>();
                    doc.put("task", "copy");
                    doc.put("delay", delay);
                    doc.put("length", task.steps());
                    doc.put("cell", CellType.parse(cell, activation).id());
                    doc.put("hidden", hidden);
                    doc.put("layers", layers);
                    doc.put("init", init);
                    doc.put("scale", scale);
                    doc.put("forgetBias", forgetBias);
                    doc.put("optimizer", optimizer);
                    doc.put("lr", lr);
                    doc.put("clip", clip);
                    doc.put("batch", batch);
                    doc.put("seed", common.seedOr(1));
                    doc.put("steps", run.step());
                    doc.put("interrupted", result.outcome() == TrainingRun.Outcome.STOPPED);
                    doc.put("finalLoss", last == null ? Double.NaN : last.loss());
                    doc.put("baseline", task.baseline());
                    doc.put("ratio", last == null ? Double.NaN : last.loss() / task.baseline());
                    doc.put("accuracy", last == null ? Double.NaN : last.accuracy());
                    doc.put("solved", solved);
                    doc.put("seconds", seconds);
                    doc.put("trainingSeconds", result.trainingSeconds());
                    doc.put("evaluations", measured);
                    doc.put("verdict", verdict);
                    doc.put("flow", history.series());
                    doc.put("report", report == null ? null : report.toString());
                    Json.write(out, doc);
                    return;
                }
                out.println();
                if (last != null) {
                    out.printf(Locale.ROOT, "%s after %,d steps in %s: held-out loss %.4f = %.3fx the baseline %.4f, recall accuracy"
                                    + " %.1f%% (chance 12.5%%)%n", solved ? "SOLVED" : "not solved", run.step(),
                            ProgressBar.duration(seconds), last.loss(), last.loss() / task.baseline(), task.baseline(),
                            100 * last.accuracy());
                }
                if (verdict != null) {
                    out.println("gradient flow (docs/telemetry.md):");
                    for (Health.Finding f : verdict.findings()) {
                        out.println("  " + f.words());
                    }
                }
                if (report != null) {
                    out.printf("report: %s%n", report);
                }
                out.flush();
            }
        }

        private void positive(String option, long value) {
            if (value <= 0) {
                throw usage(option + " is " + value + ", expected a positive number");
            }
        }

        private ParameterException usage(String message) {
            return new ParameterException(spec.commandLine(), message);
        }
    }
}
