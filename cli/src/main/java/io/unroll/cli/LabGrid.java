package io.unroll.cli;

import io.unroll.flow.FlowHistory;
import io.unroll.flow.FlowTelemetry;
import io.unroll.flow.Health;
import io.unroll.lab.LongRangeTask;
import io.unroll.lab.TaskModel;
import io.unroll.lab.TaskSource;
import io.unroll.train.TrainingRun;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code unroll lab grid}: one task at a few lengths for a few networks, each run stopping once it
 * solves the task, shown as the who-remembers table (final loss over the memoryless baseline,
 * solved or not), the memory horizon each run's gradient reached, and a chart. Every finished run
 * is kept in a file at once ({@link GridFile}), so a grid stopped by Ctrl-C or a kill resumes where
 * it stopped.
 */
@Command(name = "grid", mixinStandardHelpOptions = true, description = {
    "Which networks remember: a task at a few lengths for a few networks, each run",
    "stopping once solved, shown as a table of final loss / memoryless baseline with",
    "the memory horizon each run's gradient reached, and a chart. Finished runs are",
    "kept in --file at once; run the same command again to resume a stopped grid.",
    "Configurations: tanh (tanh RNN, gaussian init), orthogonal (tanh RNN,",
    "orthogonal init), irnn (ReLU RNN, identity init), indrnn (ReLU IndRNN), lstm",
    "(forget-gate bias 1), gru. Recipes and measured grids: docs/lab.md."})
final class LabGrid implements Callable<Integer> {
    @Mixin
    CommonOptions common;
    @Spec
    CommandSpec spec;

    @Option(names = "--task", defaultValue = "adding", description = "adding, copy or signal (default: ${DEFAULT-VALUE}).")
    String task;
    @Option(names = "--lengths", split = ",", paramLabel = "<T>",
            description = "The lengths T (adding, signal: the delay is T/2) or the delays (copy), comma-separated"
                    + " (default: 100,200 for adding, 10,20 for copy, 20,40 for signal).")
    List<Integer> lengths;
    @Option(names = "--configs", split = ",", paramLabel = "<id>", defaultValue = "tanh,orthogonal,irnn,indrnn,lstm,gru",
            description = "The networks, comma-separated (default: ${DEFAULT-VALUE}).")
    List<String> configs;
    @Option(names = "--steps", description = "The most training steps of a run (default: 8000 for adding, where the IRNN"
            + " needs 7,600 at T = 200; 3000 for copy and signal).")
    Long steps;
    @Option(names = "--hidden", defaultValue = "128", description = "Hidden units (default: ${DEFAULT-VALUE}).")
    int hidden;
    @Option(names = "--batch", defaultValue = "64", description = "Sequences per step (default: ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--lr", description = "Adam's learning rate (default: 0.003 for copy, 0.001 for adding and signal).")
    Double lr;
    @Option(names = "--clip", defaultValue = "1", description = "Clip the gradient to this global norm (default: ${DEFAULT-VALUE}).")
    double clip;
    @Option(names = "--eval-every", defaultValue = "100",
            description = "Measure on the held-out sequences every n steps (default: ${DEFAULT-VALUE}).")
    int evalEvery;
    @Option(names = "--held-out", defaultValue = "1000", description = "Held-out sequences (default: ${DEFAULT-VALUE}).")
    int heldOut;
    @Option(names = "--file", paramLabel = "FILE.json", defaultValue = "lab-grid.json",
            description = "Where the finished runs are kept, and read back to resume (default: ${DEFAULT-VALUE}).")
    Path file;
    @Option(names = "--restart", description = "Start afresh, overwriting --file, instead of resuming the runs it holds.")
    boolean restart;
    @Option(names = "--report", paramLabel = "FILE.html",
            description = "Write the table and every run's held-out loss over training as a self-contained HTML page.")
    Path report;
    @Option(names = "--progress", paramLabel = "<mode>", defaultValue = "auto",
            description = "auto, bar, lines or none (default: ${DEFAULT-VALUE}).")
    String progress;

