package io.unroll.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.ThreadMXBean;
import io.unroll.cell.Cell;
import io.unroll.cell.CellType;
import io.unroll.flow.GradientDecay;
import io.unroll.init.InitScheme;
import io.unroll.tensor.Check;
import io.unroll.tensor.Memory;
import io.unroll.tensor.ParamStore;
import io.unroll.tensor.Rng;
import io.unroll.train.CharTrainer;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Sizes too large for an array or for the heap: every product of sizes is checked where it is
 * formed, with a message that names the sizes, and a model is declared without its large arrays,
 * so that what it needs is weighed against the heap before anything large is allocated.
 */
class SizesTest {
    private static final ThreadMXBean THREADS = (ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static void rejects(Class<? extends IllegalArgumentException> type, Runnable call, String... keyWords) {
        IllegalArgumentException e = assertThrows(type, call::run);
        for (String word : keyWords) {
            assertTrue(e.getMessage().contains(word), "message '" + e.getMessage() + "' lacks '" + word + "'");
        }
    }

    @Test
    void arrayLengthsAreMultipliedWithoutOverflow() {
        assertEquals(12, Check.arrayLength("x [a, b]", 3, 4));
        assertEquals(Check.MAX_ARRAY_LENGTH, Check.arrayLength("x [a, b, c]", 1, 1, Check.MAX_ARRAY_LENGTH));
        // 4 · 10^9 wraps to -294967296 in int arithmetic
        rejects(IllegalArgumentException.class, () -> Check.arrayLength("gates [gates, hidden size]", 4, 1_000_000_000),
                "gates [gates, hidden size] = [4, 1000000000]", "4,000,000,000 values", "more than one Java array can");
        // 2^31 · 2^31 · 2^31 overflows a long as well
        rejects(IllegalArgumentException.class,
                () -> Check.arrayLength("x [a, b, c]", Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE),
                "9,903,520,300,447,984,150,353,281,023 values");
    }

    @Test
    void aHiddenSizeWhoseGateRowsOverflowIsNamedNotWrapped() {
        ParamStore.Builder pb = ParamStore.builder();
        rejects(IllegalArgumentException.class,
                () -> new Recurrent(pb, "rnn.", RecurrentConfig.of(CellType.LSTM, 64, 1_000_000_000, 1)),
                "rnn.weight_ih_l0 [gates, hidden size, input size] = [4, 1000000000, 64]", "256,000,000,000 values");
        rejects(IllegalArgumentException.class,
                () -> new Recurrent(ParamStore.builder(), "", RecurrentConfig.of(CellType.RNN_TANH, 1, 50_000, 1)),
                "weight_hh_l0 = [50000, 50000]", "2,500,000,000 values");
    }

    @Test
    void tooManyParametersForOneStoreStopTheDeclarationAtOnce() {
        // a hundred thousand layers of 256: the store's int offsets would overflow after about 4,000
        rejects(IllegalArgumentException.class,
                () -> SequenceModel.embedded(ParamStore.builder(), 65, RecurrentConfig.of(CellType.LSTM, 64, 256, 100_000)),
                "the parameters number 2,147,520,576 with rnn.weight_ih_l4080 [1024, 256]", "too many layers");
    }

    /**
     * A model of 1.6 billion parameters is declared without allocating them or its workspace (its
     * packed weights alone would be 19 GB), and says what it would need.
     */
    @Test
    void declaringAHugeModelAllocatesAlmostNothingAndSizesItsMemory() {
        long before = THREADS.getCurrentThreadAllocatedBytes();
        ParamStore.Builder pb = ParamStore.builder();
        SequenceModel model = SequenceModel.embedded(pb, 65, RecurrentConfig.of(CellType.LSTM, 64, 20_000, 1));
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 1 << 20, allocated + " bytes allocated to declare the model");
        long weights = 4L * 20_000 * (64 + 20_000) + 8L * 20_000; // weight_ih, weight_hh, the two biases
        assertEquals(65 * 64 + weights + 65 * 20_000 + 65, pb.size());
        // two packed copies of W_hh [80000, 20000], the stored activations and the scratch of a step
        assertTrue(model.workspaceFloats(32, 100) > 2L * 80_000 * 20_000, "workspace " + model.workspaceFloats(32, 100));
        assertTrue(model.rnn().workspaceFloats(32, 100) > model.rnn().requiredStoredFloats(32, 100));
    }

