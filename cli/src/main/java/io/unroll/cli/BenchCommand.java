package io.unroll.cli;

import io.unroll.bench.Bench;
import io.unroll.bench.BenchConfig;
import io.unroll.bench.BenchReport;
import io.unroll.bench.BenchText;
import io.unroll.bench.JvmPeer;
import io.unroll.bench.LabRow;
import io.unroll.bench.ProbeRow;
import io.unroll.bench.PeerException;
import io.unroll.bench.PythonPeer;
import io.unroll.bench.StreamingRow;
import io.unroll.bench.TelemetryRow;
import io.unroll.bench.TrainingRow;
import io.unroll.cell.CellType;
import io.unroll.kernel.KernelProperties;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code unroll bench}: maps the options onto a {@link BenchConfig}, runs {@link Bench} and prints
 * its report ({@link BenchText}, or JSON). What is measured (training steps over the (H, B) grid,
 * batch-1 streaming steps, each row on Unroll and with {@code --vs pytorch} on PyTorch right
 * after, the FMA peak, one thread against several, allocation, memory for backward, the
 * performance targets with PASS or MISS) is the {@code bench} module's; the method is in
 * docs/benchmarks.md.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = {
    "Speed benchmarks. Training steps: T=100, I=H, head to 64 classes,",
    "cross-entropy, BPTT, clip 5.0, Adam, at (H, B) = 64x32, 256x32, 256x128,",
    "512x64, 1024x32. Streaming: batch 1, one step per call, H = 32, 64, 128, 256.",
    "RNN (tanh), LSTM and GRU; with the measured FMA peak, 1 thread vs N, bytes",
    "allocated per warm step, memory kept for backward, what gradient-flow",
    "telemetry costs a training step (every step, every 10th), the lab's tasks",
    "(copy, delay 20; adding, T=100; signal, T=100, delay 50; H=128, B=64) as",
    "`unroll lab` trains them, the playground's probes (T=100, H=64 and T=500,",
    "H=256: the server's time to the first and the whole picture), and every",
    "performance target with PASS or MISS.",
    "Weights and data from --seed (default here: 1).",
    "Method and targets: docs/benchmarks.md. Progress on stderr, report on stdout."})