    @Override
    public Integer call() throws IOException {
        List<Integer> lengthList = checkedLengths();
        long maxSteps = steps != null ? steps : task.equals("adding") ? 8000 : 3000;
        List<GridNetwork> networks = checkedConfigs();
        ProgressBar.Mode mode = ProgressBar.Mode.parse(progress);
        OutputFiles.checkWritable(file, "--file");
        if (report != null) {
            OutputFiles.checkWritable(report, "--report");
        }
        List<LabOptions.Settings> settings = new ArrayList<>();
        for (GridNetwork p : networks) {
            settings.add(options(p).check(spec, defaultLr(), maxSteps));
        }
        GridFile grid = GridFile.open(file, new GridFile.Settings(task, maxSteps, hidden, batch, lr, clip, evalEvery, heldOut,
                common.seedOr(1), common.rng().cliName()), restart);
        PrintWriter out = spec.commandLine().getOut();
        int total = lengthList.size() * networks.size();
        long done = lengthList.stream().mapToLong(n -> networks.stream().filter(p -> grid.find(p.id, n).isPresent()).count()).sum();
        if (!common.json()) {
            out.printf(Locale.ROOT, "Lab grid: %s at %s %s, %d networks; one layer of %d, batch %d, adam lr %s, clip %s,"
                            + " seed %d;%nat most %,d steps a run, stopping once solved; runs kept in %s (%d of %d there already)%n%n",
                    taskName(), lengthWord(), lengthList.stream().map(String::valueOf).collect(Collectors.joining(", ")),
                    networks.size(), hidden, batch, lr == null ? defaultLr() : lr, clip, common.seedOr(1), maxSteps, file, done, total);
            out.flush();
        }
        long start = System.nanoTime();
        if (!trainMissing(grid, settings, lengthList, networks, mode, out)) {
            return TrainCommand.EXIT_INTERRUPTED;
        }
        List<GridFile.Run> runs = new ArrayList<>();
        for (int length : lengthList) {
            for (GridNetwork p : networks) {
                runs.add(grid.find(p.id, length).orElseThrow());
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (report != null) {
            GridReport.write(report, title(), lengthList, networks, runs, solvedWords(lengthList.get(0)), lengthSymbol());
        }
        if (common.json()) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("task", task);
            doc.put("lengths", lengthList);
            doc.put("configs", networks.stream().map(p -> p.id).toList());
            doc.put("file", file.toString());
            doc.put("seconds", seconds);
            doc.put("runSeconds", runs.stream().mapToDouble(GridFile.Run::seconds).sum());
            doc.put("runs", runs);
            doc.put("report", report == null ? null : report.toString());
            Json.write(out, doc);
        } else {
            out.println();
            out.print(GridReport.tables(title(), lengthList, networks, runs, solvedWords(lengthList.get(0)), lengthSymbol()));
            out.printf(Locale.ROOT, "%nthis session %s; all runs of the grid %s%n", ProgressBar.duration(seconds),
                    ProgressBar.duration(runs.stream().mapToDouble(GridFile.Run::seconds).sum()));
            if (report != null) {
                out.printf("report: %s%n", report);
            }
            out.flush();
        }
        return 0;
    }

    /**
     * Trains every run the grid file lacks, in order (the lengths, then the networks), adding each
     * to the file as it finishes; false if a signal stopped one (it is not kept).
     */
    private boolean trainMissing(GridFile grid, List<LabOptions.Settings> settings, List<Integer> lengthList,
                                 List<GridNetwork> networks, ProgressBar.Mode mode, PrintWriter out) throws IOException {
        int total = lengthList.size() * networks.size();
        ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), mode);
        try {
            int index = 0;
            for (int length : lengthList) {
                for (int i = 0; i < networks.size(); i++) {
                    GridNetwork p = networks.get(i);
                    index++;
                    if (grid.find(p.id, length).isPresent()) {
                        continue;
                    }
                    String prefix = String.format(Locale.ROOT, "[%d/%d] %s, %s = %d: ", index, total, p.id, lengthSymbol(), length);
                    LabSession session = new LabSession(settings.get(i), labTask(length), common.seedOr(1), common.newRng(1),
                            bar, prefix, null);
                    try (StopOnSignal stop = session.stopOnSignal()) {
                        LabSession.Finished f = session.train();
                        if (f.interrupted()) {
                            bar.close();
                            if (!common.json()) {
                                out.printf(Locale.ROOT, "stopped during %s at %s %d; the %d finished runs are kept in %s: run"
                                        + " the same command again to resume%n", p.id, lengthWord(), length, grid.size(), file);
                                out.flush();
                            }
                            return false;
                        }
                        GridFile.Run run = record(p, length, session, f);
                        grid.add(run);
                        if (!common.json()) {
                            bar.println(out, prefix + outcome(run));
                        }
                    }
                }
            }
            return true;
        } finally {
            bar.close();
        }
    }

    private List<Integer> checkedLengths() {
        List<Integer> defaults = switch (task) {
            case "adding" -> List.of(100, 200);
            case "copy" -> List.of(10, 20);
            case "signal" -> List.of(20, 40);
            default -> throw LabOptions.usage(spec, "--task is '" + task + "', expected adding, copy or signal");
        };
        List<Integer> list = lengths != null ? lengths : defaults;
        int least = task.equals("copy") ? 1 : 2;
        int most = task.equals("copy") ? LongRangeTask.MAX_LENGTH - 20 : LongRangeTask.MAX_LENGTH;
        for (int n : list) {
            if (n < least || n > most) {
                throw LabOptions.usage(spec, String.format(Locale.ROOT, "--lengths has %d, expected %ss from %d to %d", n,
                        lengthWord(), least, most));
            }
        }
        if (new LinkedHashSet<>(list).size() != list.size()) {
            throw LabOptions.usage(spec, "--lengths " + list + " names a length twice");
        }
        return list.stream().sorted().toList();
    }

    private List<GridNetwork> checkedConfigs() {
        List<GridNetwork> list = new ArrayList<>();
        for (String id : configs) {
            GridNetwork p = GridNetwork.byId(id);
            if (p == null) {
                throw LabOptions.usage(spec, "--configs names '" + id + "', expected some of "
                        + Arrays.stream(GridNetwork.values()).map(q -> q.id).collect(Collectors.joining(", ")));
            }
            list.add(p);
        }
        if (new LinkedHashSet<>(list).size() != list.size()) {
            throw LabOptions.usage(spec, "--configs " + String.join(",", configs) + " names a network twice");
        }
        return list;
    }

    /** The options of one run, as {@code unroll lab TASK} would take them, stopping once solved. */
    private LabOptions options(GridNetwork p) {
        LabOptions o = new LabOptions();
        o.cell = p.cell;
        o.activation = p.activation;
        o.init = p.init;
        o.forgetBias = 1;
        o.hidden = hidden;
        o.layers = 1;
        o.optimizer = "adam";
        o.lr = lr;
        o.lrSchedule = "constant";
        o.clip = clip;
        o.batch = batch;
        o.steps = steps;
        o.untilSolved = true;
        o.evalEvery = evalEvery;
        o.heldOut = heldOut;
        o.flowEvery = FlowTelemetry.DEFAULT_EVERY;
        o.progress = progress;
        return o;
    }

    private double defaultLr() {
        return task.equals("copy") ? TaskModel.CLASS_LEARNING_RATE : TaskModel.REAL_LEARNING_RATE;
    }

    private LabSession.LabTask labTask(int length) {
        return switch (task) {
            case "adding" -> LabCommand.adding(length);
            case "copy" -> LabCommand.copy(length);
            default -> LabCommand.signal(length, length / 2);
        };
    }

    private String taskName() {
        return switch (task) {
            case "adding" -> "the adding problem";
            case "copy" -> "the copy task";
            default -> "the delayed signal (delay T/2)";
        };
    }

    private String lengthWord() {
        return task.equals("copy") ? "delay" : "length";
    }

    private String lengthSymbol() {
        return task.equals("copy") ? "D" : "T";
    }

    private String title() {
        return "Who remembers: " + taskName();
    }

    /** The solved criterion in words; the threshold is the same at every length. */
    private String solvedWords(int length) {
        return task.equals("copy") ? "solved: 99% of the recalled symbols right" : "solved: held-out MSE below "
                + labTask(length).task().solvedThreshold();
    }

    /** A finished run as the grid keeps it. */
    private static GridFile.Run record(GridNetwork p, int length, LabSession session, LabSession.Finished f) {
        FlowHistory.Series series = session.history().series();
        int[] horizons = series.samples().stream().mapToInt(s -> s.horizon()[s.horizon().length - 1]).filter(h -> h >= 0)
                .sorted().toArray();
        int horizon = horizons.length == 0 ? -1 : horizons[horizons.length / 2];
        TaskSource.Measure last = f.last();
        List<FlowHistory.Validation> evals = series.validations();
        Health.Verdict verdict = series.verdict();
        TrainingRun.Divergence d = f.result().diverged();
        LongRangeTask t = session.task();
        return new GridFile.Run(p.id, length, last == null ? Double.NaN : last.loss(), t.baseline(),
                last == null ? Double.NaN : last.accuracy(), last != null && last.solved(), f.solvedAt(), f.result().step(),
                f.seconds(), horizon, t.steps() - 1, d == null ? -1 : d.step(), verdict == null ? "" : verdict.brief(),
                evals.stream().mapToLong(FlowHistory.Validation::step).toArray(),
                evals.stream().mapToDouble(FlowHistory.Validation::loss).toArray());
    }

    private static String outcome(GridFile.Run r) {
        String how = r.diverged() >= 0 ? "DIVERGED at step " + String.format(Locale.ROOT, "%,d", r.diverged())
                : r.solved() ? String.format(Locale.ROOT, "SOLVED at step %,d", r.solvedAt())
                : String.format(Locale.ROOT, "not solved in %,d steps", r.steps());
        return String.format(Locale.ROOT, "%s, loss %.4g = %.3fx the baseline, memory horizon %s, %s", how, r.finalLoss(),
                r.ratio(), GridReport.horizon(r), ProgressBar.duration(r.seconds()));
    }
}
