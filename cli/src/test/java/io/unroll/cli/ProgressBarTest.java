package io.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The progress display: its bar, its line modes and its number formats. */
class ProgressBarTest {
    @Test
    void barFillsInEighths() {
        assertEquals("▕          ▏", ProgressBar.bar(0, 100, 10));
        assertEquals("▕█████     ▏", ProgressBar.bar(50, 100, 10));
        assertEquals("▕█████▌    ▏", ProgressBar.bar(55, 100, 10));
        assertEquals("▕██████████▏", ProgressBar.bar(100, 100, 10));
    }

    @Test
    void barLineNeverWrapsAndDropsTheBarWhenNarrow() {
        String fields = "loss 1.2345  bpc 1.781  norm 0.50  12.3k char/s  ETA 3m07s";
        String wide = new ProgressBar(new PrintWriter(new StringWriter()), ProgressBar.Mode.BAR, 120, 0, false).barLine(30, 100, fields);
        assertTrue(wide.startsWith("step 30/100 ▕") && wide.endsWith("  30% " + fields), wide);
        assertTrue(wide.length() < 120);
        String narrow = new ProgressBar(new PrintWriter(new StringWriter()), ProgressBar.Mode.BAR, 80, 0, false).barLine(30, 100, fields);
        assertEquals("step 30/100  30% " + fields, narrow);
        String tiny = new ProgressBar(new PrintWriter(new StringWriter()), ProgressBar.Mode.BAR, 40, 0, false).barLine(30, 100, fields);
        assertEquals(39, tiny.length());
    }

    @Test
    void barModeRedrawsInPlaceAndOtherOutputGoesAboveIt() {
        StringWriter err = new StringWriter();
        StringWriter out = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(err), ProgressBar.Mode.BAR, 100, 0, false);
        bar.update(1, 10, "loss 2");
        bar.println(new PrintWriter(out), "a result");
        bar.close();
        assertTrue(err.toString().startsWith("\r\033[Kstep 1/10 ▕"), err.toString());
        assertTrue(err.toString().endsWith("loss 2\r\033[K\r\033[Kstep 1/10 ▕███" + " ".repeat(27) + "▏  10% loss 2\r\033[K"), err.toString());
        assertEquals("a result\n", out.toString().replace(System.lineSeparator(), "\n"));

        StringWriter sharedOut = new StringWriter();
        ProgressBar onTerminal = new ProgressBar(new PrintWriter(new StringWriter()), ProgressBar.Mode.BAR, 100, 0, true);
        onTerminal.update(1, 10, "loss 2");
        onTerminal.println(new PrintWriter(sharedOut), "a result");
        assertEquals("\r\033[Ka result\n", sharedOut.toString().replace(System.lineSeparator(), "\n"),
                "stdout on the terminal erases the bar itself, whatever stderr's delay");
    }

    @Test
    void linesModePrintsTheFirstUpdateThenOnePerInterval() {
        StringWriter err = new StringWriter();
        ProgressBar lines = new ProgressBar(new PrintWriter(err), ProgressBar.Mode.LINES, 0, Long.MAX_VALUE, false);
        for (int step = 1; step <= 50; step++) {
            lines.update(step, 50, "loss 1.0");
        }
        assertEquals("step 1/50 (2%) loss 1.0\n", err.toString().replace(System.lineSeparator(), "\n"));
        StringWriter none = new StringWriter();
        new ProgressBar(new PrintWriter(none), ProgressBar.Mode.NONE, 0, 0, false).update(1, 2, "x");
        assertEquals("", none.toString());
    }

    @Test
    void formats() {
        assertEquals("0.8s", ProgressBar.duration(0.84));
        assertEquals("45s", ProgressBar.duration(45.2));
        assertEquals("3m07s", ProgressBar.duration(187));
        assertEquals("2h05m", ProgressBar.duration(2 * 3600 + 5 * 60 + 10));
        assertEquals("--", ProgressBar.duration(Double.NaN));
        assertEquals("950", ProgressBar.count(950));
        assertEquals("1.23k", ProgressBar.count(1234));
        assertEquals("12.3k", ProgressBar.count(12_345));
        assertEquals("123k", ProgressBar.count(123_456));
        assertEquals("1.05M", ProgressBar.count(1_050_000));
        assertEquals(ProgressBar.Mode.LINES, ProgressBar.Mode.parse("Lines"));
        assertThrows(IllegalArgumentException.class, () -> ProgressBar.Mode.parse("fancy"));
    }
}
