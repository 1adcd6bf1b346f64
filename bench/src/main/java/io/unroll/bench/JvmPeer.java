package io.unroll.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A child JVM running {@link WorkerMain} with a fixed kernel thread count. The kernels read
 * {@code unroll.threads} once, when their class initialises, so another thread count needs
 * another JVM: the same {@code java}, the same class path, the same heap and {@code -XX} flags,
 * {@code --add-modules jdk.incubator.vector} and {@code -Dunroll.threads=N}.
 */
public final class JvmPeer {
    private JvmPeer() {}

    /** The system property the kernels read their thread count from. */
    public static final String THREADS_PROPERTY = "unroll.threads";

    /** A started child JVM and what it said about itself. */
    public record Started(PeerProcess process, Map<String, Object> info) {}

    /** Starts a worker JVM whose kernels use {@code threads} threads. */
    public static Started start(int threads) {
        String name = "the " + threads + "-thread Unroll JVM";
        PeerProcess process;
        try {
            process = PeerProcess.start(name, command(threads), Map.of());
        } catch (IOException e) {
            throw new PeerException("cannot start " + name + ": " + e.getMessage(), e);
        }
        String line = process.helloLine(threads);
        if (line == null) {
            String why = process.stderrTail(2);
            process.close();
            throw new PeerException(name + " did not start" + (why.isEmpty() ? "" : ": " + why));
        }
        try {
            return new Started(process, PeerProtocol.parseHello(name, line));
        } catch (PeerException e) {
            process.close();
            throw e;
        }
    }

    /** The child's command line. */
    static List<String> command(int threads) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // the heap, GC and JIT settings carry over; agents, debuggers and our own thread count do not
            if (arg.startsWith("-XX:") || arg.startsWith("-Xmx") || arg.startsWith("-Xms") || arg.startsWith("-Xss")
                    || arg.equals("-ea") || (arg.startsWith("-Dunroll.") && !arg.startsWith("-D" + THREADS_PROPERTY + "="))) {
                cmd.add(arg);
            }
        }
        cmd.add("-D" + THREADS_PROPERTY + "=" + threads);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(WorkerMain.class.getName());
        return cmd;
    }
}
