/**
 * JMH micro-benchmarks of single kernels at the shapes a recurrent layer gives them, for the
 * engineer tuning a kernel (the end-to-end figures are {@code unroll bench}'s). Build with
 * {@code ./mvnw -q -B -Dmaven.test.skip=true package -pl bench-jmh -am}, then run e.g.
 * {@code java --add-modules jdk.incubator.vector -cp 'bench-jmh/target/*:bench-jmh/target/lib/*' org.openjdk.jmh.Main KernelBench -p shape=256x32};
 * add {@code -prof gc} to see that a call allocates nothing. docs/benchmarks.md has more.
 */
package io.unroll.bench.jmh;
