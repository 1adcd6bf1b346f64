package io.unroll.train;

import io.unroll.data.Batch;
import io.unroll.layer.StepObserver;
import io.unroll.layer.TrainableModel;
import io.unroll.tensor.Check;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.State;
import java.util.Arrays;

/**
 * Truncated backpropagation through time with window k (Williams &amp; Peng 1990; the char-rnn way):
 * a batch of long sequences is run in chunks of k steps; each chunk starts from the state
 * <em>values</em> the previous chunk ended with, its gradient stops at the chunk boundary, and the
 * parameters are updated after every chunk (clip, then optimizer step). The state is carried from
 * call to call as well, so consecutive batches of a text stream continue each other, until
 * {@link #resetState()}.
 *
 * <p>Every chunk has the shape {@code [B, k]}: a shorter last chunk is padded and its padded steps
 * masked (see {@link io.unroll.layer.Recurrent#forward(float[], int, int, State, int[])}), so the
 * model's workspaces keep one size and memory is constant in the number of chunks. With
 * {@code k >= T} there is one chunk, which is exactly full BPTT.
 *
 * <p>Chunks exist for token batches, whose loss is at every step. A model whose loss is at the
 * last step only ({@link Batch.Kind#VECTORS}) is trained with full BPTT: a window that ends before
 * the last step would have no loss, and one that cuts the sequence would hide from the gradient
 * exactly the dependency such a task tests, so {@link #train(Batch, ChunkListener)} refuses a
 * window shorter than its sequences.
 */
public final class TruncatedBptt {
    /**
     * Receives each chunk's loss and pre-clip gradient norm; a non-finite value is data, not an
     * error. A listener may also watch inside the chunk: the observer of its backward time loop,
     * and the moment between backward and clipping.
     */
    @FunctionalInterface
    public interface ChunkListener {
        /** After the chunk's clipping, before its update (if any). */
        void onChunk(long chunk, double loss, double preClipNorm);

        /** The observer of the chunk's backward time loop, asked after its forward; by default none. */
        default StepObserver backwardObserver(long chunk) {
            return StepObserver.NONE;
        }

        /**
         * After the chunk's backward and before clipping: the parameter gradients are the chunk's
         * own, unclipped, and the model's buffers still hold its forward. Not called for a chunk
         * whose loss was not finite (it takes no gradient).
         */
        default void beforeClip(long chunk) {}
    }

    private final TrainableModel model;
    private final ParamStore params;
    private final Optimizer optimizer;
    private final int window;
    private final double maxNorm;
    private final int batch;
    private final State carried;   // [L, B, H] values at the end of the last chunk
    private final Batch chunkBatch; // token ids and targets [B, k] of one chunk; null for a model of vectors
    private final int[] lengths;   // [B]
    private long chunks;
    private boolean finite; // whether the last chunk's loss and gradient norm were finite

    /**
     * @param window  k, the number of steps between gradient cuts
     * @param maxNorm global-norm clipping threshold, or {@code Double.POSITIVE_INFINITY} for none
     */
    public TruncatedBptt(TrainableModel model, ParamStore params, Optimizer optimizer, int batch, int window, double maxNorm) {
        this.model = model;
        this.params = params;
        this.optimizer = optimizer;
        this.batch = Check.positive("batch", batch);
        this.window = Check.positive("window k", window);
        this.maxNorm = maxNorm == Double.POSITIVE_INFINITY ? maxNorm : Check.positive("max norm", maxNorm);
        int layers = model.rnn().config().layers();
        int hidden = model.rnn().config().hiddenSize();
        this.carried = State.zeros(layers, batch, hidden, model.rnn().config().cell().hasCellState());
        this.chunkBatch = model.batchKind() == Batch.Kind.TOKENS ? Batch.allocateTokens(batch, window) : null;
        this.lengths = new int[batch];
    }

    public int window() {
        return window;
    }

    /** Chunks trained so far. */
    public long chunks() {
        return chunks;
    }

    /** The state the next chunk starts from (a copy). */
    public State state() {
        return carried.copy();
    }

    /** Sets the state the next chunk starts from (resuming a run). */
    public void restoreState(State state) {
        try {
            carried.copyFrom(state);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("carried " + e.getMessage()
                    + "; the likely cause is resuming with another batch size (number of parallel sequences)", e);
        }
    }

