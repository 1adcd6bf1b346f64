package io.unroll.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The line protocol between the harness and a peer process: the harness writes one JSON object
 * per line on the peer's stdin, the peer answers each with one JSON object on one line of its
 * stdout and nothing else (diagnostics go to stderr).
 *
 * <pre>
 * → {"op":"hello","threads":2}
 * ← {"ok":true,"op":"hello","engine":"pytorch","version":"1.13.0",...}
 * → {"op":"train","cell":"lstm","hidden":256,"batch":32,"steps":100,"input":256,"classes":64,"seed":1,"timing":{...}}
 * ← {"ok":true,"op":"train","samples":[1.2e7,...],"iterationsPerRun":1,"warmupIterations":12,"warmupSeconds":1.4}
 * → {"op":"stream","cell":"gru","hidden":32,"input":8,"seed":1,"timing":{...}}
 * ← {"ok":true,"op":"stream","samples":[2.9e4,...],"iterationsPerRun":700,...}
 * → {"op":"lab","cell":"gru","hidden":128,"batch":64,"steps":40,"input":10,"classes":10,"seed":1,"timing":{...},
 *    "data":"/tmp/unroll-lab-....safetensors","target":"class_every_step"}
 * ← {"ok":true,"op":"lab","samples":[3.1e6,...],...}
 * → {"op":"lab","cell":"lstm","hidden":128,"batch":64,"steps":100,"input":2,"outputs":1,"seed":1,"timing":{...},
 *    "data":"/tmp/unroll-lab-....safetensors","target":"real_at_last_step"}
 * ← {"ok":true,"op":"lab","samples":[5.2e6,...],...}
 * → {"op":"probe","cell":"lstm","hidden":256,"batch":1,"steps":500,"input":1,"seed":1,"timing":{...}}
 * ← {"ok":true,"op":"probe","samples":[2.4e8,...],...}
 * → {"op":"quit"}
 * ← (the peer exits)
 * </pre>
 *
 * Samples are nanoseconds per iteration; {@code timing} is a {@link Timing} with its component
 * names. A request that fails is answered {@code {"ok":false,"error":"..."}}.
 */
public final class PeerProtocol {
    private PeerProtocol() {}

    static final ObjectMapper MAPPER = JsonMapper.builder().build();

    /** One request; absent fields are left out of the line. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Request(String op, String cell, Integer hidden, Integer batch, Integer steps, Integer input,
                          Integer classes, Integer outputs, Long seed, Integer threads, Timing timing, String data,
                          String target) {

        /** {@code target} of a lab request whose task has a class at every step (the copy task). */
        public static final String CLASS_EVERY_STEP = "class_every_step";
        /** {@code target} of a lab request whose task has one real target at the last step (adding, delayed signal). */
        public static final String REAL_AT_LAST_STEP = "real_at_last_step";

        public static Request hello(int threads) {
            return new Request("hello", null, null, null, null, null, null, null, null, threads, null, null, null);
        }

        public static Request train(String cell, int hidden, int batch, int steps, int input, int classes,
                                    long seed, Timing timing) {
            return new Request("train", cell, hidden, batch, steps, input, classes, null, seed, null, timing, null, null);
        }

        public static Request stream(String cell, int hidden, int input, long seed, Timing timing) {
            return new Request("stream", cell, hidden, null, null, input, null, null, seed, null, timing, null, null);
        }

        /**
         * A lab row ({@link LabStep}) of a task with a class at every step: one-hot inputs of
         * {@code input} symbols, H, a head to {@code classes} at every step, cross-entropy, trained
         * on the batches of the safetensors file {@code data} ({@code inputs} and {@code targets},
         * I32 {@code [N, B, T]}), cycled; {@code target} is {@link #CLASS_EVERY_STEP}.
         */
        public static Request lab(String cell, int hidden, int batch, int steps, int input, int classes, long seed,
                                  Timing timing, String data) {
            return new Request("lab", cell, hidden, batch, steps, input, classes, null, seed, null, timing, data,
                    CLASS_EVERY_STEP);
        }

        /**
         * A lab row ({@link LabStep}) of a task with a real target at the last step: inputs of
         * width {@code input}, H, a head to {@code outputs} values on the last step's output, mean
         * squared error, trained on the batches of the safetensors file {@code data}
         * ({@code inputs} F32 {@code [N, B, T, I]}, {@code targets} F32 {@code [N, B, outputs]}),
         * cycled; {@code target} is {@link #REAL_AT_LAST_STEP}.
         */
        public static Request labReal(String cell, int hidden, int batch, int steps, int input, int outputs, long seed,
                                      Timing timing, String data) {
            return new Request("lab", cell, hidden, batch, steps, input, null, outputs, seed, null, timing, data,
                    REAL_AT_LAST_STEP);
        }

