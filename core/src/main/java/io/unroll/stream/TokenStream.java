package io.unroll.stream;

import io.unroll.kernel.Kernels;
import io.unroll.layer.SequenceModel;
import io.unroll.tensor.Check;
import io.unroll.tensor.Param;

/**
 * Streaming inference on a token model: one token id in, the next token's logits out, the
 * recurrent state carried in a {@link StreamSession}. Embedding lookup, one recurrent step and the
 * linear head, allocation-free once warm. Like {@link StreamSession}, it works on a copy of the
 * weights taken when it is made (the head transposed, {@code [H, V]}): after the parameters change,
 * make a new one. Not thread-safe: one per stream.
 */
public final class TokenStream {
    private final SequenceModel model;
    private final StreamSession session;
    private final float[] input;   // [E]
    private final float[] logits;  // [V]
    private final float[] headT;   // [H, V], the head's weight transposed

    public TokenStream(SequenceModel model) {
        if (model.embedding() == null) {
            throw new IllegalArgumentException("a token stream needs a model with an embedding");
        }
        this.model = model;
        this.session = new StreamSession(model.rnn());
        this.input = new float[model.embedding().dimension()];
        this.logits = new float[model.vocabularySize()];
        Param w = model.head().weight();
        this.headT = new float[w.size()];
        Kernels.transpose(headT, 0, w.data(), w.offset(), model.vocabularySize(), w.columns());
    }

    /** Feeds one token; returns the logits of the next one {@code [V]}, valid until the next call. */
    public float[] step(int token) {
        int v = model.vocabularySize();
        if (token < 0 || token >= v) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, " + v + ")");
        }
        Param emb = model.embedding().weight();
        System.arraycopy(emb.data(), emb.offset() + token * input.length, input, 0, input.length);
        float[] h = session.step(input);
        Param b = model.head().bias();
        Kernels.gemmNN(logits, 0, h, 0, headT, 0, 1, v, h.length);
        Kernels.add(logits, 0, b.data(), b.offset(), v);
        return logits;
    }

    /** Forgets the state: the next token starts a new sequence. */
    public void reset() {
        session.reset();
    }

    /** The recurrent session (state snapshot and restore). */
    public StreamSession session() {
        return session;
    }

    /**
     * Writes {@code softmax(logits / temperature)} into {@code probabilities [V]} and returns it.
     * Temperature must be positive: small values sharpen the distribution, large ones flatten it.
     */
    public static float[] softmax(float[] logits, double temperature, float[] probabilities) {
        Check.positive("temperature", temperature);
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            double e = Math.exp((logits[i] - max) / temperature);
            probabilities[i] = (float) e;
            sum += e;
        }
        for (int i = 0; i < logits.length; i++) {
            probabilities[i] = (float) (probabilities[i] / sum);
        }
        return probabilities;
    }
}
