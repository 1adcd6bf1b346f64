package io.unroll.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The text report of a hand-made {@link BenchReport}: each figure with its target's PASS or MISS
 * beside it, the summary of the targets with the worst row of each, the progress lines, number
 * formatting and table alignment.
 */
class BenchTextTest {

    private static final MachineInfo MACHINE = new MachineInfo("Test CPU", 2, "Linux 6.1 amd64", "17.0.15", "Debian",
            "OpenJDK 64-Bit Server VM 17.0.15", List.of("--add-modules=jdk.incubator.vector"), "Species[float, 16, S_512_BIT]",
            1L << 30, "simd (S_512_BIT, 16 floats)", 2);
    private static final FmaPeak PEAK = new FmaPeak("Species[float, 16, S_512_BIT]", 512, 116.0, 230.0, 2);

    /** Figures of a training row: the median ms, min and max 10% either side, {@code runs} samples. */
    private static TrainingFigures figures(double medianMs, double peakShare, int runs) {
        double[] samples = new double[runs];
        Arrays.fill(samples, medianMs * 1e6);
        Measurement m = new Measurement(samples, Stats.of(samples), 1, 10, 1.5);
        return new TrainingFigures(medianMs, 0.9 * medianMs, 1.1 * medianMs, 1000, 50, peakShare, m);
    }

    private static Measurement streamingSamples(double medianNs) {
        double[] samples = {medianNs - 100, medianNs, medianNs + 100};
        return new Measurement(samples, Stats.of(samples), 10_000, 100_000, 1.0);
    }

    // lstm H=64: 4x PyTorch (target 3x, PASS), no peak target below H = 512, nothing allocated, memory as needed
    private static final TrainingRow LSTM_64 = new TrainingRow("lstm", 64, 32, 100, 1.0, figures(2, 0.10, 7), figures(8, 0.02, 5),
            4.0, null, null, new Allocation(0, 0, 100), new Allocation(0, 0, 7), 1000, 1000, 1.0, 0.01, 70);
    // gru H=512: 1.2x PyTorch (target 1.4x, MISS), 75% of peak (PASS), 1.6x on two threads (MISS), 48 B per step
    // (MISS), 1.2x the floats needed (MISS)
    private static final TrainingRow GRU_512 = new TrainingRow("gru", 512, 64, 100, 10.0, figures(10, 0.75, 6), figures(12, 0.6, 5),
            1.2, figures(16, 0.9, 5), 1.6, new Allocation(48, 48, 100), new Allocation(64, 64, 6), 1200, 1000, 1.2, 0.02, 340);
    // lstm H=64 streaming: 1200 ns (target 1500, PASS), 30x PyTorch (target 10x, PASS), nothing allocated
    private static final StreamingRow STREAM_LSTM_64 = new StreamingRow("lstm", 64, 8, 1200, streamingSamples(1200),
            36000.0, streamingSamples(36000), 30.0, new Allocation(0, 0, 1_000_000), new Allocation(0, 0, 30_000), 0.01, 70);

    private static BenchReport report(int threads, List<TrainingRow> training, List<StreamingRow> streaming,
                                      Map<String, Object> pytorch) {
        return new BenchReport(MACHINE, threads, pytorch, PEAK, BenchConfig.full(threads), 70, 340, training, streaming,
                List.of(), List.of(), List.of(), Targets.evaluate(training, streaming, List.of(), List.of(), List.of()), List.of("a note for the reader"),
                0.5, 1.5, 0.02, 42);
    }

    private static final Map<String, Object> TORCH = Map.of("version", "1.13.0", "python", "3.11.2", "threads", 2,
            "coretype", "SkylakeX", "blas", "libopenblasp-r0.3.21 (openmp)");

    /**
     * The cells of the first line of {@code text} whose cells (split at runs of two or more
     * spaces) begin with {@code leading}.
     */
    private static List<String> row(String text, String... leading) {
        return text.lines().map(l -> List.of(l.split(" {2,}")))
                .filter(cells -> cells.size() >= leading.length && cells.subList(0, leading.length).equals(List.of(leading)))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no line starting with " + List.of(leading) + " in\n" + text));
    }

