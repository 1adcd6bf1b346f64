package io.unroll.cli;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * A headless Chromium for tests: Debian's {@code chromium} driven by Debian's {@code chromedriver}
 * through Selenium, both at their fixed paths (Selenium Manager never runs: it would download a
 * browser, and there is no network for that). One browser per instance; {@link #close} ends it.
 *
 * <p>What a test of a page needs: {@link #open} a file or URL, {@link #json} to run script in the
 * page and get its result as JSON (numbers round-trip exactly), {@link #console} for everything
 * the page wrote to the console and {@link #consoleProblems} for its warnings and errors
 * (uncaught exceptions and failed loads among them), and {@link #screenshot} of the whole page
 * under {@code target/screenshots/}.
 *
 * <p>The browser reaches nothing but this machine's loopback: every other HTTP(S) and WebSocket
 * request goes to a proxy that does not exist, so it fails at once with
 * {@code net::ERR_PROXY_CONNECTION_FAILED} in the console (Chromium never sends loopback requests
 * to a proxy). A page that tries to load anything from elsewhere shows up as a console error
 * rather than as a silent success on a machine that happens to be online.
 *
 * <p>A missing chromium or chromedriver fails the test with what to install; it never skips.
 * {@link #close} fails too if a process of the browser is still running afterwards. chromedriver
 * logs every command to {@code target/chromedriver.log}.
 */
final class Browser implements AutoCloseable {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SCREENSHOTS = Path.of("target", "screenshots");
    /** The browser's window: wide enough for a report's 980-pixel column. */
    static final int WIDTH = 1280;
    static final int HEIGHT = 1024;
    /** How long chromedriver and its browser may take to end after {@code quit}. */
    private static final Duration GONE_WITHIN = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Selenium looks for its DevTools classes of this Chromium's version when a driver starts, and
     * warns when there are none: these tests use no DevTools API of Selenium's (the raw CDP
     * commands of {@link #screenshot} need none), so the warning is noise. Held here: a logger
     * that nothing references can be collected, with its level.
     */
    private static final Logger CDP_VERSION_FINDER = Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder");

    static {
        CDP_VERSION_FINDER.setLevel(Level.SEVERE);
    }

    private final ChromeDriverService service;
    private final ChromeDriver driver;
    private final ProcessHandle chromedriver;
    private final Path temp;
    private final List<LogEntry> console = new ArrayList<>();

    private Browser(ChromeDriverService service, ChromeDriver driver, ProcessHandle chromedriver, Path temp) {
        this.service = service;
        this.driver = driver;
        this.chromedriver = chromedriver;
        this.temp = temp;
    }

    /** Starts a headless Chromium with an empty profile; fails the test if Chromium or its driver is not installed. */
    static Browser start() {
        return start(CHROMIUM, CHROMEDRIVER);
    }

    static Browser start(Path chromium, Path chromedriver) {
        List<String> missing = new ArrayList<>();
        for (Path p : List.of(chromium, chromedriver)) {
            if (!Files.isExecutable(p)) {
                missing.add(p.toString());
            }
        }
        if (!missing.isEmpty()) {
            fail("the browser tests need Debian's chromium and chromedriver, and " + String.join(" and ", missing)
                    + (missing.size() == 1 ? " is" : " are") + " missing: install them with"
                    + " 'apt-get install chromium chromium-driver' (as root; .ci/run does this)");
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments(
                "--headless=new",
                "--no-sandbox", // CI runs as root, where Chromium's sandbox cannot start
                "--disable-dev-shm-usage", // /dev/shm may be small in a container: shared memory goes to /tmp
                "--window-size=" + WIDTH + "," + HEIGHT,
                "--proxy-server=http://127.0.0.1:1", // nothing listens there: no request leaves the machine
                "--lang=en-US"); // the same language, and so the same formats, on every machine
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability(ChromeOptions.LOGGING_PREFS, logs);
        // The profile and what Chromium leaves behind (its singleton socket's directory outlives
        // a quit) go to a directory of this browser's own, deleted by close().
        Path temp;
        try {
            temp = Files.createTempDirectory("unroll-browser");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(chromedriver.toFile())
                .usingAnyFreePort()
                .withEnvironment(Map.of("TMPDIR", temp.toString()))
                .withLogFile(Path.of("target", "chromedriver.log").toFile())
                .withAppendLog(true)
                .build();
        try {
            service.start();
        } catch (IOException e) {
            delete(temp);
            throw new UncheckedIOException("chromedriver did not start: " + chromedriver, e);
        }
        try {
            ProcessHandle process = driverProcess(service.getUrl().getPort());
            return new Browser(service, new ChromeDriver(service, options), process, temp);
        } catch (RuntimeException e) {
            service.stop();
            delete(temp);
            throw e;
        }
    }

    /** The chromedriver this JVM started listening on {@code port}: the root of the processes {@link #close} checks. */
    private static ProcessHandle driverProcess(int port) {
        String argument = "--port=" + port;
        return ProcessHandle.current().children()
                .filter(p -> p.info().arguments().map(a -> List.of(a).contains(argument)).orElse(false))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no chromedriver process with " + argument + " among this JVM's children"));
    }

    /** Opens a page and returns when it has loaded (its {@code load} event) and drawn its next frame. */
    Browser open(URI page) {
        driver.get(page.toString());
        driver.executeAsyncScript("const done = arguments[arguments.length - 1];"
                + " requestAnimationFrame(() => requestAnimationFrame(() => done()));");
        return this;
    }

    Browser open(Path file) {
        return open(file.toAbsolutePath().toUri());
    }

    /** Runs {@code script} (a function body: its {@code return} value is the result) in the page, with {@code arguments}. */
    Object script(String script, Object... arguments) {
        return driver.executeScript(script, arguments);
    }

    /**
     * Runs {@code script} as {@link #script} does and returns its result as JSON, serialized in the
     * page: numbers come back exactly as the page had them, {@code null} stays {@code null}.
     */
    JsonNode json(String script, Object... arguments) {
        Object text = driver.executeScript("return JSON.stringify((function () {" + script + "\n}).apply(null, arguments));",
                arguments);
        if (!(text instanceof String s)) {
            throw new IllegalStateException("the script returned nothing JSON can hold (undefined or a function): " + script);
        }
        return parse(s);
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Waits until {@code expression}, evaluated in the page every 10 ms, is neither {@code null}
     * nor {@code undefined}, and returns its value as {@link #json} does; after Selenium's script
     * timeout (30 s) it throws {@link org.openqa.selenium.ScriptTimeoutException}.
     */
    JsonNode await(String expression) {
        Object text = driver.executeAsyncScript("const done = arguments[arguments.length - 1];"
                + " (function poll() { const v = (" + expression + ");"
                + " if (v !== undefined && v !== null) { done(JSON.stringify(v)); } else { setTimeout(poll, 10); } })();");
        return parse((String) text);
    }

    /** Every console message since the browser started, in order (the page's, failed loads and uncaught exceptions). */
    List<LogEntry> console() {
        console.addAll(driver.manage().logs().get(LogType.BROWSER).getAll());
        return List.copyOf(console);
    }

    /** The console's warnings and errors so far, one line each: a clean page has none. */
    List<String> consoleProblems() {
        return console().stream()
                .filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue())
                .map(e -> e.getLevel() + " " + e.getMessage())
                .toList();
    }

    /**
     * A PNG of the whole page (not only the window) in {@code target/screenshots/NAME.png}, for a
     * person to look at; returns its path.
     */
    Path screenshot(String name) {
        // The window made as tall as the page for the picture, then as it was: capturing beyond
        // the window instead (captureBeyondViewport) leaves the page without its scroll bar.
        JsonNode size = json("return [innerWidth, document.documentElement.scrollHeight];");
        int width = size.get(0).asInt();
        int height = Math.max(HEIGHT, size.get(1).asInt());
        driver.executeCdpCommand("Emulation.setDeviceMetricsOverride",
                Map.of("width", width, "height", height, "deviceScaleFactor", 1, "mobile", false));
        Map<String, Object> shot;
        try {
            shot = driver.executeCdpCommand("Page.captureScreenshot", Map.of("format", "png"));
        } finally {
            driver.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());
        }
        Path file = SCREENSHOTS.resolve(name + ".png");
        try {
            Files.createDirectories(SCREENSHOTS);
            Files.write(file, Base64.getDecoder().decode((String) shot.get("data")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /**
     * Ends the browser and chromedriver, then checks that every process they had is gone: one
     * that is still running after {@link #GONE_WITHIN} is killed and fails the test. Deletes the
     * browser's temporary files.
     */
    @Override
    public void close() {
        List<ProcessHandle> processes = new ArrayList<>();
        processes.add(chromedriver);
        chromedriver.descendants().forEach(processes::add);
        List<String> left;
        try {
            driver.quit();
        } finally {
            service.stop();
            left = endAll(processes);
            delete(temp);
        }
        if (!left.isEmpty()) {
            fail("still running " + GONE_WITHIN.toSeconds() + " s after the browser was closed (now killed): " + left);
        }
    }

    /** Waits for {@code processes} to end and kills those still running after {@link #GONE_WITHIN}; returns those. */
    private static List<String> endAll(List<ProcessHandle> processes) {
        List<String> left = new ArrayList<>();
        long deadline = System.nanoTime() + GONE_WITHIN.toNanos();
        for (ProcessHandle p : processes) {
            try {
                p.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                left.add(p.pid() + " " + p.info().commandLine().orElse("?"));
                p.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the browser to end", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }
        return left;
    }

    private static void delete(Path directory) {
        try (var files = Files.walk(directory)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete the browser's temporary files in " + directory, e);
        }
    }
}
