package io.unroll.cell;

/**
 * Where a cell sits in its stack and what it is given: layer k (its parameters are named
 * {@code weight_ih_lk}, ...), its input width {@code I_k}, hidden size H and which bias vectors
 * exist.
 */
public record CellShape(int layer, int inputSize, int hidden, boolean biasIh, boolean biasHh) {}
