package io.unroll.web;

import io.unroll.cell.CellType;
import io.unroll.flow.FlowProbe;
import io.unroll.flow.FreshStack;
import io.unroll.flow.GradientDecay;
import io.unroll.init.InitScheme;
import io.unroll.tensor.Rng;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code GET /api/probe}: one configuration of a fresh stack, read from query parameters named as
 * {@code unroll flow}'s options, and its figures, the document {@code unroll flow --json} writes
 * for the same options. Sizes are capped ({@link #MAX_LENGTH}, {@link #MAX_HIDDEN},
 * {@link #MAX_LAYERS}) so that no request can ask for unbounded work or memory.
 *
 * @param stack     the configuration
 * @param seed      the seed of the weights and the input sequence
 * @param jacobians whether to measure the Jacobian norms, which take nearly all of a probe's time
 *                  ({@code jacobians=false} leaves their entries out and answers in a fraction of it)
 */
record ProbeRequest(FreshStack stack, long seed, boolean jacobians) {
    static final int MAX_LENGTH = 500;
    static final int MAX_HIDDEN = 256;
    static final int MAX_LAYERS = 3;
    /** {@code unroll flow}'s default seed, length and hidden size. */
    static final long DEFAULT_SEED = 7;
    static final int DEFAULT_LENGTH = 80;
    static final int DEFAULT_HIDDEN = 64;
    /** The random stream: the library's own, as {@code unroll flow} uses by default. */
    static final String RNG = "default";

    private static final Set<String> FIELDS = Set.of("cell", "activation", "length", "hidden", "layers", "init", "scale",
            "spectral-radius", "forget-bias", "seed", "jacobians");

    /**
     * Reads a configuration from query parameters; every one is optional and takes
     * {@code unroll flow}'s default.
     *
     * @throws BadRequest naming the first field that is unknown, repeated, not a number, or out of range
     */
    static ProbeRequest parse(Map<String, List<String>> query) {
        for (Map.Entry<String, List<String>> e : query.entrySet()) {
            if (!FIELDS.contains(e.getKey())) {
                throw new BadRequest(e.getKey(), e.getKey() + " is not a field of a probe; expected some of " + String.join(", ",
                        FIELDS.stream().sorted().toList()));
            }
            if (e.getValue().size() != 1) {
                throw new BadRequest(e.getKey(), e.getKey() + " is given " + e.getValue().size() + " times, expected once");
            }
        }
        CellType cell = parsed("cell", () -> CellType.parse(text(query, "cell", "rnn"), text(query, "activation", "tanh")));
        InitScheme init = parsed("init", () -> InitScheme.parse(text(query, "init", "gaussian")));
        int length = whole(query, "length", DEFAULT_LENGTH, MAX_LENGTH);
        int hidden = whole(query, "hidden", DEFAULT_HIDDEN, MAX_HIDDEN);
        int layers = whole(query, "layers", 1, MAX_LAYERS);
        Double scale = real(query, "scale");
        Double radius = real(query, "spectral-radius");
        Double forgetBias = real(query, "forget-bias");
        if (scale != null && radius != null) {
            throw new BadRequest("spectral-radius", "scale and spectral-radius both set the size of W_hh; give one");
        }
        long seed = query.containsKey("seed") ? longValue("seed", text(query, "seed", null)) : DEFAULT_SEED;
        double gain = radius != null ? 1.0 : scale != null ? scale : GradientDecay.defaultScale(init);
        FreshStack stack = parsed("scale", () -> new FreshStack(cell, 1, hidden, layers, length, init, gain, radius, forgetBias));
        String jacobians = text(query, "jacobians", "true");
        if (!jacobians.equals("true") && !jacobians.equals("false")) {
            throw new BadRequest("jacobians", "jacobians is '" + jacobians + "', expected true or false");
        }
        return new ProbeRequest(stack, seed, jacobians.equals("true"));
    }

    /**
     * The figures of this configuration, as {@code unroll flow --json} writes them (without the
     * Jacobians' entries if so asked). A probe without them is kept in {@code firstPictures}; a
     * probe with them starts from a kept one of the same configuration and seed if there is one.
     */
    Map<String, Object> answer(FirstPictures firstPictures) {
        Rng rng = Rng.create(RNG, seed);
        FreshStack.Drawn drawn = stack.draw(rng);
        FlowProbe probe;
        if (!jacobians) {
            probe = FlowProbe.withoutJacobians(drawn.stack(), drawn.input(), null);
            firstPictures.put(stack, seed, probe);
        } else {
            FlowProbe first = firstPictures.get(stack, seed);
            probe = first != null ? first.withJacobians(drawn.stack(), drawn.input(), null)
                    : FlowProbe.of(drawn.stack(), drawn.input(), null);
        }
        return probe.document(stack.describe(rng.mode(), seed));
    }

    /**
     * The library's own check of a value, its message kept and the field named: {@code field}, or
     * the field the message starts with ({@code activation is ...}, {@code forget bias is ...}).
     */
    private static <T> T parsed(String field, Supplier<T> parse) {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            String which = m.startsWith("activation") ? "activation" : m.startsWith("forget bias") ? "forget-bias"
                    : m.startsWith("spectral radius") ? "spectral-radius" : field;
            throw new BadRequest(which, m);
        }
    }

    private static String text(Map<String, List<String>> query, String field, String otherwise) {
        List<String> v = query.get(field);
        return v == null ? otherwise : v.get(0);
    }

    private static int whole(Map<String, List<String>> query, String field, int otherwise, int max) {
        String v = text(query, field, null);
        if (v == null) {
            return otherwise;
        }
        long n = longValue(field, v);
        if (n < 1 || n > max) {
            throw new BadRequest(field, field + " is " + v + ", expected 1 to " + max);
        }
        return (int) n;
    }

    private static long longValue(String field, String v) {
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new BadRequest(field, field + " is '" + v + "', expected a whole number");
        }
    }

    private static Double real(Map<String, List<String>> query, String field) {
        String v = text(query, field, null);
        if (v == null) {
            return null;
        }
        try {
            double d = Double.parseDouble(v.trim());
            if (!Double.isFinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new BadRequest(field, field + " is '" + v + "', expected a finite number");
        }
    }
}