public final class BenchCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;
    @Spec
    CommandSpec spec;

    @Option(names = "--vs", paramLabel = "<peer>",
            description = "Also run the peer, row by row: pytorch (needs python3-torch and libopenblas0-openmp).")
    String vs;
    @Option(names = "--quick", description = "A small subset with short timings, for smoke tests: the H=64 training row, streaming H=32 and 64, the small probe.")
    boolean quick;
    @Option(names = "--cells", split = ",", paramLabel = "<cell>",
            description = "Cells to run (default: rnn,lstm,gru).")
    List<String> cells;
    @Option(names = "--only", paramLabel = "training|streaming|telemetry|lab|probe",
            description = "Run only the training rows, only the streaming rows, only the telemetry overhead, only the lab rows, or only the playground's probes.")
    String only;
    @Option(names = "--threads", paramLabel = "<n>",
            description = "Kernel threads, and PyTorch threads (default: -Dunroll.threads, else the number of cores).")
    Integer threads;
    @Option(names = "--runs", paramLabel = "<n>", description = "Timed runs per row (default: as many as fit a time budget per row, at least 5).")
    Integer runs;
    @Option(names = "--grid", split = ",", paramLabel = "<HxB>", description = "Training rows instead of the default grid, e.g. 128x16,512x32.")
    List<String> grid;
    @Option(names = "--steps", paramLabel = "<T>", description = "Sequence length T of the training rows (default: 100).")
    Integer steps;
    @Option(names = "--stream-hidden", split = ",", paramLabel = "<H>", description = "Streaming hidden sizes instead of 32,64,128,256.")
    List<Integer> streamHidden;
    @Option(names = "--no-scaling", description = "Skip the 1-thread child JVM (the 2-vs-1-thread figures).")
    boolean noScaling;
    @Option(names = "--python", paramLabel = "<path>",
            description = "Python for --vs pytorch (default: -Dunroll.bench.python, else /usr/bin/python3 if present, else python3).")
    String python;
    @Option(names = "--save-json", paramLabel = "<file>", description = "Also write the JSON report to this file (the text still goes to stdout).")
    Path saveJson;

    @Override
    public Integer call() {
        if (common.rng() != CommonOptions.RandomStream.DEFAULT) {
            throw new IllegalArgumentException("--rng does not apply to bench: its data only has to be random, not reproduce NumPy");
        }
        if (threads != null && threads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        }
        // a -Dunroll.threads the kernels would refuse is refused here too, before this run replaces it
        int n = threads != null ? threads : KernelProperties.threads(System.getProperty(JvmPeer.THREADS_PROPERTY));
        if (saveJson != null) {
            OutputFiles.checkWritable(saveJson, "--save-json");
        }
        // the kernels read this once, when they initialise, which has not happened yet in this process
        System.setProperty(JvmPeer.THREADS_PROPERTY, String.valueOf(n));

        BenchConfig config = quick ? BenchConfig.quick(n) : BenchConfig.full(n);
        if (cells != null) {
            List<CellType> parsed = new ArrayList<>();
            for (String c : cells) {
                parsed.add(CellType.parse(c, null));
            }
            config = config.withCells(parsed);
        }
        if (grid != null) {
            config = config.withTrainingShapes(grid.stream().map(BenchConfig.Shape::parse).toList());
        }
        if (steps != null) {
            config = config.withSteps(steps);
        }
        if (streamHidden != null) {
            config = config.withStreamingHidden(streamHidden);
        }
        if (only != null) {
            config = config.withOnly(only.trim().toLowerCase(Locale.ROOT));
        }
        if (runs != null) {
            if (runs < 1) {
                throw new IllegalArgumentException("--runs must be at least 1, got " + runs);
            }
            config = config.withRuns(runs);
        }
        if (noScaling) {
            config = config.withThreadScaling(false, config.scalingMinHidden());
        }
        if (vs != null) {
            if (!vs.trim().equalsIgnoreCase("pytorch")) {
                throw new IllegalArgumentException("--vs takes pytorch, got '" + vs + "'");
            }
            config = config.withPytorch(true, python != null ? python : PythonPeer.defaultPython());
        }
        if (common.seedOr(1) != config.seed()) {
            config = config.withSeed(common.seedOr(1));
        }

        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BenchReport report;
        try {
            report = Bench.run(config, new Progress(err));
        } catch (PeerException e) {
            // written for users: which peer, why, what to install
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        if (saveJson != null) {
            writeAtomically(saveJson, Json.toString(report) + "\n");
        }
        if (common.json()) {
            Json.write(out, report);
        } else {
            out.print(BenchText.report(report));
            if (saveJson != null) {
                out.println("JSON report: " + saveJson.toAbsolutePath());
            }
            out.flush();
        }
        return 0;
    }

    private static void writeAtomically(Path file, String text) {
        try {
            Path absolute = file.toAbsolutePath();
            Path dir = absolute.getParent();
            Files.createDirectories(dir);
            Path temp = Files.createTempFile(dir, "." + absolute.getFileName(), ".tmp");
            try {
                Files.writeString(temp, text, StandardCharsets.UTF_8);
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One line on stderr per stage and per finished row. */
    private static final class Progress implements Bench.Listener {
        private final PrintWriter err;

        Progress(PrintWriter err) {
            this.err = err;
        }

        @Override
        public void stage(String what) {
            if (!what.startsWith("training ") && !what.startsWith("streaming ") && !what.startsWith("telemetry ")
                    && !what.startsWith("lab ") && !what.startsWith("probe ")) {
                err.println("bench: " + what + "...");
                err.flush();
            }
        }

        @Override
        public void trainingRow(TrainingRow r) {
            err.println("bench: " + BenchText.progress(r));
            err.flush();
        }

        @Override
        public void streamingRow(StreamingRow r) {
            err.println("bench: " + BenchText.progress(r));
            err.flush();
        }

        @Override
        public void telemetryRow(TelemetryRow r) {
            err.println("bench: " + BenchText.progress(r));
            err.flush();
        }

        @Override
        public void labRow(LabRow r) {
            err.println("bench: " + BenchText.progress(r));
            err.flush();
        }

        @Override
        public void probeRow(ProbeRow r) {
            err.println("bench: " + BenchText.progress(r));
            err.flush();
        }
    }
}
