package io.unroll.cli;

import static io.unroll.cli.CharModelCommandsTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTML reports as a person sees them, in a real headless Chromium ({@link Browser}): the
 * page loads nothing from anywhere and logs no warning or error; the titles, captions and legends
 * say what the figures are; every line chart (uPlot) draws every series, alone, as an unbroken
 * line of its legend's colour across the plot, and shows under the cursor the command's own
 * figures ({@code --json}); the heat map (the report's own script) paints each cell in its value's
 * colour and names the value under the cursor. Each test leaves a screenshot of the page in
 * {@code target/screenshots/}.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class HtmlReportIT {
    /**
     * Script that defines {@code pixels(canvas)}: the canvas's RGBA bytes, read from a copy (reading
     * a chart's own canvas more than once makes the browser warn about it in the console).
     */
    private static final String PIXELS = """
            function pixels(canvas) {
              const copy = document.createElement('canvas');
              copy.width = canvas.width;
              copy.height = canvas.height;
              const g = copy.getContext('2d', {willReadFrequently: true});
              g.drawImage(canvas, 0, 0);
              return g.getImageData(0, 0, copy.width, copy.height).data;
            }
            """;
    /** What uPlot's legend shows of a value: the report's format, 4 significant digits. */
    private static final MathContext SHOWN = new MathContext(4, RoundingMode.HALF_UP);

    @TempDir
    Path dir;

    @Test
    void theFlowReportDrawsEveryChartWithTheFiguresOfFlowJson() throws Exception {
        String[] configuration = {"flow", "--cell", "rnn", "--length", "40", "--hidden", "16"};
        JsonNode flow = run(CharModelCommandsTest.concat(configuration, "--json")).json();
        Path page = dir.resolve("flow.html");
        CharModelCommandsTest.Outcome written = run(CharModelCommandsTest.concat(configuration, "--report", page.toString()));
        assertEquals(0, written.exitCode(), written.err());

        try (Browser browser = Browser.start()) {
            browser.open(page);
            browser.screenshot("flow-report");
            assertLoadsNothing(browser);

            // the titles and headings the page claims
            JsonNode text = browser.json("const all = s => [...document.querySelectorAll(s)].map(e => e.textContent);"
                    + " return {title: document.title, h1: all('h1'), h2: all('h2'), captions: all('figcaption')};");
            String title = text.get("title").asText();
            assertTrue(title.startsWith("Gradient flow: rnn_tanh, 1 x 16, input 1, W_hh gaussian x 0.900, T=40,"), title);
            assertEquals(List.of(title), strings(text.get("h1")));
            assertEquals(List.of("The gradient reaching every step", "Jacobians of the state against the bound",
                    "Singular values of W_hh"), strings(text.get("h2")));
            List<String> captions = strings(text.get("captions"));
            assertEquals(3, captions.size(), captions.toString());
            assertTrue(captions.get(0).endsWith(String.format(Locale.ROOT, "step 0 gets %.3e of it.", flow.get("ratio").asDouble())),
                    captions.get(0));
            assertTrue(captions.get(1).startsWith(String.format(Locale.ROOT, "Layer 0; gamma_W = %.4g,",
                    flow.get("bound").get("gammaW").asDouble())), captions.get(1));
            assertTrue(captions.get(2).startsWith("Layer 0, all gate blocks as one matrix"), captions.get(2));

            // the charts: what each plots, from the command's --json (log axes show values <= 0 as gaps)
            JsonNode bound = flow.get("bound");
            assertTrue(bound.get("applicable").asBoolean(), "a tanh RNN has a bound: " + bound);
            List<Chart> charts = List.of(
                    new Chart("step t", List.of("||dL/dh_t||, layer 0"), List.of(flow.get("gradientNorms")), true),
                    new Chart("step k", List.of("||d s_T-1 / d s_k||_2", "||d s_T-1 / d s_k||_F",
                            "bound (gamma_W gamma_phi)^(T-1-k)"), List.of(flow.get("jacobianNorms"),
                            flow.get("jacobianFrobeniusNorms"), bound.get("values")), true),
                    new Chart("index", List.of("sigma"), List.of(flow.get("singularValues")), false));
            assertEquals(charts.size(), browser.json("return document.querySelectorAll('canvas').length;").asInt(),
                    "one canvas per chart, and no other");
            for (int c = 0; c < charts.size(); c++) {
                assertChart(browser, "chart" + c, charts.get(c));
            }
            assertEquals(List.of(), browser.consoleProblems(), "after the charts were read and hovered");
        }
    }

    /** A gradient that vanishes over 22 orders of magnitude is drawn too, on the same log axes. */
    @Test
    void aFlowReportSpanningTwentyDecadesDrawsItsCurves() throws Exception {
        String[] configuration = {"flow", "--scale", "0.5"};
        JsonNode flow = run(CharModelCommandsTest.concat(configuration, "--json")).json();
        assertTrue(flow.get("ratio").asDouble() < 1e-20, "the lesson's vanishing case: " + flow.get("ratio"));
        Path page = dir.resolve("vanishing.html");
        assertEquals(0, run(CharModelCommandsTest.concat(configuration, "--report", page.toString())).exitCode());
        try (Browser browser = Browser.start()) {
            browser.open(page);
            assertLoadsNothing(browser);
            assertChart(browser, "chart0", new Chart("step t", List.of("||dL/dh_t||, layer 0"), List.of(flow.get("gradientNorms")),
                    true));
            assertEquals(List.of(), browser.consoleProblems());
        }
    }

    /**
     * The heat map, drawn by the report's own script: each cell in the colour of its value on the
     * log scale (the smallest dark blue, the largest yellow, a gap light grey), and the value of the
     * cell under the cursor in the tooltip.
     */
    @Test
    void aHeatMapColoursEveryCellByItsValueAndNamesItUnderTheCursor() throws Exception {
        Path page = dir.resolve("heat.html");
        new HtmlReport("A heat map").heatMap("gradient norm by step", "timestep", "step", new double[] {0, 1, 2},
                new double[] {10, 20}, new double[][] {{1e-3, 1e-2, 1e-1}, {1, Double.NaN, 10}}).write(page);
        try (Browser browser = Browser.start()) {
            browser.open(page);
            browser.screenshot("heat-map");
            assertLoadsNothing(browser);
            assertEquals(1, browser.json("return document.querySelectorAll('#chart0 canvas').length;").asInt());
            // the colour scale's labels fit on the canvas: nothing is drawn at its right edge, where a
            // label that does not fit is cut off
            JsonNode edge = browser.json(PIXELS + """
                    const canvas = document.querySelector('#chart0 canvas'), px = pixels(canvas);
                    let drawn = 0;
                    for (let y = 0; y < canvas.height; y++) {
                      for (let x = canvas.width - 3; x < canvas.width; x++) { drawn += px[4 * (y * canvas.width + x) + 3] > 0; }
                    }
                    return {width: canvas.width, drawn: drawn};
                    """);
            assertEquals(0, edge.get("drawn").asInt(), "pixels drawn in the last 3 columns: " + edge);
            // log10 of the values spans -3 .. 1: the values fall on the scale's five stops, 0, 1/4, .., 1
            Object[][] cells = {
                {"timestep 0, step 10: 0.001", new int[] {68, 1, 84}},
                {"timestep 1, step 10: 0.01", new int[] {59, 82, 139}},
                {"timestep 2, step 10: 0.1", new int[] {33, 145, 140}},
                {"timestep 0, step 20: 1", new int[] {94, 201, 98}},
                {"timestep 1, step 20: -", new int[] {238, 238, 238}},
                {"timestep 2, step 20: 10", new int[] {253, 231, 37}},
            };
            for (Object[] cell : cells) {
                int[] colour = (int[]) cell[1];
                // where the plot has this colour (left of the colour scale on the right), and what
                // the tooltip says at the middle of that area
                JsonNode found = browser.json(PIXELS + """
                        const [colour] = arguments;
                        const canvas = document.querySelector('#chart0 canvas'), tip = document.querySelector('#chart0 .tip');
                        const px = pixels(canvas);
                        let n = 0, x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
                        for (let p = 0; p < px.length; p += 4) {
                          const x = (p / 4) % canvas.width, y = Math.floor(p / 4 / canvas.width);
                          if (x < canvas.width * 0.8 && px[p] === colour[0] && px[p + 1] === colour[1] && px[p + 2] === colour[2]
                              && px[p + 3] === 255) {
                            n++; x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
                          }
                        }
                        const r = canvas.getBoundingClientRect();
                        canvas.dispatchEvent(new MouseEvent('mousemove',
                            {clientX: r.left + (x0 + x1) / 2, clientY: r.top + (y0 + y1) / 2, bubbles: true}));
                        const shown = tip.style.display === 'block' ? tip.textContent : null;
                        canvas.dispatchEvent(new MouseEvent('mouseleave'));
                        return {pixels: n, box: (x1 - x0 + 1) * (y1 - y0 + 1), tip: shown, hidden: tip.style.display === 'none'};
                        """, List.of(colour[0], colour[1], colour[2]));
                String what = cell[0] + " in " + Arrays.toString(colour) + ": " + found;
                assertTrue(found.get("pixels").asInt() > 5000, "a cell's area in its colour: " + what);
                assertEquals(found.get("box").asInt(), found.get("pixels").asInt(), "one solid rectangle: " + what);
                assertEquals(cell[0], found.get("tip").asText(), what);
                assertTrue(found.get("hidden").asBoolean(), "the tooltip goes when the cursor leaves: " + what);
            }
            assertEquals(List.of(), browser.consoleProblems());
        }
    }

    /**
     * The training report of a short run: nothing loaded, no console problem, every section, one
     * drawn canvas per chart, the page's data equal to the run's {@code --json}, and the heat map's
     * tooltip naming the per-timestep gradient of the sample and timestep under the cursor.
     */
    @Test
    void theTrainingReportDrawsEveryChartWithTheRunsOwnFigures() throws Exception {
        Path corpus = dir.resolve("tiny.txt");
        java.nio.file.Files.writeString(corpus, CharModelCommandsTest.tinyText());
        Path page = dir.resolve("train.html");
        CharModelCommandsTest.Outcome o = run(CharModelCommandsTest.train("--text", corpus.toString(), "--out",
                dir.resolve("run").toString(), "--steps", "30", "--flow-every", "3", "--json", "--report", page.toString()));
        assertEquals(0, o.exitCode(), o.err());
        JsonNode flow = o.json().get("flow");
        try (Browser browser = Browser.start()) {
            browser.open(page);
            browser.screenshot("train-report");
            assertLoadsNothing(browser);
            JsonNode text = browser.json("return [...document.querySelectorAll('h2')].map(e => e.textContent);");
            assertEquals(List.of("Verdict", "Loss", "Gradient norm and clipping", "The gradient reaching every timestep, over training",
                    "Memory horizon", "Spectral radius of W_hh", "Activations", "How the verdict changed"), strings(text));
            // every chart drawn: one canvas each, with pixels of its first series' or the heat map's colours
            JsonNode drawn = browser.json(PIXELS + """
                    return [...document.querySelectorAll('.chart')].map(el => {
                      const canvases = el.querySelectorAll('canvas');
                      if (canvases.length !== 1) { return {id: el.id, canvases: canvases.length}; }
                      const px = pixels(canvases[0]);
                      let coloured = 0;
                      for (let p = 0; p < px.length; p += 4) {
                        const [r, g, b, a] = [px[p], px[p + 1], px[p + 2], px[p + 3]];
                        coloured += a >= 200 && Math.max(r, g, b) - Math.min(r, g, b) > 60 ? 1 : 0;
                      }
                      return {id: el.id, canvases: 1, coloured: coloured};
                    });
                    """);
            // loss, norms, clip rate, two heat maps, horizon, spectral radius, activations; the horizon and the
            // spectral radius have a single point in so short a run (replayed and measured at step 1 only)
            assertEquals(8, drawn.size(), "charts: " + drawn);
            drawn.forEach(c -> {
                assertEquals(1, c.get("canvases").asInt(), c.toString());
                assertTrue(c.get("coloured").asInt() > 10, "drawn in colour: " + c);
            });
            // the heat map of the gradient reaching every timestep: its rows are the run's samples
            JsonNode samples = flow.get("samples");
            JsonNode heat = browser.json("""
                    for (const el of document.querySelectorAll('.chart')) {
                      const d = JSON.parse(document.getElementById(el.id.replace('chart', 'data')).textContent);
                      if (d.kind === 'heat') { return {id: el.id, data: d}; }
                    }
                    return null;
                    """);
            assertEquals(samples.size(), heat.get("data").get("values").size());
            for (int i = 0; i < samples.size(); i++) {
                assertEquals(samples.get(i).get("step").asDouble(), heat.get("data").get("y").get(i).asDouble(), 0.0);
                assertEquals(numbers(samples.get(i).get("hNorms")), numbers(heat.get("data").get("values").get(i)), "row " + i);
            }
            int row = samples.size() / 2;
            int column = 3;
            JsonNode tip = browser.json("""
                    const [id, row, column] = arguments;
                    const el = document.getElementById(id), canvas = el.querySelector('canvas'), tip = el.querySelector('.tip');
                    const d = JSON.parse(document.getElementById(id.replace('chart', 'data')).textContent);
                    const left = 70, top = 10, bottom = 40, legend = 84, pw = canvas.width - left - legend, ph = 320 - top - bottom;
                    const r = canvas.getBoundingClientRect();
                    canvas.dispatchEvent(new MouseEvent('mousemove', {bubbles: true,
                        clientX: r.left + left + (column + 0.5) * pw / d.x.length, clientY: r.top + top + ph - (row + 0.5) * ph / d.y.length}));
                    return tip.textContent;
                    """, heat.get("id").asText(), row, column);
            double value = samples.get(row).get("hNorms").get(column).asDouble();
            String shown = tip.asText();
            assertTrue(shown.startsWith("timestep t " + column + ", training step " + samples.get(row).get("step").asInt() + ": "),
                    shown);
            assertEquals(0, new BigDecimal(value).round(SHOWN).compareTo(new BigDecimal(shown.substring(shown.lastIndexOf(' ') + 1))),
                    shown + " for " + value);
            assertEquals(List.of(), browser.consoleProblems());
        }
    }

    /** A line chart: its x axis's label, its series' labels and values in order, and whether its y axis is logarithmic. */
    private record Chart(String xLabel, List<String> labels, List<JsonNode> values, boolean logY) {
        int length() {
            return values.get(0).size();
        }

        /** The x column: 0, 1, ... as the flow report numbers steps and singular values. */
        List<Double> x() {
            List<Double> x = new ArrayList<>();
            for (int i = 0; i < length(); i++) {
                x.add((double) i);
            }
            return x;
        }

        /** A series as the chart holds it: {@code null} where a log axis cannot show the value. */
        List<Double> plotted(int series) {
            List<Double> out = new ArrayList<>();
            for (Double v : numbers(values.get(series))) {
                out.add(logY && !(v > 0) ? null : v);
            }
            return out;
        }
    }

    private static void assertChart(Browser browser, String id, Chart expected) {
        // the figures the page carries and draws from
        JsonNode data = browser.json("return JSON.parse(document.getElementById(arguments[0]).textContent);",
                id.replace("chart", "data"));
        assertEquals("line", data.get("kind").asText(), id);
        assertEquals(expected.logY(), data.get("logY").asBoolean(), id);
        assertEquals(expected.labels(), strings(data.get("labels")), id);
        JsonNode columns = data.get("columns");
        assertEquals(1 + expected.labels().size(), columns.size(), id);
        assertEquals(expected.x(), numbers(columns.get(0)), id + " x");
        for (int s = 0; s < expected.labels().size(); s++) {
            assertEquals(expected.plotted(s), numbers(columns.get(s + 1)), id + " " + expected.labels().get(s));
        }

        // the legend uPlot drew: the x axis, then every series, each with its colour
        JsonNode legend = browser.json("const el = document.getElementById(arguments[0]);"
                + " return [...el.querySelectorAll('.u-legend .u-series')].map(s => ({"
                + "   label: s.querySelector('.u-label').textContent,"
                + "   colour: getComputedStyle(s.querySelector('.u-marker')).borderColor.match(/\\d+/g).slice(0, 3).map(Number),"
                + "   shown: s.getBoundingClientRect().width > 0 }));", id);
        List<String> labels = new ArrayList<>();
        legend.forEach(s -> labels.add(s.get("label").asText()));
        List<String> expectedLabels = new ArrayList<>(List.of(expected.xLabel()));
        expectedLabels.addAll(expected.labels());
        assertEquals(expectedLabels, labels, id + " legend");
        legend.forEach(s -> assertTrue(s.get("shown").asBoolean(), id + " legend entry " + s));

        // the canvas: every series alone (as a person sees it after a ctrl-click on its legend
        // entry) is a line of its own colour across the whole plot
        JsonNode plot = browser.json("const over = document.getElementById(arguments[0]).querySelector('.u-over');"
                + " return [over.offsetLeft, over.offsetWidth];", id);
        for (int s = 0; s < expected.labels().size(); s++) {
            ctrlClickLegend(browser, id, s + 1);
            JsonNode pixels = browser.json(PIXELS + """
                    const [id, colour] = arguments;
                    const el = document.getElementById(id), canvas = el.querySelector('canvas');
                    const off = [...el.querySelectorAll('.u-legend .u-series')].map(r => r.classList.contains('u-off'));
                    const px = pixels(canvas);
                    const found = new Set();
                    for (let p = 0; p < px.length; p += 4) {
                      // an opaque pixel of the series' colour (anti-aliased edges are translucent)
                      if (px[p + 3] >= 200 && Math.abs(px[p] - colour[0]) <= 3 && Math.abs(px[p + 1] - colour[1]) <= 3
                          && Math.abs(px[p + 2] - colour[2]) <= 3) {
                        found.add((p / 4) % canvas.width);
                      }
                    }
                    const columns = [...found].sort((a, b) => a - b);
                    let gap = 0;
                    for (let k = 1; k < columns.length; k++) { gap = Math.max(gap, columns[k] - columns[k - 1] - 1); }
                    return {off: off, ratio: canvas.width / canvas.clientWidth, columns: columns.length,
                            first: columns[0], last: columns[columns.length - 1], widestGap: gap};
                    """, id, new ObjectMapper().convertValue(legend.get(s + 1).get("colour"), List.class));
            String what = id + " " + expected.labels().get(s) + " alone, in " + legend.get(s + 1).get("colour") + ": " + pixels
                    + "; plot from " + plot.get(0) + ", " + plot.get(1) + " wide";
            for (int other = 1; other < legend.size(); other++) {
                assertEquals(other != s + 1 && legend.size() > 2, pixels.get("off").get(other).asBoolean(), what);
            }
            // from the plot's left edge to its right one, broken only where a point's marker (white
            // inside) sits on the line
            assertEquals(1.0, pixels.get("ratio").asDouble(), 0.0, "one canvas pixel per CSS pixel: " + what);
            int left = plot.get(0).asInt();
            int right = left + plot.get(1).asInt() - 1;
            assertTrue(pixels.get("columns").asInt() > 0 && pixels.get("first").asInt() <= left + 2
                    && pixels.get("last").asInt() >= right - 2, "a line across the plot: " + what);
            assertTrue(pixels.get("widestGap").asInt() <= 5, "an unbroken line: " + what);
        }
        // a ctrl-click with no other series shown shows them all again
        ctrlClickLegend(browser, id, expected.labels().size());
        assertEquals("[]", browser.json("return [...document.getElementById(arguments[0]).querySelectorAll('.u-legend .u-off')]"
                + ".map(e => e.textContent);", id).toString(), id + ": every series shown again");

        // the values uPlot shows in its legend with the cursor over each x in turn
        JsonNode shown = browser.json("""
                const [id, n] = arguments;
                const el = document.getElementById(id), over = el.querySelector('.u-over'), r = over.getBoundingClientRect();
                const at = (type, x) => over.dispatchEvent(new MouseEvent(type, {clientX: x, clientY: r.top + r.height / 2, bubbles: true}));
                at('mouseenter', r.left + 1);
                const rows = [];
                for (let i = 0; i < n; i++) {
                  at('mousemove', r.left + 0.5 + i / (n - 1) * (r.width - 1));
                  rows.push([...el.querySelectorAll('.u-legend .u-value')].map(v => v.textContent));
                }
                at('mouseleave', r.left - 10);
                return rows;
                """, id, expected.length());
        for (int i = 0; i < expected.length(); i++) {
            JsonNode row = shown.get(i);
            assertEquals(1 + expected.labels().size(), row.size(), id + " legend at " + i + ": " + row);
            assertEquals(new BigDecimal(i), new BigDecimal(row.get(0).asText().replace(",", "")), id + " cursor at x = " + i);
            for (int s = 0; s < expected.labels().size(); s++) {
                Double v = expected.plotted(s).get(i);
                String legendValue = row.get(s + 1).asText();
                String what = id + " " + expected.labels().get(s) + " at " + i + ": shows " + legendValue + " for " + v;
                if (v == null) {
                    assertEquals("-", legendValue, what);
                } else {
                    assertEquals(0, new BigDecimal(v).round(SHOWN).compareTo(new BigDecimal(legendValue)), what);
                }
            }
        }
    }

    /**
     * A ctrl-click on legend entry {@code series} (0 is the x axis) of chart {@code id}: uPlot then
     * shows that series alone, or every series again if it was alone. uPlot redraws when the
     * script has returned, before the next one runs.
     */
    private static void ctrlClickLegend(Browser browser, String id, int series) {
        browser.script("document.getElementById(arguments[0]).querySelectorAll('.u-legend .u-series .u-label')[arguments[1]]"
                + ".dispatchEvent(new MouseEvent('click', {ctrlKey: true, button: 0, bubbles: true}));", id, series);
    }

    /** No element of the page refers to anything to load, no style sheet imports anything, and nothing was loaded. */
    private static void assertLoadsNothing(Browser browser) {
        JsonNode found = browser.json("""
                const attributes = ['src', 'href', 'srcset', 'poster', 'data', 'action', 'formaction', 'background', 'xlink:href'];
                const refs = [];
                document.querySelectorAll('*').forEach(e => attributes.forEach(a => {
                  const v = e.getAttribute(a);
                  if (v !== null && !(a === 'href' && v.startsWith('#'))) { refs.push(e.tagName + ' ' + a + '=' + v); }
                }));
                const css = [...document.styleSheets].flatMap(s => [...s.cssRules].map(r => r.cssText))
                    .filter(t => /url\\(|@import/i.test(t));
                return {refs: refs, css: css, loaded: performance.getEntriesByType('resource').map(e => e.name),
                        frames: window.frames.length};
                """);
        assertEquals("[]", found.get("refs").toString(), "elements that load something");
        assertEquals("[]", found.get("css").toString(), "style rules that load something");
        assertEquals("[]", found.get("loaded").toString(), "resources the page loaded");
        assertEquals(0, found.get("frames").asInt(), "frames");
        assertEquals(List.of(), browser.consoleProblems(), "the page loads without a warning or an error");
    }

    /** A JSON array of numbers and nulls as doubles, however each number is written ({@code 1} or {@code 1.0}). */
    private static List<Double> numbers(JsonNode array) {
        List<Double> out = new ArrayList<>();
        array.forEach(e -> {
            assertTrue(e.isNumber() || e.isNull(), "a number or null: " + e);
            out.add(e.isNull() ? null : e.asDouble());
        });
        return out;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(e -> out.add(e.asText()));
        return out;
    }
}
