package io.unroll.layer;

import io.unroll.init.Weights;
import io.unroll.kernel.Kernels;
import io.unroll.tensor.Check;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;

/**
 * A fully connected layer, PyTorch's {@code nn.Linear}: {@code y = x Wᵀ + b} with
 * {@code weight [out, in]} and {@code bias [out]}, applied to N rows at once (for a sequence model
 * N = B·T). Backward: {@code dW += dyᵀ x}, {@code db += Σ_rows dy}, {@code dx = dy W}.
 *
 * <p>Keeps a reference to the last input for backward and owns its output and input-gradient
 * buffers, reused while the row count stays the same, and its packed weights, all allocated by
 * the first forward ({@link #workspaceFloats}). Not thread-safe.
 */
public final class Linear {
    private final int inputSize;
    private final int outputSize;
    private final Param weight; // [out, in]
    private final Param bias;   // [out]
    private float[] weightTPanels; // Wᵀ [in, out] in panels, packed at each forward
    private float[] input;      // [N, in], the caller's array of the last forward
    private int rows;
    private float[] output;     // [N, out]
    private float[] dInput;     // [N, in]

    public Linear(ParamStore.Builder params, String prefix, int inputSize, int outputSize) {
        this.inputSize = Check.positive("linear input size", inputSize);
        this.outputSize = Check.positive("linear output size", outputSize);
        this.weight = params.add(prefix + "weight", outputSize, inputSize);
        this.bias = params.add(prefix + "bias", outputSize);
    }

    public Param weight() {
        return weight;
    }

    public Param bias() {
        return bias;
    }

    public int outputSize() {
        return outputSize;
    }

    /**
     * PyTorch's default initialisation of {@code nn.Linear}: the weight, then the bias, each
     * uniform in {@code ±1/√in}, drawn from {@code rng} in that order.
     */
    public void initUniform(Rng rng) {
        double bound = 1 / Math.sqrt(inputSize);
        Weights.uniform(weight, bound, rng);
        Weights.uniform(bias, bound, rng);
    }

    /** {@code y [N, out] = x [N, in] Wᵀ + b}; the result is valid until the next call. */
    public float[] forward(float[] x, int rows) {
        Check.positive("rows", rows);
        Check.shape("linear input [rows, input size]", x, rows, inputSize);
        if (output == null || this.rows != rows) {
            output = new float[Check.arrayLength("linear output [rows, output size]", rows, outputSize)];
            dInput = new float[rows * inputSize]; // the size of x, checked above
            this.rows = rows;
        }
        if (weightTPanels == null) {
            weightTPanels = new float[weight.size()];
        }
        input = x;
        Kernels.packPanels(weightTPanels, 0, weight.data(), weight.offset(), inputSize, outputSize, true);
        Kernels.gemmNNPanels(output, 0, x, 0, weightTPanels, 0, rows, outputSize, inputSize);
        Kernels.addRowVector(output, 0, bias.data(), bias.offset(), rows, outputSize);
        return output;
    }

    /** Floats forward allocates for {@code rows} rows: the output, the input gradient and the packed weights. */
    public long workspaceFloats(long rows) {
        return rows * (outputSize + inputSize) + (long) inputSize * outputSize;
    }

    /** Accumulates the parameter gradients and returns {@code dx [N, in]} for {@code dy [N, out]}. */
    public float[] backward(float[] dy) {
        if (input == null) {
            throw new IllegalStateException("backward called before forward: run forward on the batch first");
        }
        Check.shape("linear output gradient [rows, output size]", dy, rows, outputSize);
        Kernels.gemmTNAdd(weight.grad(), weight.offset(), dy, 0, input, 0, outputSize, inputSize, rows);
        Kernels.addColumnSums(bias.grad(), bias.offset(), dy, 0, rows, outputSize);
        Kernels.gemmNN(dInput, 0, dy, 0, weight.data(), weight.offset(), rows, inputSize, outputSize);
        return dInput;
    }
}