        /**
         * The playground's first picture of a fresh one-layer {@code cell} of {@code hidden} units on
         * one sequence of {@code steps} steps ({@link ProbeStep}), computed the PyTorch way: every
         * {@code h_t} (and {@code c_t}) kept with its gradient, backward from the last state, the
         * gradient norms, and the singular values and eigenvalues of {@code weight_hh} and its gate blocks.
         */
        public static Request probe(String cell, int hidden, int steps, long seed, Timing timing) {
            return new Request("probe", cell, hidden, 1, steps, 1, null, null, seed, null, timing, null, null);
        }

        public static Request quit() {
            return new Request("quit", null, null, null, null, null, null, null, null, null, null, null, null);
        }
    }

    /** A request as one line of JSON (no line break inside). */
    public static String encode(Request request) {
        return write(request);
    }

    /** Reads a request line (the peer side). */
    public static Request decodeRequest(String line) {
        try {
            return MAPPER.readValue(line, Request.class);
        } catch (JsonProcessingException e) {
            throw new PeerException("not a request: " + abbreviate(line) + " (" + e.getOriginalMessage() + ")", e);
        }
    }

    /** The answer line to a measurement (the peer side). */
    public static String encodeMeasurement(String op, Measurement m) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("ok", true);
        node.put("op", op);
        node.set("samples", MAPPER.valueToTree(m.samples()));
        node.put("iterationsPerRun", m.iterationsPerRun());
        node.put("warmupIterations", m.warmupIterations());
        node.put("warmupSeconds", m.warmupSeconds());
        return write(node);
    }

    /** The answer line to a hello (the peer side). */
    public static String encodeHello(Map<String, Object> info) {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("ok", true);
        answer.put("op", "hello");
        answer.putAll(info);
        return write(answer);
    }

    /** The answer line to a failed request (the peer side). */
    public static String encodeError(String message) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("ok", false);
        node.put("error", message);
        return write(node);
    }

    /**
     * Parses a measurement answer.
     *
     * @throws PeerException if the line is not JSON, reports {@code "ok": false}, or lacks the
     *                       samples (the message quotes the peer's error or the line)
     */
    public static Measurement parseMeasurement(String peer, String line) {
        JsonNode node = answer(peer, line);
        JsonNode samples = node.get("samples");
        if (samples == null || !samples.isArray() || samples.isEmpty()) {
            throw new PeerException(peer + " answered without samples: " + abbreviate(line));
        }
        double[] values = new double[samples.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode v = samples.get(i);
            if (!v.isNumber() || !(v.asDouble() > 0) || Double.isInfinite(v.asDouble())) {
                throw new PeerException(peer + " answered a sample that is not a positive number of nanoseconds: "
                        + abbreviate(line));
            }
            values[i] = v.asDouble();
        }
        return new Measurement(values, Stats.of(values), node.path("iterationsPerRun").asLong(1),
                node.path("warmupIterations").asLong(0), node.path("warmupSeconds").asDouble(0));
    }

    /** Parses a hello answer into its fields (besides {@code ok} and {@code op}), in order. */
    public static Map<String, Object> parseHello(String peer, String line) {
        JsonNode node = answer(peer, line);
        Map<String, Object> info = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> {
            if (!e.getKey().equals("ok") && !e.getKey().equals("op")) {
                info.put(e.getKey(), MAPPER.convertValue(e.getValue(), Object.class));
            }
        });
        return info;
    }

    /** The answer as a tree, after checking that it is one and that it says ok. */
    private static JsonNode answer(String peer, String line) {
        if (line == null) {
            throw new PeerException(peer + " closed its output without answering");
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new PeerException(peer + " answered something that is not JSON: " + abbreviate(line), e);
        }
        if (node == null || !node.isObject()) {
            throw new PeerException(peer + " answered something that is not a JSON object: " + abbreviate(line));
        }
        if (!node.path("ok").asBoolean(false)) {
            String error = node.path("error").asText("");
            throw new PeerException(peer + " failed: " + (error.isBlank() ? abbreviate(line) : error));
        }
        return node;
    }

    private static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + value, e);
        }
    }

    static String abbreviate(String line) {
        String one = line.strip().replaceAll("\\s+", " ");
        return one.length() <= 200 ? one : one.substring(0, 200) + "...";
    }
}
