package io.unroll.stream;

import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.Check;
import io.unroll.tensor.State;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Many independent streams of one recurrent stack, each with its own state under a key (a sensor, a
 * user, a ticker). {@link #step(List, float[])} advances a set of streams together as one batch,
 * which is one call of the stack's time loop with B = the number of keys and T = 1: each stream's
 * state is gathered into the batch, stepped and scattered back, so no state leaks from one key to
 * another. A key seen for the first time starts from zeros; {@link #evictIdle} forgets keys not
 * stepped for a while. Not thread-safe.
 */
public final class StreamPool<K> {
    private final RecurrentConfig config;
    private final Recurrent template;
    private final LongSupplier clock;
    private final Map<K, Slot> slots = new HashMap<>();
    private final Map<Integer, Batch> batches = new HashMap<>();
    private final Set<K> seen = new HashSet<>();

    /** One key's state: {@code h [L, H]}, {@code c [L, H]} for an LSTM, and when it was last stepped. */
    private static final class Slot {
        final float[] h;
        final float[] c;
        long lastUsed;

        Slot(int size, boolean cell) {
            h = new float[size];
            c = cell ? new float[size] : null;
        }
    }

    /** The workspace for stepping {@code n} streams at once. */
    private static final class Batch {
        final Recurrent rnn;
        final State state; // [L, n, H]

        Batch(Recurrent rnn, State state) {
            this.rnn = rnn;
            this.state = state;
        }
    }

    /** A pool on {@code model}'s parameters, timing idleness with {@link System#nanoTime()}. */
    public StreamPool(Recurrent model) {
        this(model, System::nanoTime);
    }

    /** A pool whose idleness is measured with {@code nanoClock} (tests pass a fake clock). */
    public StreamPool(Recurrent model, LongSupplier nanoClock) {
        this.config = model.config();
        this.template = model;
        this.clock = nanoClock;
    }

    /**
     * Advances every stream in {@code keys} by one step, as one batch.
     *
     * @param inputs {@code [n, I]}, row i for {@code keys.get(i)}
     * @return the top layer's new hidden states {@code [n, H]}, row i for {@code keys.get(i)}; valid until the next call
     */
    public float[] step(List<K> keys, float[] inputs) {
        int n = keys.size();
        Check.positive("number of keys", n);
        int l = config.layers();
        int h = config.hiddenSize();
        seen.clear();
        for (K key : keys) {
            if (key == null) {
                throw new IllegalArgumentException("a stream key is null");
            }
            if (!seen.add(key)) {
                throw new IllegalArgumentException("stream key " + key + " appears twice in one step; a stream advances one step at a time");
            }
        }
        Batch batch = batches.computeIfAbsent(n, size -> new Batch(template.sharingParameters(),
                State.zeros(l, size, h, config.cell().hasCellState())));
        long now = clock.getAsLong();
        for (int i = 0; i < n; i++) {
            Slot slot = slots.computeIfAbsent(keys.get(i), k -> new Slot(l * h, config.cell().hasCellState()));
            slot.lastUsed = now;
            for (int k = 0; k < l; k++) {
                System.arraycopy(slot.h, k * h, batch.state.h(), (k * n + i) * h, h);
                if (slot.c != null) {
                    System.arraycopy(slot.c, k * h, batch.state.c(), (k * n + i) * h, h);
                }
            }
        }
        Recurrent.Output out = batch.rnn.forward(inputs, n, 1, batch.state);
        for (int i = 0; i < n; i++) {
            Slot slot = slots.get(keys.get(i));
            for (int k = 0; k < l; k++) {
                System.arraycopy(out.finalState().h(), (k * n + i) * h, slot.h, k * h, h);
                if (slot.c != null) {
                    System.arraycopy(out.finalState().c(), (k * n + i) * h, slot.c, k * h, h);
                }
            }
        }
        return out.output();
    }

    /** Advances one stream by one step; returns its new top hidden state {@code [H]}. */
    public float[] step(K key, float[] input) {
        return step(List.of(key), input);
    }

    /** Starts {@code key}'s stream over from zeros. */
    public void reset(K key) {
        slots.remove(key);
    }

    /** Whether {@code key} has a live stream. */
    public boolean contains(K key) {
        return slots.containsKey(key);
    }

    /** Number of live streams. */
    public int size() {
        return slots.size();
    }

    /** A copy of {@code key}'s state {@code [L, 1, H]}. */
    public State state(K key) {
        Slot slot = slots.get(key);
        if (slot == null) {
            throw new IllegalArgumentException("no stream for key " + key);
        }
        return new State(config.layers(), 1, config.hiddenSize(), slot.h.clone(), slot.c == null ? null : slot.c.clone());
    }

    /** Forgets every stream not stepped within {@code maxIdle}; returns how many were evicted. */
    public int evictIdle(Duration maxIdle) {
        if (maxIdle.isNegative()) {
            throw new IllegalArgumentException("max idle time is " + maxIdle + ", expected zero or more");
        }
        long now = clock.getAsLong();
        long limit = maxIdle.toNanos();
        int evicted = 0;
        for (Iterator<Slot> it = slots.values().iterator(); it.hasNext(); ) {
            if (now - it.next().lastUsed > limit) {
                it.remove();
                evicted++;
            }
        }
        return evicted;
    }
}
