package io.unroll.experiment;

import static io.unroll.reference.Close.assertClose;
import static io.unroll.reference.Close.toFloat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.unroll.io.Safetensors;
import io.unroll.reference.Fixtures;
import io.unroll.tensor.Rng;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The hello-world experiment (docs/spec.md#hello-world) on the float32 engine against a float64
 * NumPy run of the same program ({@code tools/reference/make_numpy_reference.py}): identical
 * initial weights from {@code np.random.seed(42)}, and every one of the 300 epoch losses within
 * 5e-5.
 */
class HelloWorldVsNumpyTest {
    private static Safetensors.Contents fixture() throws IOException {
        return Fixtures.open("src/test/resources/reference/numpy_hello.safetensors", "tools/reference/make_numpy_reference.py");
    }

    @Test
    void startsFromNumpysWeightsAndFollowsNumpysLosses() throws IOException {
        Safetensors.Contents f = fixture();
        CharExperiment exp = CharExperiment.helloWorld(300, 64, Rng.numpy(42));
        assertEquals(f.metadata().get("vocabulary").length(), exp.model().vocabularySize());
        // float32 copies of NumPy's float64 draws: equal to float rounding
        assertClose("W_x", f.doubles("W_x"), exp.model().rnn().weightIh(0).copyValues(), 1e-7, 0);
        assertClose("W_h", f.doubles("W_h"), exp.model().rnn().weightHh(0).copyValues(), 1e-7, 0);
        assertClose("W_y", f.doubles("W_y"), exp.model().head().weight().copyValues(), 1e-7, 0);

        List<CharExperiment.Report> seen = new java.util.ArrayList<>();
        CharExperiment.Result r = exp.run(seen::add);
        assertClose("loss per epoch", f.doubles("loss"), toFloat(r.losses()), 0, 5e-5);
        assertClose("pre-clip gradient norm per epoch", f.doubles("grad_norm"), toFloat(r.gradNorms()), 1e-4, 1e-5);
        assertEquals(List.of(0, 50, 100, 150, 200, 250, 299), seen.stream().map(CharExperiment.Report::epoch).toList());
        assertEquals(r.reports(), seen);
        String vocabulary = f.metadata().get("vocabulary");
        for (CharExperiment.Report report : seen) {
            long[] ids = Arrays.copyOf(f.longs("pred_epoch_" + report.epoch()), 20);
            StringBuilder expected = new StringBuilder();
            for (long id : ids) {
                expected.append(vocabulary.charAt((int) id));
            }
            assertEquals(expected.toString(), report.predicted(), "predicted text at epoch " + report.epoch());
            assertEquals("ello world! hello wo", report.target());
        }
    }
}
