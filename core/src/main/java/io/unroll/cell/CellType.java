package io.unroll.cell;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The recurrent cell kinds, with their number of gate blocks G in PyTorch's weight layout. */
public enum CellType {
    /** {@code h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)}. */
    RNN_TANH(1, "rnn_tanh"),
    /** {@code h_t = relu(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)}. */
    RNN_RELU(1, "rnn_relu"),
    /** Long short-term memory, gate rows i, f, g, o. */
    LSTM(4, "lstm"),
    /** Gated recurrent unit, gate rows r, z, n. */
    GRU(3, "gru");

    private final int gates;
    private final String id;

    CellType(int gates, String id) {
        this.gates = gates;
        this.id = id;
    }

    /** G: the number of H-row blocks stacked in {@code weight_ih}, {@code weight_hh} and the biases. */
    public int gates() {
        return gates;
    }

    /** The lower-case name used on the command line and in files: rnn_tanh, rnn_relu, lstm, gru. */
    public String id() {
        return id;
    }

    public boolean hasCellState() {
        return this == LSTM;
    }

    public boolean isVanilla() {
        return this == RNN_TANH || this == RNN_RELU;
    }

    /**
     * Parses a cell name: {@code rnn} (tanh), {@code rnn_tanh}, {@code rnn_relu}, {@code lstm},
     * {@code gru}, case-insensitive.
     */
    public static CellType parse(String name) {
        String key = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (key.equals("rnn")) {
            return RNN_TANH;
        }
        for (CellType t : values()) {
            if (t.id.equals(key)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown cell '" + name + "', expected one of rnn, "
                + Arrays.stream(values()).map(CellType::id).collect(Collectors.joining(", ")));
    }

    /** The vanilla RNN of the given activation ({@code tanh} or {@code relu}); other cells ignore it. */
    public static CellType vanilla(String activation) {
        String key = activation == null ? "" : activation.trim().toLowerCase(Locale.ROOT);
        switch (key) {
            case "tanh": return RNN_TANH;
            case "relu": return RNN_RELU;
            default: throw new IllegalArgumentException("unknown activation '" + activation + "', expected tanh or relu");
        }
    }
}
