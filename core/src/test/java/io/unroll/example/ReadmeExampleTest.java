package io.unroll.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.flow.GradientNorms;
import io.unroll.layer.Recurrent;
import io.unroll.layer.RecurrentConfig;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Adam;
import io.unroll.train.Clipping;
import io.unroll.train.Init;
import io.unroll.train.InitScheme;
import org.junit.jupiter.api.Test;

/** The README's library example, line for line, so it keeps compiling and working. */
class ReadmeExampleTest {
    /** The loss {@code L = ½‖output‖²}, whose gradient is the output itself. */
    private static float[] lossGradient(float[] output) {
        return output.clone();
    }

    @Test
    void theReadmeExampleRuns() {
        ParamStore.Builder pb = ParamStore.builder();
        Recurrent lstm = new Recurrent(pb, "", RecurrentConfig.of(CellType.LSTM, 8, 32, 2)); // nn.LSTM(8, 32, 2)
        ParamStore params = pb.build();                   // weight_ih_l0, weight_hh_l0, bias_ih_l0, ...
        Init.apply(lstm, InitScheme.ORTHOGONAL, Rng.seeded(42));

        float[] x = new float[4 * 50 * 8];                // [B=4, T=50, I=8], batch-first
        Rng.seeded(1).fillGaussian(x, 0, x.length, 1.0);
        Recurrent.Output out = lstm.forward(x, 4, 50, null);          // output [4, 50, 32], final h and c
        float[] dOutput = lossGradient(out.output());     // dL/doutput, from your loss
        GradientNorms flow = new GradientNorms(2, 50);
        lstm.backward(dOutput, null, flow);               // full BPTT; parameter gradients accumulate
        double preClipNorm = Clipping.clipByGlobalNorm(params, 5.0);
        Adam.adam(1e-3).step(params);
        double[] reaching = flow.layer(0);                // ||dL/dh_t|| for every t of layer 0

        assertEquals(4 * 50 * 32, out.output().length);
        assertTrue(preClipNorm > 0);
        assertEquals(50, reaching.length);
        for (double n : reaching) {
            assertTrue(n > 0 && Double.isFinite(n));
        }
        assertEquals(params.get("weight_hh_l1").size(), 4 * 32 * 32);
    }
}
