package io.unroll.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.io.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CharTrainerTest {
    private static final String TEXT = "the quick brown fox jumps over the lazy dog. ".repeat(40);

    private static CharTrainer.Config config(CellType cell) {
        return new CharTrainer.Config(cell, 24, 2, 8, 12, 5, 4, 3e-3, 1.0, 0.1, 7, "default");
    }

    @Test
    void resumingFromACheckpointContinuesBitForBit(@TempDir Path dir) throws Exception {
        for (CellType cell : CellType.values()) {
            CharTrainer straight = CharTrainer.create(TEXT, config(cell));
            for (int i = 0; i < 7; i++) {
                straight.trainStep();
            }
            CharTrainer first = CharTrainer.create(TEXT, config(cell));
            for (int i = 0; i < 4; i++) {
                first.trainStep();
            }
            Path file = dir.resolve(cell.id() + ".safetensors");
            first.save(file, Map.of("val_loss", "1.0"));
            CharTrainer resumed = CharTrainer.resume(TEXT, Checkpoint.load(file), config(cell));
            assertEquals(4, resumed.step());
            for (int i = 0; i < 3; i++) {
                resumed.trainStep();
            }
            assertArrayEquals(straight.params().values(), resumed.params().values(), cell.id());
        }
    }

    @Test
    void trainingLowersTheLossAndValidationIsScored() {
        CharTrainer t = CharTrainer.create(TEXT, config(CellType.GRU));
        double before = t.validationLoss();
        CharTrainer.StepReport last = null;
        for (int i = 0; i < 60; i++) {
            last = t.trainStep();
        }
        assertTrue(t.validationLoss() < 0.7 * before, before + " -> " + t.validationLoss());
        assertEquals(last.loss() / Math.log(2), last.bitsPerChar(), 1e-12);
        assertTrue(last.postClipNorm() <= 1.0 + 1e-9 && last.preClipNorm() >= last.postClipNorm());
    }

    @Test
    void aTextTooShortOrAForeignVocabularyIsAClearError(@TempDir Path dir) throws Exception {
        IllegalArgumentException shortText = assertThrows(IllegalArgumentException.class,
                () -> CharTrainer.create("abc", config(CellType.LSTM)));
        assertTrue(shortText.getMessage().contains("too few"), shortText.getMessage());
        CharTrainer t = CharTrainer.create(TEXT, config(CellType.LSTM));
        Path file = dir.resolve("m.safetensors");
        t.save(file, Map.of());
        assertTrue(Files.size(file) > 0);
        IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class,
                () -> CharTrainer.resume("QWERTY ".repeat(300), Checkpoint.load(file), config(CellType.LSTM)));
        assertTrue(foreign.getMessage().contains("vocabulary"), foreign.getMessage());
    }
}
