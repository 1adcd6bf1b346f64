package io.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Log-scale bar lengths, markers and the decade axis of {@link BarChart}. */
class BarChartTest {

    private static final String PARTIALS = "▏▎▍▌▋▊▉";

    /** The length of the bar in a rendered line, in eighths of a character. */
    private static int eighths(String line) {
        int total = 0;
        for (char ch : line.toCharArray()) {
            if (ch == '█') {
                total += 8;
            } else if (PARTIALS.indexOf(ch) >= 0) {
                total += PARTIALS.indexOf(ch) + 1;
            }
        }
        return total;
    }

    private static List<String> lines(String chart) {
        return chart.lines().toList();
    }

    @Test
    void barsGrowWithLogValue() {
        double[] values = {3e-9, 1e-7, 2.5e-7, 4e-4, 1e-3, 0.2, 0.21, 7.0, 1e3};
        BarChart chart = new BarChart(40);
        for (double v : values) {
            chart.add("v", v);
        }
        List<String> lines = lines(chart.render());
        assertEquals(values.length, lines.size());
        for (int i = 1; i < values.length; i++) {
            assertTrue(eighths(lines.get(i)) >= eighths(lines.get(i - 1)),
                    "bar for " + values[i] + " is shorter than for " + values[i - 1] + ":\n" + String.join("\n", lines));
        }
        assertTrue(eighths(lines.get(0)) < eighths(lines.get(1)));
        assertEquals(40 * 8, eighths(lines.get(values.length - 1)), "the largest value fills the width");
    }

    @Test
    void tenTimesLargerIsLongerByWidthOverDecades() {
        // 3e-4 .. 3e-1 spans floor(log10 3e-4) = -4 to ceil(log10 0.3) = 0: four decades.
        int width = 60;
        double[] values = {3e-4, 3e-3, 3e-2, 3e-1};
        BarChart chart = new BarChart(width);
        for (double v : values) {
            chart.add(Double.toString(v), v);
        }
        List<String> lines = lines(chart.render());
        double perDecade = width * 8 / 4.0;
        for (int i = 1; i < values.length; i++) {
            int step = eighths(lines.get(i)) - eighths(lines.get(i - 1));
            assertTrue(Math.abs(step - perDecade) <= 1, "step " + step + " eighths, expected " + perDecade);
        }
        double expectedFirst = (Math.log10(3e-4) + 4) / 4 * width * 8;
        assertTrue(Math.abs(eighths(lines.get(0)) - expectedFirst) <= 1,
                eighths(lines.get(0)) + " vs " + expectedFirst);
    }

    @Test
    void manyDecadesStillRenderWithinWidth() {
        BarChart chart = new BarChart(50).withAxis(true)
                .add("tiny", 1e-300).add("one", 1).add("huge", 1e300).add("subnormal", Double.MIN_VALUE);
        List<String> lines = lines(chart.render());
        for (int i = 0; i < 4; i++) {
            assertTrue(eighths(lines.get(i)) <= 50 * 8, lines.get(i));
            assertTrue(eighths(lines.get(i)) >= 1, "positive values get a visible bar: " + lines.get(i));
        }
        assertEquals(50 * 8, eighths(lines.get(2)));
        int halfway = (int) Math.round((0 - (-324.0)) / (300 + 324) * 50 * 8);
        assertTrue(Math.abs(eighths(lines.get(1)) - halfway) <= 1, lines.get(1));
        assertTrue(lines.get(0).endsWith("1.00e-300"), lines.get(0));
        assertTrue(lines.get(2).endsWith("1.00e+300"), lines.get(2));
        assertEquals(6, lines.size());
    }

    @Test
    void nonPositiveAndNonFiniteValuesGetMarkersNotBars() {
        String chart = new BarChart(20)
                .add("ok", 0.5).add("zero", 0).add("neg", -1.5).add("nan", Double.NaN)
                .add("inf", Double.POSITIVE_INFINITY).render();
        List<String> lines = lines(chart);
        assertEquals(5, lines.size());
        assertTrue(eighths(lines.get(0)) > 0);
        assertMarker(lines.get(1), "[zero]", "0");
        assertMarker(lines.get(2), "[negative]", "-1.50e+00");
        assertMarker(lines.get(3), "[NaN]", "NaN");
        assertMarker(lines.get(4), "[+inf]", "+inf");
    }

    private static void assertMarker(String line, String marker, String value) {
        assertTrue(line.contains(marker), line);
        assertTrue(line.endsWith(value), line);
        assertEquals(0, eighths(line), line);
    }

    @Test
    void onlyMarkersWhenNothingIsPositive() {
        List<String> lines = lines(BarChart.render(
                List.of(new BarChart.Row("a", 0), new BarChart.Row("b", Double.NaN)), 10, true));
        assertEquals(2, lines.size(), "no axis without a scale");
        assertTrue(lines.get(0).contains("[zero]") && lines.get(1).contains("[NaN]"));
    }

    @Test
    void columnsAlign() {
        List<String> lines = lines(new BarChart(12)
                .add("step 79", 1.0).add("step 0", 3.2e-3).add("x", -2e-5).render());
        int barStart = "step 79".length() + 2;
        for (String line : lines) {
            assertEquals(lines.get(0).length(), line.length(), "values are right-aligned:\n" + String.join("\n", lines));
            assertFalse(Character.isWhitespace(line.charAt(barStart)), line);
        }
        assertTrue(lines.get(1).startsWith("step 0   ▏") || lines.get(1).startsWith("step 0   █"), lines.get(1));
    }

    @Test
    void axisHasATickPerDecadeWithLabels() {
        List<String> lines = lines(new BarChart(30).withAxis(true)
                .add("a", 1e-3).add("b", 5e-2).render());
        // floor(log10 1e-3) = -3 .. ceil(log10 0.05) = -1: two decades, ticks every 15 characters.
        assertEquals(4, lines.size());
        String axis = lines.get(2);
        String labels = lines.get(3);
        int origin = "a".length() + 2;
        assertEquals('├', axis.charAt(origin), axis);
        assertEquals('┼', axis.charAt(origin + 15), axis);
        assertEquals('┤', axis.charAt(origin + 30), axis);
        assertEquals(origin, labels.indexOf("1e-3"), labels);
        assertEquals(origin + 15, labels.indexOf("1e-2"), labels);
        assertEquals(origin + 30, labels.indexOf("1e-1"), labels);
    }

    @Test
    void crowdedAxisThinsItsTicks() {
        List<String> lines = lines(new BarChart(20).withAxis(true).add("a", 1e-40).add("b", 1e40).render());
        String labels = lines.get(3);
        assertTrue(labels.contains("1e-40"), labels);
        assertFalse(labels.contains("1e-39"), labels);
        // Labels never run into each other.
        assertFalse(labels.matches(".*\\d1e.*"), labels);
    }

    @Test
    void tooNarrowIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BarChart(3));
        assertTrue(e.getMessage().contains("3") && e.getMessage().contains("10"), e.getMessage());
    }

    @Test
    void formatsValuesInScientificNotation() {
        assertEquals("3.20e-03", BarChart.formatValue(3.2e-3));
        assertEquals("1.00e+00", BarChart.formatValue(1.0));
        assertEquals("0", BarChart.formatValue(0.0));
        assertEquals("-inf", BarChart.formatValue(Double.NEGATIVE_INFINITY));
    }
}
