package io.unroll.cli;

import io.unroll.cell.CellType;
import io.unroll.io.Checkpoint;
import io.unroll.layer.RecurrentConfig;
import io.unroll.train.CharTrainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code unroll train}: a character language model on a text file, the char-rnn way
 * ({@link CharTrainer}: B contiguous streams, truncated BPTT, Adam, clipping), with a progress
 * display on stderr, a validation pass every {@code --val-every} steps and at the end, and a
 * checkpoint at each one named with its validation loss ({@code step-000400-val-1.8123.safetensors},
 * the mean cross-entropy in nats) plus {@code latest.safetensors}, the point to resume from.
 *
 * <p>Stopping: SIGINT (Ctrl-C), SIGTERM or SIGHUP start the JVM's shutdown; a shutdown hook asks
 * the loop to stop at the next step boundary and waits while it saves {@code latest.safetensors}
 * and prints its summary. The process then exits with the JVM's status for the signal, 128 + its
 * number: 130 for Ctrl-C, 143 for SIGTERM, as any program stopped by a signal does; the
 * checkpoint is complete either way (and written atomically, so even a SIGKILL mid-save leaves the
 * previous one intact).
 *
 * <p>Nothing is overwritten by mistake: every option and the text are checked before anything is
 * written, an output directory that already holds checkpoints is refused unless the run resumes
 * ({@code --resume}) or {@code --force} says so, and a run whose loss stops being finite stops
 * without saving the broken weights.
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
    "Ctrl-C finishes the current step, saves latest.safetensors and exits with code 130.",
    "",
    "The defaults train a useful model of tinyshakespeare.txt in a few minutes on 2 cores.",
    ""})
public final class TrainCommand implements Callable<Integer> {
    private static final CharTrainer.Config CORE = CharTrainer.Config.defaults();
    /** Default run length when neither --steps nor --epochs is given. */
    static final double DEFAULT_EPOCHS = 5;
    static final int DEFAULT_VAL_EVERY = 200;
    /** Steps over which the progress display averages the speed. */
    private static final int RECENT_STEPS = 50;
    static final String LATEST = CharModels.LATEST;
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

    @Option(names = "--cell", paramLabel = "<cell>", description = "lstm, gru, rnn (tanh) or rnn_relu (default: ${DEFAULT-VALUE}).")
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

    /** One validation and the checkpoint written with it. */
    record Validation(long step, double epoch, double loss, double bitsPerChar, double trainLoss, String checkpoint) {}

