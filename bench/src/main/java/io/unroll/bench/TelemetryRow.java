package io.unroll.bench;

/**
 * What gradient-flow telemetry costs one training row ({@link TelemetryOverhead}): the step of the
 * training table without telemetry, with {@code FlowTelemetry} sampling every step, and sampling
 * every 10th step (in both, the last step's gradient replayed at most every 40 steps, the default).
 *
 * @param cell          cell id (rnn_tanh, lstm, gru)
 * @param hidden        H (= I)
 * @param batch         B
 * @param steps         T
 * @param off           nanoseconds per step without telemetry, over the interleaved rounds
 * @param every1        the same with telemetry sampling every step
 * @param every10       the same with telemetry sampling every 10th step
 * @param ratio1        time with telemetry on every step / time without in the same round, over the rounds
 * @param ratio10       the same for every 10th step
 * @param stepsPerRound training steps each copy ran in each round (a multiple of the replay
 *                      interval, so that every round holds the same number of samples and replays)
 * @param allocation    bytes allocated per step once warm with telemetry on every step, or null
 * @param otherCpuShare share of all CPU time other processes used while the row was measured
 */
public record TelemetryRow(String cell, int hidden, int batch, int steps, Stats off, Stats every1, Stats every10,
                           Stats ratio1, Stats ratio10, long stepsPerRound, Allocation allocation, double otherCpuShare) {}