    /**
     * What {@link Cell#workspaceFloats} says is what {@link Cell#resize} allocates, for every cell,
     * measured by the JVM's exact per-thread counter: megabytes, to within the few kilobytes of the
     * objects' headers and the measurement itself.
     */
    @ParameterizedTest
    @EnumSource(CellType.class)
    void aCellsWorkspaceIsWhatResizeAllocates(CellType cell) {
        RecurrentConfig config = RecurrentConfig.of(cell, 24, 40, 1);
        new Recurrent(ParamStore.builder(), "", config).cell(0).resize(3, 5); // loads and links every class on the way
        ParamStore.Builder pb = ParamStore.builder();
        Cell fresh = new Recurrent(pb, "", config).cell(0);
        pb.build();
        int batch = 32;
        int steps = 200;
        long before = THREADS.getCurrentThreadAllocatedBytes();
        fresh.resize(batch, steps);
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        long expected = 4 * fresh.workspaceFloats(batch, steps);
        assertTrue(expected > 1_000_000, expected + " bytes");
        assertTrue(allocated >= expected && allocated <= expected + 4096,
                cell.id() + ": resize allocated " + allocated + " bytes, workspaceFloats says " + expected);
    }

    /** Training a model the heap cannot hold is refused before anything large is allocated, naming both sizes. */
    @Test
    void trainingAModelTooLargeForTheHeapIsRefusedUpFront() {
        // 2.1 billion parameters, the most one store holds: with gradients and Adam's moments 34 GB
        // before any workspace, more than the heap of any machine these tests run on
        CharTrainer.Config config = CharTrainer.Config.builder().hidden(23_000).embedding(8).batch(1).seq(4).build();
        String text = "abcdefghij".repeat(10);
        rejects(Memory.InsufficientMemoryException.class, () -> CharTrainer.create("ten.txt", text, config),
                "training this model (lstm, 1 layer of 23000, embedding 8, vocabulary 10: 2,117,", "on 1 streams x 4 characters",
                "needs about ", "GB, more than the " + Memory.format(Memory.heapLimit()) + " this JVM may use",
                "use a smaller hidden size");
        GradientDecay.Config decay = new GradientDecay.Config(80, 46_000, 1, CellType.RNN_TANH, InitScheme.GAUSSIAN, Double.NaN);
        rejects(Memory.InsufficientMemoryException.class, () -> GradientDecay.run(decay, Rng.seeded(1)),
                "the experiment's rnn_tanh of 46,000 hidden units over 80 steps and 1 trial ", "more than the ");
    }

    @Test
    void memoryChecksNameWhatIsNeededAndWhatThereIs() {
        Memory.require("a small task", 1000, 1000, "never mind");
        Memory.InsufficientMemoryException e = assertThrows(Memory.InsufficientMemoryException.class,
                () -> Memory.require("the task", 3L << 30, 512L << 20, "use less"));
        assertEquals("the task needs about 3.0 GB, more than the 512.0 MB this JVM may use (its maximum heap, -Xmx); use less",
                e.getMessage());
        assertEquals(3L << 30, e.required());
        assertEquals(512L << 20, e.limit());
        assertEquals("1023 bytes", Memory.format(1023));
        assertEquals("1.5 KB", Memory.format(1536));
        assertEquals("8.0 EB", Memory.format(Long.MAX_VALUE));
    }
}
