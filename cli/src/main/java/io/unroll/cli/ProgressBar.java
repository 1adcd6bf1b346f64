package io.unroll.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A one-line progress display on stderr for long runs, in one of three {@linkplain Mode modes}:
 * <ul>
 *   <li>{@code bar}: one line redrawn in place with {@code \r} (and erase-to-end-of-line), at most
 *       ten times a second, cut to the terminal's width so that it never wraps;</li>
 *   <li>{@code lines}: a plain line for the first update and then one every
 *       {@value #LINE_INTERVAL_SECONDS} seconds, for logs and pipes, where {@code \r} makes a mess;</li>
 *   <li>{@code none}: nothing.</li>
 * </ul>
 * {@code auto} picks {@code bar} when stderr is a terminal and {@code lines} otherwise (see
 * {@link #detect()}). Other output that shares the terminal goes through {@link #println}, which
 * takes the bar away, prints, and draws it again. Thread-safe: a shutdown hook may print through
 * {@link #message} while the training thread updates the bar.
 *
 * <p>Hand-written rather than a progress-bar library because the {@code ./unroll} launcher passes
 * stderr through a pipe (to drop the JVM's incubator warning), so a library's own terminal test
 * would always answer "not a terminal"; {@link #detect()} knows about the launcher.
 */
final class ProgressBar {
    static final int LINE_INTERVAL_SECONDS = 10;
    private static final long REDRAW_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final String ERASE_LINE = "\r\033[K";

    /** How progress is shown. */
    enum Mode {
        BAR, LINES, NONE;

        /** {@code auto}, {@code bar}, {@code lines} or {@code none}, case-insensitive; {@code auto} detects. */
        static Mode parse(String name) {
            String key = name.trim().toLowerCase(Locale.ROOT);
            switch (key) {
                case "auto": return detect();
                case "bar": return BAR;
                case "lines": return LINES;
                case "none": return NONE;
                default: throw new IllegalArgumentException("--progress is '" + name + "', expected auto, bar, lines or none");
            }
        }
    }

    private final PrintWriter err;
    private final Mode mode;
    private final int width;
    private final long lineIntervalNanos;
    private final boolean stdoutTerminal;
    private String current = "";
    private boolean drawn;
    private long lastDraw = Long.MIN_VALUE;

    ProgressBar(PrintWriter err, Mode mode) {
        this(err, mode, mode == Mode.BAR ? terminalWidth() : 0, TimeUnit.SECONDS.toNanos(LINE_INTERVAL_SECONDS),
                mode == Mode.BAR && stdoutIsTerminal());
    }

    /**
     * @param stdoutTerminal whether stdout is a terminal too: then {@link #println} also erases the
     *                       line through stdout, because stderr may reach the terminal later than
     *                       stdout (the launcher passes it through a pipe)
     */
    ProgressBar(PrintWriter err, Mode mode, int width, long lineIntervalNanos, boolean stdoutTerminal) {
        this.err = err;
        this.mode = mode;
        this.width = width;
        this.lineIntervalNanos = lineIntervalNanos;
        this.stdoutTerminal = stdoutTerminal;
    }

    Mode mode() {
        return mode;
    }

    /**
     * Shows {@code done} of {@code total} with {@code fields} (loss, speed, ...), throttled: the bar
     * redraws at most every 100 ms, lines appear every {@value #LINE_INTERVAL_SECONDS} s.
     */
    synchronized void update(long done, long total, String fields) {
        long now = System.nanoTime();
        boolean first = lastDraw == Long.MIN_VALUE;
        if (mode == Mode.BAR && (first || now - lastDraw >= REDRAW_NANOS || done == total)) {
            current = barLine(done, total, fields);
            draw();
            lastDraw = now;
        } else if (mode == Mode.LINES && (first || now - lastDraw >= lineIntervalNanos)) {
            err.println(plainLine(done, total, fields));
            err.flush();
            lastDraw = now;
        }
    }

    /** Prints {@code line} on {@code out} (which may share the terminal) without tearing the bar. */
    synchronized void println(PrintWriter out, String line) {
        hide();
        if (mode == Mode.BAR && drawn && stdoutTerminal) {
            out.print(ERASE_LINE);
        }
        out.println(line);
        out.flush();
        if (drawn) {
            draw();
        }
    }

    /** A note on stderr (e.g. "stopping..."), above the bar. */
    synchronized void message(String line) {
        hide();
        err.println(line);
        err.flush();
        if (drawn) {
            draw();
        }
    }

    /** Takes the bar away for good (the end of the run). */
    synchronized void close() {
        hide();
        drawn = false;
    }

    private void draw() {
        err.print(ERASE_LINE + current);
        err.flush();
        drawn = true;
    }

    private void hide() {
        if (mode == Mode.BAR && drawn) {
            err.print(ERASE_LINE);
            err.flush();
        }
    }

    /** {@code step 120/993 ▕████▌     ▏ 12% loss 1.91 ...}, cut to the terminal width. */
    String barLine(long done, long total, String fields) {
        String count = "step " + done + "/" + total + " ";
        String percent = String.format(Locale.ROOT, " %3d%% ", percentOf(done, total));
        int room = width - 1 - count.length() - percent.length() - fields.length();
        int barWidth = Math.min(30, room - 2);
        String line = barWidth >= 8 ? count + bar(done, total, barWidth) + percent + fields
                : count.strip() + percent.stripTrailing() + " " + fields;
        return line.length() > width - 1 ? line.substring(0, Math.max(0, width - 1)) : line;
    }

    /** {@code step 120/993 (12%) loss 1.91 ...}. */
    static String plainLine(long done, long total, String fields) {
        return String.format(Locale.ROOT, "step %d/%d (%d%%) %s", done, total, percentOf(done, total), fields);
    }

    private static int percentOf(long done, long total) {
        return total <= 0 ? 100 : (int) Math.min(100, 100 * done / total);
    }

    /** A bar of {@code cells} cells in eighths: {@code ▕███▋      ▏}. */
    static String bar(long done, long total, int cells) {
        double fraction = total <= 0 ? 1 : Math.min(1, Math.max(0, (double) done / total));
        int eighths = (int) Math.round(fraction * cells * 8);
        StringBuilder sb = new StringBuilder("▕");
        for (int i = 0; i < cells; i++) {
            int fill = Math.max(0, Math.min(8, eighths - 8 * i));
            sb.append(fill == 8 ? '█' : fill == 0 ? ' ' : (char) ('█' + 8 - fill));
        }
        return sb.append('▏').toString();
    }

    /** {@code 45s}, {@code 3m07s}, {@code 2h05m}; {@code --} when unknown. */
    static String duration(double seconds) {
        if (!(seconds >= 0) || Double.isInfinite(seconds)) {
            return "--";
        }
        if (seconds < 9.95) {
            return String.format(Locale.ROOT, "%.1fs", seconds);
        }
        long s = Math.round(seconds);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
    }

    /** {@code 950}, {@code 12.3k}, {@code 1.05M}. */
    static String count(double n) {
        if (n < 1e3) {
            return String.format(Locale.ROOT, "%.0f", n);
        }
        if (n < 1e6) {
            return String.format(Locale.ROOT, n < 1e4 ? "%.2fk" : n < 1e5 ? "%.1fk" : "%.0fk", n / 1e3);
        }
        return String.format(Locale.ROOT, "%.2fM", n / 1e6);
    }

    /**
     * The {@code auto} mode: {@code none} never, {@code bar} if stderr is a terminal, else
     * {@code lines}; {@code UNROLL_PROGRESS=bar|lines|none} in the environment overrides it. On
     * Linux, stderr is a terminal when {@code /proc/self/fd/2} is a tty, or when it is the pipe to
     * the {@code ./unroll} launcher's {@linkplain StderrFilter stderr filter} whose own stderr is a tty. Elsewhere, a console
     * ({@link System#console()}) counts as a terminal. {@code TERM=dumb} means lines.
     */
    static Mode detect() {
        String forced = System.getenv("UNROLL_PROGRESS");
        if (forced != null && !forced.isBlank() && !forced.trim().equalsIgnoreCase("auto")) {
            try {
                return Mode.parse(forced);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("UNROLL_PROGRESS is '" + forced + "', expected auto, bar, lines or none");
            }
        }
        if ("dumb".equals(System.getenv("TERM"))) {
            return Mode.LINES;
        }
        Optional<String> self = fdTarget("self");
        if (self.isEmpty()) {
            return System.console() != null ? Mode.BAR : Mode.LINES;
        }
        if (isTty(self.get())) {
            return Mode.BAR;
        }
        if (self.get().startsWith("pipe:") && StderrFilter.process()
                .flatMap(filter -> fdTarget(Long.toString(filter.pid()))).map(ProgressBar::isTty).orElse(false)) {
            return Mode.BAR;
        }
        return Mode.LINES;
    }

    /** Whether stdout is a terminal: {@code /proc/self/fd/1} is a tty, or elsewhere a console exists. */
    static boolean stdoutIsTerminal() {
        try {
            return isTty(Files.readSymbolicLink(Path.of("/proc/self/fd/1")).toString());
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return System.console() != null;
        }
    }

    private static boolean isTty(String target) {
        return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    }

    private static Optional<String> fdTarget(String pid) {
        try {
            return Optional.of(Files.readSymbolicLink(Path.of("/proc", pid, "fd", "2")).toString());
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return Optional.empty();
        }
    }

    /** Columns of the terminal: {@code $COLUMNS}, else {@code stty size < /dev/tty}, else 80. */
    static int terminalWidth() {
        try {
            String columns = System.getenv("COLUMNS");
            if (columns != null && !columns.isBlank()) {
                int c = Integer.parseInt(columns.trim());
                if (c >= 20) {
                    return c;
                }
            }
        } catch (NumberFormatException e) {
            // fall through to stty
        }
        try {
            Process stty = new ProcessBuilder("sh", "-c", "stty size < /dev/tty")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String answer = new String(stty.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (stty.waitFor(2, TimeUnit.SECONDS) && stty.exitValue() == 0) {
                String[] parts = answer.split("\\s+");
                if (parts.length == 2) {
                    int c = Integer.parseInt(parts[1]);
                    if (c >= 20) {
                        return c;
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            // no terminal size: use the default
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 80;
    }
}
