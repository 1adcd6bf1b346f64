package io.unroll.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.lab.AddingTask;
import io.unroll.lab.CopyTask;
import io.unroll.lab.DelayedSignalTask;
import io.unroll.lab.LongRangeTask;
import io.unroll.lab.TaskModel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code POST /api/train}: a live training session's settings, a JSON object whose fields are
 * named as {@code unroll lab}'s options: {@code task} (copy, adding or signal), {@code cell},
 * {@code activation}, {@code init}, {@code hidden}, {@code layers}, the task's {@code delay} or
 * {@code length}, {@code lr}, {@code steps} and {@code seed}; every one but {@code task} optional.
 * Sizes are capped as the probe's are, so a session's memory and step time stay bounded.
 */
record TrainRequest(String taskName, LongRangeTask task, CellType cell, InitScheme init, int hidden, int layers,
                    double learningRate, long steps, long seed) {
    static final int MAX_STEPS_PER_SEQUENCE = ProbeRequest.MAX_LENGTH;
    static final long MAX_TRAINING_STEPS = 100_000;
    static final long DEFAULT_TRAINING_STEPS = 20_000;
    /** The tasks' settings unless the body gives them: the copy task's delay, a length, the delayed signal's delay. */
    static final int COPY_DELAY = 20;
    static final int LENGTH = 100;
    static final int SIGNAL_DELAY = 50;

    private static final Set<String> FIELDS = Set.of("task", "cell", "activation", "init", "hidden", "layers", "delay", "length",
            "lr", "steps", "seed");

    /** The tasks a session trains on, their settings and defaults: what {@code GET /api/tasks} lists. */
    static List<Map<String, Object>> tasks() {
        List<Map<String, Object>> list = new ArrayList<>();
        list.add(task("copy", "recall 10 symbols of 8 after a delay; cross-entropy per step (nats)", Map.of("delay", COPY_DELAY),
                TaskModel.CLASS_LEARNING_RATE));
        list.add(task("adding", "add the two marked values of a sequence; squared error", Map.of("length", LENGTH),
                TaskModel.REAL_LEARNING_RATE));
        list.add(task("signal", "keep the sign of an event across a noisy series; squared error",
                Map.of("length", LENGTH, "delay", SIGNAL_DELAY), TaskModel.REAL_LEARNING_RATE));
        return list;
    }

    private static Map<String, Object> task(String name, String what, Map<String, Integer> settings, double lr) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("task", name);
        m.put("description", what);
        m.put("settings", new TreeMap<>(settings));
        m.put("lr", lr);
        return m;
    }

    /**
     * Reads the settings of a session.
     *
     * @throws BadRequest naming the first field that is missing, unknown, of the wrong type or out of range
     */
    static TrainRequest parse(String body) {
        JsonNode json;
        try {
            json = ApiJson.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new BadRequest(null, "the body is not JSON: " + e.getOriginalMessage());
        }
        if (json == null || !json.isObject()) {
            throw new BadRequest(null, "the body must be a JSON object of settings, such as {\"task\": \"copy\", \"cell\": \"gru\"}");
        }
        for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new BadRequest(f, f + " is not a field of a training session; expected some of "
                        + String.join(", ", FIELDS.stream().sorted().toList()));
            }
        }
        String name = text(json, "task", null);
        if (name == null) {
            throw new BadRequest("task", "task is missing: copy, adding or signal");
        }
        LongRangeTask task;
        try {
            task = switch (name) {
                case "copy" -> {
                    noField(json, "length", "copy");
                    yield new CopyTask(whole(json, "delay", COPY_DELAY, MAX_STEPS_PER_SEQUENCE - 20));
                }
                case "adding" -> {
                    noField(json, "delay", "adding");
                    yield new AddingTask(whole(json, "length", LENGTH, MAX_STEPS_PER_SEQUENCE));
                }
                case "signal" -> {
                    int length = whole(json, "length", LENGTH, MAX_STEPS_PER_SEQUENCE);
                    yield new DelayedSignalTask(length, whole(json, "delay", Math.min(SIGNAL_DELAY, length - 1), MAX_STEPS_PER_SEQUENCE));
                }
                default -> throw new BadRequest("task", "task is '" + name + "', expected copy, adding or signal");
            };
        } catch (BadRequest e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new BadRequest(json.has("delay") ? "delay" : "length", e.getMessage());
        }
        CellType cell;
        try {
            cell = CellType.parse(text(json, "cell", "lstm"), text(json, "activation", "tanh"));
        } catch (IllegalArgumentException e) {
            throw new BadRequest(e.getMessage().startsWith("activation") ? "activation" : "cell", e.getMessage());
        }
        InitScheme init;
        try {
            init = InitScheme.parse(text(json, "init", "pytorch"));
        } catch (IllegalArgumentException e) {
            throw new BadRequest("init", e.getMessage());
        }
        int hidden = whole(json, "hidden", 64, ProbeRequest.MAX_HIDDEN);
        int layers = whole(json, "layers", 1, ProbeRequest.MAX_LAYERS);
        double rate = json.has("lr") ? real(json, "lr") : TaskModel.learningRate(task);
        if (!(rate > 0 && rate <= 1)) {
            throw new BadRequest("lr", "lr is " + rate + ", expected a number in (0, 1]");
        }
        long steps = json.has("steps") ? whole(json, "steps", 0, (int) MAX_TRAINING_STEPS) : DEFAULT_TRAINING_STEPS;
        long seed = json.has("seed") ? integral(json, "seed") : 1;
        return new TrainRequest(name, task, cell, init, hidden, layers, rate, steps, seed);
    }

    /** The session in a line: {@code copy(delay=20): lstm, 1 x 64, init pytorch, adam lr 0.003, seed 1}. */
    String describe() {
        return String.format(Locale.ROOT, "%s: %s, %d x %d, init %s, adam lr %s, seed %d", task.name(), cell.id(), layers, hidden,
                init.id(), learningRate, seed);
    }

    private static void noField(JsonNode json, String field, String task) {
        if (json.has(field)) {
            throw new BadRequest(field, field + " is not a setting of the " + task + " task");
        }
    }

    private static String text(JsonNode json, String field, String otherwise) {
        JsonNode v = json.get(field);
        if (v == null) {
            return otherwise;
        }
        if (!v.isTextual()) {
            throw new BadRequest(field, field + " is " + v + ", expected a string");
        }
        return v.asText();
    }

    private static int whole(JsonNode json, String field, int otherwise, int max) {
        if (!json.has(field)) {
            return otherwise;
        }
        long n = integral(json, field);
        if (n < 1 || n > max) {
            throw new BadRequest(field, field + " is " + n + ", expected 1 to " + max);
        }
        return (int) n;
    }

    private static long integral(JsonNode json, String field) {
        JsonNode v = json.get(field);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new BadRequest(field, field + " is " + v + ", expected a whole number");
        }
        return v.asLong();
    }

    private static double real(JsonNode json, String field) {
        JsonNode v = json.get(field);
        if (!v.isNumber()) {
            throw new BadRequest(field, field + " is " + v + ", expected a number");
        }
        return v.asDouble();
    }
}
