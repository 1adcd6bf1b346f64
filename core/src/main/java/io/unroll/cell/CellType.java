package io.unroll.cell;

import io.unroll.tensor.ParamStore;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The registry of recurrent cells: each kind with the facts the rest of the library asks about it
 * (its name, its number of gate blocks G in PyTorch's weight layout, whether it carries a cell
 * state) and how to make one. Everything else about a cell (parameters, buffers, bias rules, the
 * steps forward and backward, streaming, cost) is in its own class. Adding a cell is a class and a
 * line here.
 */
public enum CellType {
    /** {@code h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)}: {@link RnnCell}. */
    RNN_TANH("rnn", Activation.TANH, 1, false, RnnCell::new),
    /** {@code h_t = relu(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)}: {@link RnnCell}. */
    RNN_RELU("rnn", Activation.RELU, 1, false, RnnCell::new),
    /** Long short-term memory, gate rows i, f, g, o: {@link LstmCell}. */
    LSTM("lstm", null, 4, true, LstmCell::new),
    /** Gated recurrent unit, gate rows r, z, n: {@link GruCell}. */
    GRU("gru", null, 3, false, GruCell::new),
    /** {@code h_t = relu(W_ih x_t + b_ih + u ⊙ h_{t-1} + b_hh)}, a recurrent vector u: {@link IndRnnCell}. */
    INDRNN_RELU("indrnn", Activation.RELU, 1, false, IndRnnCell::new),
    /** {@code h_t = tanh(W_ih x_t + b_ih + u ⊙ h_{t-1} + b_hh)}: {@link IndRnnCell}. */
    INDRNN_TANH("indrnn", Activation.TANH, 1, false, IndRnnCell::new);

    /** Makes a cell of a kind, declaring its parameters on a store. */
    @FunctionalInterface
    interface Factory {
        Cell create(CellType type, ParamStore.Builder params, String prefix, CellShape shape);
    }

    private final String family;
    private final Activation activation;
    private final int gates;
    private final boolean cellState;
    private final Factory factory;

    CellType(String family, Activation activation, int gates, boolean cellState, Factory factory) {
        this.family = family;
        this.activation = activation;
        this.gates = gates;
        this.cellState = cellState;
        this.factory = factory;
    }

    /** G: the number of H-row blocks stacked in {@code weight_ih} and the biases. */
    public int gates() {
        return gates;
    }

    /**
     * The lower-case name used on the command line and in checkpoints: the family, then the
     * activation where there is a choice ({@code rnn_tanh}, {@code lstm}, ...).
     */
    public String id() {
        return activation == null ? family : family + "_" + activation.id();
    }

    /** The family without the activation: {@code rnn}, {@code lstm}, ... */
    public String family() {
        return family;
    }

    /** The chosen non-linearity φ, or null for cells whose gate non-linearities are fixed. */
    public Activation activation() {
        return activation;
    }

    /** Whether the state carries a cell state c besides h (the LSTM). */
    public boolean hasCellState() {
        return cellState;
    }

    /** A new cell of this kind for one layer, its parameters declared on {@code params} under {@code prefix}. */
    public Cell create(ParamStore.Builder params, String prefix, CellShape shape) {
        return factory.create(this, params, prefix, shape);
    }

    /** Every cell id, comma-separated, for help texts and messages. */
    public static String ids() {
        return Arrays.stream(values()).map(CellType::id).collect(Collectors.joining(", "));
    }

    /**
     * The cell with this exact id ({@code rnn_tanh}, {@code rnn_relu}, {@code lstm}, {@code gru},
     * ...; case-insensitive). A family alone that needs an activation ({@code rnn}) is refused:
     * use {@link #parse(String, String)}.
     */
    public static CellType parse(String id) {
        String key = normalized(id);
        for (CellType t : values()) {
            if (t.id().equals(key)) {
                return t;
            }
        }
        for (CellType t : values()) {
            if (t.family.equals(key)) {
                throw new IllegalArgumentException("cell '" + id + "' needs an activation: say " + key + "_tanh or "
                        + key + "_relu (PyTorch's nn.RNN uses tanh unless told otherwise)");
            }
        }
        throw new IllegalArgumentException("unknown cell '" + id + "', expected one of " + ids());
    }

    /**
     * The cell named by a family and an activation, as PyTorch's {@code nn.RNN(nonlinearity=...)}:
     * {@code ("rnn", "relu")} is {@link #RNN_RELU}; a full id ({@code "rnn_relu"}, {@code "lstm"})
     * is taken as it is. The activation must be null or tanh for a cell without a choice.
     */
    public static CellType parse(String name, String activation) {
        String key = normalized(name);
        String act = normalized(activation);
        for (CellType t : values()) {
            if (t.id().equals(key)) {
                if (!act.isEmpty() && !(t.activation == null ? act.equals("tanh") : act.equals(t.activation.id()))) {
                    throw new IllegalArgumentException("activation " + activation + " does not apply to cell " + t.id()
                            + (t.activation == null ? ": its gate non-linearities are fixed" : ", which is " + t.activation.id()));
                }
                return t;
            }
        }
        for (CellType t : values()) {
            if (t.family.equals(key) && t.activation != null && t.activation.id().equals(act.isEmpty() ? "tanh" : act)) {
                return t;
            }
        }
        for (CellType t : values()) {
            if (t.family.equals(key)) {
                throw new IllegalArgumentException("unknown activation '" + activation + "' for cell " + key + ", expected tanh or relu");
            }
        }
        throw new IllegalArgumentException("unknown cell '" + name + "', expected one of " + ids() + " or a family with an activation");
    }

    /** Trimmed and lower-case; null as empty. */
    private static String normalized(String name) {
        return name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    }
}