    @Test
    void eachFigureHasItsTargetBesideIt() {
        String text = BenchText.report(report(2, List.of(LSTM_64, GRU_512), List.of(STREAM_LSTM_64), TORCH));

        assertTrue(text.startsWith("Unroll bench: 2 threads, side by side with PyTorch on as many\n"), text);
        assertTrue(text.contains("FMA peak  116.0 GFLOP/s on 1 core, 230.0 GFLOP/s on 2 cores at once (Vector API, 512-bit FMA"), text);
        assertTrue(text.contains("PyTorch   1.13.0 on Python 3.11.2, 2 threads, OPENBLAS_CORETYPE=SkylakeX"), text);
        assertTrue(text.contains("(target >= 70% at H >= 512)"), text);
        assertTrue(text.contains("(target >= 3x at H = 64, >= 2x at H <= 256, >= 1.4x everywhere)"), text);

        // training: cell H B "Unroll ms" runs ksps GFLOP/s "% peak" "PyTorch ms" runs GFLOP/s speedup target others c2c
        assertEquals(List.of("lstm", "64", "32", "2.00 (1.80-2.20)", "7", "1.00", "50.0", "10.0", "8.00 (7.20-8.80)", "5", "50.0",
                "4.00x", ">=3.0x PASS", "1%", "70"), row(text, "lstm", "64", "32", "2.00 (1.80-2.20)"));
        assertEquals(List.of("gru", "512", "64", "10.0 (9.00-11.0)", "6", "1.00", "50.0", "75.0 PASS", "12.0 (10.8-13.2)", "5", "50.0",
                "1.20x", ">=1.4x MISS", "2%", "340"), row(text, "gru", "512", "64", "10.0 (9.00-11.0)"));
        // threads: only the row measured on one thread
        assertTrue(text.contains("Threads: 2 vs 1 (the 1-thread run in a child JVM with -Dunroll.threads=1); target >= 1.7x at H >= 256"), text);
        assertEquals(List.of("gru", "512", "64", "16.0 (14.4-17.6)", "10.0 (9.00-11.0)", "1.60x", ">=1.7x MISS"), row(text, "gru", "512", "64", "16.0 (14.4-17.6)"));
        // memory: bytes/step, alloc, stored, needed, ratio, memory
        assertEquals(List.of("lstm", "64", "32", "0", "PASS", "1000", "1000", "1.000", "PASS"), row(text, "lstm", "64", "32", "0"));
        assertEquals(List.of("gru", "512", "64", "48.0", "MISS", "1200", "1000", "1.200", "MISS"), row(text, "gru", "512", "64", "48.0"));
        // streaming: cell H I "Unroll ns" latency bytes/step "PyTorch ns" speedup target others c2c
        assertEquals(List.of("lstm", "64", "8", "1200 (1100-1300)", "PASS", "0 PASS", "36000 (35900-36100)", "30.0x", ">=10x PASS",
                "1%", "70"), row(text, "lstm", "64", "8"));

        assertTrue(text.contains("Note: a note for the reader\n"), text);
        assertTrue(text.endsWith("\nTotal time 42 s.\n"), text);
    }

    @Test
    void theSummaryCountsEveryCheckAndNamesTheWorstRowOfEachTarget() {
        String text = BenchText.report(report(2, List.of(LSTM_64, GRU_512), List.of(STREAM_LSTM_64), TORCH));
        // 2 speed-up checks (1 met), peak, latency, streaming speed-up, threads (missed), 2 training allocations
        // (1 met), streaming allocation, 2 memory checks (1 met)
        assertTrue(text.contains("Performance targets (listed in docs/benchmarks.md): 7 of 11 checks met\n"), text);
        assertEquals(List.of("training-vs-pytorch", "1/2", "gru H=512 B=64", "1.20x", ">= 1.40x", "1.17x"),
                row(text, "training-vs-pytorch"));
        assertEquals(List.of("training-peak-share", "1/1", "gru H=512 B=64", "75.0%", ">= 70.0%"), row(text, "training-peak-share"));
        assertEquals(List.of("streaming-lstm64-latency", "1/1", "lstm H=64 I=8", "1200 ns", "<= 1500 ns"),
                row(text, "streaming-lstm64-latency"));
        assertEquals(List.of("threads-scaling", "0/1", "gru H=512 B=64", "1.60x", ">= 1.70x", "1.06x"), row(text, "threads-scaling"));
        assertEquals(List.of("allocation-training", "1/2", "gru H=512 B=64", "48.0 B", "<= 0 B", "n/a"), row(text, "allocation-training"));
        assertEquals(List.of("memory-stored-vs-needed", "1/2", "gru H=512 B=64", "1.20x", "<= 1.10x", "1.09x"),
                row(text, "memory-stored-vs-needed"));
    }

