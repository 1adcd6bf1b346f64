package io.unroll.cli;

import io.unroll.cell.CellType;
import io.unroll.flow.FlowHistory;
import io.unroll.flow.FlowTelemetry;
import io.unroll.flow.Health;
import io.unroll.lab.UnigramBaseline;
import io.unroll.io.Checkpoint;
import io.unroll.train.CharTrainer;
import io.unroll.train.CharTrainer.Setting;
import io.unroll.train.CheckpointDirectory;
import io.unroll.train.TextStreams;
import io.unroll.train.TrainingRun;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code unroll train}: a character language model on a text file, the char-rnn way
 * ({@link CharTrainer}: B contiguous streams, truncated BPTT, Adam, clipping), run by the core's
 * {@link TrainingRun}: a validation pass every {@code --val-every} steps and at the end, and a
 * checkpoint at each one named with its validation loss ({@code step-000400-val-1.8123.safetensors},
 * the mean cross-entropy in nats) plus {@code latest.safetensors}, the point to resume from. This
 * class turns options into the run's settings and plan, maps the core's errors to option names,
 * and shows the run through a listener: a progress display on stderr, a table or JSON on stdout.
 *
 * <p>Stopping: SIGINT (Ctrl-C), SIGTERM or SIGHUP start the JVM's shutdown; a shutdown hook asks
 * the run to stop at the next step boundary ({@link TrainingRun#requestStop()}) and waits while it
 * saves {@code latest.safetensors} and prints its summary. The process then exits with the JVM's
 * status for the signal, 128 + its number: 130 for Ctrl-C, 143 for SIGTERM, as any program stopped
 * by a signal does; the checkpoint is complete either way (and written atomically, so even a
 * SIGKILL mid-save leaves the previous one intact).
 *
 * <p>Nothing is overwritten by mistake: every option and the text are checked before anything is
 * written, an output directory that already holds checkpoints is refused unless the run resumes
 * ({@code --resume}) or {@code --force} says so, and a run whose loss stops being finite stops
 * without saving the broken weights. A resumed run keeps the settings of its checkpoint (an option
 * given with another value is an error) and its text, unless {@code --force}.
 */
@Command(name = "train", sortOptions = false, mixinStandardHelpOptions = true, description = {
    "Train a character language model on a UTF-8 text file.",
    "",
    "char-rnn style: --batch streams run through the text side by side, --seq characters each per "
        + "step, with truncated BPTT (an Adam update every --tbptt characters, the state carried on) "
        + "and gradient clipping. The last --val-fraction of the text is held out for validation.",
    "",
    "Every --val-every steps, and at the end, the validation loss is measured and a checkpoint is "
        + "saved in --out, named with that loss in nats, e.g. step-000400-val-1.8123.safetensors; "
        + "latest.safetensors is always the newest state, the one to --resume from.",
    "",
    "Ctrl-C finishes the current step, saves latest.safetensors and exits with code 130 "
        + "(SIGTERM does the same and exits with 143).",
    "",
    "The defaults train a useful model of tinyshakespeare.txt in a few minutes on 2 cores.",
    ""})
public class TrainCommand implements Callable<Integer> {
    private static final CharTrainer.Config CORE = CharTrainer.Config.defaults();
    /** Default run length when neither --steps nor --epochs is given. */
    static final double DEFAULT_EPOCHS = 5;
    static final int DEFAULT_VAL_EVERY = 200;
    static final String LATEST = CheckpointDirectory.LATEST;
    /** Exit code after a stop by signal; the JVM's own status for SIGINT is the same. */
    static final int EXIT_INTERRUPTED = 130;

    @Mixin
    CommonOptions common;
    @Spec
    CommandSpec spec;

    @Option(names = "--text", required = true, paramLabel = "FILE", description = "UTF-8 text to train on.")
    Path text;
    @Option(names = "--out", paramLabel = "DIR",
            description = "Directory for the checkpoints (default: runs/<text file name>, or the directory of --resume).")
    Path out;
    @Option(names = "--resume", paramLabel = "CHECKPOINT",
            description = "Continue the run saved in this checkpoint (a file, or a directory's latest.safetensors); "
                    + "sizes and settings come from it.")
    Path resume;
    @Option(names = "--force", description = "Start a new run even if --out already holds checkpoints (they are kept "
            + "unless the new run writes a file of the same name).")
    boolean force;

    @Option(names = "--cell", paramLabel = "<cell>", completionCandidates = CellNames.class,
            description = "One of ${COMPLETION-CANDIDATES}; a family alone (rnn, indrnn) means tanh (default: ${DEFAULT-VALUE}).")
    String cell = CORE.cell().id();
    @Option(names = "--hidden", paramLabel = "<n>", description = "Hidden units per layer (default: ${DEFAULT-VALUE}).")
    int hidden = CORE.hidden();
    @Option(names = "--layers", paramLabel = "<n>", description = "Recurrent layers (default: ${DEFAULT-VALUE}).")
    int layers = CORE.layers();
    @Option(names = "--embedding", paramLabel = "<n>", description = "Character embedding size (default: ${DEFAULT-VALUE}).")
    int embedding = CORE.embedding();
    @Option(names = "--seq", paramLabel = "<n>", description = "Characters per stream per step (default: ${DEFAULT-VALUE}).")
    int seq = CORE.seq();
    @Option(names = "--tbptt", paramLabel = "<n>",
            description = "Truncated-BPTT window: an update every n characters, state carried on (default: ${DEFAULT-VALUE}).")
    int tbptt = CORE.tbptt();
    @Option(names = "--batch", paramLabel = "<n>", description = "Parallel streams through the text (default: ${DEFAULT-VALUE}).")
    int batch = CORE.batch();
    @Option(names = "--lr", paramLabel = "<rate>", description = "Adam learning rate (default: ${DEFAULT-VALUE}).")
    double lr = CORE.learningRate();
    @Option(names = "--clip", paramLabel = "<norm>", description = "Clip the gradient to this global norm (default: ${DEFAULT-VALUE}).")
    double clip = CORE.clip();
    @Option(names = "--steps", paramLabel = "<n>",
            description = "Train until step n (counted from the start of the run, resumed steps included).")
    Long steps;
    @Option(names = "--epochs", paramLabel = "<e>",
            description = "Train for e passes over the text, fractions allowed (default: " + DEFAULT_EPOCHS + "; not with --steps).")
    Double epochs;
    @Option(names = "--val-fraction", paramLabel = "<f>",
            description = "Share of the text, at its end, held out for validation, in [0, 0.5) (default: ${DEFAULT-VALUE}).")
    double valFraction = CORE.valFraction();
    @Option(names = "--val-every", paramLabel = "<n>",
            description = "Validate and save a checkpoint every n steps, and at the end (default: ${DEFAULT-VALUE}).")
    int valEvery = DEFAULT_VAL_EVERY;
    @Option(names = "--progress", paramLabel = "<mode>", defaultValue = "auto",
            description = "Progress on stderr: auto (a bar on a terminal, else a line every "
                    + ProgressBar.LINE_INTERVAL_SECONDS + " s), bar, lines or none (default: ${DEFAULT-VALUE}).")
    String progress;
    @Option(names = "--report", paramLabel = "FILE.html",
            description = "Write the run's gradient flow as a self-contained HTML page with charts at the end (also when"
                    + " stopped or diverged; no network needed to open it).")
    Path report;
    @Option(names = "--flow-every", paramLabel = "<n>", defaultValue = "" + FlowTelemetry.DEFAULT_EVERY,
            description = "Sample the gradient flow on every n-th step (default: ${DEFAULT-VALUE}: 1-2%% of the"
                    + " training time, docs/telemetry.md).")
    int flowEvery;

    /** One validation and the checkpoint written with it, as {@code --json} reports it. */
    record Validation(long step, double epoch, double loss, double bitsPerChar, double trainLoss, String checkpoint) {
        static Validation of(TrainingRun.Validation v) {
            return new Validation(v.step(), v.epoch(), v.loss(), v.bitsPerToken(), v.trainLoss(), v.checkpoint().toString());
        }
    }

    /** One training step, as {@code --json} reports it. */
    record StepReport(long step, double loss, double bitsPerChar, double preClipNorm, double postClipNorm, int clippedWindows) {
        static StepReport of(TrainingRun.StepReport r) {
            return new StepReport(r.step(), r.loss(), r.bitsPerToken(), r.preClipNorm(), r.postClipNorm(), r.clippedWindows());
        }
    }

    /** The option that sets each of the run's settings, for messages about them. */
    private static final Map<Setting, String> OPTIONS = new EnumMap<>(Map.ofEntries(
            Map.entry(Setting.CELL, "--cell"), Map.entry(Setting.HIDDEN, "--hidden"), Map.entry(Setting.LAYERS, "--layers"),
            Map.entry(Setting.EMBEDDING, "--embedding"), Map.entry(Setting.SEQ, "--seq"), Map.entry(Setting.TBPTT, "--tbptt"),
            Map.entry(Setting.BATCH, "--batch"), Map.entry(Setting.LEARNING_RATE, "--lr"), Map.entry(Setting.CLIP, "--clip"),
            Map.entry(Setting.VALIDATION_FRACTION, "--val-fraction"), Map.entry(Setting.SEED, "--seed"),
            Map.entry(Setting.RNG, "--rng")));

    @Override
    public Integer call() throws IOException {
        validateOptions();
        if (report != null) {
            OutputFiles.checkWritable(report, "--report");
        }
        ProgressBar.Mode progressMode = ProgressBar.Mode.parse(progress);
        String corpus = TextFiles.read(text, "--text");
        Path dir = outputDirectory();
        Setup setup = resume != null ? resumed(corpus) : fresh(corpus);
        TrainingRun run = setup.trainer.run();
        long target = targetSteps(run, setup.savedTarget);
        if (target <= run.step()) {
            throw new IllegalArgumentException("the checkpoint is at step " + run.step() + ", already at the target of "
                    + target + " steps; ask for more with --steps or --epochs");
        }
        try {
            CheckpointDirectory.prepare(dir, true);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--out " + e.getMessage(), e);
        }
        return new Display(setup, dir, target, progressMode, unigramBits(corpus, setup.trainer.config().valFraction()))
                .execute();
    }

    /**
     * The memoryless baseline of a character model: the unigram model's bits per character on the
     * validation part (the last {@code valFraction} of the characters), NaN without one.
     */
    static double unigramBits(String corpus, double valFraction) {
        int n = corpus.codePointCount(0, corpus.length());
        int validLength = TextStreams.validationLength(n, valFraction);
        if (validLength == 0) {
            return Double.NaN;
        }
        int split = corpus.offsetByCodePoints(0, n - validLength);
        return UnigramBaseline.bitsPerCharacter(corpus.substring(0, split), corpus.substring(split));
    }

    // ------------------------------------------------------------------ setup

    private record Setup(CharTrainer trainer, Path resumedFrom, long savedTarget) {}

    private void validateOptions() {
        positive("--hidden", hidden);
        positive("--layers", layers);
        positive("--embedding", embedding);
        positive("--seq", seq);
        positive("--tbptt", tbptt);
        positive("--batch", batch);
        positive("--val-every", valEvery);
        positive("--flow-every", flowEvery);
        positiveReal("--lr", lr);
        positiveReal("--clip", clip);
        if (!(valFraction >= 0 && valFraction < 0.5)) {
            throw usage("--val-fraction is " + valFraction + ", expected a number in [0, 0.5)");
        }
        if (steps != null && epochs != null) {
            throw usage("--steps and --epochs both given; use one of them");
        }
        if (steps != null && steps <= 0) {
            throw usage("--steps is " + steps + ", expected a positive number");
        }
        if (epochs != null) {
            positiveReal("--epochs", epochs);
        }
        if (resume == null) {
            CellType.parse(cell, null);
        }
    }

    /** The settings the options ask for (their defaults where not given). */
    private CharTrainer.Config requested() {
        return CharTrainer.Config.builder().cell(CellType.parse(cell, null)).hidden(hidden).layers(layers).embedding(embedding)
                .seq(seq).tbptt(tbptt).batch(batch).learningRate(lr).clip(clip).valFraction(valFraction)
                .seed(common.seed()).rngMode(common.rng().cliName()).build();
    }

    private Setup fresh(String corpus) {
        return new Setup(CharTrainer.create(textName(), corpus, requested()), null, -1);
    }

    private Setup resumed(String corpus) {
        CharModels.CharModel saved = CharModels.load(resume, "--resume");
        Checkpoint.Loaded checkpoint = saved.checkpoint();
        if (checkpoint.training() == null) {
            throw new IllegalArgumentException("--resume " + saved.file() + " holds a model but no training state"
                    + " (optimizer, step); only checkpoints written by 'unroll train' can be resumed");
        }
        CharTrainer.Config requested = requested();
        CharTrainer.Config recorded = CharTrainer.Config.recordedIn(checkpoint, requested);
        Set<Setting> named = EnumSet.noneOf(Setting.class);
        OPTIONS.forEach((setting, option) -> {
            if (given(option)) {
                named.add(setting);
            }
        });
        for (CharTrainer.Difference d : recorded.differencesFrom(requested, named)) {
            String option = OPTIONS.get(d.setting());
            throw new IllegalArgumentException(option + " " + d.requested() + " differs from the checkpoint's " + d.recorded()
                    + "; a resumed run keeps the model and settings of its checkpoint (leave " + option + " out)");
        }
        CharTrainer.TextFingerprint trainedOn = CharTrainer.TextFingerprint.recordedIn(checkpoint.metadata());
        CharTrainer.TextFingerprint current = CharTrainer.TextFingerprint.of(textName(), corpus);
        if (trainedOn != null && !trainedOn.sameText(current) && !force) {
            throw new IllegalArgumentException("--text " + text + " is not the text the checkpoint was trained on ("
                    + trainedOn.describe() + "); resume on that text, or pass --force to continue on this one");
        }
        TextFiles.requireKnown(saved.vocabulary(), corpus, "--text " + text);
        return new Setup(CharTrainer.resume(current, corpus, checkpoint, recorded), saved.file(),
                TrainingRun.recordedTargetSteps(checkpoint.metadata()));
    }

    private String textName() {
        return text.getFileName().toString();
    }

    private long targetSteps(TrainingRun run, long savedTarget) {
        if (steps != null) {
            return steps;
        }
        if (epochs == null && savedTarget > 0) {
            return savedTarget;
        }
        return run.stepsFor(epochs != null ? epochs : DEFAULT_EPOCHS);
    }

    /** The directory for the checkpoints, checked (not created) before anything else happens. */
    private Path outputDirectory() throws IOException {
        Path dir = out;
        if (dir == null) {
            if (resume != null) {
                Path file = Files.isDirectory(resume) ? resume.resolve(LATEST) : resume;
                dir = file.toAbsolutePath().getParent();
            } else {
                dir = Path.of("runs", baseName(text));
            }
        }
        try {
            CheckpointDirectory.check(dir, resume != null || force);
        } catch (CheckpointDirectory.OccupiedException e) {
            throw new IllegalArgumentException("--out " + dir + " already holds "
                    + CheckpointDirectory.OccupiedException.describe(e.checkpoints()) + "; continue that run with --resume "
                    + dir.resolve(LATEST) + ", start over with --force, or choose another --out", e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--out " + e.getMessage(), e);
        }
        return dir;
    }

    // ------------------------------------------------------------------ the run

    /** Runs the training and shows it: the header, a progress display, a row per validation, the summary or JSON. */
    private final class Display implements TrainingRun.Listener {
        private final CharTrainer trainer;
        private final TrainingRun run;
        private final Setup setup;
        private final Path dir;
        private final long target;
        private final long startStep;
        private final PrintWriter stdout = spec.commandLine().getOut();
        private final ProgressBar bar;
        private final boolean json = common.json();
        private final List<StepReport> reports = new ArrayList<>();
        private final FlowHistory history;
        private final double unigramBits;

        Display(Setup setup, Path dir, long target, ProgressBar.Mode mode, double unigramBits) {
            this.unigramBits = unigramBits;
            this.trainer = setup.trainer;
            this.run = trainer.run();
            this.setup = setup;
            this.dir = dir;
            this.target = target;
            this.startStep = run.step();
            this.bar = new ProgressBar(spec.commandLine().getErr(), mode);
            this.history = FlowHistory.watch(run, FlowTelemetry.builder().every(flowEvery));
        }

        int execute() throws IOException {
            if (!json) {
                printHeader();
            }
            long start = System.nanoTime();
            TrainingRun.Plan plan = TrainingRun.Plan.to(target).validateEvery(valEvery).checkpointsIn(dir).overwrite(force)
                    .listener(history).listener(this).build();
            TrainingRun.Result result;
            try (StopOnSignal stop = new StopOnSignal(bar, run, "finishing the current step and saving a checkpoint")) {
                result = run.run(plan);
                writeReport();
                if (result.outcome() == TrainingRun.Outcome.DIVERGED) {
                    throw diverged(result);
                }
                bar.close();
                if (result.outcome() == TrainingRun.Outcome.STOPPED) {
                    spec.commandLine().getErr().println("unroll: stopped at step " + run.step() + " of " + target
                            + "; saved " + dir.resolve(LATEST) + "; continue with: unroll train --text " + text
                            + " --resume " + dir.resolve(LATEST));
                    spec.commandLine().getErr().flush();
                }
                printSummary((System.nanoTime() - start) / 1e9, result);
            } finally {
                bar.close();
            }
            return result.outcome() == TrainingRun.Outcome.STOPPED ? EXIT_INTERRUPTED : 0;
        }

        @Override
        public void onStep(TrainingRun.StepReport report, TrainingRun.Pace pace) {
            if (json) {
                reports.add(StepReport.of(report)); // every step's report is in the JSON summary only
            }
            bar.update(report.step(), target, fields(report, pace));
        }

        @Override
        public void onValidation(TrainingRun.Validation v) {
            if (!json) {
                boolean none = Double.isNaN(v.loss());
                bar.println(stdout, String.format(Locale.ROOT, "%7d  %6.2f  %10.4f  %8s  %7s  %s", v.step(), v.epoch(),
                        v.trainLoss(), none ? "-" : String.format(Locale.ROOT, "%.4f", v.loss()),
                        none ? "-" : String.format(Locale.ROOT, "%.3f", v.bitsPerToken()), v.checkpoint().getFileName()));
            }
        }

        /** The HTML report of the run's gradient flow, if asked for. */
        private void writeReport() throws IOException {
            if (report == null) {
                return;
            }
            CharTrainer.Config c = trainer.config();
            String title = String.format(Locale.ROOT, "Training %s: %s, %d layer%s of %d, to step %,d", text.getFileName(),
                    c.cell().id(), c.layers(), c.layers() == 1 ? "" : "s", c.hidden(), run.step());
            TrainingReport.of(title, history.series(), Double.isNaN(unigramBits) ? null
                    : new TrainingReport.Baseline("unigram baseline", unigramBits * Math.log(2))).write(report);
        }

        private IllegalArgumentException diverged(TrainingRun.Result result) {
            TrainingRun.Divergence d = result.diverged();
            Path good = result.lastGoodCheckpoint();
            String kept = good != null ? "the last good checkpoint is " + good
                    : setup.resumedFrom != null ? "the checkpoint it resumed from, " + setup.resumedFrom + ", is unchanged"
                    : "nothing was saved";
            return new IllegalArgumentException(String.format(Locale.ROOT,
                    "training diverged: the %s became %s at step %d (pre-clip gradient norm %s); %s; try a lower --lr or --clip",
                    d.validation() ? "validation loss" : "loss", d.loss(), d.step(), d.preClipNorm(), kept));
        }

        /** {@code loss 1.9123 bpc 2.759 norm 3.21>5.00 11.8k char/s ETA 2m10s}. */
        private String fields(TrainingRun.StepReport r, TrainingRun.Pace pace) {
            String norm = r.clippedWindows() > 0
                    ? String.format(Locale.ROOT, "%.2f>%.2f", r.preClipNorm(), r.postClipNorm())
                    : String.format(Locale.ROOT, "%.2f", r.preClipNorm());
            Health.Verdict v = history.verdict();
            return String.format(Locale.ROOT, "loss %.4f  bpc %.3f  norm %s  %s  %s char/s  ETA %s", r.loss(), r.bitsPerToken(), norm,
                    v == null ? "" : v.brief(), ProgressBar.count(pace.tokensPerSecond()), ProgressBar.duration(pace.secondsLeft()));
        }

        private void printHeader() {
            CharTrainer.Config c = trainer.config();
            int vocab = trainer.vocabulary().size();
            stdout.printf(Locale.ROOT, "Training a %s character model: %d layer%s of %d, embedding %d, vocabulary %d (%,d parameters)%n",
                    c.cell().id(), c.layers(), c.layers() == 1 ? "" : "s", c.hidden(), c.embedding(), vocab, run.params().size());
            stdout.printf(Locale.ROOT, "text: %s, %,d training + %,d validation characters%n", text,
                    trainer.text().trainingCharacters(), trainer.text().validationCharacters());
            stdout.printf(Locale.ROOT, "steps of %d streams x %d characters (tbptt %d), %,d per epoch; Adam lr %s, clip %s, %s rng seed %d%n",
                    c.batch(), c.seq(), run.window(), run.stepsPerEpoch(), num(c.learningRate()), num(c.clip()),
                    c.rngMode(), c.seed());
            stdout.printf(Locale.ROOT, "%s to step %,d (%.2f epochs), validating every %d steps; checkpoints in %s%n",
                    setup.resumedFrom == null ? "training" : "resuming " + setup.resumedFrom + " at step " + startStep + ",",
                    target, run.epoch(target), valEvery, dir);
            if (!Double.isNaN(unigramBits)) {
                stdout.printf(Locale.ROOT, "memoryless baseline: the unigram model (character frequencies alone), %.3f bits per"
                        + " character on the validation text%n", unigramBits);
            }
            stdout.println();
            stdout.println("   step   epoch  train loss  val loss  val bpc  checkpoint");
            stdout.flush();
        }

        private void printSummary(double seconds, TrainingRun.Result result) {
            boolean stopped = result.outcome() == TrainingRun.Outcome.STOPPED;
            TrainingRun.Validation best = result.best();
            TrainingRun.StepReport last = result.last();
            long trained = run.step() - startStep;
            double charsPerSecond = result.trainingSeconds() > 0 ? trained * run.tokensPerStep() / result.trainingSeconds() : Double.NaN;
            if (json) {
                Map<String, Object> doc = new LinkedHashMap<>();
                CharTrainer.Config c = trainer.config();
                doc.put("text", text.toString());
                doc.put("trainingCharacters", trainer.text().trainingCharacters());
                doc.put("validationCharacters", trainer.text().validationCharacters());
                doc.put("vocabularySize", trainer.vocabulary().size());
                doc.put("cell", c.cell().id());
                doc.put("hidden", c.hidden());
                doc.put("layers", c.layers());
                doc.put("embedding", c.embedding());
                doc.put("parameters", run.params().size());
                doc.put("seq", c.seq());
                doc.put("tbptt", run.window());
                doc.put("batch", c.batch());
                doc.put("lr", c.learningRate());
                doc.put("clip", c.clip());
                doc.put("valFraction", c.valFraction());
                doc.put("valEvery", valEvery);
                doc.put("seed", c.seed());
                doc.put("rng", c.rngMode());
                doc.put("stepsPerEpoch", run.stepsPerEpoch());
                doc.put("charactersPerStep", run.tokensPerStep());
                doc.put("resumedFrom", setup.resumedFrom == null ? null : setup.resumedFrom.toString());
                doc.put("startStep", startStep);
                doc.put("step", run.step());
                doc.put("targetSteps", target);
                doc.put("epochs", run.epoch(run.step()));
                doc.put("interrupted", stopped);
                doc.put("seconds", seconds);
                doc.put("trainingSeconds", result.trainingSeconds());
                doc.put("charactersPerSecond", charsPerSecond);
                doc.put("trainLoss", last == null ? Double.NaN : last.loss());
                doc.put("trainBitsPerChar", last == null ? Double.NaN : last.bitsPerToken());
                List<TrainingRun.Validation> validations = result.validations();
                double finalBits = validations.isEmpty() ? Double.NaN : validations.get(validations.size() - 1).bitsPerToken();
                doc.put("finalLoss", finalBits);
                doc.put("baseline", unigramBits);
                doc.put("ratio", finalBits / unigramBits);
                doc.put("validations", validations.stream().map(Validation::of).toList());
                doc.put("best", best == null ? null : Validation.of(best));
                doc.put("latest", dir.resolve(LATEST).toString());
                doc.put("reports", reports);
                doc.put("flowEvery", flowEvery);
                doc.put("verdict", history.verdict());
                doc.put("flow", history.series());
                doc.put("report", report == null ? null : report.toString());
                Json.write(stdout, doc);
                return;
            }
            stdout.println();
            stdout.printf(Locale.ROOT, "%s: %,d steps (%.2f epochs) in %s, %s characters/s%n",
                    stopped ? "stopped" : "done", trained, run.epoch(trained),
                    ProgressBar.duration(seconds), ProgressBar.count(charsPerSecond));
            if (best != null) {
                stdout.printf(Locale.ROOT, "best validation loss %.4f (%.3f bits per character%s) at step %d: %s%n",
                        best.loss(), best.bitsPerToken(), Double.isNaN(unigramBits) ? "" : String.format(Locale.ROOT,
                                ", %.3fx the unigram baseline %.3f", best.bitsPerToken() / unigramBits, unigramBits),
                        best.step(), best.checkpoint());
            }
            stdout.printf("latest: %s%n", dir.resolve(LATEST));
            Health.Verdict v = history.verdict();
            if (v != null) {
                stdout.println();
                stdout.println("gradient flow (docs/telemetry.md):");
                for (Health.Finding f : v.findings()) {
                    stdout.println("  " + f.words());
                }
            }
            if (report != null) {
                stdout.printf("report: %s%n", report);
            }
            stdout.flush();
        }
    }

    // ------------------------------------------------------------------ helpers

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private void positive(String option, long value) {
        if (value <= 0) {
            throw usage(option + " is " + value + ", expected a positive number");
        }
    }

    private void positiveReal(String option, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw usage(option + " is " + value + ", expected a finite number > 0");
        }
    }

    private boolean given(String option) {
        return spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    private static String baseName(Path file) {
        String name = file.getFileName() == null ? "text" : file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    private static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e6 ? Long.toString((long) v) : Double.toString(v);
    }
}
