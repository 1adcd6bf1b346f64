package io.unroll.web;

import io.unroll.flow.FlowProbe;
import io.unroll.flow.FreshStack;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The last first pictures the server computed (probes without the Jacobian norms), so that the
 * whole picture a page asks for next adds only the Jacobians instead of computing everything
 * again. A configuration and its seed give the same stack and sequence every time, so a kept probe
 * is the one a fresh draw would give. At most {@link #CAPACITY} are kept, the least recently used
 * dropped first; thread-safe.
 */
final class FirstPictures {
    /** Probes kept: a few pages' worth, each well under a megabyte at the largest sizes. */
    static final int CAPACITY = 16;

    private record Key(FreshStack stack, long seed) {}

    private final Map<Key, FlowProbe> kept = new LinkedHashMap<>(CAPACITY, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, FlowProbe> eldest) {
            return size() > CAPACITY;
        }
    };

    synchronized void put(FreshStack stack, long seed, FlowProbe withoutJacobians) {
        kept.put(new Key(stack, seed), withoutJacobians);
    }

    /** The first picture of this configuration and seed, or null if none is kept. */
    synchronized FlowProbe get(FreshStack stack, long seed) {
        return kept.get(new Key(stack, seed));
    }

    synchronized int size() {
        return kept.size();
    }
}
