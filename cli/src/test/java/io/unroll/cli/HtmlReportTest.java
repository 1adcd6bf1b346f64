package io.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtmlReportTest {
    @TempDir
    Path dir;

    @Test
    void aReportHoldsItsFiguresAndEverythingItNeedsWithoutANetwork() throws Exception {
        HtmlReport report = new HtmlReport("Run <1> & friends")
                .heading("Loss")
                .paragraph("a < b")
                .findings(List.of(new HtmlReport.Finding("vanishing", "horizon 12 of 80 steps", true),
                        new HtmlReport.Finding("no NaN", "", false)))
                .lineChart("loss by step", "step", "loss", new double[] {1, 2, 3},
                        List.of(new HtmlReport.Series("train", new double[] {2.5, Double.NaN, 1.5}),
                                new HtmlReport.Series("val</script>", new double[] {0, 2, 1})), true)
                .heatMap("gradient", "timestep", "step", new double[] {0, 1}, new double[] {10, 20},
                        new double[][] {{1e-3, 1}, {Double.POSITIVE_INFINITY, 0.5}});
        Path file = dir.resolve("report.html");
        report.write(file);
        String html = Files.readString(file);

        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertTrue(html.contains("<title>Run &lt;1&gt; &amp; friends</title>"), "title escaped");
        assertTrue(html.contains("<p>a &lt; b</p>"));
        assertTrue(html.contains("<li class=\"severe\"><b>vanishing</b> horizon 12 of 80 steps</li>"));
        assertTrue(html.contains("uPlot") && html.contains("The MIT License"), "the chart library and its licence are inlined");
        assertFalse(Pattern.compile("<(script|link|img)[^>]*(src|href)=", Pattern.CASE_INSENSITIVE).matcher(html).find(),
                "nothing is loaded from elsewhere");
        assertEquals(1, count(html, "</script>\n<script>\n(function"), "one drawing script");

        ObjectMapper json = new ObjectMapper();
        JsonNode line = json.readTree(data(html, 0));
        assertEquals("line", line.get("kind").asText());
        assertTrue(line.get("logY").asBoolean());
        assertEquals("[[1.0,2.0,3.0],[2.5,null,1.5],[null,2.0,1.0]]", line.get("columns").toString(),
                "non-finite values, and values <= 0 on a log axis, are gaps");
        assertEquals("val</script>", line.get("labels").get(1).asText(), "a label cannot end the script element");
        JsonNode heat = json.readTree(data(html, 1));
        assertEquals("[[0.001,1.0],[null,0.5]]", heat.get("values").toString());
        assertEquals("[10.0,20.0]", heat.get("y").toString());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file is left");
        }
    }

    @Test
    void aTableHasItsHeaderAndARowHeadingPerRowEscaped() {
        String html = new HtmlReport("t").table(java.util.List.of("", "T = 50"),
                java.util.List.of(java.util.List.of("GRU <fast>", "0.040 ✓ 1,100"), java.util.List.of("tanh & co", "1.002")))
                .html();
        assertTrue(html.contains("<table>\n<tr><th></th><th>T = 50</th></tr>\n"
                + "<tr><th>GRU &lt;fast&gt;</th><td>0.040 ✓ 1,100</td></tr>\n"
                + "<tr><th>tanh &amp; co</th><td>1.002</td></tr>\n</table>\n"), html);
    }

    @Test
    void seriesAndRowsMustMatchTheirAxes() {
        HtmlReport report = new HtmlReport("r");
        assertThrows(IllegalArgumentException.class, () -> report.lineChart("c", "x", "y", new double[] {1, 2},
                List.of(new HtmlReport.Series("s", new double[] {1})), false));
        assertThrows(IllegalArgumentException.class, () -> report.heatMap("c", "x", "y", new double[] {1, 2},
                new double[] {1}, new double[][] {{1, 2}, {3, 4}}));
        assertThrows(IllegalArgumentException.class, () -> report.heatMap("c", "x", "y", new double[] {1, 2},
                new double[] {1}, new double[][] {{1}}));
    }

    private static String data(String html, int chart) {
        Matcher m = Pattern.compile("<script type=\"application/json\" id=\"data" + chart + "\">(.*?)</script>",
                Pattern.DOTALL).matcher(html);
        assertTrue(m.find(), "chart " + chart + " has its data");
        return m.group(1).replace("<\\/", "</");
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
