package io.unroll.cli;

import io.unroll.cell.CellType;
import io.unroll.flow.FlowHistory;
import io.unroll.flow.FlowTelemetry;
import io.unroll.flow.Health;
import io.unroll.io.Safetensors;
import io.unroll.io.SafetensorsFormatException;
import io.unroll.io.StateDict;
import io.unroll.lab.CopyTask;
import io.unroll.lab.LongRangeTask;
import io.unroll.lab.TaskBatches;
import io.unroll.lab.TaskModel;
import io.unroll.lab.TaskSource;
import io.unroll.lab.TaskSource.Measure;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.TrainingRun;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;

/**
 * One {@code unroll lab} run, the same for every task: builds the model and the data, trains them
 * with a {@link TrainingRun} watched by a {@link FlowHistory}, and shows it: a header, a row per
 * held-out measurement, the outcome against the memoryless baseline and the gradient flow's verdict,
 * or one JSON document; optionally an HTML report. What differs between the tasks is a
 * {@link LabTask}: {@link #classes} for a class at every step (the copy task), {@link #realValue}
 * for a real target at the last step (the adding problem, the delayed signal).
 */
final class LabSession implements TrainingRun.Listener {
    /** What makes one task's run: its data and the words around its measurements. */
    interface LabTask {
        LongRangeTask task();

        /** The task's name in JSON, {@code copy}. */
        String id();

        /** The task and its settings as the header and the report title start: {@code Copy task, delay 3 (T = 23)}. */
        String title();

        /** The line under the header: the baseline, the solved criterion and the held-out measurement. */
        String criterion(int heldOut, int evalEvery);

        /** The header of the table of measurements. */
        String columns();

        /** The task's own settings, the first JSON entries after {@code task}. */
        void settings(Map<String, Object> doc);

        /** The training and held-out data: batch k of {@code seed} for step k, {@code heldOut} held-out sequences. */
        default TaskSource batches(int batch, long seed, int heldOut) {
            return TaskModel.batches(task(), batch, seed, heldOut);
        }

        /** A row of the table. */
        String row(long step, Measure m);

        /** The outcome after the run: {@code SOLVED after 1,100 steps in 1m 21s: held-out ...}. */
        String outcome(Measure m, long steps, String duration);

        /** The measure's entries of an evaluation in JSON, after {@code loss} and {@code ratio}. */
        void json(Map<String, Object> row, Measure m);
    }

    /**
     * How a run ended: the training's result, the last held-out measurement (null before the
     * first), the wall time in seconds, and the step of the first measurement that solved the task
     * (-1 if none did).
     */
    record Finished(TrainingRun.Result result, Measure last, double seconds, long solvedAt, boolean stoppedWhenSolved) {
        /** Whether a signal stopped the run before its steps were done (stopping once solved does not count). */
        boolean interrupted() {
            return result.outcome() == TrainingRun.Outcome.STOPPED && !stoppedWhenSolved;
        }
    }

    private final LabOptions options;
    private final LabOptions.Settings settings;
    private final LabTask task;
    private final long seed;
    private final TaskSource data;
    private final ParamStore params;
    private final TrainingRun run;
    private final String config;
    private final ProgressBar bar;
    private final String progressPrefix;
    private final PrintWriter rows;
    private final FlowHistory history;
    private final List<Map<String, Object>> measured = new ArrayList<>();
    private long solvedAt = -1;

