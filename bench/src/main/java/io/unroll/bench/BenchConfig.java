package io.unroll.bench;

import io.unroll.cell.CellType;
import io.unroll.lab.AddingTask;
import io.unroll.lab.CopyTask;
import io.unroll.lab.DelayedSignalTask;
import io.unroll.lab.LongRangeTask;
import java.util.List;

/**
 * What {@link Bench#run} measures and how.
 *
 * @param cells            the cells, each over the whole grid (by default RNN tanh, LSTM, GRU)
 * @param trainingShapes   the (H, B) rows of the training grid
 * @param steps            T of a training batch (100)
 * @param classes          the head's classes (64)
 * @param streamingHidden  the H of the streaming rows (I = 8 for H <= 64, else H)
 * @param training         whether to run the training rows
 * @param streaming        whether to run the streaming rows
 * @param telemetry        whether to measure what gradient-flow telemetry costs the training step
 *                         ({@link TelemetryOverhead}), for every cell at the first training shape
 * @param lab              whether to run the lab rows ({@link LabStep}), for every task and cell
 * @param labShape         the lab rows' tasks and sizes
 * @param probes           the playground's probes to time ({@link ProbeStep}), for every cell; none to skip them
 * @param threads          kernel threads of this JVM (PyTorch gets as many)
 * @param vsPytorch        whether to run the PyTorch peer beside every row
 * @param python           the Python executable for the peer
 * @param threadScaling    whether to measure one thread in a child JVM for rows with ...
 * @param scalingMinHidden ... H at least this (256)
 * @param trainingTiming   how a training row is timed
 * @param streamingTiming  how a streaming row is timed
 * @param fmaSeconds       length of one FMA-peak run
 * @param seed             seed of the weights and data
 */
