package io.unroll.train;

import static io.unroll.reference.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.unroll.io.Safetensors;
import io.unroll.reference.Fixtures;
import io.unroll.tensor.ParamStore;
import java.io.IOException;
import java.util.Arrays;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * SGD, SGD with momentum and weight decay, Adam, Adam with L2 decay, AdamW and global-norm clipping
 * against {@code torch.optim} / {@code clip_grad_norm_} trajectories
 * ({@code tools/reference/make_optim_golden.py}), within {@code 1e-5·|expected| + 1e-6}.
 */
class OptimizersGoldenTest {
    private static Safetensors.Contents fixture() throws IOException {
        return Fixtures.open("src/test/resources/golden/optimizers.safetensors", "tools/reference/make_optim_golden.py");
    }

    private static void follow(String name, Supplier<Optimizer> make) throws IOException {
        Safetensors.Contents f = fixture();
        int p = f.shape("start")[0];
        int steps = f.shape("grads")[0];
        float[] grads = f.floats("grads");
        double[] expected = f.doubles(name);
        ParamStore.Builder pb = ParamStore.builder();
        pb.add("w", p);
        ParamStore store = pb.build();
        System.arraycopy(f.floats("start"), 0, store.values(), 0, p);
        Optimizer opt = make.get();
        for (int s = 0; s < steps; s++) {
            System.arraycopy(grads, s * p, store.grads(), 0, p);
            opt.step(store);
            assertClose(name + " step " + (s + 1), Arrays.copyOfRange(expected, s * p, (s + 1) * p), store.values(), 1e-5, 1e-6);
        }
        assertEquals(steps, opt.steps());
    }

    @Test
    void sgd() throws IOException {
        follow("sgd", () -> new Sgd(0.1));
    }

    @Test
    void sgdWithMomentumAndWeightDecay() throws IOException {
        follow("sgd_momentum", () -> new Sgd(0.1, 0.9, 0.01));
    }

    @Test
    void adam() throws IOException {
        follow("adam", () -> Adam.adam(0.01));
    }

    @Test
    void adamWithL2WeightDecay() throws IOException {
        follow("adam_l2", () -> Adam.adam(0.01, 0.8, 0.99, 1e-6, 0.05));
    }

    @Test
    void adamW() throws IOException {
        follow("adamw", () -> Adam.adamW(0.01, 0.1));
    }

    @Test
    void clipByGlobalNormReturnsPreClipNormAndScalesLikePyTorch() throws IOException {
        Safetensors.Contents f = fixture();
        int p = f.shape("start")[0];
        ParamStore.Builder pb = ParamStore.builder();
        pb.add("a", 5);
        pb.add("b", p - 5);
        ParamStore store = pb.build();
        float[] g = f.floats("grads");
        for (int i = 0; i < p; i++) {
            store.grads()[i] = g[i] * 3;
        }
        double norm = Clipping.clipByGlobalNorm(store, 1.0);
        assertClose("pre-clip norm", f.doubles("clip_norm"), new float[] {(float) norm}, 1e-6, 0);
        assertClose("clipped gradient", f.doubles("clip_grad"), store.grads(), 1e-6, 1e-7);
        assertEquals(1.0, Clipping.globalNorm(store), 1e-5);
    }
}
