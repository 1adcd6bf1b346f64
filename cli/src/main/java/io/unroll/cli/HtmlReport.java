package io.unroll.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * A report as one self-contained HTML file: headings, paragraphs, findings, line charts and heat
 * maps, with everything the page needs inside it (the chart library, uPlot, inlined with its
 * licence), so it opens from disk or an e-mail on a machine without a network.
 *
 * <p>The figures go into the page as JSON; line charts are drawn by uPlot, heat maps on a canvas
 * by a few lines of script, each cell coloured on a log scale with its value on hover. Non-finite
 * values are gaps. Writing is atomic: a report is either the old file or the complete new one.
 */
final class HtmlReport {
    private static final String UPLOT = "META-INF/resources/webjars/uplot/";
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private final String title;
    private final StringBuilder body = new StringBuilder();
    private int charts;

    /** A line of a line chart: its label and values, one per x (NaN for none). */
    record Series(String label, double[] values) {}

    HtmlReport(String title) {
        this.title = title;
    }

    HtmlReport heading(String text) {
        body.append("<h2>").append(escape(text)).append("</h2>\n");
        return this;
    }

    HtmlReport paragraph(String text) {
        body.append("<p>").append(escape(text)).append("</p>\n");
        return this;
    }

    /** A list of findings, each a headline and the figures behind it; {@code severe} ones stand out. */
    HtmlReport findings(List<Finding> findings) {
        body.append("<ul class=\"findings\">\n");
        for (Finding f : findings) {
            body.append("<li class=\"").append(f.severe() ? "severe" : "fine").append("\"><b>").append(escape(f.headline()))
                    .append("</b> ").append(escape(f.detail())).append("</li>\n");
        }
        body.append("</ul>\n");
        return this;
    }

    /** A table: {@code header} over {@code rows}, each row's first cell a heading. */
    HtmlReport table(List<String> header, List<List<String>> rows) {
        body.append("<table>\n<tr>");
        header.forEach(h -> body.append("<th>").append(escape(h)).append("</th>"));
        body.append("</tr>\n");
        for (List<String> row : rows) {
            body.append("<tr><th>").append(escape(row.get(0))).append("</th>");
            row.subList(1, row.size()).forEach(c -> body.append("<td>").append(escape(c)).append("</td>"));
            body.append("</tr>\n");
        }
        body.append("</table>\n");
        return this;
    }

    /** One finding of {@link #findings}. */
    record Finding(String headline, String detail, boolean severe) {}

    /**
     * A line chart of {@code series} against {@code x}.
     *
     * @param logY a log-scale y axis (values <= 0 are gaps then)
     */
    HtmlReport lineChart(String caption, String xLabel, String yLabel, double[] x, List<Series> series, boolean logY) {
        return lineChart(caption, xLabel, yLabel, x, series, logY, null);
    }

    /** A line chart on a linear y axis fixed to {@code [yRange[0], yRange[1]]} (e.g. 0 to 1 for a share). */
    HtmlReport lineChart(String caption, String xLabel, String yLabel, double[] x, List<Series> series, double[] yRange) {
        return lineChart(caption, xLabel, yLabel, x, series, false, yRange);
    }

