package io.unroll.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A terminal plot of one or more series against their index, on a log y axis: a grid of
 * characters with decade labels on the left, the index at the ends of the x axis and a legend.
 * Each column shows the geometric mean of the values that fall in it; where two series share a
 * cell the later one is drawn. Values that are not finite and positive are left out (a gap).
 *
 * <pre>
 *   1e+00 ┤                                   ●●
 *   1e-02 ┤                         ●●●●●●●●●●
 *   1e-04 ┤          ●●●●●●●●●●●●●●●
 *         └──────────────────────────────────────
 *          0                                  79
 * </pre>
 */
final class LogPlot {
    private final int width;
    private final int height;
    private final List<Line> lines = new ArrayList<>();
    private double[] rangeSource;

    private record Line(String label, char glyph, double[] values) {}

    /** A plot of {@code width} columns by {@code height} rows of data (axes and legend come on top). */
    LogPlot(int width, int height) {
        if (width < 10 || height < 3) {
            throw new IllegalArgumentException("a plot of " + width + " x " + height + " characters, expected at least 10 x 3");
        }
        this.width = width;
        this.height = height;
    }

    /** Adds a series drawn with {@code glyph}; every series must have the same length. */
    LogPlot series(String label, char glyph, double[] values) {
        if (!lines.isEmpty() && lines.get(0).values().length != values.length) {
            throw new IllegalArgumentException("series '" + label + "' has " + values.length + " values, the first has "
                    + lines.get(0).values().length);
        }
        if (values.length == 0) {
            throw new IllegalArgumentException("series '" + label + "' is empty");
        }
        lines.add(new Line(label, glyph, values.clone()));
        return this;
    }

    /**
     * Takes the y range from {@code values} alone (by default it spans every series): points of
     * other series outside it are not drawn, so that a series far larger does not flatten the one
     * that matters into a line.
     */
    LogPlot rangeFrom(double[] values) {
        this.rangeSource = values.clone();
        return this;
    }

    /** The plot, with {@code xLabel} under the axis; a note instead when no value can be drawn. */
    String render(String xLabel) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        List<double[]> ranged = new ArrayList<>();
        if (rangeSource != null) {
            ranged.add(rangeSource);
        } else {
            lines.forEach(line -> ranged.add(line.values()));
        }
        for (double[] values : ranged) {
            for (double v : values) {
                if (v > 0 && Double.isFinite(v)) {
                    lo = Math.min(lo, Math.log10(v));
                    hi = Math.max(hi, Math.log10(v));
                }
            }
        }
        if (lines.isEmpty() || lo > hi) {
            return "(nothing to plot: no finite positive value)\n";
        }
        // whole decades, at least one
        double top = Math.ceil(hi);
        double bottom = Math.min(Math.floor(lo), top - 1);
        int n = lines.get(0).values().length;
        int columns = Math.min(width, n);
        char[][] grid = new char[height][columns];
        for (char[] row : grid) {
            Arrays.fill(row, ' ');
        }
        for (Line line : lines) {
            for (int c = 0; c < columns; c++) {
                int from = (int) ((long) c * n / columns);
                int to = (int) ((long) (c + 1) * n / columns);
                double sum = 0;
                int count = 0;
                for (int i = from; i < to; i++) {
                    double v = line.values()[i];
                    if (v > 0 && Double.isFinite(v)) {
                        sum += Math.log10(v);
                        count++;
                    }
                }
                double f = (sum / count - bottom) / (top - bottom);
                if (count > 0 && f >= -0.5 / (height - 1) && f <= 1 + 0.5 / (height - 1)) {
                    int row = (int) Math.round((1 - f) * (height - 1));
                    grid[row][c] = line.glyph();
                }
            }
        }
        // each whole decade labels the row it falls on (the first, where several share a row)
        String[] labels = new String[height];
        for (int decade = (int) top; decade >= (int) bottom; decade--) {
            int row = (int) Math.round((top - decade) / (top - bottom) * (height - 1));
            if (labels[row] == null) {
                labels[row] = "1e" + signed(decade);
            }
        }
        StringBuilder out = new StringBuilder();
        for (int r = 0; r < height; r++) {
            out.append(labels[r] != null ? String.format(Locale.ROOT, "%6s ┤", labels[r]) : "       │")
                    .append(new String(grid[r]).stripTrailing()).append('\n');
        }
        out.append("       └").append("─".repeat(columns)).append('\n');
        String first = "0";
        String last = Integer.toString(n - 1);
        out.append("        ").append(first).append(" ".repeat(Math.max(1, columns - first.length() - last.length())))
                .append(last).append('\n');
        out.append("        ").append(xLabel);
        for (Line line : lines) {
            out.append("   ").append(line.glyph()).append(' ').append(line.label());
        }
        return out.append('\n').toString();
    }

    private static String signed(int exponent) {
        return (exponent < 0 ? "-" : "+") + String.format(Locale.ROOT, "%02d", Math.abs(exponent));
    }
}
