package io.unroll.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.cell.CellType;
import io.unroll.io.Checkpoint;
import io.unroll.layer.SequenceModel;
import io.unroll.train.CharTrainer.Config;
import io.unroll.train.CharTrainer.Difference;
import io.unroll.train.CharTrainer.Setting;
import io.unroll.train.CharTrainer.TextFingerprint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CharTrainerTest {
    private static final String TEXT = "the quick brown fox jumps over the lazy dog. ".repeat(40);

    private static Config config(CellType cell) {
        return Config.builder().cell(cell).hidden(24).layers(2).embedding(8).seq(12).tbptt(5).batch(4)
                .learningRate(3e-3).clip(1.0).valFraction(0.1).seed(7).build();
    }

    @Test
    void resumingFromACheckpointContinuesBitForBit(@TempDir Path dir) throws Exception {
        for (CellType cell : CellType.values()) {
            TrainingRun straight = CharTrainer.create("fox", TEXT, config(cell)).run();
            for (int i = 0; i < 7; i++) {
                straight.trainStep();
            }
            TrainingRun first = CharTrainer.create("fox", TEXT, config(cell)).run();
            for (int i = 0; i < 4; i++) {
                first.trainStep();
            }
            Path file = dir.resolve(cell.id() + ".safetensors");
            first.save(file, Map.of("val_loss", "1.0"));
            TrainingRun resumed = CharTrainer.resume("fox", TEXT, Checkpoint.load(file), config(cell)).run();
            assertEquals(4, resumed.step());
            for (int i = 0; i < 3; i++) {
                resumed.trainStep();
            }
            assertArrayEquals(straight.params().values(), resumed.params().values(), cell.id());
        }
    }

    @Test
    void trainingLowersTheLossAndValidationIsScored() {
        TrainingRun t = CharTrainer.create("fox", TEXT, config(CellType.GRU)).run();
        double before = t.validationLoss();
        TrainingRun.StepReport last = null;
        for (int i = 0; i < 60; i++) {
            last = t.trainStep();
        }
        assertTrue(t.validationLoss() < 0.7 * before, before + " -> " + t.validationLoss());
        assertEquals(last.loss() / Math.log(2), last.bitsPerToken(), 1e-12);
        assertTrue(last.postClipNorm() <= 1.0 + 1e-9 && last.preClipNorm() >= last.postClipNorm());
        assertEquals(5, t.window(), "tbptt 5 of seq 12");
    }

    @Test
    void aTextTooShortOrAForeignVocabularyIsAClearError(@TempDir Path dir) throws Exception {
        IllegalArgumentException shortText = assertThrows(IllegalArgumentException.class,
                () -> CharTrainer.create("abc", "abc", config(CellType.LSTM)));
        assertTrue(shortText.getMessage().contains("too few for 4 streams of 12")
                && shortText.getMessage().contains("fewer parallel streams (batch)"), shortText.getMessage());
        assertFalse(shortText.getMessage().contains("--"), "a library message names no command-line option: " + shortText.getMessage());
        IllegalArgumentException shortValidation = assertThrows(IllegalArgumentException.class,
                () -> CharTrainer.create("fox", TEXT, config(CellType.LSTM).toBuilder().valFraction(0.01).build()));
        assertTrue(shortValidation.getMessage().contains("the validation text has 18 characters"), shortValidation.getMessage());
        assertFalse(shortValidation.getMessage().contains("--"), shortValidation.getMessage());

        TrainingRun t = CharTrainer.create("fox", TEXT, config(CellType.LSTM)).run();
        Path file = dir.resolve("m.safetensors");
        t.save(file, Map.of());
        assertTrue(Files.size(file) > 0);
        IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class,
                () -> CharTrainer.resume("qwerty", "QWERTY ".repeat(300), Checkpoint.load(file), config(CellType.LSTM)));
        assertTrue(foreign.getMessage().contains("vocabulary"), foreign.getMessage());
    }

    @Test
    void theBuilderStartsFromTheDefaultsAndRoundTrips() {
        Config d = Config.defaults();
        assertEquals(Config.builder().build(), d);
        assertEquals(CellType.LSTM, d.cell());
        assertEquals(256, d.hidden());
        assertEquals(32, d.batch());
        assertEquals(0.05, d.valFraction());
        Config c = config(CellType.GRU);
        assertEquals(c, c.toBuilder().build());
        assertEquals(9, c.toBuilder().batch(9).build().batch());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> Config.builder().batch(0).build());
        assertTrue(bad.getMessage().contains("batch (parallel streams) is 0"), bad.getMessage());
    }

    @Test
    void theConfigWritesItsSettingsToTheMetadataAndReadsThemBack(@TempDir Path dir) throws Exception {
        Config c = config(CellType.RNN_RELU).toBuilder().learningRate(0.01).seed(99).rngMode("numpy").build();
        Map<String, String> info = new LinkedHashMap<>();
        c.writeTo(info);
        assertEquals(List.of("seq", "tbptt", "batch", "lr", "clip", "val_fraction", "seed", "rng"), new ArrayList<>(info.keySet()));
        assertEquals(List.of("12", "5", "4", "0.01", "1.0", "0.1", "99", "numpy"), new ArrayList<>(info.values()));

        TrainingRun run = CharTrainer.create("fox", TEXT, c).run();
        Path file = dir.resolve("c.safetensors");
        run.save(file, info);
        // sizes and cell from the model, the rest from the metadata: nothing from the fallback
        Config recorded = Config.recordedIn(Checkpoint.load(file), Config.defaults());
        assertEquals(c, recorded);
        assertEquals(List.of(), recorded.differencesFrom(c, EnumSet.allOf(Setting.class)));

        // a checkpoint that records no settings takes them from the fallback
        Path bare = dir.resolve("bare.safetensors");
        run.save(bare, Map.of());
        Config fallback = Config.defaults().toBuilder().seq(33).build();
        Config fromBare = Config.recordedIn(Checkpoint.load(bare), fallback);
        assertEquals(33, fromBare.seq());
        assertEquals(CellType.RNN_RELU, fromBare.cell());
        assertEquals(24, fromBare.hidden());

        Path corrupt = dir.resolve("corrupt.safetensors");
        run.save(corrupt, Map.of("seq", "twelve"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Config.recordedIn(Checkpoint.load(corrupt), Config.defaults()));
        assertTrue(e.getMessage().contains("sequence length") && e.getMessage().contains("'twelve'"), e.getMessage());
        assertTrue(e.getMessage().contains("unroll.info.seq"), e.getMessage());

        // values that parse but no run can have: the key and the value are named, not only the builder's complaint
        Path zero = dir.resolve("zero.safetensors");
        run.save(zero, Map.of("batch", "0"));
        e = assertThrows(IllegalArgumentException.class, () -> Config.recordedIn(Checkpoint.load(zero), Config.defaults()));
        assertTrue(e.getMessage().contains("unroll.info.batch") && e.getMessage().contains("'0'"), e.getMessage());

        // the text fingerprint and the target step: malformed values are errors, not silently "unknown"
        for (Map.Entry<String, String> bad : Map.of("text_characters", "many", "text_sha256", "xyz",
                "target_steps", "-5").entrySet()) {
            Path file2 = dir.resolve(bad.getKey() + ".safetensors");
            Map<String, String> entries = new LinkedHashMap<>();
            TextFingerprint.of("fox", TEXT).writeTo(entries);
            entries.put("target_steps", "100");
            entries.put(bad.getKey(), bad.getValue());
            run.save(file2, entries);
            Map<String, String> recordedInfo = Checkpoint.load(file2).metadata();
            IllegalArgumentException f = assertThrows(IllegalArgumentException.class, () -> {
                TextFingerprint.recordedIn(recordedInfo);
                TrainingRun.recordedTargetSteps(recordedInfo);
            }, bad.getKey());
            assertTrue(f.getMessage().contains("unroll.info." + bad.getKey()) && f.getMessage().contains("'" + bad.getValue() + "'"),
                    f.getMessage());
        }
    }

    @Test
    void resumeRulesNameTheSettingThatDiffers(@TempDir Path dir) throws Exception {
        Config c = config(CellType.LSTM);
        CharTrainer trainer = CharTrainer.create("fox", TEXT, c);
        trainer.run().trainStep();
        Path file = dir.resolve("r.safetensors");
        Map<String, String> info = new LinkedHashMap<>();
        c.writeTo(info);
        trainer.run().save(file, info);
        Checkpoint.Loaded loaded = Checkpoint.load(file);
        Config recorded = Config.recordedIn(loaded, Config.defaults());

        Config requested = c.toBuilder().batch(8).hidden(32).learningRate(0.5).cell(CellType.GRU).build();
        List<Difference> all = recorded.differencesFrom(requested, EnumSet.allOf(Setting.class));
        assertEquals(List.of(new Difference(Setting.CELL, "lstm", "gru"), new Difference(Setting.HIDDEN, "24", "32"),
                new Difference(Setting.BATCH, "4", "8"), new Difference(Setting.LEARNING_RATE, "0.003", "0.5")), all);
        assertEquals("batch (parallel streams) 8 differs from the checkpoint's 4", all.get(2).describe());
        // only the settings asked about count
        assertEquals(List.of(new Difference(Setting.BATCH, "4", "8")),
                recorded.differencesFrom(requested, EnumSet.of(Setting.BATCH, Setting.SEQ)));

        IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
                () -> CharTrainer.resume("fox", TEXT, loaded, c.toBuilder().batch(8).build()));
        assertEquals("batch (parallel streams) 8 differs from the checkpoint's 4; a resumed run keeps the model and settings"
                + " of its checkpoint", batch.getMessage());
        IllegalArgumentException seed = assertThrows(IllegalArgumentException.class,
                () -> CharTrainer.resume("fox", TEXT, loaded, c.toBuilder().seed(8).build()));
        assertTrue(seed.getMessage().startsWith("seed 8 differs from the checkpoint's 7"), seed.getMessage());

        // without a config, the recorded settings are the run's
        CharTrainer resumed = CharTrainer.resume("fox", TEXT, loaded);
        assertEquals(c, resumed.config());
        assertEquals(1, resumed.run().step());
        assertTrue(resumed.run().resumed());
    }

    @Test
    void aModelWithoutTrainingStateCannotBeResumed(@TempDir Path dir) throws Exception {
        TrainingRun run = CharTrainer.create("fox", TEXT, config(CellType.GRU)).run();
        Path file = dir.resolve("model.safetensors");
        Checkpoint.save(file, (SequenceModel) run.model(), run.params(), run.vocabulary(), Map.of(), null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CharTrainer.resume("fox", TEXT, Checkpoint.load(file)));
        assertTrue(e.getMessage().contains("no training state"), e.getMessage());
    }

    @Test
    void theTextFingerprintTellsTextsApartWhateverTheirNames() {
        TextFingerprint a = TextFingerprint.of("a.txt", "héllo");
        assertEquals(5, a.characters());
        assertEquals("a.txt, 5 characters", a.describe());
        assertTrue(a.sameText(TextFingerprint.of("b.txt", "héllo")));
        assertFalse(a.sameText(TextFingerprint.of("a.txt", "hello")));
        Map<String, String> info = new LinkedHashMap<>();
        a.writeTo(info);
        assertEquals(List.of("text", "text_characters", "text_sha256"), new ArrayList<>(info.keySet()));
        assertEquals(a, TextFingerprint.recordedIn(info));
        assertNull(TextFingerprint.recordedIn(Map.of("text", "a.txt")), "no fingerprint without its hash");
    }

    @Test
    void everyCheckpointOfARunRecordsTheTextTheSettingsAndWhereTheRunStood(@TempDir Path dir) throws Exception {
        Config c = config(CellType.LSTM);
        TrainingRun run = CharTrainer.create("fox.txt", TEXT, c).run();
        TrainingRun.Result result = run.run(TrainingRun.Plan.to(4).validateEvery(2).checkpointsIn(dir).build());
        Map<String, String> info = Checkpoint.load(dir.resolve(CheckpointDirectory.LATEST)).metadata();
        assertEquals(List.of("text", "text_characters", "text_sha256", "seq", "tbptt", "batch", "lr", "clip", "val_fraction",
                "seed", "rng", "target_steps", "val_step", "val_loss", "val_bits_per_char", "step", "epoch", "train_loss"),
                new ArrayList<>(info.keySet()));
        assertEquals("fox.txt", info.get("text"));
        assertEquals(Integer.toString(TEXT.length()), info.get("text_characters"));
        assertEquals("4", info.get("target_steps"));
        assertEquals("4", info.get("val_step"));
        assertEquals(Double.toString(result.validations().get(1).loss()), info.get("val_loss"));
        assertEquals("4", info.get("step"));
        assertEquals(String.format(java.util.Locale.ROOT, "%.4f", 4.0 / run.stepsPerEpoch()), info.get("epoch"));
        assertEquals(Double.toString(result.last().loss()), info.get("train_loss"));
        assertEquals(4, TrainingRun.recordedTargetSteps(info));
        assertEquals(-1, TrainingRun.recordedTargetSteps(Map.of()));
    }
}