    /**
     * A run of {@code task} with the checked {@code settings}, its model initialised from
     * {@code rng}, its data drawn from {@code seed}.
     *
     * @param bar            the progress display
     * @param progressPrefix what the progress line starts with ({@code ""} for nothing)
     * @param rows           where a row per held-out measurement goes, or null for none
     */
    LabSession(LabOptions.Settings settings, LabTask task, long seed, Rng rng, ProgressBar bar, String progressPrefix,
               PrintWriter rows) throws IOException {
        this.options = settings.options();
        this.settings = settings;
        this.task = task;
        this.seed = seed;
        this.bar = bar;
        this.progressPrefix = progressPrefix;
        this.rows = rows;
        ParamStore.Builder pb = ParamStore.builder();
        LongRangeTask t = task.task();
        TaskModel m = TaskModel.of(t, pb, RecurrentConfig.of(settings.type, t.inputSize(), options.hidden, options.layers));
        ParamStore params = pb.build();
        settings.initialise(m, t.steps(), rng);
        if (options.weights != null) {
            loadWeights(options.weights, params, settings.type, t);
        }
        this.params = params;
        this.data = task.batches(options.batch, seed, options.heldOut);
        this.run = TrainingRun.builder().model(m.model(), params).optimizer(settings.newOptimizer())
                .learningRateSchedule(settings.schedule()).rng(rng).data(data)
                .clip(options.clip).build();
        this.config = settings.describe(seed, t.steps());
        this.history = FlowHistory.watch(run, FlowTelemetry.builder().every(options.flowEvery));
    }