    @Test
    void withoutAPeerOrASecondThreadTheirColumnsAndComparisonsAreLeftOut() {
        TrainingRow alone = new TrainingRow("rnn_tanh", 64, 32, 100, 1.0, figures(2, 0.10, 7), null, null, null, null,
                null, null, 1000, 1000, 1.0, Double.NaN, Double.NaN);
        String text = BenchText.report(report(1, List.of(alone), List.of(), null));
        assertTrue(text.startsWith("Unroll bench: 1 thread\n"), text);
        assertFalse(text.contains("PyTorch ms") || text.contains("PyTorch ns") || text.contains("\nPyTorch "), text);
        assertFalse(text.contains("Streaming:"), text);
        assertTrue(text.contains("Threads: not compared (running on 1 thread).\n"), text);
        assertEquals(List.of("rnn_tanh", "64", "32", "2.00 (1.80-2.20)", "7", "1.00", "50.0", "10.0", "n/a", "n/a"),
                row(text, "rnn_tanh", "64", "32", "2.00 (1.80-2.20)"));
        assertEquals(List.of("rnn_tanh", "64", "32", "n/a", "n/a", "1000", "1000", "1.000", "PASS"), row(text, "rnn_tanh", "64", "32", "n/a"));
        assertTrue(text.contains("Performance targets (listed in docs/benchmarks.md): 1 of 1 checks met\n"), text);
    }

    /** Ratios from the given values; 2 ms per step for every copy. */
    private static TelemetryRow telemetry(String cell, double[] ratio1, double[] ratio10, double bytes) {
        Stats ms = Stats.of(new double[] {1.9e6, 2e6, 2.1e6});
        return new TelemetryRow(cell, 64, 32, 100, ms, ms, ms, Stats.of(ratio1), Stats.of(ratio10), 80,
                new Allocation(bytes, bytes, 100), 0.01);
    }

    @Test
    void theTelemetryOverheadHasItsTargetBesideIt() {
        TelemetryRow cheap = telemetry("lstm", new double[] {1.08, 1.10, 1.12}, new double[] {1.00, 1.01, 1.02}, 0);
        TelemetryRow dear = telemetry("gru", new double[] {1.3, 1.4, 1.5}, new double[] {1.03, 1.04, 1.05}, 24);
        List<TelemetryRow> rows = List.of(cheap, dear);
        BenchReport r = new BenchReport(MACHINE, 2, null, PEAK, BenchConfig.full(2), 70, 340, List.of(), List.of(), rows,
                List.of(), List.of(), Targets.evaluate(List.of(), List.of(), rows, List.of(), List.of()), List.of(), 0.5, 1.5, 0.02, 42);
        String text = BenchText.report(r);
        assertTrue(text.contains("(the last step's gradient replayed at most every 40 steps) against none, H=64 B=32 T=100;"), text);
        assertTrue(text.contains("ms per step: median over 3 interleaved rounds of 80 steps of each;"), text);
        assertTrue(text.contains("target <= 1.03x at every 10th step"), text);
        assertEquals(List.of("lstm", "64", "32", "2.00", "2.00", "2.00", "1.100x (1.090-1.110)", "1.010x (1.005-1.015)",
                "<=1.03x PASS", "0 PASS", "1%"), row(text, "lstm", "64", "32"));
        assertEquals(List.of("gru", "64", "32", "2.00", "2.00", "2.00", "1.400x (1.350-1.450)", "1.040x (1.035-1.045)",
                "<=1.03x MISS", "24.0 MISS", "1%"), row(text, "gru", "64", "32"));
        assertEquals(List.of("telemetry-overhead-every-10", "1/2", "gru H=64 B=32", "1.04x", "<= 1.03x", "1.01x"),
                row(text, "telemetry-overhead-every-10"));
        assertEquals("telemetry lstm H=64 B=32: every step 1.100x, every 10th step 1.010x", BenchText.progress(cheap));
    }

