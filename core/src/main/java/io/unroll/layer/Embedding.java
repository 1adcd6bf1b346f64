package io.unroll.layer;

import io.unroll.tensor.Check;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;

/**
 * A lookup table, PyTorch's {@code nn.Embedding}: row {@code id} of {@code weight [V, E]} for every
 * token id. Backward scatters: {@code dW[id] += dy} for each position.
 */
public final class Embedding {
    private final int vocabularySize;
    private final int dimension;
    private final Param weight; // [V, E]
    private int[] ids;          // [N], the caller's array of the last forward
    private float[] output;     // [N, E]

    public Embedding(ParamStore.Builder params, String prefix, int vocabularySize, int dimension) {
        this.vocabularySize = Check.positive("vocabulary size", vocabularySize);
        this.dimension = Check.positive("embedding dimension", dimension);
        this.weight = params.add(prefix + "weight", vocabularySize, dimension);
    }

    public Param weight() {
        return weight;
    }

    public int dimension() {
        return dimension;
    }

    /** {@code y [N, E]} for token ids {@code [N]} in {@code [0, V)}; valid until the next call. */
    public float[] forward(int[] ids) {
        if (ids == null || ids.length == 0) {
            throw new IllegalArgumentException("token ids are " + (ids == null ? "missing (null)" : "empty")
                    + ", expected at least one id in [0, " + vocabularySize + ")");
        }
        Check.ids("token ids", ids, vocabularySize, "vocabulary size");
        if (output == null || output.length != (long) ids.length * dimension) {
            output = new float[Check.arrayLength("embedding output [positions, dimension]", ids.length, dimension)];
        }
        this.ids = ids;
        float[] w = weight.data();
        for (int n = 0; n < ids.length; n++) {
            System.arraycopy(w, weight.offset() + ids[n] * dimension, output, n * dimension, dimension);
        }
        return output;
    }

    /** Accumulates {@code dW[id] += dy[n]} for the ids of the last forward. */
    public void backward(float[] dy) {
        if (ids == null) {
            throw new IllegalStateException("backward called before forward: run forward on the batch first");
        }
        Check.shape("embedding output gradient [positions, dimension]", dy, ids.length, dimension);
        float[] g = weight.grad();
        for (int n = 0; n < ids.length; n++) {
            int row = weight.offset() + ids[n] * dimension;
            for (int e = 0; e < dimension; e++) {
                g[row + e] += dy[n * dimension + e];
            }
        }
    }
}
