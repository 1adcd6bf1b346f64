package io.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ./unroll playground} as a person uses it: the launcher starts the server, a headless
 * Chromium opens the page, and the test moves every control, compares the colours drawn with the
 * API's numbers, runs a live training session, and stops the server with Ctrl-C (SIGINT). The
 * page's redraw times and the session's update rate are written to
 * {@code target/playground-figures.txt}, and a picture of the page to
 * {@code target/screenshots/playground.png}.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PlaygroundIT {
    private static final Path LAUNCHER = Path.of("..", "unroll").toAbsolutePath().normalize();
    private static final Path FIGURES = Path.of("target", "playground-figures.txt");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The page's palette, from the least gradient to the most: stops at u = 0, 1/4, 1/2, 3/4, 1. */
    private static final int[][] PALETTE = {{13, 8, 135}, {126, 3, 168}, {204, 71, 120}, {248, 149, 64}, {240, 249, 33}};

    static Process server;
    static URI uri;
    static final List<String> figures = new ArrayList<>();

    @BeforeAll
    static void startServer() throws Exception {
        ProcessBuilder b = new ProcessBuilder(LAUNCHER.toString(), "playground", "--port", "0");
        b.environment().put("JAVA_HOME", System.getProperty("java.home"));
        b.environment().remove("UNROLL_JAVA_OPTS");
        b.redirectError(Path.of("target", "playground-stderr.txt").toFile());
        server = b.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        String first = out.readLine();
        assertTrue(first != null && first.startsWith("Unroll playground: http://127.0.0.1:"), "the first line: " + first);
        uri = URI.create(first.substring("Unroll playground: ".length()));
        assertEquals("Open it in a browser; Ctrl-C stops the server.", out.readLine());
    }

    @AfterAll
    static void stopServer() throws Exception {
        try {
            Process kill = new ProcessBuilder("kill", "-s", "INT", Long.toString(server.pid())).inheritIO().start();
            assertTrue(kill.waitFor(30, TimeUnit.SECONDS));
            assertTrue(server.waitFor(60, TimeUnit.SECONDS), "the server stops on Ctrl-C");
            assertEquals(130, server.exitValue(), "128 + SIGINT");
            String err = Files.readString(Path.of("target", "playground-stderr.txt"));
            assertTrue(err.contains("unroll: playground stopped"), err);
            assertTrue(!err.contains("Exception"), err);
        } finally {
            server.destroyForcibly();
            Files.write(FIGURES, figures);
        }
    }

    @Test
    void thePageDrawsTheApisNumbersEveryControlRedrawsAndALiveSessionTrains() throws Exception {
        try (Browser browser = Browser.start()) {
            browser.open(uri);
            browser.await("window.playground.drawn >= 1 ? true : null");

            coloursAreTheApisNumbers(browser);
            everyControlChangesTheView(browser);
            redrawTimes(browser);
            liveTraining(browser);
            set(browser, "length", "60");

            List<String> problems = browser.consoleProblems();
            assertEquals(1, problems.size(), "no console warning or error but the bad request made on purpose: " + problems);
            assertTrue(problems.get(0).matches("SEVERE http://127\\.0\\.0\\.1:\\d+/api/probe\\?.*hidden=999.* - Failed to load resource:"
                    + " the server responded with a status of 400 \\(Bad Request\\)"), problems.toString());
        }
    }

    /** Every cell of the unrolled network carries the API's number for its layer and step, in that number's colour. */
    private void coloursAreTheApisNumbers(Browser browser) throws Exception {
        set(browser, "layers", "2");
        JsonNode cells = browser.json("return [...document.querySelectorAll('#unrolled rect.cell')].map(r =>"
                + " [Number(r.dataset.layer), Number(r.dataset.step), Number(r.dataset.value), r.getAttribute('fill'),"
                + " r.querySelector('title').textContent]);");
        JsonNode api = get("/api/probe?" + browser.script("return new URLSearchParams(" + QUERY + ").toString();"));
        JsonNode rows = api.get("gradientNormsByLayer");
        assertEquals(2 * 80, cells.size(), "one cell per layer and step");
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (JsonNode row : rows) {
            for (JsonNode v : row) {
                lo = Math.min(lo, v.asDouble());
                hi = Math.max(hi, v.asDouble());
            }
        }
        for (JsonNode c : cells) {
            double v = rows.get(c.get(0).asInt()).get(c.get(1).asInt()).asDouble();
            assertEquals(v, c.get(2).asDouble(), 0.0, c.toString());
            double u = (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo));
            assertEquals(colour(u), c.get(3).asText(), "the colour of " + v + " on " + lo + " .. " + hi + ": " + c);
            assertTrue(c.get(4).asText().startsWith("layer " + c.get(0).asInt() + ", step " + c.get(1).asInt() + ": "), c.toString());
        }
        set(browser, "layers", "1");
    }

    /** Each control, moved, redraws the views with figures that differ where that control acts. */
    private void everyControlChangesTheView(Browser browser) throws Exception {
        String[][] moves = {
            {"cell", "gru/tanh", "return window.playground.probe.cell;"},
            {"length", "40", "return document.querySelectorAll('#unrolled rect.cell').length;"},
            {"hidden", "32", "return window.playground.probe.singularValues.length;"},
            {"layers", "3", "return document.querySelectorAll('#unrolled rect.cell').length;"},
            {"size", "0.5", "return window.playground.probe.gradientNorms[0];"},
            {"size-kind", "spectral-radius", "return Object.keys(window.playground.probe).includes('spectralRadius');"},
            {"init", "orthogonal", "return window.playground.probe.init;"},
            {"seed", "8", "return window.playground.probe.gradientNorms[0];"},
            {"cell", "lstm/tanh", "return document.querySelectorAll('#spectrum circle.eigenvalue').length;"},
        };
        for (String[] m : moves) {
            JsonNode before = browser.json(m[2]);
            JsonNode decayBefore = browser.json(DECAY_PICTURE);
            set(browser, m[0], m[1]);
            JsonNode after = browser.json(m[2]);
            assertNotEquals(before, after, m[0] + " = " + m[1] + " changes " + m[2]);
            JsonNode decayAfter = browser.json(DECAY_PICTURE);
            assertNotEquals(decayBefore, decayAfter, m[0] + " = " + m[1] + " redraws the decay curve");
            assertEquals("", browser.script("return document.getElementById('error').textContent;"));
        }
        JsonNode words = browser.json("return [document.getElementById('horizon').textContent,"
                + " document.getElementById('verdict').textContent];");
        assertTrue(words.get(0).asText().startsWith("Memory horizon: "), words.toString());
        assertTrue(words.get(1).asText().contains("layer 2"), "three layers, each named in the verdict: " + words);
        set(browser, "hidden", "999");
        assertEquals("hidden is 999, expected 1 to 256 (field: hidden)", browser.script("return document.getElementById('error').textContent;"));
        set(browser, "hidden", "32");
        assertEquals("", browser.script("return document.getElementById('error').textContent;"), "the next good probe clears the error");
        set(browser, "cell", "rnn/tanh");
        set(browser, "layers", "1");
        set(browser, "size-kind", "scale");
        set(browser, "size", "0.9");
        set(browser, "seed", "7");
        set(browser, "init", "gaussian");
    }

    /**
     * From a control's change to the first picture drawn and to the whole one, at T = 100, H = 64
     * (where the first is the whole, the Jacobians costing little) and at T = 500, H = 256 (where
     * the first is all but the Jacobian norms), the tanh RNN, five times each.
     */
    private void redrawTimes(Browser browser) throws Exception {
        for (int[] size : new int[][] {{100, 64}, {500, 256}}) {
            set(browser, "length", Integer.toString(size[0]));
            set(browser, "hidden", Integer.toString(size[1]));
            List<String> first = new ArrayList<>();
            List<String> whole = new ArrayList<>();
            for (int seed = 1; seed <= 5; seed++) {
                set(browser, "seed", Integer.toString(seed));
                first.add(String.format(Locale.ROOT, "%.0f", browser.json("return window.playground.redrawMillis.at(-1);").asDouble()));
                whole.add(String.format(Locale.ROOT, "%.0f", browser.json("return window.playground.fullMillis.at(-1);").asDouble()));
            }
            figures.add("redraw T=" + size[0] + " H=" + size[1] + ", first drawing (ms): " + String.join(", ", first)
                    + "; with the Jacobians: " + String.join(", ", whole));
        }
    }

    /** Start, updates, pause, reset, on the adding problem of 20 steps; the picture of the page is taken while it trains. */
    private void liveTraining(Browser browser) throws Exception {
        set(browser, "length", "100");
        set(browser, "hidden", "64");
        set(browser, "cell", "gru/tanh");
        browser.script("document.getElementById('task').value = 'adding';"
                + " document.getElementById('task').dispatchEvent(new Event('change'));"
                + " document.getElementById('task-size').value = '20';"
                + " document.getElementById('start').click();");
        browser.await("window.playground.updates.length >= 40 ? true : null");
        JsonNode rate = browser.json("const u = window.playground.updates; return [u.length, u.at(-1) - u[0],"
                + " window.playground.lastUpdate.step, window.playground.lastUpdate.id];");
        double perSecond = (rate.get(0).asDouble() - 1) / (rate.get(1).asDouble() / 1000);
        figures.add(String.format(Locale.ROOT, "live training: %d updates in %.2f s = %.1f per second (step %d)", rate.get(0).asInt(),
                rate.get(1).asDouble() / 1000, perSecond, rate.get(2).asLong()));
        assertTrue(rate.get(2).asLong() > 0, "the session has trained");
        String id = rate.get(3).asText();
        JsonNode heat = browser.json("const c = document.getElementById('heatmap');"
                + " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                + " let painted = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) painted++; return painted;");
        assertTrue(heat.asInt() > 0, "the heat map is drawn");
        JsonNode unrolled = browser.json("const u = window.playground.lastUpdate; const cells = [...document.querySelectorAll("
                + "'#training-unrolled rect.cell')]; return [cells.length, cells.map(c => Number(c.dataset.value))];");
        assertEquals(20, unrolled.get(0).asInt(), "the training model unrolled over the task's 20 steps");
        assertTrue(unrolled.get(1).get(19).asDouble() > 0, "its cells carry the sample's gradient norms: " + unrolled);
        assertTrue(browser.json("return document.querySelectorAll('#loss canvas').length;").asInt() > 0, "the loss chart is drawn");
        assertTrue(browser.script("return document.getElementById('training-status').textContent;").toString()
                .startsWith("running: step "));
        figures.add("screenshot: cli/" + browser.screenshot("playground"));

        browser.script("document.getElementById('pause').click();");
        browser.await("window.playground.lastUpdate.state === 'paused' ? true : null");
        assertEquals("paused", get("/api/train/" + id).get("state").asText());
        HttpResponse<byte[]> weights = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri.resolve(
                browser.script("return document.getElementById('download-weights').getAttribute('href');").toString())).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, weights.statusCode(), "the weights link downloads");
        browser.script("document.getElementById('reset').click();");
        browser.await("document.getElementById('reset').disabled ? true : null");
        int status = 0;
        for (int k = 0; k < 100 && status != 404; k++) {
            status = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri.resolve("/api/train/" + id)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
            Thread.sleep(50);
        }
        assertEquals(404, status, "reset ends the session");
    }

    /** A hash of the decay curve's pixels. */
    private static final String DECAY_PICTURE = "const s = document.querySelector('#decay canvas').toDataURL(); let h = 0;"
            + " for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0; return h;";

    /** The page's query of its controls, as a JavaScript expression. */
    private static final String QUERY = "query()";

    /**
     * Sets a control and waits until the page has drawn the whole picture of the new controls, the
     * Jacobians included, or shown the server's refusal.
     */
    private static void set(Browser browser, String id, String value) {
        browser.script("const e = document.getElementById(arguments[0]); e.value = arguments[1];"
                + " e.dispatchEvent(new Event(arguments[0] === 'size' ? 'input' : 'change'));", id, value);
        browser.await("window.playground.complete === window.playground.generation"
                + " || window.playground.failed === window.playground.generation ? true : null");
    }

    private static JsonNode get(String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri.resolve(path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return JSON.readTree(r.body());
    }

    /** The page's colour of u in [0, 1]: linear between the palette's stops, each channel rounded. */
    private static String colour(double u) {
        double x = Math.min(1, Math.max(0, u)) * (PALETTE.length - 1);
        int i = Math.min(PALETTE.length - 2, (int) Math.floor(x));
        double f = x - i;
        int[] c = new int[3];
        for (int k = 0; k < 3; k++) {
            c[k] = (int) Math.round(PALETTE[i][k] + f * (PALETTE[i + 1][k] - PALETTE[i][k]));
        }
        return "rgb(" + c[0] + ", " + c[1] + ", " + c[2] + ")";
    }
}
