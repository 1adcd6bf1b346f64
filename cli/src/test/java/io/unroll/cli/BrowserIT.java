package io.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.DataInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

/**
 * The {@link Browser} the page tests rely on: that it hears what goes wrong in a page (console
 * errors, uncaught exceptions, a load from elsewhere, which it blocks), reaches this machine's
 * loopback, returns numbers exactly, takes a picture of the whole page, and fails, never skips,
 * without Chromium. Each test starts a real headless Chromium; {@link Browser#close} checks that
 * none of its processes outlives it.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BrowserIT {
    @TempDir
    Path dir;

    @Test
    void theConsoleReportsErrorsWarningsExceptionsAndABlockedLoadFromElsewhere() throws Exception {
        Path page = Files.writeString(dir.resolve("noisy.html"), """
                <!DOCTYPE html><html><head><meta charset="utf-8"><title>noisy</title>
                <script src="http://unroll.invalid/chart.js"></script></head><body>
                <script>
                  console.log('just information');
                  console.warn('a warning');
                  console.error('an error');
                  window.loaded = typeof uPlot;
                  undefinedFunction();
                </script></body></html>
                """);
        try (Browser browser = Browser.start()) {
            browser.open(page);
            List<String> problems = browser.consoleProblems();
            assertEquals(4, problems.size(), problems.toString());
            assertTrue(problems.get(0).startsWith("SEVERE http://unroll.invalid/chart.js")
                    && problems.get(0).contains("net::ERR_PROXY_CONNECTION_FAILED"), "the load was blocked: " + problems);
            assertTrue(problems.get(1).startsWith("WARNING ") && problems.get(1).contains("\"a warning\""), problems.toString());
            assertTrue(problems.get(2).startsWith("SEVERE ") && problems.get(2).contains("\"an error\""), problems.toString());
            assertTrue(problems.get(3).startsWith("SEVERE ") && problems.get(3).contains("undefinedFunction is not defined"),
                    problems.toString());
            assertEquals("undefined", browser.script("return window.loaded;"), "nothing came from elsewhere");
            assertEquals("[\"http://unroll.invalid/chart.js\"]",
                    browser.json("return performance.getEntriesByType('resource').map(e => e.name);").toString(),
                    "the page's resource timing lists a load that failed too");
            assertTrue(browser.console().stream().anyMatch(e -> e.getMessage().contains("just information")),
                    "console() has every message, consoleProblems() only warnings and errors");
        }
    }

    @Test
    void theLoopbackIsReachable() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = (exchange.getRequestURI().getPath().equals("/data")
                    ? "[1, 2, 3]"
                    : "<!DOCTYPE html><title>served</title><body><script>"
                            + "fetch('/data').then(r => r.json()).then(d => { window.sum = d[0] + d[1] + d[2]; });"
                            + "</script></body>").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try (Browser browser = Browser.start()) {
            browser.open(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/"));
            assertEquals(6, browser.await("window.sum").asInt(), "the page fetched its data from the loopback");
            assertEquals(List.of(), browser.consoleProblems());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void numbersComeBackExactlyAndAScreenshotHoldsTheWholePage() throws Exception {
        Path page = Files.writeString(dir.resolve("tall.html"), """
                <!DOCTYPE html><html><head><meta charset="utf-8"><title>tall</title></head>
                <body style="margin: 0"><div style="height: 3000px; background: linear-gradient(#fff, #36c)"></div></body></html>
                """);
        try (Browser browser = Browser.start()) {
            browser.open(page);
            JsonNode values = browser.json("return [0.1 + 0.2, 1e-300, null, Math.PI];");
            assertEquals(0.1 + 0.2, values.get(0).asDouble(), 0.0);
            assertEquals(1e-300, values.get(1).asDouble(), 0.0);
            assertTrue(values.get(2).isNull());
            assertEquals(Math.PI, values.get(3).asDouble(), 0.0);

            String window = "return [document.documentElement.clientWidth, innerWidth, innerHeight];";
            JsonNode before = browser.json(window);
            Path shot = browser.screenshot("browser-it-tall");
            assertEquals(Browser.SCREENSHOTS.resolve("browser-it-tall.png"), shot);
            int[] size = pngSize(shot);
            assertEquals(before.get(1).asInt(), size[0], "as wide as the window");
            assertEquals(before, browser.json(window), "the window is as it was");
            assertEquals(3000, size[1], "the whole page, beyond the window's " + Browser.HEIGHT + " pixels");
        }
    }

    @Test
    void withoutChromiumTheTestFailsAndSaysWhatToInstall() {
        AssertionFailedError e = assertThrows(AssertionFailedError.class,
                () -> Browser.start(dir.resolve("no-chromium"), Browser.CHROMEDRIVER).close());
        assertTrue(e.getMessage().contains(dir.resolve("no-chromium") + " is missing")
                && e.getMessage().contains("apt-get install chromium chromium-driver"), e.getMessage());
    }

    /** Width and height from a PNG's header chunk. */
    private static int[] pngSize(Path png) throws Exception {
        try (InputStream in = Files.newInputStream(png); DataInputStream data = new DataInputStream(in)) {
            byte[] signature = new byte[8];
            data.readFully(signature);
            assertEquals(0x89, signature[0] & 0xff, "a PNG");
            data.readInt(); // the IHDR chunk's length
            assertEquals("IHDR", new String(data.readNBytes(4), StandardCharsets.US_ASCII));
            return new int[] {data.readInt(), data.readInt()};
        }
    }
}
