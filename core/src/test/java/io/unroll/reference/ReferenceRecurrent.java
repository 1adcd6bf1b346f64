package io.unroll.reference;

import io.unroll.cell.Activation;
import io.unroll.cell.CellType;
import java.util.Arrays;

/**
 * The double-precision oracle: a recurrent stack written straight from the equations of docs/spec.md as
 * plain loops, one batch row and one step at a time, with a hand-written backward that mirrors
 * forward step by step. Nothing here shares code with the production path; finite differences
 * check this class, and this class checks the float32 engine.
 *
 * <p>Layouts are PyTorch's: {@code wIh[k] [G·H, I_k]}, {@code wHh[k] [G·H, H]}, biases {@code [G·H]},
 * gate blocks RNN [h], LSTM [i f g o], GRU [r z n]; input {@code [B, T, I]}, states {@code [L, B, H]}.
 */
public final class ReferenceRecurrent {
    public final CellType type;
    public final int inputSize;
    public final int hidden;
    public final int layers;
    public final boolean biasIh;
    public final boolean biasHh;
    public final double[][] wIh; // [L][G·H · I_k]
    public final double[][] wHh; // [L][G·H · H], or [L][H] for the IndRNN's recurrent vector u
    public final double[][] bIh; // [L][G·H] (zeros and unused without bias)
    public final double[][] bHh; // [L][G·H]

    // forward record, read by backward
    private int batch;
    private int steps;
    private double[][] layerInput;  // [L][B·T·I_k]
    private double[][] hs;          // [L][B·(T+1)·H]: slot 0 is h0
    private double[][] cs;          // [L][B·(T+1)·H] (LSTM)
    private double[][] acts;        // [L][B·T·G·H] gate activations
    private double[][] hiddenN;     // [L][B·T·H] GRU: W_hn h + b_hn

    public ReferenceRecurrent(CellType type, int inputSize, int hidden, int layers, boolean biasIh, boolean biasHh) {
        this.type = type;
        this.inputSize = inputSize;
        this.hidden = hidden;
        this.layers = layers;
        this.biasIh = biasIh;
        this.biasHh = biasHh;
        int gh = type.gates() * hidden;
        wIh = new double[layers][];
        wHh = new double[layers][];
        bIh = new double[layers][gh];
        bHh = new double[layers][gh];
        for (int k = 0; k < layers; k++) {
            wIh[k] = new double[gh * inputSize(k)];
            wHh[k] = new double[diagonal() ? hidden : gh * hidden];
        }
    }

    /** Whether the recurrent weight is a vector, one weight per unit (the IndRNN): {@code u ⊙ h}. */
    private boolean diagonal() {
        return type.family().equals("indrnn");
    }

    public int inputSize(int k) {
        return k == 0 ? inputSize : hidden;
    }

    /** Forward result: output {@code [B, T, H]}, final h and c {@code [L, B, H]}. */
    public record Result(double[] output, double[] hN, double[] cN) {}

    /** Gradients of every input, initial state and parameter. */
    public record Grads(double[] dInput, double[] dh0, double[] dc0,
                        double[][] dWIh, double[][] dWHh, double[][] dBIh, double[][] dBHh) {}

