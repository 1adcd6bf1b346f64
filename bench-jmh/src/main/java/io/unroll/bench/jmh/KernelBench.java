package io.unroll.bench.jmh;

import io.unroll.kernel.Kernels;
import io.unroll.tensor.Rng;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The kernels of an LSTM layer (G = 4) at hidden size H and batch B, over a chunk of
 * {@code steps} timesteps (rows = steps·B):
 *
 * <ul>
 *   <li>{@link #inputProjection}: {@code G[rows, 4H] = X[rows, H] · W_ihᵀ}, the one GEMM
 *       before the time loop (with W_ihᵀ transposed once, as the layer does);</li>
 *   <li>{@link #recurrentStep}: {@code G_t[B, 4H] += h_{t-1}[B, H] · W_hhᵀ}, once per step;</li>
 *   <li>{@link #gemmNN}: {@code dX[rows, H] = dG[rows, 4H] · W_ih}, the input gradient;</li>
 *   <li>{@link #gemmTNAdd}: {@code dW[4H, H] += dGᵀ · X}, the weight gradient;</li>
 *   <li>{@link #lstmForward}: the gate math of one step, {@code [B, 4H]} to h and c.</li>
 * </ul>
 *
 * GFLOP/s of a GEMM = {@code 2·m·n·k / time}: for 256x32 and steps = 10, the input projection is
 * 2·320·1024·256 = 168 MFLOP per call.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class KernelBench {

    /** {@code HxB}: hidden size and batch. */
    @Param({"64x32", "256x32", "1024x32"})
    public String shape;

    /** Timesteps in the whole-sequence GEMMs. */
    @Param({"10"})
    public int steps;

    private int hidden;
    private int batch;
    private int rows;
    private float[] x;       // [rows, H]
    private float[] wIh;     // [4H, H]
    private float[] wIhT;    // [H, 4H]
    private float[] wHhT;    // [H, 4H]
    private float[] gates;   // [rows, 4H]
    private float[] dGates;  // [rows, 4H]
    private float[] dX;      // [rows, H]
    private float[] dW;      // [4H, H]
    private float[] hPrev;   // [B, H]
    private float[] stepGates; // [B, 4H], activated in place by lstmForward (again and again: harmless)
    private float[] accGates;  // [B, 4H], accumulated into by recurrentStep
    private float[] cPrev;   // [B, H]
    private float[] c;       // [B, H]
    private float[] h;       // [B, H]

    @Setup
    public void setUp() {
        String[] parts = shape.split("x");
        hidden = Integer.parseInt(parts[0]);
        batch = Integer.parseInt(parts[1]);
        rows = steps * batch;
        int gh = 4 * hidden;
        Rng rng = Rng.seeded(7);
        x = gaussian(rng, rows * hidden);
        wIh = gaussian(rng, gh * hidden);
        wIhT = new float[gh * hidden];
        Kernels.transpose(wIhT, 0, wIh, 0, gh, hidden);
        wHhT = gaussian(rng, hidden * gh);
        gates = new float[rows * gh];
        dGates = gaussian(rng, rows * gh);
        dX = new float[rows * hidden];
        dW = new float[gh * hidden];
        hPrev = gaussian(rng, batch * hidden);
        stepGates = gaussian(rng, batch * gh);
        accGates = new float[batch * gh];
        cPrev = gaussian(rng, batch * hidden);
        c = new float[batch * hidden];
        h = new float[batch * hidden];
    }

    private static float[] gaussian(Rng rng, int n) {
        float[] a = new float[n];
        rng.fillGaussian(a, 0, n, 0.1);
        return a;
    }

    @Benchmark
    public float[] inputProjection() {
        Kernels.gemmNN(gates, 0, x, 0, wIhT, 0, rows, 4 * hidden, hidden);
        return gates;
    }

    @Benchmark
    public float[] recurrentStep() {
        Kernels.gemmNNAdd(accGates, 0, hPrev, 0, wHhT, 0, batch, 4 * hidden, hidden);
        return accGates;
    }

    @Benchmark
    public float[] gemmNN() {
        Kernels.gemmNN(dX, 0, dGates, 0, wIh, 0, rows, hidden, 4 * hidden);
        return dX;
    }

    @Benchmark
    public float[] gemmTNAdd() {
        Kernels.gemmTNAdd(dW, 0, dGates, 0, x, 0, 4 * hidden, hidden, rows);
        return dW;
    }

    @Benchmark
    public float[] lstmForward() {
        Kernels.lstmForward(stepGates, 0, cPrev, 0, c, 0, h, 0, batch, hidden);
        return h;
    }
}