    private HtmlReport lineChart(String caption, String xLabel, String yLabel, double[] x, List<Series> series, boolean logY,
                                 double[] yRange) {
        for (Series s : series) {
            if (s.values().length != x.length) {
                throw new IllegalArgumentException("series '" + s.label() + "' has " + s.values().length + " values for "
                        + x.length + " x values");
            }
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("kind", "line");
        spec.put("xLabel", xLabel);
        spec.put("yLabel", yLabel);
        spec.put("logY", logY);
        if (yRange != null) {
            spec.put("yRange", yRange);
        }
        List<String> labels = new ArrayList<>();
        List<Double[]> columns = new ArrayList<>();
        columns.add(gaps(x, false));
        for (Series s : series) {
            labels.add(s.label());
            columns.add(gaps(s.values(), logY));
        }
        spec.put("labels", labels);
        spec.put("columns", columns);
        return chart(caption, spec);
    }

    /**
     * A heat map: {@code values[row][column]}, rows bottom to top, coloured on a log scale.
     *
     * @param columns the x value of each column; {@code rows} the y value of each row
     */
    HtmlReport heatMap(String caption, String xLabel, String yLabel, double[] columns, double[] rows, double[][] values) {
        if (values.length != rows.length) {
            throw new IllegalArgumentException("heat map has " + values.length + " rows of values for " + rows.length + " row labels");
        }
        for (double[] row : values) {
            if (row.length != columns.length) {
                throw new IllegalArgumentException("a heat-map row has " + row.length + " values for " + columns.length + " columns");
            }
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("kind", "heat");
        spec.put("xLabel", xLabel);
        spec.put("yLabel", yLabel);
        spec.put("x", gaps(columns, false));
        spec.put("y", gaps(rows, false));
        Double[][] log = new Double[values.length][];
        for (int r = 0; r < values.length; r++) {
            log[r] = gaps(values[r], true);
        }
        spec.put("values", log);
        return chart(caption, spec);
    }

    private HtmlReport chart(String caption, Map<String, Object> spec) {
        int id = charts++;
        body.append("<figure><div class=\"chart\" id=\"chart").append(id).append("\"></div><figcaption>")
                .append(escape(caption)).append("</figcaption></figure>\n")
                .append("<script type=\"application/json\" id=\"data").append(id).append("\">")
                .append(scriptSafe(json(spec))).append("</script>\n");
        return this;
    }

    /** The whole page. */
    String html() {
        String version = uplotVersion();
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + escape(title) + "</title>\n"
                + "<style>\n" + resource(UPLOT + version + "/dist/uPlot.min.css") + "\n" + STYLE + "</style>\n</head>\n<body>\n"
                + "<h1>" + escape(title) + "</h1>\n" + body
                + "<footer>Made by Unroll. Charts drawn with uPlot " + escape(version) + " (MIT licence, inlined below).</footer>\n"
                + "<script>\n/*\n" + resource(UPLOT + version + "/LICENSE").replace("*/", "* /") + "*/\n"
                + resource(UPLOT + version + "/dist/uPlot.iife.min.js") + "\n</script>\n<script>\n" + DRAW + "</script>\n"
                + "</body>\n</html>\n";
    }

    /** Writes the page to {@code file} atomically (a temporary file beside it, then a rename). */
    void write(Path file) throws IOException {
        OutputFiles.writeAtomically(file, html());
    }

    /**
     * The values with every non-finite one (and, on a log scale, every one <= 0) as null, which JSON
     * can hold: a gap for uPlot and the heat map.
     */
    private static Double[] gaps(double[] values, boolean logScale) {
        Double[] out = new Double[values.length];
        for (int i = 0; i < values.length; i++) {
            double v = values[i];
            out[i] = Double.isFinite(v) && (!logScale || v > 0) ? v : null;
        }
        return out;
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** JSON inside a script element: nothing in it may close the element. */
    private static String scriptSafe(String json) {
        return json.replace("</", "<\\/");
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String uplotVersion() {
        Properties p = new Properties();
        try (InputStream in = HtmlReport.class.getClassLoader()
                .getResourceAsStream("META-INF/maven/org.webjars.npm/uplot/pom.properties")) {
            if (in == null) {
                throw new IllegalStateException("the uPlot webjar is not on the class path; the build is incomplete");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p.getProperty("version");
    }

    private static String resource(String name) {
        try (InputStream in = HtmlReport.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is not on the class path; the build is incomplete");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final String STYLE = """
            body { font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto; padding: 0 1em; color: #222; }
            h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
            figure { margin: 1em 0; } figcaption { color: #555; font-size: 0.9em; }
            .chart { position: relative; }
            ul.findings { list-style: none; padding: 0; }
            ul.findings li { padding: 0.4em 0.6em; margin: 0.3em 0; border-left: 4px solid #3a3; background: #f4faf4; }
            ul.findings li.severe { border-left-color: #c33; background: #fbf2f2; }
            .tip { position: absolute; pointer-events: none; background: #fff; border: 1px solid #999; padding: 2px 5px;
                   font-size: 12px; display: none; }
            table { border-collapse: collapse; margin: 1em 0; font-variant-numeric: tabular-nums; }
            th, td { padding: 0.3em 0.9em; border-bottom: 1px solid #ddd; text-align: right; }
            tr th:first-child { text-align: left; }
            footer { margin-top: 3em; color: #777; font-size: 0.8em; }
            """;

    /** Draws every chart from its JSON: uPlot for lines, a canvas for heat maps. */
    private static final String DRAW = """
            (function () {
              const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf'];
              const width = () => Math.min(940, document.body.clientWidth - 20);
              // axis ticks: powers of ten as 1e-4, other values with up to 4 significant digits
              function tick(v) { return v == null ? '' : v !== 0 && (Math.abs(v) >= 1e4 || Math.abs(v) < 1e-2) ? v.toExponential(0) : String(+v.toPrecision(4)); }
              function fmt(v) { return v == null ? '-' : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : +v.toPrecision(4); }
              // A log axis is drawn as log10 of the values on a linear one, ticked at whole powers of ten:
              // uPlot's own log scale throws on ranges of many decades (a vanishing gradient spans 20).
              const log10 = v => v != null && v > 0 && isFinite(v) ? Math.log10(v) : null;
              function line(el, d) {
                const value = d.logY ? (u, v) => fmt(v == null ? null : Math.pow(10, v)) : (u, v) => fmt(v);
                const series = [{ label: d.xLabel }].concat(d.labels.map((l, i) => ({ label: l, stroke: palette[i % palette.length],
                  width: 1.5, spanGaps: true, value: value })));
                const columns = d.logY ? [d.columns[0]].concat(d.columns.slice(1).map(c => c.map(log10))) : d.columns;
                const y = d.logY ? { label: d.yLabel, size: 70, incrs: [1, 2, 5, 10, 20, 50, 100], values: (u, ticks) => ticks.map(v => '1e' + v) }
                  : { label: d.yLabel, size: 70, values: (u, ticks) => ticks.map(tick) };
                new uPlot({ width: width(), height: 300, series: series,
                  scales: { x: { time: false }, y: d.yRange && !d.logY ? { range: d.yRange } : {} },
                  axes: [{ label: d.xLabel }, y] }, columns, el);
              }
              // viridis-like: dark blue (small) to yellow (large)
              const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
              function colour(f) {
                const p = Math.max(0, Math.min(1, f)) * (stops.length - 1), i = Math.min(stops.length - 2, Math.floor(p)), t = p - i;
                const c = stops[i].map((a, k) => Math.round(a + t * (stops[i + 1][k] - a)));
                return 'rgb(' + c.join(',') + ')';
              }
              function heat(el, d) {
                // legend: the width of the colour scale and its labels, room for one as long as 1e-12.0
                const w = width(), h = 320, left = 70, bottom = 40, top = 10, legend = 84;
                const canvas = document.createElement('canvas');
                canvas.width = w; canvas.height = h; el.appendChild(canvas);
                const tip = document.createElement('div'); tip.className = 'tip'; el.appendChild(tip);
                const g = canvas.getContext('2d');
                let lo = Infinity, hi = -Infinity;
                d.values.forEach(r => r.forEach(v => { if (v != null) { lo = Math.min(lo, Math.log10(v)); hi = Math.max(hi, Math.log10(v)); } }));
                if (!(hi > lo)) { hi = lo + 1; }
                const pw = w - left - legend, ph = h - top - bottom, cw = pw / d.x.length, ch = ph / d.y.length;
                d.values.forEach((r, j) => r.forEach((v, i) => {
                  g.fillStyle = v == null ? '#eee' : colour((Math.log10(v) - lo) / (hi - lo));
                  g.fillRect(left + i * cw, top + ph - (j + 1) * ch, Math.ceil(cw), Math.ceil(ch));
                }));
                g.fillStyle = '#222'; g.font = '12px sans-serif'; g.textAlign = 'center';
                g.fillText(d.xLabel, left + pw / 2, h - 8);
                [0, d.x.length - 1].forEach(i => g.fillText(String(d.x[i]), left + (i + 0.5) * cw, top + ph + 14));
                g.save(); g.translate(14, top + ph / 2); g.rotate(-Math.PI / 2); g.fillText(d.yLabel, 0, 0); g.restore();
                g.textAlign = 'right';
                [0, d.y.length - 1].forEach(j => g.fillText(String(d.y[j]), left - 4, top + ph - (j + 0.5) * ch + 4));
                for (let k = 0; k <= 20; k++) {
                  g.fillStyle = colour(k / 20); g.fillRect(w - legend + 10, top + ph - (k + 1) * ph / 21, 14, ph / 21 + 1);
                }
                g.fillStyle = '#222'; g.textAlign = 'left';
                g.fillText('1e' + hi.toFixed(1), w - legend + 26, top + 10); g.fillText('1e' + lo.toFixed(1), w - legend + 26, top + ph);
                canvas.addEventListener('mousemove', e => {
                  const r = canvas.getBoundingClientRect(), i = Math.floor((e.clientX - r.left - left) / cw),
                        j = Math.floor((top + ph - (e.clientY - r.top)) / ch);
                  if (i < 0 || j < 0 || i >= d.x.length || j >= d.y.length) { tip.style.display = 'none'; return; }
                  tip.textContent = d.xLabel + ' ' + d.x[i] + ', ' + d.yLabel + ' ' + d.y[j] + ': ' + fmt(d.values[j][i]);
                  tip.style.left = (e.clientX - r.left + 12) + 'px'; tip.style.top = (e.clientY - r.top + 12) + 'px';
                  tip.style.display = 'block';
                });
                canvas.addEventListener('mouseleave', () => { tip.style.display = 'none'; });
              }
              document.querySelectorAll('.chart').forEach(el => {
                const d = JSON.parse(document.getElementById(el.id.replace('chart', 'data')).textContent);
                (d.kind === 'heat' ? heat : line)(el, d);
              });
            })();
            """;
}
