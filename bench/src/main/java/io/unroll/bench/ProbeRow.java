package io.unroll.bench;

/**
 * One probe of the playground ({@link ProbeStep}): the server's time for the first picture and for
 * the whole picture of one configuration, against the page's redraw budget, and PyTorch computing
 * the first picture's figures its own way.
 *
 * @param cell          cell id (rnn_tanh, lstm, gru)
 * @param length        T
 * @param hidden        H
 * @param budgetMs      the time the page allows a redraw, server and drawing together
 * @param first         Unroll's first picture: every figure but the Jacobian norms
 * @param whole         Unroll's whole picture, the Jacobian norms included
 * @param pytorch       PyTorch's first picture (the cell stepped T times with each h_t's gradient
 *                      kept, backward from the last state, the singular values and eigenvalues of
 *                      {@code W_hh} and its gate blocks), or null without {@code --vs pytorch}
 * @param speedup       PyTorch's first picture / Unroll's, or null
 * @param otherCpuShare share of all CPU time other processes used while the row was measured
 */
public record ProbeRow(String cell, int length, int hidden, double budgetMs, Measurement first, Measurement whole,
                       Measurement pytorch, Double speedup, double otherCpuShare) {

    /** Unroll's median first picture in milliseconds. */
    public double firstMs() {
        return first.medianNanos() / 1e6;
    }

    /** Unroll's median whole picture in milliseconds. */
    public double wholeMs() {
        return whole.medianNanos() / 1e6;
    }
}
