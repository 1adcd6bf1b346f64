package io.unroll.stream;

import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.Check;
import io.unroll.tensor.State;
import java.time.Duration;
import java.util.Arrays;
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
 *
 * <p>Memory does not grow with the number of batch sizes: a batch of n streams runs in the
 * workspace of its size class, the next power of two at or above n, the extra rows zero inputs
 * from zero states whose results are dropped. Every row of a batch is computed by the same
 * operations whatever else the batch holds, so each stream gets exactly the values it gets when
 * stepped alone. The pool so keeps at most one workspace per size class up to the largest batch
 * (each with its own packed copy of the weights; their rows add up to less than four times the
 * largest batch), computes at most twice the rows a batch has, and once it has met every size
 * class it is stepped with, {@link #step(List, float[], float[])} allocates nothing.
 */
public final class StreamPool<K> {
    private final RecurrentConfig config;
    private final Recurrent template;
    private final LongSupplier clock;
    private final Map<K, Slot> slots = new HashMap<>();
    /** Workspace {@code i} steps batches of up to {@code 2^i} streams; null until such a batch comes. */
    private final Batch[] batches = new Batch[Integer.SIZE];
    private float[] output = new float[0]; // [n, H]: what step(keys, inputs) returns
    private long tick;

    /** One key's state: {@code h [L, H]}, {@code c [L, H]} for an LSTM, and when it was last stepped. */
    private static final class Slot {
        final float[] h;
        final float[] c;
        long lastUsed;
        long tick; // the last step that named this key, to find a key named twice without a set

        Slot(int size, boolean cell) {
            h = new float[size];
            c = cell ? new float[size] : null;
        }
    }

    /** The workspace for stepping up to {@code capacity} streams at once. */
    private static final class Batch {
        final int capacity;
        final Recurrent rnn;
        final State state;   // [L, capacity, H]
        final float[] input; // [capacity, I]

        Batch(Recurrent template, int capacity) {
            RecurrentConfig config = template.config();
            this.capacity = capacity;
            this.rnn = template.sharingParameters();
            this.state = template.zeroState(capacity);
            this.input = new float[Check.arrayLength("stream pool inputs [batch, input size]", capacity, config.inputSize())];
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
     * @return the top layer's new hidden states {@code [n, H]}, row i for {@code keys.get(i)}; valid
     *         until the next call (an array of the pool's, replaced when n changes: for no
     *         allocation at all with varying n, pass your own to {@link #step(List, float[], float[])})
     */
    public float[] step(List<K> keys, float[] inputs) {
        Check.positive("number of keys", keys.size());
        if (output.length != (long) keys.size() * config.hiddenSize()) {
            output = new float[Check.arrayLength("stream pool output [keys, hidden size]", keys.size(), config.hiddenSize())];
        }
        step(keys, inputs, output);
        return output;
    }

    /**
     * Advances every stream in {@code keys} by one step, as one batch, writing the top layer's new
     * hidden states into {@code output}. Once the pool has stepped a batch of each power-of-two
     * size class, this allocates nothing.
     *
     * @param inputs {@code [n, I]}, row i for {@code keys.get(i)}
     * @param output {@code [n, H]}, written: row i for {@code keys.get(i)}
     */
    public void step(List<K> keys, float[] inputs, float[] output) {
        int n = keys.size();
        Check.positive("number of keys", n);
        int l = config.layers();
        int h = config.hiddenSize();
        int in = config.inputSize();
        Check.shape("inputs [keys, input size]", inputs, n, in);
        Check.shape("output [keys, hidden size]", output, n, h);
        Check.finite("inputs", inputs);
        checkKeys(keys);
        Batch batch = batch(n);
        int capacity = batch.capacity;
        float[] bh = batch.state.h();
        float[] bc = batch.state.c();
        long now = clock.getAsLong();
        for (int i = 0; i < n; i++) {
            K key = keys.get(i);
            Slot slot = slots.get(key);
            if (slot == null) {
                slot = new Slot(l * h, config.cell().hasCellState());
                slots.put(key, slot);
            }
            slot.lastUsed = now;
            for (int k = 0; k < l; k++) {
                System.arraycopy(slot.h, k * h, bh, (k * capacity + i) * h, h);
                if (slot.c != null) {
                    System.arraycopy(slot.c, k * h, bc, (k * capacity + i) * h, h);
                }
            }
        }
        // the rows past n: zero inputs from zero states, computed and dropped
        System.arraycopy(inputs, 0, batch.input, 0, n * in);
        Arrays.fill(batch.input, n * in, capacity * in, 0f);
        for (int k = 0; k < l; k++) {
            Arrays.fill(bh, (k * capacity + n) * h, (k + 1) * capacity * h, 0f);
            if (bc != null) {
                Arrays.fill(bc, (k * capacity + n) * h, (k + 1) * capacity * h, 0f);
            }
        }
        Recurrent.Output out = batch.rnn.forward(batch.input, capacity, 1, batch.state);
        float[] fh = out.finalState().h();
        float[] fc = out.finalState().c();
        for (int i = 0; i < n; i++) {
            Slot slot = slots.get(keys.get(i));
            for (int k = 0; k < l; k++) {
                System.arraycopy(fh, (k * capacity + i) * h, slot.h, k * h, h);
                if (slot.c != null) {
                    System.arraycopy(fc, (k * capacity + i) * h, slot.c, k * h, h);
                }
            }
        }
        System.arraycopy(out.output(), 0, output, 0, n * h);
    }

    /**
     * No key is null and none appears twice, checked before anything changes. A key the pool knows
     * is marked with this step's number; only new keys, which allocate their state anyway, need a set.
     */
    private void checkKeys(List<K> keys) {
        tick++;
        Set<K> fresh = null;
        for (int i = 0; i < keys.size(); i++) {
            K key = keys.get(i);
            if (key == null) {
                throw new IllegalArgumentException("stream key " + i + " is null, expected a key");
            }
            Slot slot = slots.get(key);
            boolean twice;
            if (slot != null) {
                twice = slot.tick == tick;
                slot.tick = tick;
            } else {
                if (fresh == null) {
                    fresh = new HashSet<>();
                }
                twice = !fresh.add(key);
            }
            if (twice) {
                throw new IllegalArgumentException("stream key " + key + " appears twice in one step; a stream advances one step at a time");
            }
        }
    }

    /** The workspace of the size class of {@code n} streams: the next power of two at or above n. */
    private Batch batch(int n) {
        int index = n == 1 ? 0 : Integer.SIZE - Integer.numberOfLeadingZeros(n - 1);
        if (index == Integer.SIZE - 1) {
            throw new IllegalArgumentException("number of keys is " + n + ", expected at most 2^30 = " + (1 << 30)
                    + " streams in one step");
        }
        Batch batch = batches[index];
        if (batch == null) {
            batch = new Batch(template, 1 << index);
            batches[index] = batch;
        }
        return batch;
    }

    /** How many workspaces the pool holds: one per power-of-two size class it has stepped. */
    int workspaces() {
        int count = 0;
        for (Batch b : batches) {
            count += b == null ? 0 : 1;
        }
        return count;
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
