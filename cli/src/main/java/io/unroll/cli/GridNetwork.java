package io.unroll.cli;

import java.util.Arrays;

/**
 * A network of {@code unroll lab grid}: a cell, its activation and its initialisation, as the
 * single lab commands' {@code --cell}, {@code --activation} and {@code --init} name them.
 */
enum GridNetwork {
    TANH("tanh", "tanh RNN, gaussian", "rnn", "tanh", "gaussian"),
    ORTHOGONAL("orthogonal", "tanh RNN, orthogonal", "rnn", "tanh", "orthogonal"),
    IRNN("irnn", "IRNN (ReLU, identity)", "rnn", "relu", "identity"),
    INDRNN("indrnn", "IndRNN (ReLU)", "indrnn", "relu", "pytorch"),
    LSTM("lstm", "LSTM, forget bias 1", "lstm", "tanh", "pytorch"),
    GRU("gru", "GRU", "gru", "tanh", "pytorch");

    final String id;
    final String label;
    final String cell;
    final String activation;
    final String init;

    GridNetwork(String id, String label, String cell, String activation, String init) {
        this.id = id;
        this.label = label;
        this.cell = cell;
        this.activation = activation;
        this.init = init;
    }

    /** The network named {@code id}, or null. */
    static GridNetwork byId(String id) {
        return Arrays.stream(values()).filter(p -> p.id.equals(id)).findFirst().orElse(null);
    }
}
