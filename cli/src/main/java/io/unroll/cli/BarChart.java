package io.unroll.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A horizontal bar chart on a logarithmic scale, for the terminal: the natural picture of a
 * gradient norm that shrinks by a constant factor per timestep (a straight staircase instead of
 * a cliff followed by nothing).
 *
 * <pre>
 * step 79  ████████████████████████████████████████  1.00e+00
 * step 59  ██████████████████████████████            1.76e-01
 * step 39  ███████████████████▉                      3.11e-02
 * step 19  █████████▉                                5.49e-03
 * dead     [zero]                                           0
 * broken   [NaN]                                          NaN
 *          ├────────────┼─────────────┼────────────┤
 *          1e-3         1e-2          1e-1         1e0
 * </pre>
 *
 * <p>The scale runs from the decade at or below the smallest positive finite value,
 * {@code lo = floor(log10(min))}, to the decade at or above the largest,
 * {@code hi = ceil(log10(max))} (at least one decade). A bar is
 * {@code (log10(v) - lo) / (hi - lo) * width} characters long, drawn in eighths of a character
 * with the block elements {@code ▏▎▍▌▋▊▉█}, so a value ten times larger is exactly
 * {@code width / (hi - lo)} characters longer (to the nearest eighth). A positive value at the
 * left edge still gets a one-eighth sliver so that it is visibly not zero. Values with no place
 * on a log scale are drawn as a text marker instead of a bar: {@code [zero]},
 * {@code [negative]}, {@code [NaN]}, {@code [+inf]}. Each row ends with its value in scientific
 * notation. The optional axis has a tick at every decade, or every few decades when there are
 * more decades than room for their labels.
 *
 * <p>{@link #render()} returns the chart as a string (lines end in {@code \n}); nothing is printed.
 */
public final class BarChart {

    /** Eighth-character blocks: index k holds the block (k + 1) / 8 of a character wide. */
    private static final char[] PARTIAL = {'▏', '▎', '▍', '▌', '▋', '▊', '▉'};
    private static final char FULL = '█';
    private static final int MIN_WIDTH = 10;
    private static final int[] NICE_STEPS = {1, 2, 5};

    /** One bar: a label and the value it stands for. */
    public record Row(String label, double value) {
        public Row {
            if (label == null) {
                throw new IllegalArgumentException("bar chart row label is null");
            }
        }
    }

    private final int width;
    private final List<Row> rows = new ArrayList<>();
    private boolean axis;

    /** A chart whose bars are at most {@code width} characters long (at least {@value #MIN_WIDTH}). */
    public BarChart(int width) {
        if (width < MIN_WIDTH) {
            throw new IllegalArgumentException("bar chart width is " + width + ", expected at least " + MIN_WIDTH);
        }
        this.width = width;
    }

    /** Adds a bar; any double is accepted, non-positive and non-finite values get a marker. */
    public BarChart add(String label, double value) {
        rows.add(new Row(label, value));
        return this;
    }

    /** Adds all the rows. */
    public BarChart addAll(List<Row> newRows) {
        for (Row row : newRows) {
            rows.add(row);
        }
        return this;
    }

    /** Draws a decade axis under the bars (off by default). */
    public BarChart withAxis(boolean drawAxis) {
        this.axis = drawAxis;
        return this;
    }

    /** The chart for {@code rows}, {@code width} characters of bar at most, with or without the axis. */
    public static String render(List<Row> rows, int width, boolean axis) {
        return new BarChart(width).addAll(rows).withAxis(axis).render();
    }

    /** The chart, one line per row (plus two axis lines when asked for), each ending in a newline. */
    public String render() {
        Scale scale = Scale.of(rows);
        int labelWidth = 0;
        int valueWidth = 0;
        List<String> values = new ArrayList<>(rows.size());
        for (Row row : rows) {
            labelWidth = Math.max(labelWidth, displayWidth(row.label()));
            String value = formatValue(row.value());
            values.add(value);
            valueWidth = Math.max(valueWidth, value.length());
        }

        StringBuilder out = new StringBuilder();
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            out.append(pad(row.label(), labelWidth)).append("  ");
            out.append(pad(bar(row.value(), scale), width)).append("  ");
            out.append(" ".repeat(valueWidth - values.get(i).length())).append(values.get(i));
            out.append('\n');
        }
        if (axis && scale != null) {
            appendAxis(out, scale, labelWidth == 0 ? 0 : labelWidth + 2);
        }
        return out.toString();
    }

    /** The bar (or marker) for one value, at most {@code width} characters. */
    private String bar(double value, Scale scale) {
        if (Double.isNaN(value)) {
            return "[NaN]";
        }
        if (value == Double.POSITIVE_INFINITY) {
            return "[+inf]";
        }
        if (value == 0) {
            return "[zero]";
        }
        if (value < 0) {
            return "[negative]";
        }
        int eighths = Math.max(1, (int) Math.round(scale.fraction(value) * width * 8));
        StringBuilder bar = new StringBuilder(String.valueOf(FULL).repeat(eighths / 8));
        if (eighths % 8 != 0) {
            bar.append(PARTIAL[eighths % 8 - 1]);
        }
        return bar.toString();
    }

    private void appendAxis(StringBuilder out, Scale scale, int indent) {
        int decades = scale.hi - scale.lo;
        // Decades per tick: enough that each label ("1e-300" and a space) fits before the next tick.
        int maxLabel = Math.max(decadeLabel(scale.lo).length(), decadeLabel(scale.hi).length()) + 1;
        // Steps run 1, 2, 5, 10, 20, 50, ... decades.
        int step = 1;
        for (int k = 1; (double) width * step / decades < maxLabel && step < decades; k++) {
            step = NICE_STEPS[k % 3] * (int) Math.pow(10, k / 3);
        }
        step = Math.min(step, decades);
        char[] line = new char[width + 1];
        Arrays.fill(line, '─');
        StringBuilder labels = new StringBuilder();
        for (int d = 0; d <= decades; d += step) {
            int position = (int) Math.round((double) d / decades * width);
            line[position] = d == 0 ? '├' : '┼';
            if (labels.length() <= position) {
                labels.append(" ".repeat(position - labels.length())).append(decadeLabel(scale.lo + d));
            }
        }
        line[width] = decades % step == 0 ? '┤' : '─';
        out.append(" ".repeat(indent)).append(line).append('\n');
        out.append(" ".repeat(indent)).append(labels).append('\n');
    }

    private static String decadeLabel(int exponent) {
        return "1e" + exponent;
    }

    /** The value in scientific notation (three significant digits), or its special name. */
    static String formatValue(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "+inf" : "-inf";
        }
        if (value == 0) {
            return "0";
        }
        return String.format(Locale.ROOT, "%.2e", value);
    }

    private static String pad(String text, int columns) {
        return text + " ".repeat(Math.max(0, columns - displayWidth(text)));
    }

    private static int displayWidth(String text) {
        return text.codePointCount(0, text.length());
    }

    /** The decades the chart spans; null when no value is positive and finite. */
    private record Scale(int lo, int hi) {
        static Scale of(List<Row> rows) {
            double min = Double.POSITIVE_INFINITY;
            double max = 0;
            for (Row row : rows) {
                double v = row.value();
                if (v > 0 && v < Double.POSITIVE_INFINITY) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
            if (max == 0) {
                return null;
            }
            int lo = (int) Math.floor(Math.log10(min));
            int hi = (int) Math.ceil(Math.log10(max));
            return new Scale(lo, Math.max(hi, lo + 1));
        }

        /** Where {@code value} sits between the left (0) and right (1) edges. */
        double fraction(double value) {
            return (Math.log10(value) - lo) / (hi - lo);
        }
    }
}
