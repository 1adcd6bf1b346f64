package io.unroll.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A plain aligned text table for the terminal, used by the benchmark report and the command line:
 * a header, a rule, then the rows, columns two spaces apart, no trailing spaces.
 *
 * <pre>
 * epoch    loss  grad norm  clipped
 * -----  ------  ---------  -------
 *     0   2.197     0.1843  no
 *    50  0.8127      5.912  yes
 * </pre>
 *
 * <p>A column whose cells are all numbers (or empty) is right-aligned, header included; any
 * other column is left-aligned. Cells may be any object: integers print as they are,
 * {@code double} and {@code float} with four significant digits ({@code %.4g}; pass a string
 * to choose another format), {@code NaN} and infinities by name, {@code null} as an empty cell,
 * anything else through {@code toString()}. A string that reads as a number counts as a number
 * for alignment.
 *
 * <p>{@link #render()} returns the table as a string (lines end in {@code \n}); nothing is printed.
 */
public final class Table {

    private static final Pattern NUMBER = Pattern.compile(
            "[+-]?(\\d[\\d_,]*(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?%?|[+-]?(NaN|inf|Infinity)");

    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();
    private final boolean[] textColumn;

    /** A table with these column headers. */
    public Table(String... headers) {
        if (headers.length == 0) {
            throw new IllegalArgumentException("a table needs at least one column");
        }
        this.header = List.of(headers);
        this.textColumn = new boolean[headers.length];
    }

    /** Adds a row; it must have exactly one cell per column. */
    public Table addRow(Object... cells) {
        if (cells.length != header.size()) {
            throw new IllegalArgumentException("table row has " + cells.length + " cells, expected "
                    + header.size() + " (" + String.join(", ", header) + ")");
        }
        List<String> row = new ArrayList<>(cells.length);
        for (int c = 0; c < cells.length; c++) {
            String text = format(cells[c]);
            if (!text.isEmpty() && !(cells[c] instanceof Number) && !NUMBER.matcher(text).matches()) {
                textColumn[c] = true;
            }
            row.add(text);
        }
        rows.add(row);
        return this;
    }

    /** The number of rows added so far (header not counted). */
    public int size() {
        return rows.size();
    }

    /** The table as text. */
    public String render() {
        int[] widths = new int[header.size()];
        for (int c = 0; c < widths.length; c++) {
            widths[c] = displayWidth(header.get(c));
            for (List<String> row : rows) {
                widths[c] = Math.max(widths[c], displayWidth(row.get(c)));
            }
        }
        StringBuilder out = new StringBuilder();
        appendLine(out, header, widths);
        List<String> rule = new ArrayList<>(widths.length);
        for (int width : widths) {
            rule.add("-".repeat(width));
        }
        appendLine(out, rule, widths);
        for (List<String> row : rows) {
            appendLine(out, row, widths);
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return render();
    }

    private void appendLine(StringBuilder out, List<String> cells, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int c = 0; c < cells.size(); c++) {
            if (c > 0) {
                line.append("  ");
            }
            String cell = cells.get(c);
            String padding = " ".repeat(widths[c] - displayWidth(cell));
            if (textColumn[c]) {
                line.append(cell).append(padding);
            } else {
                line.append(padding).append(cell);
            }
        }
        out.append(line.toString().stripTrailing()).append('\n');
    }

    /** How a cell value is shown. */
    static String format(Object cell) {
        if (cell == null) {
            return "";
        }
        if (cell instanceof Double || cell instanceof Float) {
            double v = ((Number) cell).doubleValue();
            if (Double.isNaN(v)) {
                return "NaN";
            }
            if (Double.isInfinite(v)) {
                return v > 0 ? "+inf" : "-inf";
            }
            return String.format(Locale.ROOT, "%.4g", v);
        }
        if (cell instanceof Object[] array) {
            return Arrays.toString(array);
        }
        return cell.toString();
    }

    private static int displayWidth(String text) {
        return text.codePointCount(0, text.length());
    }
}
