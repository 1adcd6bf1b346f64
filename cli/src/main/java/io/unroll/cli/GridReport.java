package io.unroll.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * What {@code unroll lab grid} shows: the who-remembers table (rows the networks, columns the
 * lengths, each cell the final held-out loss over the memoryless baseline, with a mark and the
 * step where the run solved the task), the table of memory horizons and wall times, and a log-scale
 * chart per length; as text for the terminal, or as an HTML page with the held-out loss of every
 * run over training.
 */
final class GridReport {
    private static final String SOLVED_MARK = "✓";
    private static final int CHART_WIDTH = 40;

    private GridReport() {
    }

    /**
     * The tables and charts as text.
     *
     * @param runs the runs, length by length, in the order of {@code networks} within each
     */
    static String tables(String title, List<Integer> lengths, List<GridNetwork> networks, List<GridFile.Run> runs,
                         String solvedWords, String symbol) {
        StringBuilder out = new StringBuilder();
        out.append(title).append('\n');
        out.append("held-out loss at the end / memoryless baseline; ").append(SOLVED_MARK).append(' ').append(solvedWords)
                .append(", at the step shown\n\n");
        table(out, lengths, networks, runs, symbol, GridReport::lossCell);
        out.append("\nmemory horizon (median over training: steps back until the last step's gradient falls below 1%;\n")
                .append("≥ when it never did within the window), and wall time\n\n");
        table(out, lengths, networks, runs, symbol, r -> horizon(r) + ", " + ProgressBar.duration(r.seconds()));
        out.append("\nheld-out loss / baseline on one log scale (1 = nothing remembered)\n");
        BarChart chart = new BarChart(CHART_WIDTH).withAxis(true);
        for (int j = 0; j < lengths.size(); j++) {
            for (int i = 0; i < networks.size(); i++) {
                GridFile.Run r = runs.get(j * networks.size() + i);
                chart.add(String.format(Locale.ROOT, "%s = %-5d %s%s", symbol, lengths.get(j), networks.get(i).label,
                        r.solved() ? " " + SOLVED_MARK : ""), r.ratio());
            }
        }
        out.append(chart.render());
        return out.toString();
    }

    /** A run's final loss over the baseline, the solved mark and the step it was first solved at. */
    static String lossCell(GridFile.Run r) {
        if (r.diverged() >= 0) {
            return String.format(Locale.ROOT, "diverged %,d", r.diverged());
        }
        return String.format(Locale.ROOT, "%.3f", r.ratio())
                + (r.solved() ? String.format(Locale.ROOT, " %s %,d", SOLVED_MARK, r.solvedAt()) : "");
    }

    /** The run's median memory horizon: {@code 11}, {@code ≥99} when it spans the window, {@code -} if unmeasured. */
    static String horizon(GridFile.Run r) {
        if (r.horizon() < 0) {
            return "-";
        }
        return (r.horizon() >= r.span() ? "≥" : "") + r.horizon();
    }

    private static void table(StringBuilder out, List<Integer> lengths, List<GridNetwork> networks, List<GridFile.Run> runs,
                              String symbol, Function<GridFile.Run, String> cell) {
        List<List<String>> rows = rows(lengths, networks, runs, cell);
        int labelWidth = rows.stream().mapToInt(r -> r.get(0).length()).max().orElse(0) + 2;
        int cellWidth = rows.stream().flatMap(r -> r.subList(1, r.size()).stream()).mapToInt(String::length).max().orElse(0) + 3;
        StringBuilder header = new StringBuilder(" ".repeat(labelWidth));
        lengths.forEach(n -> header.append(pad(symbol + " = " + n, cellWidth)));
        out.append(header.toString().stripTrailing()).append('\n');
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder(pad(row.get(0), labelWidth));
            row.subList(1, row.size()).forEach(c -> line.append(pad(c, cellWidth)));
            out.append(line.toString().stripTrailing()).append('\n');
        }
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(Math.max(0, width - s.length()));
    }

    /** Writes the grid as a self-contained HTML page: the tables, then each length's runs over training. */
    static void write(Path file, String title, List<Integer> lengths, List<GridNetwork> networks, List<GridFile.Run> runs,
                      String solvedWords, String symbol) throws IOException {
        HtmlReport page = new HtmlReport(title);
        page.paragraph("Each cell: the held-out loss at the end of the run over the loss of the best predictor without"
                + " memory (1 = nothing remembered); " + SOLVED_MARK + " " + solvedWords + ", at the step shown.");
        List<String> header = new ArrayList<>();
        header.add("");
        lengths.forEach(n -> header.add(symbol + " = " + n));
        page.table(header, rows(lengths, networks, runs, GridReport::lossCell));
        page.paragraph("Memory horizon (median over training: steps back until the gradient carried back from the last"
                + " step falls below 1% of its size there; ≥ when it never did within the window) and wall time.");
        page.table(header, rows(lengths, networks, runs, r -> horizon(r) + ", " + ProgressBar.duration(r.seconds())));
        for (int j = 0; j < lengths.size(); j++) {
            List<GridFile.Run> atLength = runs.subList(j * networks.size(), (j + 1) * networks.size());
            double[] x = atLength.stream().flatMapToLong(r -> Arrays.stream(r.evalSteps())).distinct().sorted()
                    .asDoubleStream().toArray();
            List<HtmlReport.Series> series = new ArrayList<>();
            for (int i = 0; i < networks.size(); i++) {
                GridFile.Run r = atLength.get(i);
                double[] y = new double[x.length];
                Arrays.fill(y, Double.NaN);
                for (int k = 0; k < r.evalSteps().length; k++) {
                    y[Arrays.binarySearch(x, r.evalSteps()[k])] = r.evalLoss()[k] / r.baseline();
                }
                series.add(new HtmlReport.Series(networks.get(i).label, y));
            }
            page.lineChart(String.format(Locale.ROOT, "%s = %d: held-out loss / memoryless baseline over training (log scale)",
                    symbol, lengths.get(j)), "step", "loss / baseline", x, series, true);
        }
        page.write(file);
    }

    private static List<List<String>> rows(List<Integer> lengths, List<GridNetwork> networks, List<GridFile.Run> runs,
                                           Function<GridFile.Run, String> cell) {
        List<List<String>> rows = new ArrayList<>();
        for (int i = 0; i < networks.size(); i++) {
            List<String> row = new ArrayList<>();
            row.add(networks.get(i).label);
            for (int j = 0; j < lengths.size(); j++) {
                row.add(cell.apply(runs.get(j * networks.size() + i)));
            }
            rows.add(row);
        }
        return rows;
    }
}
