package io.unroll.train;

import io.unroll.data.Batch;
import io.unroll.layer.RecurrentConfig;
import io.unroll.layer.TrainableModel;
import io.unroll.tensor.Check;
import io.unroll.tensor.State;
import java.util.Arrays;

/**
 * A text as B contiguous streams, the char-rnn way (Karpathy 2015): the training part is cut into
 * B streams of equal length; step i takes characters {@code [i·T, (i+1)·T)} of every stream as
 * inputs and the same positions shifted by one as targets, so the state carried from step to step
 * follows each stream as one long sequence. An epoch ends when the streams are used up; the next
 * step starts them over, from zero state. The last {@code validationFraction} of the text is held
 * out and scored the same way, the state carried along its own B streams, without updates.
 */
public final class TextStreams implements BatchSource {
    private final int batch;
    private final int seq;
    private final int[] train;      // [N_train] ids
    private final int[] valid;      // [N_val] ids
    private final int streamLength; // characters per training stream
    private final int stepsPerEpoch;
    private final Batch validBatch;   // token ids and targets [B, T]
    private State validState;         // [L, B, H] carried along the validation streams

    /**
     * @param ids                the whole text as token ids
     * @param batch              B, the parallel streams
     * @param seq                T, the characters of every stream per step
     * @param validationFraction the share of the text, at its end, held out, in [0, 0.5)
     */
    public TextStreams(int[] ids, int batch, int seq, double validationFraction) {
        this.batch = Check.positive("batch (parallel streams)", batch);
        this.seq = Check.positive("sequence length", seq);
        Check.inRange("validation fraction", validationFraction, 0, 0.5);
        int validLength = validationLength(ids.length, validationFraction);
        this.train = Arrays.copyOfRange(ids, 0, ids.length - validLength);
        this.valid = Arrays.copyOfRange(ids, ids.length - validLength, ids.length);
        this.streamLength = (train.length - 1) / batch;
        this.stepsPerEpoch = streamLength / seq;
        if (stepsPerEpoch == 0) {
            throw new IllegalArgumentException("the training text has " + train.length + " characters, too few for "
                    + batch + " streams of " + seq + " characters plus one; use fewer parallel streams (batch), a shorter"
                    + " sequence length, or a longer text");
        }
        if (validLength > 0 && (validLength - 1) / batch < seq) {
            throw new IllegalArgumentException("the validation text has " + validLength + " characters, too few for "
                    + batch + " streams of " + seq + "; hold out a larger fraction of the text, or use fewer parallel"
                    + " streams (batch) or a shorter sequence length");
        }
        this.validBatch = Batch.allocateTokens(batch, seq);
    }

    /** The characters held out at the end of a text of {@code characters}: {@code floor(characters · fraction)}. */
    public static int validationLength(int characters, double validationFraction) {
        return (int) Math.floor(characters * validationFraction);
    }

    @Override
    public int batchSize() {
        return batch;
    }

    @Override
    public int sequenceLength() {
        return seq;
    }

    /** {@link Batch.Kind#TOKENS}: character ids, the next character as the target of each. */
    @Override
    public Batch.Kind batchKind() {
        return Batch.Kind.TOKENS;
    }

    @Override
    public long stepsPerEpoch() {
        return stepsPerEpoch;
    }

    /** Characters of the training part. */
    public int trainingCharacters() {
        return train.length;
    }

    /** Characters held out for validation. */
    public int validationCharacters() {
        return valid.length;
    }

    @Override
    public boolean fillBatch(long step, Batch batch) {
        int index = (int) (step % stepsPerEpoch);
        fill(train, streamLength, index, batch.tokens(), batch.classTargets());
        return index == 0;
    }

    @Override
    public boolean hasValidationData() {
        return valid.length > 0;
    }

    /** The mean over the validation batches, the state carried along the streams; the first loss that is not finite ends it. */
    @Override
    public double validationLoss(TrainableModel model) {
        if (valid.length == 0) {
            throw new IllegalStateException("no text is held out for validation (validation fraction 0)");
        }
        RecurrentConfig rc = model.rnn().config();
        boolean withCell = rc.cell().hasCellState();
        if (validState == null || validState.layers() != rc.layers() || validState.hidden() != rc.hiddenSize()
                || validState.hasCell() != withCell) {
            validState = State.zeros(rc.layers(), batch, rc.hiddenSize(), withCell);
        }
        int validStream = (valid.length - 1) / batch;
        int batches = validStream / seq;
        validState.clear();
        double total = 0;
        for (int i = 0; i < batches; i++) {
            fill(valid, validStream, i, validBatch.tokens(), validBatch.classTargets());
            double loss = model.forward(validBatch, null, validState);
            if (!Double.isFinite(loss)) {
                return loss;
            }
            total += loss;
            validState.copyFrom(model.finalState());
        }
        return total / batches;
    }

    /** Batch {@code index} of the B streams of {@code ids}, each {@code stream} characters long. */
    private void fill(int[] ids, int stream, int index, int[] inputs, int[] targets) {
        for (int b = 0; b < batch; b++) {
            int start = b * stream + index * seq;
            System.arraycopy(ids, start, inputs, b * seq, seq);
            System.arraycopy(ids, start + 1, targets, b * seq, seq);
        }
    }
}
