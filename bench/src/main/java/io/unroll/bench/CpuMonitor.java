package io.unroll.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How much of the machine other processes took while a row was measured: the CPU time the whole
 * system spent busy ({@code /proc/stat}, hypervisor steal included) minus the CPU time of this
 * JVM and its peers ({@code /proc/<pid>/stat}), as a share of all CPU time that passed. On two
 * cores, anything beyond a few percent shows in the figures: this is the number that says whether
 * a row can be trusted. Linux only; elsewhere the share is NaN.
 */
final class CpuMonitor {
    private final List<Long> pids = new ArrayList<>();

    CpuMonitor() {
        pids.add(ProcessHandle.current().pid());
    }

    /** Counts {@code pid}'s CPU time as ours (a peer process). */
    void addOwn(long pid) {
        pids.add(pid);
    }

    /** CPU tick counters at one moment. */
    record Snapshot(long total, long busy, long own) {}

    /** The counters now, or null if they cannot be read. */
    Snapshot snapshot() {
        try {
            String cpu = Files.readAllLines(Path.of("/proc/stat"), StandardCharsets.US_ASCII).get(0);
            String[] f = cpu.trim().split("\\s+");
            // cpu user nice system idle iowait irq softirq steal (guest time is inside user)
            long total = 0;
            for (int i = 1; i <= Math.min(8, f.length - 1); i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
            long own = 0;
            for (long pid : pids) {
                own += processTicks(pid);
            }
            return new Snapshot(total, total - idle, own);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The share of all CPU time between {@code a} and {@code b} that other processes used (NaN if unknown). */
    static double otherShare(Snapshot a, Snapshot b) {
        if (a == null || b == null || b.total() <= a.total()) {
            return Double.NaN;
        }
        double others = (b.busy() - a.busy()) - (b.own() - a.own());
        return Math.max(0, others / (b.total() - a.total()));
    }

    /** utime + stime of a live process, 0 once it has gone. */
    private static long processTicks(long pid) throws IOException {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        if (!Files.exists(stat)) {
            return 0;
        }
        String s = Files.readString(stat, StandardCharsets.US_ASCII);
        // the command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15: utime, stime
    }
}
