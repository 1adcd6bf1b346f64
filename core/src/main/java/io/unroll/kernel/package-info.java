/**
 * Float32 compute kernels: the GEMM variants and the fused gate math of the recurrent cells.
 *
 * <p>{@link io.unroll.kernel.Kernels} is the facade the rest of the library calls. It forwards to
 * {@link io.unroll.kernel.SimdKernels} (Java Vector API, the only importer of
 * {@code jdk.incubator.vector}) or to {@link io.unroll.kernel.ScalarKernels}, the plain-loop twin
 * that doubles as the specification. The choice is made once per JVM with the system property
 * {@code unroll.kernels=simd|scalar} (default {@code simd}). {@link io.unroll.kernel.Parallel}
 * splits big SIMD GEMMs over {@code unroll.threads} threads (default: all processors) by
 * disjoint ranges of the output, so results are bit-identical whatever the thread count.
 *
 * <p>Conventions: every matrix is row-major and contiguous, addressed by an array and an offset.
 * The destination comes first. {@code gemmXY} overwrites its destination, {@code gemmXYAdd}
 * accumulates into it; {@code X} and {@code Y} say whether A and B are used as stored
 * ({@code N}) or transposed ({@code T}), as in BLAS. Destinations never alias sources unless a
 * method says so.
 */
package io.unroll.kernel;
