/**
 * The reference experiments (docs/spec.md#reference-experiments) as library code: the
 * from-scratch next-character RNN on "hello world!" and the framework-style character language
 * model. They report through callbacks and never print; the CLI shows them. The gradient-decay
 * experiment is {@link io.unroll.flow.GradientDecay}.
 */
package io.unroll.experiment;