public record BenchConfig(List<CellType> cells, List<Shape> trainingShapes, int steps, int classes,
                          List<Integer> streamingHidden, boolean training, boolean streaming, boolean telemetry, boolean lab,
                          Lab labShape, List<Probe> probes, int threads, boolean vsPytorch, String python, boolean threadScaling, int scalingMinHidden,
                          Timing trainingTiming, Timing streamingTiming, double fmaSeconds, long seed) {

    /** One row of the training grid. */
    public record Shape(int hidden, int batch) {
        public Shape {
            if (hidden < 1 || batch < 1) {
                throw new IllegalArgumentException("a grid row needs H >= 1 and B >= 1, got H=" + hidden + " B=" + batch);
            }
        }

        /** Parses {@code HxB}, e.g. {@code 256x32}. */
        public static Shape parse(String text) {
            String[] parts = text.trim().toLowerCase(java.util.Locale.ROOT).split("x");
            if (parts.length != 2) {
                throw new IllegalArgumentException("grid row '" + text + "' is not HxB (hidden x batch), e.g. 256x32");
            }
            try {
                return new Shape(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("grid row '" + text + "' is not HxB (hidden x batch), e.g. 256x32");
            }
        }

        @Override
        public String toString() {
            return hidden + "x" + batch;
        }
    }

    /**
     * The lab rows' tasks and sizes ({@link LabStep}): the copy task at delay D (T = D + 20), the
     * adding problem of T steps, the delayed signal of T steps with delay D, each at H and B, and
     * the N fixed batches cycled.
     *
     * @param copyDelay    D of the copy task
     * @param addingLength T of the adding problem
     * @param signalLength T of the delayed signal
     * @param signalDelay  D of the delayed signal, below its T
     */
    public record Lab(int copyDelay, int addingLength, int signalLength, int signalDelay, int hidden, int batch, int batches) {
        public Lab {
            if (hidden < 1 || batch < 1 || batches < 1) {
                throw new IllegalArgumentException("the lab rows need H, B and N >= 1, got H=" + hidden + " B=" + batch
                        + " N=" + batches);
            }
            tasks(copyDelay, addingLength, signalLength, signalDelay); // each task checks its own figures
        }

        /** The tasks, in the order of the rows: copy, adding, delayed signal. */
        public List<LongRangeTask> tasks() {
            return tasks(copyDelay, addingLength, signalLength, signalDelay);
        }

        private static List<LongRangeTask> tasks(int copyDelay, int addingLength, int signalLength, int signalDelay) {
            return List.of(new CopyTask(copyDelay), new AddingTask(addingLength), new DelayedSignalTask(signalLength, signalDelay));
        }
    }

    /**
     * The lab rows of the full run, the lab commands' default tasks: the copy task at delay 20
     * (T = 40), the adding problem of 100 steps, the delayed signal of 100 steps with delay 50;
     * H = 128, B = 64, 8 batches cycled.
     */
    public static final Lab LAB = new Lab(20, 100, 100, 50, 128, 64, 8);

    /**
     * A configuration the playground probes when a control moves ({@link ProbeStep}): a fresh
     * one-layer stack of H units on one sequence of T steps, and the time the page allows its
     * redraw, server and drawing together.
     *
     * @param length   T
     * @param hidden   H
     * @param budgetMs the redraw's time budget in milliseconds
     */
    public record Probe(int length, int hidden, double budgetMs) {
        public Probe {
            if (length < 2 || hidden < 1 || !(budgetMs > 0)) {
                throw new IllegalArgumentException("a probe needs T >= 2, H >= 1 and a positive budget, got T=" + length
                        + " H=" + hidden + " budget " + budgetMs + " ms");
            }
        }
    }

    /** The playground's probes of the full run: its default view (T = 100, H = 64) and its largest (T = 500, H = 256). */
    public static final List<Probe> PROBES = List.of(new Probe(100, 64, 100), new Probe(500, 256, 500));

    /** The cells benchmarked by default. */
    public static final List<CellType> CELLS = List.of(CellType.RNN_TANH, CellType.LSTM, CellType.GRU);
    /** The default training grid (docs/benchmarks.md, What is timed). */
    public static final List<Shape> GRID = List.of(new Shape(64, 32), new Shape(256, 32), new Shape(256, 128),
            new Shape(512, 64), new Shape(1024, 32));
    /** The default streaming hidden sizes. */
    public static final List<Integer> STREAMING_HIDDEN = List.of(32, 64, 128, 256);

    public BenchConfig {
        cells = List.copyOf(cells);
        trainingShapes = List.copyOf(trainingShapes);
        streamingHidden = List.copyOf(streamingHidden);
        probes = List.copyOf(probes);
        java.util.Objects.requireNonNull(labShape, "labShape");
        if (cells.isEmpty()) {
            throw new IllegalArgumentException("no cell to benchmark");
        }
        if (steps < 1 || classes < 1 || threads < 1) {
            throw new IllegalArgumentException("steps, classes and threads must be >= 1, got " + steps + ", " + classes + ", " + threads);
        }
        for (int h : streamingHidden) {
            if (h < 1) {
                throw new IllegalArgumentException("streaming hidden sizes must be >= 1, got " + h);
            }
        }
    }

    /** The full benchmark: every cell, the five grid rows, four streaming sizes, the telemetry overhead, the lab rows, the probes. */
    public static BenchConfig full(int threads) {
        return new BenchConfig(CELLS, GRID, 100, 64, STREAMING_HIDDEN, true, true, true, true, LAB, PROBES, threads, false,
                PythonPeer.defaultPython(), true, 256, Timing.training(), Timing.streaming(), 0.25, 1);
    }

    /** A smoke test: the H=64 training row (and its telemetry overhead), two streaming sizes, the lab rows and the small probe, short timings. */
    public static BenchConfig quick(int threads) {
        return new BenchConfig(CELLS, List.of(new Shape(64, 32)), 100, 64, List.of(32, 64), true, true, true, true, LAB,
                List.of(PROBES.get(0)), threads, false, PythonPeer.defaultPython(), true, 256, Timing.quickTraining(), Timing.quickStreaming(), 0.05, 1);
    }

    public BenchConfig withCells(List<CellType> value) {
        return new BenchConfig(value, trainingShapes, steps, classes, streamingHidden, training, streaming, telemetry, lab, labShape, probes, threads,
                vsPytorch, python, threadScaling, scalingMinHidden, trainingTiming, streamingTiming, fmaSeconds, seed);
    }

    public BenchConfig withTrainingShapes(List<Shape> value) {
        return new BenchConfig(cells, value, steps, classes, streamingHidden, training, streaming, telemetry, lab, labShape, probes, threads,
                vsPytorch, python, threadScaling, scalingMinHidden, trainingTiming, streamingTiming, fmaSeconds, seed);
    }

    public BenchConfig withSteps(int value) {
        return new BenchConfig(cells, trainingShapes, value, classes, streamingHidden, training, streaming, telemetry, lab, labShape, probes, threads,
                vsPytorch, python, threadScaling, scalingMinHidden, trainingTiming, streamingTiming, fmaSeconds, seed);
    }

    public BenchConfig withStreamingHidden(List<Integer> value) {
        return new BenchConfig(cells, trainingShapes, steps, classes, value, training, streaming, telemetry, lab, labShape, probes, threads,
                vsPytorch, python, threadScaling, scalingMinHidden, trainingTiming, streamingTiming, fmaSeconds, seed);
    }

    /**
     * Only the training rows ({@code "training"}), only the streaming rows ({@code "streaming"}),
     * only the telemetry overhead ({@code "telemetry"}), only the lab rows ({@code "lab"}), only the
     * playground's probes ({@code "probe"}), or all (null).
     */
    public BenchConfig withOnly(String only) {
        boolean t = only == null || only.equals("training");
        boolean s = only == null || only.equals("streaming");
        boolean f = only == null || only.equals("telemetry");
        boolean l = only == null || only.equals("lab");
        boolean p = only == null || only.equals("probe");
        if (!t && !s && !f && !l && !p) {
            throw new IllegalArgumentException("--only takes training, streaming, telemetry, lab or probe, got '" + only + "'");
        }
        return new BenchConfig(cells, trainingShapes, steps, classes, streamingHidden, t, s, f, l, labShape,
                p ? probes : List.of(), threads,
                vsPytorch, python, threadScaling, scalingMinHidden, trainingTiming, streamingTiming, fmaSeconds, seed);
    }

    public BenchConfig withLab(Lab value) {
        return new BenchConfig(cells, trainingShapes, steps, classes, streamingHidden, training, streaming, telemetry, lab, value,
                probes, threads, vsPytorch, python, threadScaling, scalingMinHidden, trainingTiming, streamingTiming, fmaSeconds, seed);
    }

    public BenchConfig withPytorch(boolean value, String pythonExecutable) {
        return new BenchConfig(cells, trainingShapes, steps, classes, streamingHidden, training, streaming, telemetry, lab, labShape, probes, threads,
                value, pythonExecutable, threadScaling, scalingMinHidden, trainingTiming, streamingTiming, fmaSeconds, seed);
    }

    public BenchConfig withThreadScaling(boolean value, int minHidden) {
        return new BenchConfig(cells, trainingShapes, steps, classes, streamingHidden, training, streaming, telemetry, lab, labShape, probes, threads,
                vsPytorch, python, value, minHidden, trainingTiming, streamingTiming, fmaSeconds, seed);
    }

    public BenchConfig withTimings(Timing trainingValue, Timing streamingValue) {
        return new BenchConfig(cells, trainingShapes, steps, classes, streamingHidden, training, streaming, telemetry, lab, labShape, probes, threads,
                vsPytorch, python, threadScaling, scalingMinHidden, trainingValue, streamingValue, fmaSeconds, seed);
    }

    /** Every timing with exactly {@code runs} measured samples. */
    public BenchConfig withRuns(int runs) {
        return withTimings(trainingTiming.withRuns(runs), streamingTiming.withRuns(runs));
    }

    public BenchConfig withFmaSeconds(double value) {
        return new BenchConfig(cells, trainingShapes, steps, classes, streamingHidden, training, streaming, telemetry, lab, labShape, probes, threads,
                vsPytorch, python, threadScaling, scalingMinHidden, trainingTiming, streamingTiming, value, seed);
    }

    public BenchConfig withSeed(long value) {
        return new BenchConfig(cells, trainingShapes, steps, classes, streamingHidden, training, streaming, telemetry, lab, labShape, probes, threads,
                vsPytorch, python, threadScaling, scalingMinHidden, trainingTiming, streamingTiming, fmaSeconds, value);
    }
}
