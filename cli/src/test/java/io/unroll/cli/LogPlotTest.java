package io.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class LogPlotTest {

    @Test
    void aDecayingSeriesRunsFromTheBottomLeftToTheTopRightWithDecadeLabels() {
        double[] decay = new double[5];
        for (int t = 0; t < 5; t++) {
            decay[t] = Math.pow(10, t - 4); // 1e-4 .. 1e0
        }
        String plot = new LogPlot(10, 5).series("measured", '●', decay).render("step");
        List<String> lines = plot.lines().toList();
        assertEquals(List.of(
                " 1e+00 ┤    ●",
                " 1e-01 ┤   ●",
                " 1e-02 ┤  ●",
                " 1e-03 ┤ ●",
                " 1e-04 ┤●",
                "       └─────",
                "        0   4",
                "        step   ● measured"), lines);
    }

    @Test
    void aColumnShowsTheGeometricMeanOfItsSteps() {
        // steps 0..4 fall in column 0: log10 mean of 1, 1e-2, 1, 1e-2, 1e-1 is -1, the middle row
        double[] values = new double[50];
        Arrays.fill(values, 1e-2);
        System.arraycopy(new double[] {1, 1e-2, 1, 1e-2, 1e-1}, 0, values, 0, 5);
        List<String> lines = new LogPlot(10, 3).series("s", 's', values).render("k").lines().toList();
        assertEquals(List.of(" 1e+00 ┤", " 1e-01 ┤s", " 1e-02 ┤ sssssssss"), lines.subList(0, 3));
    }

    @Test
    void aLaterSeriesIsDrawnOverAnEarlierOne() {
        double[] flat = new double[100];
        Arrays.fill(flat, 1e-2);
        double[] bound = flat.clone();
        Arrays.fill(bound, 95, 100, 1);
        List<String> lines = new LogPlot(20, 3).series("measured", 'm', flat).series("bound", 'b', bound).render("k")
                .lines().toList();
        assertEquals(" 1e+00 ┤" + " ".repeat(19) + "b", lines.get(0));
        assertEquals(" 1e-01 ┤", lines.get(1));
        assertEquals(" 1e-02 ┤" + "b".repeat(19) + "m", lines.get(2));
        assertEquals("        0" + " ".repeat(17) + "99", lines.get(4));
        assertEquals("        k   m measured   b bound", lines.get(5));
    }

    @Test
    void theRangeCanComeFromOneSeriesAndPointsOutsideItAreLeftOut() {
        double[] measured = {1e-2, 1e-1, 1};
        double[] bound = {1e6, 1e-1, 1};
        List<String> lines = new LogPlot(10, 3).series("bound", 'b', bound).series("measured", 'm', measured)
                .rangeFrom(measured).render("k").lines().toList();
        assertEquals(List.of(" 1e+00 ┤  m", " 1e-01 ┤ m", " 1e-02 ┤m"), lines.subList(0, 3));
    }

    @Test
    void nonFiniteAndNonPositiveValuesAreGapsAndAnEmptyPlotSaysSo() {
        String plot = new LogPlot(10, 3).series("s", '*', new double[] {Double.NaN, 1, 0, -1, 10}).render("x");
        String[] rows = plot.split("\n");
        assertEquals(" 1e+01 ┤    *", rows[0]);
        assertEquals(" 1e+00 ┤ *", rows[2]);
        assertEquals("(nothing to plot: no finite positive value)\n",
                new LogPlot(10, 3).series("s", '*', new double[] {0, Double.NaN}).render("x"));
        assertThrows(IllegalArgumentException.class, () -> new LogPlot(10, 3).series("a", 'a', new double[2]).series("b", 'b', new double[3]));
        assertThrows(IllegalArgumentException.class, () -> new LogPlot(5, 3));
    }
}
