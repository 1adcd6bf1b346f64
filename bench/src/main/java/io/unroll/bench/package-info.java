/**
 * The benchmark harness behind {@code unroll bench}: what issue 3 asks us to measure, measured
 * the same way for Unroll and for its peers.
 *
 * <ul>
 *   <li>{@link io.unroll.bench.Bench} runs a {@link io.unroll.bench.BenchConfig} and returns a
 *       {@link io.unroll.bench.BenchReport}: training steps (recurrent forward, linear head,
 *       cross-entropy, full BPTT, clipping, Adam) over a grid of (H, B), batch-1 streaming steps,
 *       the machine's FMA peak ({@link io.unroll.bench.FmaPeak}), one thread against several (a
 *       child JVM), bytes allocated per warm step, floats stored for backward against what BPTT
 *       strictly needs, and the targets of issue 3 with PASS or MISS.</li>
 *   <li>{@link io.unroll.bench.Measure} is the timing method (warm-up until stable, several runs,
 *       median and spread); the PyTorch peer ({@code peers/pytorch_bench.py}, shipped inside this
 *       jar) implements the same method and talks the line protocol of
 *       {@link io.unroll.bench.PeerProtocol}, as does {@link io.unroll.bench.WorkerMain}, the
 *       child JVM that measures with one kernel thread.</li>
 *   <li>{@code io.unroll.bench.jmh}: JMH micro-benchmarks of single kernels.</li>
 * </ul>
 *
 * <p>Library code: nothing here prints; results are records, progress goes to a
 * {@link io.unroll.bench.Bench.Listener}. The method is written up in {@code docs/benchmarks.md}.
 */
package io.unroll.bench;