    private static final String COPY_STEP = "one-hot ids [B, T, 10] -> 1 layer of H -> head to 10 classes over all B*T rows"
            + " -> cross-entropy -> BPTT -> clip 1.0 -> Adam lr 0.003";
    private static final String REAL_STEP = "inputs [B, T, 2] -> 1 layer of H -> head to 1 value at the last step"
            + " -> mean squared error -> BPTT -> clip 1.0 -> Adam lr 0.001";

    /**
     * A lab row at H = 128, B = 64 of the copy task (T = 40) or the adding problem (T = 100): Unroll
     * {@code unrollMs}, PyTorch {@code torchMs} (or none).
     */
    private static LabRow lab(String cell, String task, double unrollMs, Double torchMs) {
        TrainingFigures u = figures(unrollMs, 0.1, 6);
        TrainingFigures p = torchMs == null ? null : figures(torchMs, 0.05, 5);
        boolean copy = task.startsWith("copy");
        return new LabRow(cell, task, copy ? COPY_STEP : REAL_STEP, 128, 64, copy ? 40 : 100, 8, u, 1000 / unrollMs, p,
                torchMs == null ? null : 1000 / torchMs, torchMs == null ? null : torchMs / unrollMs, Targets.labSpeedupTarget(128), 0.03);
    }

    @Test
    void theLabRowsHaveTheirSpeedupAndTargetBesideThem() {
        LabRow fast = lab("gru", "copy(delay=20)", 2.5, 10.0);  // 4x PyTorch: target 2x (the training rows' target at H <= 256), PASS
        LabRow slow = lab("lstm", "copy(delay=20)", 4.0, 6.0);  // 1.5x: MISS
        LabRow adding = lab("lstm", "adding(length=100)", 3.0, 9.0); // 3x: PASS, the same target for every task
        List<LabRow> rows = List.of(fast, slow, adding);
        BenchReport r = new BenchReport(MACHINE, 2, TORCH, PEAK, BenchConfig.full(2).withOnly("lab"), 70, 340, List.of(), List.of(),
                List.of(), rows, List.of(), Targets.evaluate(List.of(), List.of(), List.of(), rows, List.of()), List.of(), 0.5, 1.5, 0.02, 42);
        String text = BenchText.report(r);
        assertTrue(text.contains("Lab: a training step of each task as `unroll lab` trains it (docs/lab.md):\n"
                + "  copy(delay=20)      " + COPY_STEP + "\n"
                + "  adding(length=100)  " + REAL_STEP + "\n"), text);
        assertTrue(text.contains("both engines cycle the same 8 batches of the task's generator (PyTorch reads them from a file Unroll writes);"),
                text);
        assertFalse(text.contains("Training step:") || text.contains("Telemetry overhead"), text);
        // cell task H B T "Unroll ms" steps/s "PyTorch ms" steps/s speedup target others
        assertEquals(List.of("gru", "copy(delay=20)", "128", "64", "40", "2.50 (2.25-2.75)", "400", "10.0 (9.00-11.0)", "100", "4.00x",
                ">=2.0x PASS", "3%"), row(text, "gru", "copy(delay=20)"));
        assertEquals(List.of("lstm", "copy(delay=20)", "128", "64", "40", "4.00 (3.60-4.40)", "250", "6.00 (5.40-6.60)", "167", "1.50x",
                ">=2.0x MISS", "3%"), row(text, "lstm", "copy(delay=20)"));
        assertEquals(List.of("lstm", "adding(length=100)", "128", "64", "100", "3.00 (2.70-3.30)", "333", "9.00 (8.10-9.90)", "111",
                "3.00x", ">=2.0x PASS", "3%"), row(text, "lstm", "adding(length=100)"));
        assertTrue(text.contains("Performance targets (listed in docs/benchmarks.md): 2 of 3 checks met\n"), text);
        assertEquals(List.of("lab-vs-pytorch", "2/3", "lstm copy(delay=20) H=128 B=64", "1.50x", ">= 2.00x", "1.33x"),
                row(text, "lab-vs-pytorch"));
        assertEquals("lab gru copy(delay=20) H=128 B=64: Unroll 2.50 ms (400 steps/s), PyTorch 10.0 ms, 4.00x", BenchText.progress(fast));
        assertEquals("lab lstm adding(length=100) H=128 B=64: Unroll 3.00 ms (333 steps/s), PyTorch 9.00 ms, 3.00x",
                BenchText.progress(adding));
    }

