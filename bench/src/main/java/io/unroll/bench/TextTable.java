package io.unroll.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * An aligned plain-text table for {@link BenchText}: the header, a rule of dashes, the rows,
 * columns two spaces apart, no trailing spaces. A column in which every cell is a number, or
 * text that reads as one ({@code 12.5}, {@code 58%}, {@code NaN}), or empty is right-aligned,
 * its header too; any other column is left-aligned. Cells print through {@code String.valueOf}.
 */
final class TextTable {
    private static final Pattern NUMBER = Pattern.compile(
            "[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?%?|[+-]?(NaN|Infinity)");

    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();
    private final boolean[] leftAligned;

    TextTable(String... header) {
        this.header = List.of(header);
        this.leftAligned = new boolean[header.length];
    }

    /** Adds a row of exactly one cell per column. */
    TextTable addRow(Object... cells) {
        if (cells.length != header.size()) {
            throw new IllegalArgumentException("table row has " + cells.length + " cells, expected " + header.size()
                    + " (" + String.join(", ", header) + ")");
        }
        List<String> row = new ArrayList<>(cells.length);
        for (int c = 0; c < cells.length; c++) {
            String text = String.valueOf(cells[c]);
            if (!text.isEmpty() && !(cells[c] instanceof Number) && !NUMBER.matcher(text).matches()) {
                leftAligned[c] = true;
            }
            row.add(text);
        }
        rows.add(row);
        return this;
    }

    /** The table, every line ending in {@code \n}. */
    String render() {
        int[] widths = new int[header.size()];
        for (int c = 0; c < widths.length; c++) {
            widths[c] = width(header.get(c));
            for (List<String> row : rows) {
                widths[c] = Math.max(widths[c], width(row.get(c)));
            }
        }
        StringBuilder out = new StringBuilder();
        line(out, header, widths);
        List<String> rule = new ArrayList<>(widths.length);
        for (int w : widths) {
            rule.add("-".repeat(w));
        }
        line(out, rule, widths);
        for (List<String> row : rows) {
            line(out, row, widths);
        }
        return out.toString();
    }

    private void line(StringBuilder out, List<String> cells, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int c = 0; c < cells.size(); c++) {
            if (c > 0) {
                line.append("  ");
            }
            String cell = cells.get(c);
            String padding = " ".repeat(widths[c] - width(cell));
            line.append(leftAligned[c] ? cell + padding : padding + cell);
        }
        out.append(line.toString().stripTrailing()).append('\n');
    }

    /** The width of a cell in terminal columns: its code points. */
    private static int width(String text) {
        return text.codePointCount(0, text.length());
    }
}
