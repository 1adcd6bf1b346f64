package io.unroll.bench;

import io.unroll.cell.CellType;
import io.unroll.kernel.Kernels;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The Unroll side of {@link PeerProtocol} as a process: {@link JvmPeer} runs it in a child JVM to
 * measure with another kernel thread count. Reads one request per line from stdin, answers one
 * line on stdout, ends on {@code quit} or end of input. Nothing else is written to stdout.
 */
public final class WorkerMain {
    private WorkerMain() {}

    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            String answer;
            try {
                PeerProtocol.Request request = PeerProtocol.decodeRequest(line);
                if ("quit".equals(request.op())) {
                    return;
                }
                answer = handle(request);
            } catch (RuntimeException e) {
                answer = PeerProtocol.encodeError(e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            out.println(answer);
        }
    }

    /** Answers one request (not {@code quit}). */
    static String handle(PeerProtocol.Request r) {
        switch (String.valueOf(r.op())) {
            case "hello":
                return PeerProtocol.encodeHello(Map.of("engine", "unroll",
                        "java", System.getProperty("java.version"),
                        "threadsProperty", String.valueOf(System.getProperty(JvmPeer.THREADS_PROPERTY)),
                        "kernels", Kernels.implementation(),
                        "kernelThreads", Kernels.threads()));
            case "train": {
                TrainingStep step = new TrainingStep(CellType.parse(r.cell()), r.hidden(), r.batch(), r.steps(),
                        r.classes(), r.seed());
                return PeerProtocol.encodeMeasurement("train", Measure.run(r.timing(), step::run).measurement());
            }
            case "stream": {
                StreamingStep step = new StreamingStep(CellType.parse(r.cell()), r.hidden(), r.input(), r.seed());
                return PeerProtocol.encodeMeasurement("stream", Measure.run(r.timing(), step::run).measurement());
            }
            default:
                throw new IllegalArgumentException("unknown op '" + r.op() + "', expected hello, train, stream or quit");
        }
    }
}
