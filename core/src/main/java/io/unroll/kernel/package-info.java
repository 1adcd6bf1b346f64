/**
 * Float32 compute kernels: the GEMM variants and the fused gate math of the recurrent cells.
 *
 * <p>{@link io.unroll.kernel.Kernels} is the facade the rest of the library calls. It forwards to
 * the SIMD kernels ({@code SimdGemm}, {@code SimdRows}, {@code SimdActivations} and
 * {@code SimdGates}, with what they share in {@code SimdKernels}: the only importers of the Java
 * Vector API, {@code jdk.incubator.vector}; {@code SimdWarmUp} runs them once per JVM) or to
 * {@link io.unroll.kernel.ScalarKernels}, the plain-loop twin that doubles as the specification.
 * The choice is made once per JVM with the system property {@code unroll.kernels=simd|scalar}
 * (default {@code simd}). {@code Parallel} splits big SIMD products and row-wise kernels over
 * {@code unroll.threads} threads (default: all processors) by disjoint ranges of the output, so
 * results are bit-identical whatever the thread count; {@link io.unroll.kernel.KernelProperties}
 * reads both properties, and a value it cannot use fails the kernels' initialisation with a message
 * naming it. Why the kernels are written as they are,
 * and what was measured, is in docs/engine.md.
 *
 * <p>Conventions: every matrix is row-major and contiguous, addressed by an array and an offset.
 * The destination comes first. {@code gemmXY} overwrites its destination, {@code gemmXYAdd}
 * accumulates into it; {@code X} and {@code Y} say whether A and B are used as stored
 * ({@code N}) or transposed ({@code T}), as in BLAS. Destinations never alias sources unless a
 * method says so.
 */
package io.unroll.kernel;
