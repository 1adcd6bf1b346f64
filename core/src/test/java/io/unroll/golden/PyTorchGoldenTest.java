package io.unroll.golden;

import static io.unroll.reference.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.unroll.cell.CellType;
import io.unroll.io.Safetensors;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.SequenceModel;
import io.unroll.layer.SequenceRegressor;
import io.unroll.reference.Fixtures;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.State;
import java.io.IOException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engine against PyTorch 1.13's {@code nn.RNN/LSTM/GRU} (float64, fixtures written by
 * {@code tools/reference/make_golden.py}): outputs, final states, the loss and every parameter,
 * input and initial-state gradient, within {@code 1e-4·|expected| + 1e-5}. Parameters are loaded by
 * their PyTorch {@code state_dict} names, which pins our naming and gate order. A missing fixture
 * fails. The regression fixtures ({@code tools/reference/make_regression_golden.py}) hold float32
 * values in float64, so there the same bound measures Unroll's float32 arithmetic alone.
 */
class PyTorchGoldenTest {
    private static final double REL = 1e-4;
    private static final double ABS = 1e-5;
    private static final String DIR = "src/test/resources/golden";

    private static Safetensors.Contents open(String name) throws IOException {
        return Fixtures.open(DIR + "/" + name + ".safetensors", "tools/reference/make_golden.py");
    }

    /** Loads every parameter of the store from the fixture by name; returns how many were loaded. */
    private static int load(ParamStore store, Safetensors.Contents f) throws IOException {
        int loaded = 0;
        for (Param p : store.params()) {
            p.set(f.shape(p.name()), f.floats(p.name()));
            loaded++;
        }
        return loaded;
    }

    private static void assertGrads(String fixture, ParamStore store, Safetensors.Contents f) throws IOException {
        for (Param p : store.params()) {
            assertClose(fixture + " grad." + p.name(), f.doubles("grad." + p.name()), p.copyGrad(), REL, ABS);
        }
    }