    @Override
    public Integer call() throws IOException {
        validateOptions();
        ProgressBar.Mode progressMode = ProgressBar.Mode.parse(progress);
        String corpus = TextFiles.read(text, "--text");
        Path dir = outputDirectory();
        Setup setup = resume != null ? resumed(corpus) : fresh(corpus);
        CharTrainer trainer = setup.trainer;
        long target = targetSteps(trainer, setup.savedTarget);
        if (target <= trainer.step()) {
            throw new IllegalArgumentException("the checkpoint is at step " + trainer.step() + ", already at the target of "
                    + target + " steps; ask for more with --steps or --epochs");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalArgumentException("--out " + dir + " cannot be created: " + Main.describe(e));
        }
        if (!Files.isWritable(dir)) {
            throw new IllegalArgumentException("--out " + dir + " is not writable");
        }
        Map<String, String> info = runInfo(corpus, trainer, target);
        return new Run(trainer, dir, info, target, setup, progressMode).execute();
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

    private CellType cellType() {
        return CellType.parse(cell, null);
    }

    private Setup fresh(String corpus) {
        CharTrainer.Config config = new CharTrainer.Config(cellType(), hidden, layers, embedding, seq, tbptt, batch, lr, clip,
                valFraction, common.seed(), common.rng().cliName());
        return new Setup(CharTrainer.create(corpus, config), null, -1);
    }

    private Setup resumed(String corpus) {
        CharModels.CharModel saved = CharModels.load(resume, "--resume");
        Checkpoint.Loaded checkpoint = saved.checkpoint();
        if (checkpoint.training() == null) {
            throw new IllegalArgumentException("--resume " + saved.file() + " holds a model but no training state"
                    + " (optimizer, step); only checkpoints written by 'unroll train' can be resumed");
        }
        Map<String, String> info = checkpoint.metadata();
        RecurrentConfig rc = checkpoint.model().rnn().config();
        sameAsCheckpoint("--cell", rc.cell().id(), given("--cell") ? cellType().id() : null);
        sameAsCheckpoint("--hidden", rc.hiddenSize(), given("--hidden") ? hidden : null);
        sameAsCheckpoint("--layers", rc.layers(), given("--layers") ? layers : null);
        sameAsCheckpoint("--embedding", rc.inputSize(), given("--embedding") ? embedding : null);
        int runSeq = setting(info, "seq", "--seq", seq);
        int runTbptt = setting(info, "tbptt", "--tbptt", tbptt);
        int runBatch = setting(info, "batch", "--batch", batch);
        double runLr = setting(info, "lr", "--lr", lr);
        double runClip = setting(info, "clip", "--clip", clip);
        double runValFraction = setting(info, "val_fraction", "--val-fraction", valFraction);
        String fingerprint = info.get("text_sha256");
        if (fingerprint != null && !fingerprint.equals(sha256(corpus)) && !force) {
            throw new IllegalArgumentException("--text " + text + " is not the text the checkpoint was trained on ("
                    + info.getOrDefault("text", "unknown") + ", " + info.getOrDefault("text_characters", "?")
                    + " characters); resume on that text, or pass --force to continue on this one");
        }
        TextFiles.requireKnown(saved.vocabulary(), corpus, "--text " + text);
        CharTrainer.Config config = new CharTrainer.Config(rc.cell(), rc.hiddenSize(), rc.layers(), rc.inputSize(), runSeq,
                runTbptt, runBatch, runLr, runClip, runValFraction, common.seed(), common.rng().cliName());
        long savedTarget = parseLong(info.get("target_steps"), -1);
        return new Setup(CharTrainer.resume(corpus, checkpoint, config), saved.file(), savedTarget);
    }

    private long targetSteps(CharTrainer trainer, long savedTarget) {
        if (steps != null) {
            return steps;
        }
        if (epochs == null && savedTarget > 0) {
            return savedTarget;
        }
        double e = epochs != null ? epochs : DEFAULT_EPOCHS;
        return Math.max(1, Math.round(e * trainer.batchesPerEpoch()));
    }

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
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("--out " + dir + " is a file, expected a directory for the checkpoints");
        }
        if (resume == null && !force && Files.isDirectory(dir)) {
            List<String> existing = checkpointsIn(dir);
            if (!existing.isEmpty()) {
                throw new IllegalArgumentException("--out " + dir + " already holds " + existing.size() + " checkpoint"
                        + (existing.size() == 1 ? "" : "s") + " (" + String.join(", ", existing.subList(0, Math.min(3, existing.size())))
                        + (existing.size() > 3 ? ", ..." : "") + "); continue that run with --resume " + dir.resolve(LATEST)
                        + ", start over with --force, or choose another --out");
            }
        }
        return dir;
    }

    private static List<String> checkpointsIn(Path dir) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.safetensors")) {
            for (Path f : files) {
                names.add(f.getFileName().toString());
            }
        }
        names.sort(null);
        return names;
    }

    /** What every checkpoint of this run records besides the model: enough to resume with the same settings. */
    private Map<String, String> runInfo(String corpus, CharTrainer trainer, long target) {
        CharTrainer.Config c = trainer.config();
        Map<String, String> info = new LinkedHashMap<>();
        info.put("text", text.getFileName().toString());
        info.put("text_characters", Long.toString(corpus.codePointCount(0, corpus.length())));
        info.put("text_sha256", sha256(corpus));
        info.put("seq", Integer.toString(c.seq()));
        info.put("tbptt", Integer.toString(c.tbptt()));
        info.put("batch", Integer.toString(c.batch()));
        info.put("lr", Double.toString(c.learningRate()));
        info.put("clip", Double.toString(c.clip()));
        info.put("val_fraction", Double.toString(c.valFraction()));
        info.put("seed", Long.toString(c.seed()));
        info.put("rng", c.rngMode());
        info.put("target_steps", Long.toString(target));
        return info;
    }

    // ------------------------------------------------------------------ the run

    /** The training loop with its progress, validations, checkpoints and stop handling. */
    private final class Run {
        private final CharTrainer trainer;
        private final Path dir;
        private final Map<String, String> info;
        private final long target;
        private final Setup setup;
        private final PrintWriter stdout = spec.commandLine().getOut();
        private final ProgressBar bar;
        private final boolean json = common.json();
        private final List<Validation> validations = new ArrayList<>();
        private final List<CharTrainer.StepReport> reports = new ArrayList<>();
        private final long startStep;
        private double trainNanos;
        /** Durations of the last steps (ns): the speed and ETA follow the recent rate, not the JIT's warm-up. */
        private final long[] recent = new long[RECENT_STEPS];
        private long recentSum;
        private int recentCount;
        private double lastValidationNanos;
        private CharTrainer.StepReport last;

        Run(CharTrainer trainer, Path dir, Map<String, String> info, long target, Setup setup, ProgressBar.Mode mode) {
            this.trainer = trainer;
            this.dir = dir;
            this.info = info;
            this.target = target;
            this.setup = setup;
            this.bar = new ProgressBar(spec.commandLine().getErr(), mode);
            this.startStep = trainer.step();
        }

        int execute() throws IOException {
            if (!json) {
                printHeader();
            }
            long start = System.nanoTime();
            boolean stopped;
            try (StopOnSignal stop = new StopOnSignal(bar)) {
                stopped = loop(stop);
                if (stopped) {
                    save(LATEST);
                    bar.close();
                    spec.commandLine().getErr().println("unroll: stopped at step " + trainer.step() + " of " + target
                            + "; saved " + dir.resolve(LATEST) + "; continue with: unroll train --text " + text
                            + " --resume " + dir.resolve(LATEST));
                    spec.commandLine().getErr().flush();
                } else {
                    finish(stop);
                }
                bar.close();
                printSummary((System.nanoTime() - start) / 1e9, stopped);
            } finally {
                bar.close();
            }
            return stopped ? EXIT_INTERRUPTED : 0;
        }

        /** Trains to the target; returns whether a signal stopped it first. */
        private boolean loop(StopOnSignal stop) throws IOException {
            while (trainer.step() < target) {
                if (stop.requested()) {
                    return true;
                }
                long t0 = System.nanoTime();
                CharTrainer.StepReport report = trainer.trainStep();
                long nanos = System.nanoTime() - t0;
                trainNanos += nanos;
                int slot = (int) (report.step() % RECENT_STEPS);
                recentSum += nanos - (recentCount == RECENT_STEPS ? recent[slot] : 0);
                recent[slot] = nanos;
                recentCount = Math.min(recentCount + 1, RECENT_STEPS);
                if (!Double.isFinite(report.loss()) || !Double.isFinite(report.preClipNorm())) {
                    throw diverged(report);
                }
                last = report;
                reports.add(report);
                bar.update(report.step(), target, fields(report));
                if (report.step() % valEvery == 0 && report.step() < target && !stop.requested()) {
                    validate();
                }
            }
            return false;
        }

        /** The last validation (unless this step already had one) and the final checkpoint. */
        private void finish(StopOnSignal stop) throws IOException {
            boolean validated = !validations.isEmpty() && validations.get(validations.size() - 1).step() == trainer.step();
            if (!validated && !stop.requested()) {
                validate();
            } else if (!validated) {
                save(LATEST);
            }
        }

        private void validate() throws IOException {
            long t0 = System.nanoTime();
            double loss = trainer.validationLoss();
            lastValidationNanos = System.nanoTime() - t0;
            String name = Double.isNaN(loss)
                    ? String.format(Locale.ROOT, "step-%06d.safetensors", trainer.step())
                    : String.format(Locale.ROOT, "step-%06d-val-%.4f.safetensors", trainer.step(), loss);
            Validation v = new Validation(trainer.step(), epoch(trainer.step()), loss, loss / Math.log(2),
                    last == null ? Double.NaN : last.loss(), dir.resolve(name).toString());
            info.put("val_step", Long.toString(trainer.step()));
            info.put("val_loss", Double.toString(loss));
            info.put("val_bits_per_char", Double.toString(v.bitsPerChar()));
            save(name);
            save(LATEST);
            validations.add(v);
            if (!json) {
                bar.println(stdout, String.format(Locale.ROOT, "%7d  %6.2f  %10.4f  %8s  %7s  %s", v.step(), v.epoch(),
                        v.trainLoss(), Double.isNaN(loss) ? "-" : String.format(Locale.ROOT, "%.4f", loss),
                        Double.isNaN(loss) ? "-" : String.format(Locale.ROOT, "%.3f", v.bitsPerChar()), name));
            }
        }

        private void save(String name) throws IOException {
            info.put("step", Long.toString(trainer.step()));
            info.put("epoch", String.format(Locale.ROOT, "%.4f", epoch(trainer.step())));
            if (last != null) {
                info.put("train_loss", Double.toString(last.loss()));
            }
            trainer.save(dir.resolve(name), info);
        }

        private double epoch(long step) {
            return (double) step / trainer.batchesPerEpoch();
        }

        private IllegalArgumentException diverged(CharTrainer.StepReport report) {
            String kept = validations.isEmpty()
                    ? (setup.resumedFrom != null ? "the checkpoint it resumed from, " + setup.resumedFrom + ", is unchanged" : "nothing was saved")
                    : "the last good checkpoint is " + validations.get(validations.size() - 1).checkpoint();
            return new IllegalArgumentException(String.format(Locale.ROOT,
                    "training diverged: the loss became %s at step %d (pre-clip gradient norm %s); %s; try a lower --lr or --clip",
                    report.loss(), report.step(), report.preClipNorm(), kept));
        }

        /** {@code loss 1.9123 bpc 2.759 norm 3.21>5.00 11.8k char/s ETA 2m10s}. */
        private String fields(CharTrainer.StepReport r) {
            double perStep = recentSum / 1e9 / recentCount;
            long remaining = target - r.step();
            long validationsLeft = remaining / valEvery + 1;
            double eta = remaining * perStep + validationsLeft * lastValidationNanos / 1e9;
            String norm = r.clippedWindows() > 0
                    ? String.format(Locale.ROOT, "%.2f>%.2f", r.preClipNorm(), r.postClipNorm())
                    : String.format(Locale.ROOT, "%.2f", r.preClipNorm());
            return String.format(Locale.ROOT, "loss %.4f  bpc %.3f  norm %s  %s char/s  ETA %s", r.loss(), r.bitsPerChar(), norm,
                    ProgressBar.count(trainer.charactersPerStep() / perStep), ProgressBar.duration(eta));
        }

        private void printHeader() {
            CharTrainer.Config c = trainer.config();
            int vocab = trainer.vocabulary().size();
            stdout.printf(Locale.ROOT, "Training a %s character model: %d layer%s of %d, embedding %d, vocabulary %d (%,d parameters)%n",
                    c.cell().id(), c.layers(), c.layers() == 1 ? "" : "s", c.hidden(), c.embedding(), vocab, trainer.params().size());
            stdout.printf(Locale.ROOT, "text: %s, %,d training + %,d validation characters%n", text,
                    trainer.trainingCharacters(), trainer.validationCharacters());
            stdout.printf(Locale.ROOT, "steps of %d streams x %d characters (tbptt %d), %,d per epoch; Adam lr %s, clip %s, %s rng seed %d%n",
                    c.batch(), c.seq(), Math.min(c.tbptt(), c.seq()), trainer.batchesPerEpoch(), num(c.learningRate()), num(c.clip()),
                    c.rngMode(), c.seed());
            stdout.printf(Locale.ROOT, "%s to step %,d (%.2f epochs), validating every %d steps; checkpoints in %s%n",
                    setup.resumedFrom == null ? "training" : "resuming " + setup.resumedFrom + " at step " + startStep + ",",
                    target, epoch(target), valEvery, dir);
            stdout.println();
            stdout.println("   step   epoch  train loss  val loss  val bpc  checkpoint");
            stdout.flush();
        }

        private void printSummary(double seconds, boolean stopped) {
            Validation best = null;
            for (Validation v : validations) {
                if (!Double.isNaN(v.loss()) && (best == null || v.loss() < best.loss())) {
                    best = v;
                }
            }
            long trained = trainer.step() - startStep;
            double charsPerSecond = trainNanos > 0 ? trained * trainer.charactersPerStep() / (trainNanos / 1e9) : Double.NaN;
            if (json) {
                Map<String, Object> doc = new LinkedHashMap<>();
                CharTrainer.Config c = trainer.config();
                doc.put("text", text.toString());
                doc.put("trainingCharacters", trainer.trainingCharacters());
                doc.put("validationCharacters", trainer.validationCharacters());
                doc.put("vocabularySize", trainer.vocabulary().size());
                doc.put("cell", c.cell().id());
                doc.put("hidden", c.hidden());
                doc.put("layers", c.layers());
                doc.put("embedding", c.embedding());
                doc.put("parameters", trainer.params().size());
                doc.put("seq", c.seq());
                doc.put("tbptt", Math.min(c.tbptt(), c.seq()));
                doc.put("batch", c.batch());
                doc.put("lr", c.learningRate());
                doc.put("clip", c.clip());
                doc.put("valFraction", c.valFraction());
                doc.put("valEvery", valEvery);
                doc.put("seed", c.seed());
                doc.put("rng", c.rngMode());
                doc.put("stepsPerEpoch", trainer.batchesPerEpoch());
                doc.put("charactersPerStep", trainer.charactersPerStep());
                doc.put("resumedFrom", setup.resumedFrom == null ? null : setup.resumedFrom.toString());
                doc.put("startStep", startStep);
                doc.put("step", trainer.step());
                doc.put("targetSteps", target);
                doc.put("epochs", epoch(trainer.step()));
                doc.put("interrupted", stopped);
                doc.put("seconds", seconds);
                doc.put("trainingSeconds", trainNanos / 1e9);
                doc.put("charactersPerSecond", charsPerSecond);
                doc.put("trainLoss", last == null ? Double.NaN : last.loss());
                doc.put("trainBitsPerChar", last == null ? Double.NaN : last.bitsPerChar());
                doc.put("validations", validations);
                doc.put("best", best);
                doc.put("latest", dir.resolve(LATEST).toString());
                doc.put("reports", reports);
                Json.write(stdout, doc);
                return;
            }
            stdout.println();
            stdout.printf(Locale.ROOT, "%s: %,d steps (%.2f epochs) in %s, %s characters/s%n",
                    stopped ? "stopped" : "done", trained, (double) trained / trainer.batchesPerEpoch(),
                    ProgressBar.duration(seconds), ProgressBar.count(charsPerSecond));
            if (best != null) {
                stdout.printf(Locale.ROOT, "best validation loss %.4f (%.3f bits per character) at step %d: %s%n",
                        best.loss(), best.bitsPerChar(), best.step(), best.checkpoint());
            }
            stdout.printf("latest: %s%n", dir.resolve(LATEST));
            stdout.flush();
        }
    }

    /**
     * Turns the JVM's shutdown (SIGINT, SIGTERM, SIGHUP) into a request to stop at the next step
     * boundary: the hook sets the flag and then waits until the run has saved and printed, which
     * {@link #close()} signals. The JVM exits when the hook returns, with 128 + the signal number.
     */
    static final class StopOnSignal implements AutoCloseable {
        private final Thread hook;
        private final CountDownLatch finished = new CountDownLatch(1);
        private volatile boolean requested;

        StopOnSignal(ProgressBar bar) {
            this.hook = new Thread(() -> {
                requested = true;
                bar.message("unroll: stopping: finishing the current step and saving a checkpoint...");
                try {
                    finished.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "unroll-train-stop");
            Runtime.getRuntime().addShutdownHook(hook);
        }

        boolean requested() {
            return requested;
        }

        /** The run has saved what it needs to: let the JVM go if it is shutting down, else unregister. */
        @Override
        public void close() {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running (or has run); the JVM exits when it returns
            }
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

    private void sameAsCheckpoint(String option, Object saved, Object requested) {
        if (requested != null && !requested.equals(saved)) {
            throw new IllegalArgumentException(option + " " + requested + " differs from the checkpoint's " + saved
                    + "; a resumed run keeps the model and settings of its checkpoint (leave " + option + " out)");
        }
    }

    private int setting(Map<String, String> info, String key, String option, int value) {
        String saved = info.get(key);
        if (saved == null) {
            return value;
        }
        int s = Integer.parseInt(saved);
        sameAsCheckpoint(option, s, given(option) ? value : null);
        return s;
    }

    private double setting(Map<String, String> info, String key, String option, double value) {
        String saved = info.get(key);
        if (saved == null) {
            return value;
        }
        double s = Double.parseDouble(saved);
        sameAsCheckpoint(option, s, given(option) ? value : null);
        return s;
    }

    private static long parseLong(String s, long otherwise) {
        try {
            return s == null ? otherwise : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    private static String baseName(Path file) {
        String name = file.getFileName() == null ? "text" : file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    private static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e6 ? Long.toString((long) v) : Double.toString(v);
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new UncheckedIOException(new IOException("SHA-256 is not available", e));
        }
    }
}
