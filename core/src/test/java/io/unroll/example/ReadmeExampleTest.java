package io.unroll.example;

import static io.unroll.reference.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.flow.GradientNorms;
import io.unroll.init.InitScheme;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.reference.ReferenceRecurrent;
import io.unroll.tensor.Param;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Adam;
import io.unroll.train.Clipping;
import io.unroll.train.Init;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The README's library example, line for line, so it keeps compiling and working; its numbers are
 * checked against the double-precision reference run on the same weights and input.
 */
class ReadmeExampleTest {
    /** The loss {@code L = ½‖output‖²}, whose gradient is the output itself. */
    private static float[] lossGradient(float[] output) {
        return output.clone();
    }

    @Test
    void theReadmeExampleRunsAndComputesWhatTheReferenceComputes() {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent lstm = new Recurrent(pb, "", RecurrentConfig.of(CellType.LSTM, 8, 32, 2)); // nn.LSTM(8, 32, 2)
        ParamStore params = pb.build();                   // weight_ih_l0, weight_hh_l0, bias_ih_l0, ...
        Init.apply(lstm, InitScheme.ORTHOGONAL, Rng.seeded(42));

        float[] x = new float[4 * 50 * 8];                // [B=4, T=50, I=8], batch-first
        Rng.seeded(1).fillGaussian(x, 0, x.length, 1.0);
        float[] before = params.values().clone();
        Recurrent.Output out = lstm.forward(x, 4, 50, null);          // output [4, 50, 32], final h and c
        float[] dOutput = lossGradient(out.output());     // dL/doutput, from your loss
        GradientNorms flow = new GradientNorms(2, 50);
        lstm.backward(dOutput, null, flow);               // full BPTT; parameter gradients accumulate
        double preClipNorm = Clipping.clipByGlobalNorm(params, 5.0);
        Adam.adam(1e-3).step(params);
        double[] reaching = flow.layer(0);                // ||dL/dh_t|| for every t of layer 0

        // the same network in double precision, from the weights before the update
        ReferenceRecurrent ref = new ReferenceRecurrent(CellType.LSTM, 8, 32, 2, true, true);
        for (int k = 0; k < 2; k++) {
            ref.wIh[k] = slice(before, lstm.weightIh(k));
            ref.wHh[k] = slice(before, lstm.weightHh(k));
            ref.bIh[k] = slice(before, lstm.biasIh(k));
            ref.bHh[k] = slice(before, lstm.biasHh(k));
        }
        double[] input = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            input[i] = x[i];
        }
        ReferenceRecurrent.Result r = ref.forward(input, 4, 50, null, null);
        assertClose("output", r.output(), out.output(), 1e-4, 1e-5);
        ReferenceRecurrent.Grads g = ref.backward(r.output(), null, null);
        double squares = 0;
        for (int k = 0; k < 2; k++) {
            squares += sumOfSquares(g.dWIh()[k]) + sumOfSquares(g.dWHh()[k]) + sumOfSquares(g.dBIh()[k]) + sumOfSquares(g.dBHh()[k]);
        }
        assertEquals(Math.sqrt(squares), preClipNorm, 1e-4 * Math.sqrt(squares), "pre-clip global norm");

        // the top layer's last step receives exactly the loss gradient there, ‖output[:, 49, :]‖
        double last = 0;
        for (int b = 0; b < 4; b++) {
            for (int j = 0; j < 32; j++) {
                double v = r.output()[(b * 50 + 49) * 32 + j];
                last += v * v;
            }
        }
        assertEquals(Math.sqrt(last), flow.layer(1)[49], 1e-4 * Math.sqrt(last), "gradient reaching the last step of the top layer");
        assertEquals(50, reaching.length);
        for (double n : reaching) {
            assertTrue(n > 0 && Double.isFinite(n));
        }
        // Adam's first step moves every weight with a gradient by the learning rate, against its sign
        for (int i = 0; i < before.length; i++) {
            if (Math.abs(params.grads()[i]) > 1e-6) {
                assertEquals(-1e-3 * Math.signum(params.grads()[i]), params.values()[i] - before[i], 2e-5, "update of value " + i);
            }
        }
    }

    @Test
    void theReadmeShowsTheCodeThisTestRuns() throws IOException {
        String readme = Files.readString(Path.of("../README.md"));
        int start = readme.indexOf("## Library example");
        int open = readme.indexOf("```java\n", start) + "```java\n".length();
        String block = readme.substring(open, readme.indexOf("```", open));
        String test = Files.readString(Path.of("src/test/java/io/unroll/example/ReadmeExampleTest.java"));
        int lines = 0;
        for (String line : block.split("\n")) {
            if (!line.isBlank()) {
                assertTrue(test.contains(line.strip()), "README line not in this test: " + line);
                lines++;
            }
        }
        assertTrue(lines >= 10, "the README's example has " + lines + " lines");
    }

    private static double[] slice(float[] values, Param p) {
        double[] d = new double[p.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = values[p.offset() + i];
        }
        return d;
    }

    private static double sumOfSquares(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        return s;
    }
}