    @Test
    void withoutAPeerTheLabRowsShowUnrollAloneAndCheckNoTarget() {
        List<LabRow> rows = List.of(lab("rnn_tanh", "copy(delay=20)", 1.25, null));
        BenchReport r = new BenchReport(MACHINE, 2, null, PEAK, BenchConfig.full(2), 70, 340, List.of(), List.of(), List.of(), rows, List.of(),
                Targets.evaluate(List.of(), List.of(), List.of(), rows, List.of()), List.of(), 0.5, 1.5, 0.02, 42);
        String text = BenchText.report(r);
        // cell task H B T "Unroll ms" runs steps/s others
        assertEquals(List.of("rnn_tanh", "copy(delay=20)", "128", "64", "40", "1.25 (1.13-1.38)", "6", "800", "3%"),
                row(text, "rnn_tanh", "copy(delay=20)"));
        assertEquals(List.of("cell", "task", "H", "B", "T", "Unroll ms", "runs", "steps/s", "others"), row(text, "cell", "task"),
                "no PyTorch columns");
        assertTrue(text.contains("Performance targets (listed in docs/benchmarks.md): 0 of 0 checks met\n"), text);
        assertEquals("lab rnn_tanh copy(delay=20) H=128 B=64: Unroll 1.25 ms (800 steps/s)", BenchText.progress(rows.get(0)));
    }

    /** Probe samples: the median in ms, 10% either side. */
    private static Measurement probeSamples(double medianMs) {
        double[] samples = {0.9 * medianMs * 1e6, medianMs * 1e6, 1.1 * medianMs * 1e6};
        return new Measurement(samples, Stats.of(samples), 1, 5, 1.5);
    }

