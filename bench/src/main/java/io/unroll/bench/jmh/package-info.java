/**
 * JMH micro-benchmarks of single kernels at the shapes a recurrent layer gives them, for the
 * engineer tuning a kernel (the end-to-end figures are {@code unroll bench}'s). Run them with the
 * command in {@code docs/benchmarks.md}, e.g.
 * {@code java --add-modules jdk.incubator.vector -cp 'cli/target/lib/*' org.openjdk.jmh.Main KernelBench -p shape=256x32};
 * add {@code -prof gc} to see that a call allocates nothing.
 */
package io.unroll.bench.jmh;