    private static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }

    public Result forward(double[] input, int batch, int steps, double[] h0, double[] c0) {
        this.batch = batch;
        this.steps = steps;
        int h = hidden;
        int g = type.gates();
        layerInput = new double[layers][];
        hs = new double[layers][batch * (steps + 1) * h];
        cs = new double[layers][batch * (steps + 1) * h];
        acts = new double[layers][batch * steps * g * h];
        hiddenN = new double[layers][batch * steps * h];
        double[] x = input;
        double[] hN = new double[layers * batch * h];
        double[] cN = new double[layers * batch * h];
        for (int k = 0; k < layers; k++) {
            int in = inputSize(k);
            layerInput[k] = x;
            double[] out = new double[batch * steps * h];
            for (int b = 0; b < batch; b++) {
                for (int j = 0; j < h; j++) {
                    hs[k][(b * (steps + 1)) * h + j] = h0 == null ? 0 : h0[(k * batch + b) * h + j];
                    cs[k][(b * (steps + 1)) * h + j] = c0 == null ? 0 : c0[(k * batch + b) * h + j];
                }
                for (int t = 0; t < steps; t++) {
                    int xOff = (b * steps + t) * in;
                    int prev = (b * (steps + 1) + t) * h;
                    int next = prev + h;
                    int aOff = (b * steps + t) * g * h;
                    // input-side and hidden-side projections, per gate row
                    double[] ax = new double[g * h];
                    double[] ah = new double[g * h];
                    for (int r = 0; r < g * h; r++) {
                        double sx = biasIh ? bIh[k][r] : 0;
                        for (int i = 0; i < in; i++) {
                            sx += wIh[k][r * in + i] * x[xOff + i];
                        }
                        double sh = biasHh ? bHh[k][r] : 0;
                        if (diagonal()) {
                            sh += wHh[k][r] * hs[k][prev + r];
                        } else {
                            for (int m = 0; m < h; m++) {
                                sh += wHh[k][r * h + m] * hs[k][prev + m];
                            }
                        }
                        ax[r] = sx;
                        ah[r] = sh;
                    }
                    for (int j = 0; j < h; j++) {
                        double hPrev = hs[k][prev + j];
                        double hNew;
                        switch (type.gates() == 1 ? "single" : type.family()) {
                            case "single": {
                                // the vanilla RNN and the IndRNN: h = φ(z)
                                double z = ax[j] + ah[j];
                                hNew = type.activation() == Activation.RELU ? Math.max(0, z) : Math.tanh(z);
                                acts[k][aOff + j] = hNew;
                                break;
                            }
                            case "lstm": {
                                double ig = sigmoid(ax[j] + ah[j]);
                                double fg = sigmoid(ax[h + j] + ah[h + j]);
                                double gg = Math.tanh(ax[2 * h + j] + ah[2 * h + j]);
                                double og = sigmoid(ax[3 * h + j] + ah[3 * h + j]);
                                double c = fg * cs[k][prev + j] + ig * gg;
                                cs[k][next + j] = c;
                                hNew = og * Math.tanh(c);
                                acts[k][aOff + j] = ig;
                                acts[k][aOff + h + j] = fg;
                                acts[k][aOff + 2 * h + j] = gg;
                                acts[k][aOff + 3 * h + j] = og;
                                break;
                            }
                            case "gru": {
                                double rg = sigmoid(ax[j] + ah[j]);
                                double zg = sigmoid(ax[h + j] + ah[h + j]);
                                double ng = Math.tanh(ax[2 * h + j] + rg * ah[2 * h + j]);
                                hNew = (1 - zg) * ng + zg * hPrev;
                                acts[k][aOff + j] = rg;
                                acts[k][aOff + h + j] = zg;
                                acts[k][aOff + 2 * h + j] = ng;
                                hiddenN[k][(b * steps + t) * h + j] = ah[2 * h + j];
                                break;
                            }
                            default: throw new AssertionError(type);
                        }
                        hs[k][next + j] = hNew;
                        out[(b * steps + t) * h + j] = hNew;
                    }
                }
                for (int j = 0; j < h; j++) {
                    hN[(k * batch + b) * h + j] = hs[k][(b * (steps + 1) + steps) * h + j];
                    cN[(k * batch + b) * h + j] = cs[k][(b * (steps + 1) + steps) * h + j];
                }
            }
            x = out;
        }
        return new Result(x, hN, type.hasCellState() ? cN : null);
    }

    /** Layer k's hidden states of the last forward for sequence b: slot 0 the initial state, slot t+1 h_t, {@code [(T+1)·H]}. */
    public double[] hiddenStates(int k, int b) {
        int n = (steps + 1) * hidden;
        return Arrays.copyOfRange(hs[k], b * n, (b + 1) * n);
    }

    /** Layer k's cell states of the last forward for sequence b, as {@link #hiddenStates} (zeros without a cell state). */
    public double[] cellStates(int k, int b) {
        int n = (steps + 1) * hidden;
        return Arrays.copyOfRange(cs[k], b * n, (b + 1) * n);
    }

    /** Layer k's input sequence in the last forward, {@code [B, T, I_k]}: the input, or layer k-1's output. */
    public double[] layerInput(int k) {
        return layerInput[k].clone();
    }

    /** Backpropagation through time for the last forward, from dL/doutput, dL/dh_N and dL/dc_N (nullable). */
    public Grads backward(double[] dOutput, double[] dhN, double[] dcN) {
        int h = hidden;
        int g = type.gates();
        double[][] dWIh = new double[layers][];
        double[][] dWHh = new double[layers][];
        double[][] dBIh = new double[layers][g * h];
        double[][] dBHh = new double[layers][g * h];
        double[] dh0 = new double[layers * batch * h];
        double[] dc0 = new double[layers * batch * h];
        double[] dOut = dOutput == null ? new double[batch * steps * h] : dOutput;
        double[] dX = null;
        for (int k = layers - 1; k >= 0; k--) {
            int in = inputSize(k);
            double[] x = layerInput[k];
            dWIh[k] = new double[g * h * in];
            dWHh[k] = new double[wHh[k].length];
            dX = new double[batch * steps * in];
            for (int b = 0; b < batch; b++) {
                double[] dhCarry = new double[h];
                double[] dcCarry = new double[h];
                for (int j = 0; j < h; j++) {
                    dhCarry[j] = dhN == null ? 0 : dhN[(k * batch + b) * h + j];
                    dcCarry[j] = dcN == null ? 0 : dcN[(k * batch + b) * h + j];
                }
                for (int t = steps - 1; t >= 0; t--) {
                    int xOff = (b * steps + t) * in;
                    int prev = (b * (steps + 1) + t) * h;
                    int next = prev + h;
                    int aOff = (b * steps + t) * g * h;
                    double[] dAx = new double[g * h]; // gradient of W_ih x + b_ih
                    double[] dAh = new double[g * h]; // gradient of W_hh h + b_hh
                    double[] dhPrev = new double[h];
                    for (int j = 0; j < h; j++) {
                        double dh = dhCarry[j] + dOut[(b * steps + t) * h + j];
                        switch (type.gates() == 1 ? "single" : type.family()) {
                            case "single": {
                                double hv = acts[k][aOff + j];
                                dAx[j] = dAh[j] = type.activation() == Activation.RELU ? (hv > 0 ? dh : 0) : dh * (1 - hv * hv);
                                break;
                            }
                            case "lstm": {
                                double ig = acts[k][aOff + j], fg = acts[k][aOff + h + j];
                                double gg = acts[k][aOff + 2 * h + j], og = acts[k][aOff + 3 * h + j];
                                double tc = Math.tanh(cs[k][next + j]);
                                double dc = dcCarry[j] + dh * og * (1 - tc * tc);
                                dAx[j] = dAh[j] = dc * gg * ig * (1 - ig);
                                dAx[h + j] = dAh[h + j] = dc * cs[k][prev + j] * fg * (1 - fg);
                                dAx[2 * h + j] = dAh[2 * h + j] = dc * ig * (1 - gg * gg);
                                dAx[3 * h + j] = dAh[3 * h + j] = dh * tc * og * (1 - og);
                                dcCarry[j] = dc * fg;
                                break;
                            }
                            case "gru": {
                                double rg = acts[k][aOff + j], zg = acts[k][aOff + h + j], ng = acts[k][aOff + 2 * h + j];
                                double hPrevJ = hs[k][prev + j];
                                double dn = dh * (1 - zg) * (1 - ng * ng);
                                double dr = dn * hiddenN[k][(b * steps + t) * h + j] * rg * (1 - rg);
                                double dz = dh * (hPrevJ - ng) * zg * (1 - zg);
                                dAx[j] = dAh[j] = dr;
                                dAx[h + j] = dAh[h + j] = dz;
                                dAx[2 * h + j] = dn;
                                dAh[2 * h + j] = dn * rg;
                                dhPrev[j] = dh * zg;
                                break;
                            }
                            default: throw new AssertionError(type);
                        }
                    }
                    for (int r = 0; r < g * h; r++) {
                        for (int i = 0; i < in; i++) {
                            dWIh[k][r * in + i] += dAx[r] * x[xOff + i];
                            dX[xOff + i] += dAx[r] * wIh[k][r * in + i];
                        }
                        if (diagonal()) {
                            dWHh[k][r] += dAh[r] * hs[k][prev + r];
                            dhPrev[r] += dAh[r] * wHh[k][r];
                        } else {
                            for (int m = 0; m < h; m++) {
                                dWHh[k][r * h + m] += dAh[r] * hs[k][prev + m];
                                dhPrev[m] += dAh[r] * wHh[k][r * h + m];
                            }
                        }
                        if (biasIh) {
                            dBIh[k][r] += dAx[r];
                        }
                        if (biasHh) {
                            dBHh[k][r] += dAh[r];
                        }
                    }
                    dhCarry = dhPrev;
                }
                for (int j = 0; j < h; j++) {
                    dh0[(k * batch + b) * h + j] = dhCarry[j];
                    dc0[(k * batch + b) * h + j] = dcCarry[j];
                }
            }
            dOut = dX;
        }
        return new Grads(dX, dh0, type.hasCellState() ? dc0 : null, dWIh, dWHh, dBIh, dBHh);
    }
}