    /** Forgets the carried state: the next chunk starts from zeros. */
    public void resetState() {
        carried.clear();
    }

    /**
     * {@link #train(Batch, ChunkListener)} on token ids and targets {@code [B, T]} (a
     * {@link Batch.Kind#TOKENS} batch over the arrays, which are not copied).
     */
    public double train(int[] inputIds, int[] targetIds, int steps, ChunkListener listener) {
        Check.positive("steps", steps);
        return train(Batch.wrapTokens(inputIds, targetIds, batch, steps), listener);
    }

    /**
     * Trains on one batch of sequences {@code [B, T]} in chunks of k, one update per chunk. A chunk
     * whose loss or gradient norm is not finite makes no update and ends the batch (its listener
     * call reports it, with a NaN norm if the loss was not finite and no gradient was taken).
     *
     * @return the mean loss over the steps trained: all T of the batch unless a chunk was not
     *         finite (each chunk's mean weighted by its length)
     * @throws IllegalArgumentException if the batch has another number of sequences than this
     *         trainer, or is a {@link Batch.Kind#VECTORS} batch longer than the window
     */
    public double train(Batch data, ChunkListener listener) {
        int steps = data.steps();
        if (data.batchSize() != batch) {
            throw new IllegalArgumentException("the batch has " + data.batchSize() + " sequences, expected " + batch
                    + " (the truncated-BPTT trainer's batch size)");
        }
        if (steps <= window) {
            // one chunk: exactly full BPTT, at the batch's own shape
            return chunk(data, null, listener);
        }
        if (data.kind() != Batch.Kind.TOKENS) {
            throw lastStepLossNeedsFullBptt(window, steps);
        }
        if (chunkBatch == null) {
            throw new IllegalArgumentException("the batch holds " + data.kind().description() + ", but the model reads "
                    + model.batchKind().description());
        }
        int[] inputIds = data.tokens();
        int[] targetIds = data.classTargets();
        int[] tokens = chunkBatch.tokens();
        int[] targets = chunkBatch.classTargets();
        double total = 0;
        int done = 0;
        for (int start = 0; start < steps; start += window) {
            int n = Math.min(window, steps - start);
            for (int b = 0; b < batch; b++) {
                System.arraycopy(inputIds, b * steps + start, tokens, b * window, n);
                System.arraycopy(targetIds, b * steps + start, targets, b * window, n);
                // padding: any valid id; masked out of the loss and of every gradient
                Arrays.fill(tokens, b * window + n, (b + 1) * window, 0);
                Arrays.fill(targets, b * window + n, (b + 1) * window, 0);
                lengths[b] = n;
            }
            total += chunk(chunkBatch, n < window ? lengths : null, listener) * n;
            done += n;
            if (!finite) {
                break; // the model has diverged: the chunks after this one would learn nothing
            }
        }
        return total / done;
    }

    /**
     * The error for a window of {@code window} steps on sequences of {@code steps} when the loss is
     * at the last step only: training it needs full BPTT.
     */
    static IllegalArgumentException lastStepLossNeedsFullBptt(int window, int steps) {
        return new IllegalArgumentException("the truncated-BPTT window is " + window + " steps, shorter than the sequences ("
                + steps + " steps), but the model's loss is at the last step only: a window that ends before it has no loss,"
                + " and cutting the gradient would hide the dependency the task tests; use a window of at least " + steps
                + " (full BPTT), or none");
    }

    /** One chunk from the carried state: forward, backward, clip, carry the final state, update (if finite). */
    private double chunk(Batch data, int[] chunkLengths, ChunkListener listener) {
        params.zeroGrads();
        double loss = model.forward(data, chunkLengths, carried);
        if (!Double.isFinite(loss)) {
            // the forward pass overflowed: no gradient to take, no update, and its final state is not carried on
            listener.onChunk(chunks, loss, Double.NaN);
            chunks++;
            finite = false;
            return loss;
        }
        model.backward(listener.backwardObserver(chunks));
        listener.beforeClip(chunks);
        double norm = Double.isInfinite(maxNorm) ? Clipping.globalNorm(params) : Clipping.clipByGlobalNorm(params, maxNorm);
        carried.copyFrom(model.finalState());
        listener.onChunk(chunks, loss, norm);
        chunks++;
        finite = Double.isFinite(loss) && Double.isFinite(norm);
        if (finite) {
            optimizer.step(params);
        }
        return loss;
    }
}
