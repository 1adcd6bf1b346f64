package io.unroll.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.init.InitScheme;
import io.unroll.init.Weights;
import io.unroll.loss.SoftmaxCrossEntropy;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.Adam;
import io.unroll.train.Clipping;
import io.unroll.train.Init;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A JVM whose very first product is a long one (the input projection of a layer, 3200 x 64 x 64)
 * still trains without allocating once warm. Before the SIMD kernels' warm-up ({@code SimdWarmUp},
 * run when {@code Kernels} initialises) ran the micro-kernels on small blocks, such a JVM came out,
 * about one time in three, with C2 code that calls the Vector API's Java fallback for every FMA:
 * megabytes per step, four times slower, for the JVM's whole life
 * (docs/engine.md#jdk-17-and-the-vector-api). Only a fresh JVM shows this, so each run here is a child
 * JVM; six of them miss a one-in-three failure with probability 0.67^6, under 1 in 10. It also
 * caught the loss's row softmax in the same trap, in about one JVM in 30 (2.56 MB per step), before
 * that kernel joined the warm-up.
 */
class FreshJvmAllocationTest {
    private static final int JVMS = 6;

    @Test
    void freshJvmsStartingWithALongProductTrainWithoutAllocating() throws Exception {
        for (int run = 0; run < JVMS; run++) {
            List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-modules", "jdk.incubator.vector", "-Dunroll.threads=1",
                    "-cp", System.getProperty("java.class.path"), Child.class.getName());
            Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            child.getOutputStream().close();
            String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertTrue(child.waitFor(120, TimeUnit.SECONDS), "child JVM " + run + " did not finish");
            assertEquals(0, child.exitValue(), "child JVM " + run + " failed: " + out);
            assertEquals("fewest bytes per window: 0", out, "child JVM " + run + ": the best window of 10 warm steps");
        }
    }

    /**
     * One layer, RNN tanh, I = H = 64, B = 32, T = 100, a linear head to 64 classes, cross-entropy,
     * BPTT, clipping and Adam, as the benchmark's smallest row; the first product of the JVM is the
     * layer's input projection. Prints the fewest bytes any window of 10 steps allocated, looking
     * for up to 15 s after 300 steps.
     */
    public static final class Child {
        public static void main(String[] args) {
            int hidden = 64;
            int batch = 32;
            int steps = 100;
            int classes = 64;
            ParamStore.Builder pb = ParamStore.builder();
            Recurrent rnn = new Recurrent(pb, "rnn.", RecurrentConfig.of(CellType.RNN_TANH, hidden, hidden, 1));
            Linear head = new Linear(pb, "head.", hidden, classes);
            ParamStore params = pb.build();
            Rng rng = Rng.seeded(3);
            Init.apply(rnn, InitScheme.PYTORCH, rng);
            Weights.uniform(head.weight(), 0.05, rng);
            float[] input = new float[batch * steps * hidden]; // [B, T, I]
            rng.fillGaussian(input, 0, input.length, 1.0);
            int[] targets = new int[batch * steps];
            for (int i = 0; i < targets.length; i++) {
                targets[i] = rng.nextInt(classes);
            }
            SoftmaxCrossEntropy loss = new SoftmaxCrossEntropy();
            Adam adam = Adam.adam(1e-3);
            Runnable step = () -> {
                params.zeroGrads();
                Recurrent.Output out = rnn.forward(input, batch, steps, null);
                float[] logits = head.forward(out.output(), batch * steps);
                loss.compute(logits, targets, null, batch * steps, classes);
                rnn.backward(head.backward(loss.dLogits()), null, StepObserver.NONE, Recurrent.InputGradient.SKIP);
                Clipping.clipByGlobalNorm(params, 5.0);
                adam.step(params);
            };
            for (int i = 0; i < 300; i++) {
                step.run();
            }
            long fewest = WarmAllocation.fewestBytesPerWindow(step, 10, 15);
            System.out.println("fewest bytes per window: " + fewest);
        }
    }
}
