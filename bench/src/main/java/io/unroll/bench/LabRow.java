package io.unroll.bench;

/**
 * One lab row: a cell trained on a lab task ({@link LabStep}), Unroll beside PyTorch on the same
 * batches.
 *
 * @param cell            cell id (rnn_tanh, lstm, gru)
 * @param task            the task, e.g. {@code copy(delay=20)} or {@code adding(length=100)}
 * @param step            what one timed step does, in words ({@link LabStep#description()})
 * @param hidden          H
 * @param batch           B
 * @param steps           T of the task's sequences
 * @param batches         N, the fixed batches both engines cycle
 * @param unroll          Unroll's figures (the GFLOP/s by the recurrent layer's standard count, with the task's I)
 * @param unrollStepsPerSecond training steps per second at Unroll's median
 * @param pytorch         PyTorch's figures on the same batches, or null without {@code --vs pytorch}
 * @param pytorchStepsPerSecond the same for PyTorch, or null
 * @param speedup         PyTorch ms / Unroll ms, or null
 * @param target          the speed-up the row is held to ({@link Targets#labSpeedupTarget})
 * @param otherCpuShare   share of all CPU time other processes used while the row was measured
 */
public record LabRow(String cell, String task, String step, int hidden, int batch, int steps, int batches,
                     TrainingFigures unroll, double unrollStepsPerSecond, TrainingFigures pytorch,
                     Double pytorchStepsPerSecond, Double speedup, double target, double otherCpuShare) {}
