/**
 * The reference experiments of SPEC §4 as library code: the from-scratch next-character RNN
 * (experiment 1), the framework-style character language model (experiment 2). They report
 * through callbacks and never print; the CLI shows them. The gradient-decay experiment
 * (experiment 3) is {@link io.unroll.flow.GradientDecay}.
 */
package io.unroll.experiment;