    @Test
    void theProbesHaveTheirBudgetBesideBothPictures() {
        // within the budget both ways; the first picture within and the whole one over; both over
        ProbeRow small = new ProbeRow("rnn_tanh", 100, 64, 100, probeSamples(20), probeSamples(80), probeSamples(50), 2.5, 0.01);
        ProbeRow large = new ProbeRow("lstm", 500, 256, 500, probeSamples(400), probeSamples(4000), probeSamples(600), 1.5, 0.01);
        ProbeRow slow = new ProbeRow("gru", 500, 256, 500, probeSamples(600), probeSamples(5000), null, null, 0.01);
        List<ProbeRow> rows = List.of(small, large, slow);
        BenchReport r = new BenchReport(MACHINE, 2, TORCH, PEAK, BenchConfig.full(2).withOnly("probe"), 70, 340, List.of(), List.of(),
                List.of(), List.of(), rows, Targets.evaluate(List.of(), List.of(), List.of(), List.of(), rows), List.of(), 0.5, 1.5, 0.02, 42);
        String text = BenchText.report(r);
        assertTrue(text.contains("Playground: what the server computes when a control moves"), text);
        // cell T H "first ms" "whole ms" budget "PyTorch first ms" speedup others
        assertEquals(List.of("rnn_tanh", "100", "64", "20.0 (18.0-22.0)", "80.0 (72.0-88.0)", "100 ms: PASS, PASS", "50.0 (45.0-55.0)",
                "2.50x", "1%"), row(text, "rnn_tanh", "100"));
        assertEquals(List.of("lstm", "500", "256", "400 (360-440)", "4000 (3600-4400)", "500 ms: PASS, MISS", "600 (540-660)", "1.50x",
                "1%"), row(text, "lstm", "500"));
        assertEquals(List.of("gru", "500", "256", "600 (540-660)", "5000 (4500-5500)", "500 ms: MISS, MISS", "n/a", "n/a", "1%"),
                row(text, "gru", "500"));
        assertTrue(text.contains("Performance targets (listed in docs/benchmarks.md): 3 of 6 checks met\n"), text);
        assertEquals(List.of("playground-first-picture", "2/3", "gru T=500 H=256", "600 ms", "<= 500 ms", "1.20x"),
                row(text, "playground-first-picture"));
        assertEquals(List.of("playground-whole-picture", "1/3", "gru T=500 H=256", "5000 ms", "<= 500 ms", "10.00x"),
                row(text, "playground-whole-picture"));
        assertEquals("probe lstm T=500 H=256: first picture 400 ms, whole 4000 ms, PyTorch first 600 ms, 1.50x", BenchText.progress(large));
        assertEquals("probe gru T=500 H=256: first picture 600 ms, whole 5000 ms", BenchText.progress(slow));
    }

    @Test
    void theLabTargetIsTheTrainingRowsTargetForTheSameHiddenSize() {
        assertEquals(Targets.SPEEDUP_H64, Targets.labSpeedupTarget(64));
        assertEquals(Targets.SPEEDUP_H256, Targets.labSpeedupTarget(128), "H = 128 lies in the band of the rows with H <= 256");
        assertEquals(Targets.SPEEDUP_H256, Targets.labSpeedupTarget(256));
        assertEquals(Targets.SPEEDUP_ANY, Targets.labSpeedupTarget(512));
    }

    @Test
    void progressLinesSummariseAFinishedRow() {
        assertEquals("training gru H=512 B=64: Unroll 10.0 ms, PyTorch 12.0 ms, 1.20x, 1 thread 16.0 ms", BenchText.progress(GRU_512));
        assertEquals("streaming lstm H=64: Unroll 1200 ns, PyTorch 36000 ns, 30.0x", BenchText.progress(STREAM_LSTM_64));
        TrainingRow alone = new TrainingRow("lstm", 8, 2, 4, 1.0, figures(0.4951, 0.1, 2), null, null, null, null,
                null, null, 1, 1, 1.0, Double.NaN, Double.NaN);
        assertEquals("training lstm H=8 B=2: Unroll 0.495 ms", BenchText.progress(alone));
    }

    @Test
    void numbersKeepThreeOrFourSignificantDigitsAndNoExponent() {
        assertEquals("0", BenchText.num(0));
        assertEquals("123457", BenchText.num(123456.7));
        assertEquals("12.3", BenchText.num(12.34));
        assertEquals("1.23", BenchText.num(1.234));
        assertEquals("0.0123", BenchText.num(0.01234));
        assertEquals("-4.50", BenchText.num(-4.5));
        assertEquals("NaN", BenchText.num(Double.NaN));
        assertEquals("Infinity", BenchText.num(Double.POSITIVE_INFINITY));
    }

    @Test
    void tablesRightAlignNumberColumnsAndLeftAlignTheRest() {
        String table = new Table("cell", "H", "share", "ratio").addRow("lstm", 64, "5%", "1.2 PASS").addRow("rnn_tanh", 1024, "NaN", "")
                .render();
        assertEquals("""
                cell         H  share  ratio
                --------  ----  -----  --------
                lstm        64     5%  1.2 PASS
                rnn_tanh  1024    NaN
                """, table);
    }

    @Test
    void aTableRowWithTheWrongNumberOfCellsSaysWhatWasExpected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Table("a", "b").addRow(1));
        assertEquals("table row has 1 cells, expected 2 (a, b)", e.getMessage());
    }
}
