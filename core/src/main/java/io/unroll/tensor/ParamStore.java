package io.unroll.tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * All parameters of a model in one {@code float[]}, their gradients in a second one of the same
 * length, each parameter a named {@link Param} view. Clipping, zeroing, optimizer steps and file
 * I/O are then single loops over two arrays.
 *
 * <p>Layers register their parameters on a {@link Builder} when they are constructed; {@link
 * Builder#build()} allocates the arrays (zero-filled) and binds every view.
 */
public final class ParamStore {
    private final float[] values; // [P]
    private final float[] grads;  // [P]
    private final List<Param> params;
    private final Map<String, Param> byName;

    private ParamStore(List<Param> params, int total) {
        this.values = new float[total];
        this.grads = new float[total];
        this.params = Collections.unmodifiableList(new ArrayList<>(params));
        Map<String, Param> map = new LinkedHashMap<>();
        for (Param p : params) {
            map.put(p.name(), p);
            p.bind(this);
        }
        this.byName = Collections.unmodifiableMap(map);
    }

    public static Builder builder() {
        return new Builder((name, shape) -> { });
    }

    /**
     * A builder that hands every declaration, its name and shape, to {@code check} before anything
     * else looks at it; {@code check} refuses one by throwing. A loader holds the shapes the layers
     * declare against a file's this way while nothing is allocated, even a shape too large for an array.
     */
    public static Builder builder(BiConsumer<String, int[]> check) {
        return new Builder(check);
    }

    /** Collects parameter declarations, then allocates one store for all of them. */
    public static final class Builder {
        private final BiConsumer<String, int[]> check;
        private final List<Param> params = new ArrayList<>();
        private final Map<String, Param> byName = new LinkedHashMap<>();
        private int total;
        private boolean built;

        private Builder(BiConsumer<String, int[]> check) {
            this.check = check;
        }

        /** Declares a parameter; its values are zero until an initialiser or a checkpoint fills them. */
        public Param add(String name, int... shape) {
            if (built) {
                throw new IllegalStateException("parameter " + name + " added after build()");
            }
            if (byName.containsKey(name)) {
                throw new IllegalArgumentException("parameter name " + name + " is declared twice");
            }
            check.accept(name, shape.clone());
            for (int d : shape) {
                Check.positive("dimension of " + name + " " + Arrays.toString(shape), d);
            }
            Param p = new Param(name, shape, total);
            if ((long) total + p.size() > Check.MAX_ARRAY_LENGTH) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "the parameters number %,d with %s %s,"
                        + " more than one float array holds (%,d); the likely cause is too many layers, or a hidden,"
                        + " input or vocabulary size too large", (long) total + p.size(), name, Arrays.toString(shape),
                        Check.MAX_ARRAY_LENGTH));
            }
            total += p.size();
            params.add(p);
            byName.put(name, p);
            return p;
        }

        /** The parameters declared so far, in order; their values and gradients exist from {@link #build()} on. */
        public List<Param> params() {
            return Collections.unmodifiableList(params);
        }

        /** The number of scalar parameters declared so far: what {@link #build()} allocates twice (values and gradients). */
        public int size() {
            return total;
        }

        public ParamStore build() {
            built = true;
            return new ParamStore(params, total);
        }
    }

    /** All values, {@code [P]}. */
    public float[] values() {
        return values;
    }

    /** All gradients, {@code [P]}. */
    public float[] grads() {
        return grads;
    }

    /** Total number of scalar parameters P. */
    public int size() {
        return values.length;
    }

    /** Parameters in declaration order. */
    public List<Param> params() {
        return params;
    }

    /** The parameter with this exact name. */
    public Param get(String name) {
        Param p = byName.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no parameter named " + name + "; the model has " + byName.keySet());
        }
        return p;
    }

    public boolean has(String name) {
        return byName.containsKey(name);
    }

    /** Sets every gradient to zero (gradients accumulate across backward calls). */
    public void zeroGrads() {
        Arrays.fill(grads, 0f);
    }
}
