package io.unroll.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * What the SIMD kernels share: the vector species and the rules they are written by. The kernels
 * themselves are the vectorised twins of {@link ScalarKernels}, split as it is: {@link SimdGemm}
 * (products), {@link SimdRows} (rows and vectors, the row softmax), {@link SimdActivations}
 * (exp, sigmoid, tanh) and {@link SimdGates} (the cells' gate math); {@link SimdWarmUp} runs them
 * once per JVM before any real call. These are the only classes of the library that import
 * {@code jdk.incubator.vector}. Each kernel computes what its {@link ScalarKernels} namesake
 * documents, on the same arguments and with the same aliasing rules; results agree to float
 * rounding, not bit for bit.
 *
 * <p><b>One code path.</b> {@link FloatVector#SPECIES_PREFERRED}, held in a {@code static final}
 * (each kernel class keeps its own {@code static final} copy), over a vector body up to
 * {@code loopBound} plus a scalar tail.
 *
 * <p><b>Vectors stay inside one method.</b> A vector value never crosses a method boundary of
 * these classes, because a vector the JIT fails to inline becomes a heap object. On JDK 17, C2
 * also boxes every vector of a compiled method around lane masks and blends, and once a method
 * grows past its live-node cutoff; so the loops use no masks, make their constants once as
 * vectors, and the biggest kernels are split into methods of their own
 * (docs/engine.md#jdk-17-and-the-vector-api).
 *
 * <p><b>Determinism.</b> A value is computed by the same sequence of IEEE operations whichever
 * tile, block, row or thread it falls in: a product's fused multiply-adds in order of k, the
 * scalar tails included ({@link Math#fma}); no {@code reduceLanes}, whose order is unspecified
 * and differs between the interpreter and compiled code. So {@link Parallel} may split the work
 * anywhere and reproduce the single-thread result bit for bit, and a run does not change with the
 * moment the JIT compiles a kernel.
 */
final class SimdKernels {
    private SimdKernels() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Float lanes per vector: 4, 8 or 16. */
    static final int L = lanes();

    /** The vector species in use, e.g. {@code S_512_BIT, 16 floats}. */
    static String species() {
        return F.vectorShape() + ", " + L + " floats";
    }

    private static int lanes() {
        int lanes = F.length();
        if (lanes != 4 && lanes != 8 && lanes != 16) {
            throw new IllegalStateException("SIMD kernels need vectors of 4, 8 or 16 floats, "
                    + "this JVM prefers " + F + "; run with -Dunroll.kernels=scalar");
        }
        return lanes;
    }
}
