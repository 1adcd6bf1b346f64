/**
 * The benchmark harness behind {@code unroll bench}: Unroll's training and streaming speed,
 * measured the same way for Unroll and for its peers.
 *
 * <ul>
 *   <li>{@link io.unroll.bench.Bench} runs a {@link io.unroll.bench.BenchConfig} and returns a
 *       {@link io.unroll.bench.BenchReport}: training steps (recurrent forward, linear head,
 *       cross-entropy, full BPTT, clipping, Adam) over a grid of (H, B), batch-1 streaming steps,
 *       the machine's FMA peak ({@link io.unroll.bench.FmaPeak}), one thread against several (a
 *       child JVM), bytes allocated per warm step, floats stored for backward against what BPTT
 *       strictly needs, the lab rows ({@link io.unroll.bench.LabStep}: a lab task's training run,
 *       the peer training on the same batches, which it reads from a safetensors file), and the
 *       performance targets ({@link io.unroll.bench.Targets}) with PASS or MISS.</li>
 *   <li>{@link io.unroll.bench.Measure} is the timing method (warm-up until stable, several runs,
 *       median and spread); the PyTorch peer ({@code peers/pytorch_bench.py}, shipped inside this
 *       jar) implements the same method and talks the line protocol of
 *       {@link io.unroll.bench.PeerProtocol}, as does {@link io.unroll.bench.WorkerMain}, the
 *       child JVM that measures with one kernel thread.</li>
 *   <li>{@link io.unroll.bench.BenchText} turns a report into the text {@code unroll bench}
 *       prints, and a finished row into a line of progress.</li>
 * </ul>
 *
 * <p>Library code: nothing here prints; results are records and text, progress goes to a
 * {@link io.unroll.bench.Bench.Listener}. The method is written up in {@code docs/benchmarks.md}.
 * The JMH micro-benchmarks of single kernels are a module of their own, {@code bench-jmh}, so
 * that JMH stays off the class path of the CLI, which depends on this module.
 */
package io.unroll.bench;