    /** Trains {@code task} with the checked {@code settings} and shows the run; returns the exit code. */
    static int run(CommandSpec spec, CommonOptions common, LabOptions.Settings settings, LabTask task) throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), settings.mode);
        LabSession session = new LabSession(settings, task, common.seedOr(1), common.newRng(1), bar, "",
                common.json() ? null : out);
        if (!common.json()) {
            out.printf(Locale.ROOT, "%s: %s%n", task.title(), session.config);
            out.printf(Locale.ROOT, "%s%n%n", task.criterion(settings.options().heldOut, settings.options().evalEvery));
            out.println(task.columns());
            out.flush();
        }
        try (StopOnSignal stop = session.stopOnSignal()) {
            Finished f = session.train();
            if (f.result().outcome() == TrainingRun.Outcome.DIVERGED) {
                TrainingRun.Divergence d = f.result().diverged();
                throw new IllegalArgumentException(String.format(Locale.ROOT, "training diverged at step %d: the loss became"
                        + " %s (pre-clip gradient norm %s); try a lower --lr or --clip", d.step(), d.loss(), d.preClipNorm()));
            }
            session.summary(out, common.json(), f);
            return f.interrupted() ? TrainCommand.EXIT_INTERRUPTED : 0;
        } finally {
            bar.close();
        }
    }

    /**
     * Turns a signal into a stop of this run at the end of its current step; the JVM exits when
     * the returned guard is closed, so the caller closes it once it has shown what the run gave.
     */
    StopOnSignal stopOnSignal() {
        return new StopOnSignal(bar, run, "finishing the current step");
    }

    /**
     * Trains until the steps are done, a signal stops the run, or (with {@code --until-solved})
     * a held-out measurement solves the task; writes the report if one was asked for.
     */
    Finished train() throws IOException {
        long start = System.nanoTime();
        TrainingRun.Plan plan = TrainingRun.Plan.to(settings.steps).validateEvery(options.evalEvery).listener(history).listener(this)
                .build();
        TrainingRun.Result result = run.run(plan);
        bar.close();
        if (options.report != null) {
            TrainingReport.of(task.title() + ": " + config, history.series(),
                    new TrainingReport.Baseline("memoryless baseline", task.task().baseline())).write(options.report);
        }
        if (options.save != null) {
            TaskModel.weightsFile(params, params.values(), settings.type, task.task()).write(options.save);
        }
        Measure last = data.lastMeasure();
        return new Finished(result, last, (System.nanoTime() - start) / 1e9, solvedAt, options.untilSolved && solvedAt >= 0);
    }

    /**
     * Replaces the initialised weights by those of {@code file}: a file of another cell, or whose
     * tensors do not fit this model (other sizes, another task's inputs or outputs), is a one-line
     * error naming what the file holds.
     */
    private static void loadWeights(Path file, ParamStore params, CellType cell, LongRangeTask task) throws IOException {
        Safetensors.Contents contents;
        try {
            contents = Safetensors.read(file);
        } catch (SafetensorsFormatException e) {
            throw new IllegalArgumentException("--weights " + file + " is not a weights file: " + e.getMessage(), e);
        }
        String fileCell = contents.metadata().get(TaskModel.CELL_METADATA);
        String fileTask = contents.metadata().get(TaskModel.TASK_METADATA);
        String holds = (fileCell == null ? "" : fileCell + " ") + "weights" + (fileTask == null ? "" : " trained on " + fileTask);
        if (fileCell != null && !fileCell.equals(cell.id())) {
            throw new IllegalArgumentException("--weights " + file + " holds " + holds + ", but this run's cell is " + cell.id()
                    + ": give --cell " + fileCell + (fileCell.startsWith("rnn_") || fileCell.startsWith("indrnn_")
                    ? " (or its family with --activation)" : ""));
        }
        try {
            StateDict.load(contents, params);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--weights " + file + " holds " + holds + ", which does not fit this run's "
                    + task.name() + " model: " + e.getMessage() + "; give the --hidden and --layers it was trained with,"
                    + " and a task with the same inputs and outputs", e);
        }
    }

    /** The task this run trains on. */
    LongRangeTask task() {
        return task.task();
    }

    /** The run's gradient flow so far. */
    FlowHistory history() {
        return history;
    }

    @Override
    public void onStep(TrainingRun.StepReport r, TrainingRun.Pace pace) {
        Health.Verdict v = history.verdict();
        double baseline = task.task().baseline();
        bar.update(r.step(), settings.steps, progressPrefix + String.format(Locale.ROOT, "loss %.4f (%.2fx baseline)  norm %.2f  %s  ETA %s", r.loss(),
                r.loss() / baseline, r.preClipNorm(), v == null ? "" : v.brief(), ProgressBar.duration(pace.secondsLeft())));
    }

    @Override
    public void onValidation(TrainingRun.Validation v) {
        Measure m = data.lastMeasure();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("step", v.step());
        row.put("loss", m.loss());
        row.put("ratio", m.loss() / task.task().baseline());
        task.json(row, m);
        row.put("trainLoss", v.trainLoss());
        measured.add(row);
        if (rows != null) {
            bar.println(rows, task.row(v.step(), m));
        }
        if (m.solved() && solvedAt < 0) {
            solvedAt = v.step();
            if (options.untilSolved) {
                run.requestStop();
            }
        }
    }

    private void summary(PrintWriter out, boolean json, Finished f) {
        LongRangeTask t = task.task();
        Measure last = f.last();
        boolean solved = last != null && last.solved();
        Health.Verdict verdict = history.verdict();
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("task", task.id());
            task.settings(doc);
            doc.put("length", t.steps());
            settings.json(doc, seed, t.steps());
            doc.put("steps", run.step());
            doc.put("interrupted", f.interrupted());
            doc.put("finalLoss", last == null ? Double.NaN : last.loss());
            doc.put("baseline", t.baseline());
            doc.put("ratio", last == null ? Double.NaN : last.loss() / t.baseline());
            if (t.target() == LongRangeTask.Target.CLASS_EVERY_STEP) {
                doc.put("accuracy", last == null ? Double.NaN : last.accuracy());
            }
            doc.put("solved", solved);
            doc.put("solvedAt", f.solvedAt() < 0 ? null : f.solvedAt());
            doc.put("seconds", f.seconds());
            doc.put("trainingSeconds", f.result().trainingSeconds());
            doc.put("evaluations", measured);
            doc.put("verdict", verdict);
            doc.put("flow", history.series());
            doc.put("report", options.report == null ? null : options.report.toString());
            Json.write(out, doc);
            return;
        }
        out.println();
        if (last != null) {
            out.println(task.outcome(last, run.step(), ProgressBar.duration(f.seconds())));
        }
        if (verdict != null) {
            out.println("gradient flow (docs/telemetry.md):");
            for (Health.Finding finding : verdict.findings()) {
                out.println("  " + finding.words());
            }
        }
        if (options.report != null) {
            out.printf("report: %s%n", options.report);
        }
        if (options.save != null) {
            out.printf("weights: %s (continue with --weights; docs/lab.md shows the PyTorch module they load into)%n", options.save);
        }
        out.flush();
    }

    /**
     * The copy task: one-hot symbols in, a class at every step, measured by its recall accuracy;
     * with {@code mixedDelays}, trained on the curriculum of {@link CopyTask#fillMixedDelays}.
     */
    static LabTask classes(CopyTask copy, boolean mixedDelays) {
        return new LabTask() {
            @Override
            public LongRangeTask task() {
                return copy;
            }

            @Override
            public TaskSource batches(int batch, long seed, int heldOut) {
                return new TaskBatches(copy, batch, seed, heldOut, mixedDelays);
            }

            @Override
            public String id() {
                return "copy";
            }

            @Override
            public String title() {
                return String.format(Locale.ROOT, "Copy task, delay %d (T = %d)%s", copy.delay(), copy.steps(),
                        mixedDelays ? ", trained on mixed delays" : "");
            }

            @Override
            public String criterion(int heldOut, int evalEvery) {
                return String.format(Locale.ROOT, "memoryless baseline %.4f nats per step; solved at %.0f%% of the %d recalled"
                        + " symbols; measured on %,d held-out sequences every %d steps", copy.baseline(),
                        100 * CopyTask.SOLVED_ACCURACY, CopyTask.COPIED, heldOut, evalEvery);
            }

            @Override
            public String columns() {
                return "   step  held-out loss  / baseline  recall accuracy";
            }

            @Override
            public void settings(Map<String, Object> doc) {
                doc.put("delay", copy.delay());
                doc.put("curriculum", mixedDelays ? "mixed" : "none");
            }

            @Override
            public String row(long step, Measure m) {
                return String.format(Locale.ROOT, "%7d  %13.4f  %10.3f  %14.1f%%", step, m.loss(), m.loss() / copy.baseline(),
                        100 * m.accuracy());
            }

            @Override
            public String outcome(Measure m, long steps, String duration) {
                return String.format(Locale.ROOT, "%s after %,d steps in %s: held-out loss %.4f = %.3fx the baseline %.4f, recall"
                                + " accuracy %.1f%% (chance 12.5%%)", m.solved() ? "SOLVED" : "not solved", steps, duration,
                        m.loss(), m.loss() / copy.baseline(), copy.baseline(), 100 * m.accuracy());
            }

            @Override
            public void json(Map<String, Object> row, Measure m) {
                row.put("accuracy", m.accuracy());
            }
        };
    }

    /**
     * A task with a real target at the last step: its vectors in, one prediction after the last
     * step, measured by the held-out mean squared error.
     *
     * @param id        the task's name in JSON
     * @param title     the header's and report's title
     * @param baseline  how the memoryless baseline is reached, in words ({@code predicting 1})
     * @param settings  the task's own JSON entries
     */
    static LabTask realValue(LongRangeTask task, String id, String title, String baseline, Map<String, Object> settings) {
        return new LabTask() {
            @Override
            public LongRangeTask task() {
                return task;
            }

            @Override
            public String id() {
                return id;
            }

            @Override
            public String title() {
                return title;
            }

            @Override
            public String criterion(int heldOut, int evalEvery) {
                return String.format(Locale.ROOT, "memoryless baseline %.4f (the squared error of %s); solved below %s;"
                        + " measured on %,d held-out sequences every %d steps", task.baseline(), baseline,
                        task.solvedThreshold(), heldOut, evalEvery);
            }

            @Override
            public String columns() {
                return "   step  held-out MSE  / baseline";
            }

            @Override
            public void settings(Map<String, Object> doc) {
                doc.putAll(settings);
            }

            @Override
            public String row(long step, Measure m) {
                return String.format(Locale.ROOT, "%7d  %12.5f  %10.3f%s", step, m.loss(), m.loss() / task.baseline(),
                        m.solved() ? "  solved" : "");
            }

            @Override
            public String outcome(Measure m, long steps, String duration) {
                return String.format(Locale.ROOT, "%s after %,d steps in %s: held-out MSE %.5f = %.3fx the baseline %.4f"
                                + " (solved below %s)", m.solved() ? "SOLVED" : "not solved", steps, duration, m.loss(),
                        m.loss() / task.baseline(), task.baseline(), task.solvedThreshold());
            }

            @Override
            public void json(Map<String, Object> row, Measure m) {
                row.put("solved", m.solved());
            }
        };
    }
}
