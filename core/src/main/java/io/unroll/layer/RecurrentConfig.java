package io.unroll.layer;

import io.unroll.cell.CellType;
import io.unroll.tensor.Check;

/**
 * The shape of a recurrent stack, as PyTorch's {@code nn.RNN/LSTM/GRU(input_size, hidden_size,
 * num_layers, bias)} with {@code batch_first=True}. {@code biasIh}/{@code biasHh} say which bias
 * vectors exist: PyTorch has both or neither; the from-scratch RNN of the "hello world!" experiment
 * (docs/spec.md) has a single hidden bias, which is {@code biasIh} alone.
 */
public record RecurrentConfig(CellType cell, int inputSize, int hiddenSize, int layers, boolean biasIh, boolean biasHh) {
    public RecurrentConfig {
        if (cell == null) {
            throw new IllegalArgumentException("cell type is missing (null), expected one of " + CellType.ids());
        }
        Check.positive("input size", inputSize);
        Check.positive("hidden size", hiddenSize);
        Check.positive("layers", layers);
    }

    /** PyTorch's default: both biases. */
    public static RecurrentConfig of(CellType cell, int inputSize, int hiddenSize, int layers) {
        return new RecurrentConfig(cell, inputSize, hiddenSize, layers, true, true);
    }

    public RecurrentConfig withBiases(boolean ih, boolean hh) {
        return new RecurrentConfig(cell, inputSize, hiddenSize, layers, ih, hh);
    }

    /** Input width of layer k: {@code inputSize} for the first, {@code hiddenSize} above it. */
    public int layerInputSize(int k) {
        return k == 0 ? inputSize : hiddenSize;
    }
}