    private static double dot(float[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @ParameterizedTest
    @ValueSource(strings = {"rnn_tanh_l1", "rnn_tanh_l2", "rnn_relu_l1", "rnn_relu_l2", "lstm_l1", "lstm_l2", "gru_l1", "gru_l2",
        "indrnn_relu_l1", "indrnn_relu_l2", "indrnn_tanh_l1", "indrnn_tanh_l2"})
    void recurrentStackMatchesPyTorch(String fixture) throws IOException {
        Safetensors.Contents f = open(fixture);
        CellType cell = CellType.parse(f.metadata().get("cell"));
        int layers = Integer.parseInt(f.metadata().get("layers"));
        int[] inputShape = f.shape("input");
        int batch = inputShape[0];
        int steps = inputShape[1];
        int hidden = f.shape("h0")[2];
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent rnn = new Recurrent(pb, "", RecurrentConfig.of(cell, inputShape[2], hidden, layers));
        ParamStore store = pb.build();
        assertEquals(4 * layers, load(store, f));

        boolean lstm = cell.hasCellState();
        State initial = new State(layers, batch, hidden, f.floats("h0"), lstm ? f.floats("c0") : null);
        Recurrent.Output out = rnn.forward(f.floats("input"), batch, steps, initial);
        assertClose(fixture + " output", f.doubles("output"), out.output(), REL, ABS);
        assertClose(fixture + " h_n", f.doubles("h_n"), out.finalState().h(), REL, ABS);
        double loss = dot(out.output(), f.doubles("loss_weight_output")) + dot(out.finalState().h(), f.doubles("loss_weight_h_n"));
        if (lstm) {
            assertClose(fixture + " c_n", f.doubles("c_n"), out.finalState().c(), REL, ABS);
            loss += dot(out.finalState().c(), f.doubles("loss_weight_c_n"));
        }
        assertClose(fixture + " loss", f.doubles("loss"), new float[] {(float) loss}, REL, ABS);

        State dFinal = new State(layers, batch, hidden, f.floats("loss_weight_h_n"), lstm ? f.floats("loss_weight_c_n") : null);
        Recurrent.Gradients g = rnn.backward(f.floats("loss_weight_output"), dFinal);
        assertClose(fixture + " grad.input", f.doubles("grad.input"), g.dInput(), REL, ABS);
        assertClose(fixture + " grad.h0", f.doubles("grad.h0"), g.dInitialState().h(), REL, ABS);
        if (lstm) {
            assertClose(fixture + " grad.c0", f.doubles("grad.c0"), g.dInitialState().c(), REL, ABS);
        }
        assertGrads(fixture, store, f);
    }

    @ParameterizedTest
    @ValueSource(strings = {"model_rnn_ce", "model_lstm_ce", "model_gru_ce"})
    void embeddingRecurrentHeadCrossEntropyMatchesPyTorch(String fixture) throws IOException {
        Safetensors.Contents f = open(fixture);
        CellType cell = CellType.parse(f.metadata().get("cell"));
        int layers = Integer.parseInt(f.metadata().get("layers"));
        int vocabulary = Integer.parseInt(f.metadata().get("vocab_size"));
        int embed = Integer.parseInt(f.metadata().get("embedding_dim"));
        int hidden = Integer.parseInt(f.metadata().get("hidden_size"));
        int[] shape = f.shape("tokens");
        ParamStore.Builder pb = ParamStore.builder();
        SequenceModel model = SequenceModel.embedded(pb, vocabulary, RecurrentConfig.of(cell, embed, hidden, layers));
        ParamStore store = pb.build();
        assertEquals(f.names().stream().filter(n -> !n.startsWith("grad.")
                && !n.equals("tokens") && !n.equals("targets") && !n.equals("logits") && !n.equals("loss")).count(),
                load(store, f), "every PyTorch parameter has an Unroll twin of the same name");

        double loss = model.forward(f.ints("tokens"), f.ints("targets"), null, shape[0], shape[1], null);
        assertClose(fixture + " logits", f.doubles("logits"), model.logits(), REL, ABS);
        assertClose(fixture + " loss", f.doubles("loss"), new float[] {(float) loss}, REL, ABS);
        model.backward();
        assertGrads(fixture, store, f);
    }

    /**
     * {@link SequenceRegressor} against PyTorch's {@code head(rnn(x)[0][:, -1])} with
     * {@code F.mse_loss}: the predictions, the loss and every parameter gradient.
     */
    @ParameterizedTest
    @ValueSource(strings = {"regression_rnn_tanh", "regression_rnn_relu", "regression_lstm", "regression_gru", "regression_gru_o2"})
    void sequenceRegressorMatchesPyTorch(String fixture) throws IOException {
        Safetensors.Contents f = Fixtures.open(DIR + "/" + fixture + ".safetensors", "tools/reference/make_regression_golden.py");
        CellType cell = CellType.parse(f.metadata().get("cell"));
        int layers = Integer.parseInt(f.metadata().get("layers"));
        int hidden = Integer.parseInt(f.metadata().get("hidden_size"));
        int[] shape = f.shape("input");
        int outputs = f.shape("target")[1];
        ParamStore.Builder pb = ParamStore.builder();
        SequenceRegressor model = new SequenceRegressor(pb, RecurrentConfig.of(cell, shape[2], hidden, layers), outputs);
        ParamStore store = pb.build();
        assertEquals(f.names().stream().filter(n -> n.startsWith("grad.")).count(), load(store, f),
                "every PyTorch parameter has an Unroll twin of the same name");

        double loss = model.forward(f.floats("input"), f.floats("target"), shape[0], shape[1], null);
        assertClose(fixture + " prediction", f.doubles("prediction"), model.predictions(), REL, ABS);
        assertClose(fixture + " loss", f.doubles("loss"), new float[] {(float) loss}, REL, ABS);
        model.backward();
        assertGrads(fixture, store, f);
    }
}
