package io.unroll.bench;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Starts the PyTorch peer, {@code peers/pytorch_bench.py} (shipped inside this jar and written to
 * a temporary file), as {@code <python> pytorch_bench.py --server}, with
 * {@code OPENBLAS_CORETYPE=SkylakeX} in that child's environment only when the CPU has AVX-512
 * (OpenBLAS 0.3.21 mistakes such a CPU for an old one; on a CPU without AVX-512 those kernels stop
 * on an illegal instruction, and its own choice is right), and shakes hands. A missing
 * Python or PyTorch fails with a one-line {@link PeerException} that says what to install; the
 * comparison never silently goes away.
 */
public final class PythonPeer {
    private PythonPeer() {}

    /** System property naming the Python executable (the {@code --python} option sets it too). */
    public static final String PYTHON_PROPERTY = "unroll.bench.python";
    /** The OpenBLAS kernel family forced for the peer on a CPU with AVX-512. */
    public static final String CORETYPE = "SkylakeX";
    /** What to install when the peer cannot run. */
    public static final String INSTALL_HINT =
            "install python3-torch and libopenblas0-openmp (apt-get install python3-torch libopenblas0-openmp)";

    private static final String SCRIPT = "peers/pytorch_bench.py";
    private static final String NAME = "the PyTorch peer";

    /**
     * The Python to use: the {@value #PYTHON_PROPERTY} property if set, else Debian's
     * {@code /usr/bin/python3} (where apt's python3-torch lives) if it exists, else
     * {@code python3} from the PATH.
     */
    public static String defaultPython() {
        String configured = System.getProperty(PYTHON_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }

    /** Whether {@code /proc/cpuinfo} lists the {@code avx512f} flag (false where it cannot be read). */
    static boolean hasAvx512() {
        String flags = MachineInfo.cpuinfoField("flags");
        return flags != null && (" " + flags + " ").contains(" avx512f ");
    }

    /** A started PyTorch peer and what it said about itself. */
    public record Started(PeerProcess process, Map<String, Object> info) {}

    /**
     * Starts the peer with {@code python} and sets PyTorch to {@code threads} threads.
     *
     * @throws PeerException (one line) if Python is missing, PyTorch cannot be imported, or the
     *                       peer does not answer the handshake
     */
    public static Started start(String python, int threads) {
        Path executable = resolve(python).orElseThrow(() -> new PeerException("--vs pytorch needs Python 3 with PyTorch, but '"
                + python + "' was not found" + (python.contains("/") ? "" : " on the PATH") + "; " + INSTALL_HINT
                + ", or name another Python with --python"));
        Path script = extractScript();
        PeerProcess process;
        try {
            process = PeerProcess.start(NAME, List.of(executable.toString(), script.toString(), "--server"),
                    hasAvx512() ? Map.of("OPENBLAS_CORETYPE", CORETYPE) : Map.of());
        } catch (IOException e) {
            throw new PeerException("--vs pytorch could not start " + executable + " (" + e.getMessage() + "); " + INSTALL_HINT, e);
        }
        String line = process.helloLine(threads);
        if (line == null) {
            String why = process.stderrTail(1);
            process.close();
            if (why.contains("No module named") || why.contains("cannot import torch")) {
                throw new PeerException("--vs pytorch needs PyTorch for " + executable + " (" + why + "); " + INSTALL_HINT);
            }
            throw new PeerException("--vs pytorch: " + executable + " " + SCRIPT + " did not start"
                    + (why.isEmpty() ? "" : " (" + why + ")") + "; " + INSTALL_HINT);
        }
        try {
            return new Started(process, PeerProtocol.parseHello(NAME, line));
        } catch (PeerException e) {
            process.close();
            throw e;
        }
    }

    /** An executable file for {@code python}: a path as it is, a bare name searched on the PATH. */
    static Optional<Path> resolve(String python) {
        if (python.contains(File.separator)) {
            Path p = Path.of(python);
            return Files.isRegularFile(p) && Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, python);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Writes the script from the jar to a temporary file that is deleted when the JVM exits. */
    private static Path extractScript() {
        try (InputStream in = PythonPeer.class.getResourceAsStream(SCRIPT)) {
            if (in == null) {
                throw new PeerException("the PyTorch peer script " + SCRIPT + " is missing from the unroll-bench jar; rebuild with ./mvnw package");
            }
            Path file = Files.createTempFile("unroll-pytorch-bench-", ".py");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            return file;
        } catch (IOException e) {
            throw new PeerException("cannot write the PyTorch peer script to a temporary file: " + e.getMessage(), e);
        }
    }
}
