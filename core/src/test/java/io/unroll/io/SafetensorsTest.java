package io.unroll.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

    @TempDir
    Path dir;

    // ------------------------------------------------------------------ round trips

    @Test
    void roundTripOfEveryDtypeWithScalarsEmptyTensorsAndMetadata() throws IOException {
        float[] f = {1.5f, -0.0f, Float.NaN, Float.POSITIVE_INFINITY, Float.MIN_VALUE, -3.25e-7f};
        double[] d = {Math.PI, -0.0, Double.NaN, Double.NEGATIVE_INFINITY, Double.MIN_VALUE, 1e300};
        long[] l = {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE};
        int[] i = {Integer.MIN_VALUE, -7, 0, Integer.MAX_VALUE, 42, 3};
        Path file = dir.resolve("all.safetensors");
        Safetensors.writer()
                .putFloats("weight_ih_l0", new int[] {2, 3}, f)
                .putDoubles("doubles", new int[] {3, 2}, d)
                .putLongs("tokens", new int[] {4}, l)
                .putInts("ints", new int[] {2, 1, 3}, i)
                .putFloats("scalar", new int[0], new float[] {2.5f})
                .putDoubles("empty", new int[] {0}, new double[0])
                .putLongs("empty2d", new int[] {2, 0}, new long[0])
                .putFloats("slice", new int[] {2}, new float[] {9, 8, 7, 6}, 1)
                .metadata("format", "pt")
                .metadata("note", "héllo \"quoted\" \\ / ünïcode ∑")
                .write(file);

        Safetensors.Contents c = Safetensors.read(file);
        assertEquals(List.of("weight_ih_l0", "doubles", "tokens", "ints", "scalar", "empty", "empty2d", "slice"), c.names());
        assertEquals(Map.of("format", "pt", "note", "héllo \"quoted\" \\ / ünïcode ∑"), c.metadata());
        assertEquals(List.of("format", "note"), List.copyOf(c.metadata().keySet()));

        assertEquals(Safetensors.Dtype.F32, c.dtype("weight_ih_l0"));
        assertArrayEquals(new int[] {2, 3}, c.shape("weight_ih_l0"));
        assertArrayEquals(bits(f), bits(c.floats("weight_ih_l0")));
        assertEquals(Safetensors.Dtype.F64, c.dtype("doubles"));
        assertArrayEquals(bits(d), bits(c.doubles("doubles")));
        assertEquals(Safetensors.Dtype.I64, c.dtype("tokens"));
        assertArrayEquals(l, c.longs("tokens"));
        assertEquals(Safetensors.Dtype.I32, c.dtype("ints"));
        assertArrayEquals(new int[] {2, 1, 3}, c.shape("ints"));
        assertArrayEquals(i, c.ints("ints"));

        assertArrayEquals(new int[0], c.shape("scalar"));
        assertEquals(1, c.elementCount("scalar"));
        assertArrayEquals(new float[] {2.5f}, c.floats("scalar"));
        assertArrayEquals(new int[] {0}, c.shape("empty"));
        assertEquals(0, c.doubles("empty").length);
        assertArrayEquals(new int[] {2, 0}, c.shape("empty2d"));
        assertEquals(0, c.elementCount("empty2d"));
        assertEquals(0, c.longs("empty2d").length);
        assertArrayEquals(new float[] {8, 7}, c.floats("slice"));
        assertTrue(c.has("scalar"));
        assertFalse(c.has("absent"));
        long headerLength = ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8, "the data section starts 8-byte aligned");
    }

    @Test
    void emptyFileWithoutTensorsOrMetadataRoundTrips() throws IOException {
        Path file = dir.resolve("empty.safetensors");
        Safetensors.writer().write(file);
        byte[] bytes = Files.readAllBytes(file);
        assertArrayEquals(concat(le64(8), "{}      ".getBytes(StandardCharsets.US_ASCII)), bytes);
        Safetensors.Contents c = Safetensors.read(file);
        assertTrue(c.names().isEmpty());
        assertTrue(c.metadata().isEmpty());
    }

    @Test
    void convertsBetweenWidthsAndRejectsTheWrongKind() throws IOException {
        Path file = dir.resolve("convert.safetensors");
        Safetensors.writer()
                .putDoubles("d", new int[] {3}, new double[] {0.1, 1e40, -2.5})
                .putFloats("f", new int[] {2}, new float[] {0.1f, -3f})
                .putInts("i", new int[] {2}, new int[] {-5, 7})
                .putLongs("l", new int[] {2}, new long[] {3, 1L << 40})
                .write(file);
        Safetensors.Contents c = Safetensors.read(file);
        assertArrayEquals(new float[] {0.1f, Float.POSITIVE_INFINITY, -2.5f}, c.floats("d"));
        assertArrayEquals(new double[] {(double) 0.1f, -3.0}, c.doubles("f"));
        assertArrayEquals(new long[] {-5, 7}, c.longs("i"));
        assertArrayEquals(new int[] {-5, 7}, c.ints("i"));

        IllegalArgumentException range = assertThrows(IllegalArgumentException.class, () -> c.ints("l"));
        assertContains(range, "'l'", String.valueOf(1L << 40), "int range", "longs()");
        IllegalArgumentException kind = assertThrows(IllegalArgumentException.class, () -> c.floats("l"));
        assertContains(kind, "'l'", "I64", "floats()", "F32 or F64");
        assertContains(assertThrows(IllegalArgumentException.class, () -> c.longs("f")), "F32", "longs()");
        assertContains(assertThrows(IllegalArgumentException.class, () -> c.doubles("i")), "I32", "doubles()");
    }

    @Test
    void missingNameListsTheAvailableNames() throws IOException {
        Path file = dir.resolve("names.safetensors");
        Safetensors.writer()
                .putFloats("weight_ih_l0", new int[] {1}, new float[] {1})
                .putFloats("bias_ih_l0", new int[] {1}, new float[] {1})
                .write(file);
        Safetensors.Contents c = Safetensors.read(file);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.floats("weight_hh_l0"));
        assertContains(e, "no tensor named 'weight_hh_l0'", "weight_ih_l0", "bias_ih_l0", "names.safetensors");
        assertThrows(IllegalArgumentException.class, () -> c.shape("nope"));
        assertThrows(IllegalArgumentException.class, () -> c.dtype("nope"));
    }

    @Test
    void tensorsReadInSmallPiecesAreDecodedCorrectly() throws IOException {
        double[] d = new double[37];
        float[] f = new float[29];
        long[] l = new long[11];
        for (int k = 0; k < d.length; k++) {
            d[k] = Math.sin(k) * 1e5;
        }
        for (int k = 0; k < f.length; k++) {
            f[k] = (float) Math.cos(k);
        }
        for (int k = 0; k < l.length; k++) {
            l[k] = -k * 0x0102030405L;
        }
        Path file = dir.resolve("chunks.safetensors");
        Safetensors.writer()
                .putFloats("f", new int[] {29}, f) // 116 bytes: the F64 tensor after it starts at an odd offset
                .putDoubles("d", new int[] {37}, d)
                .putInts("i", new int[] {1}, new int[] {5})
                .putLongs("l", new int[] {11}, l)
                .write(file);
        for (int chunk : new int[] {8, 16, 24, 64, 1000}) {
            Safetensors.Contents c = Safetensors.read(file, chunk);
            assertArrayEquals(f, c.floats("f"), "chunk " + chunk);
            assertArrayEquals(d, c.doubles("d"), "chunk " + chunk);
            assertArrayEquals(new int[] {5}, c.ints("i"), "chunk " + chunk);
            assertArrayEquals(l, c.longs("l"), "chunk " + chunk);
        }
    }

    // ------------------------------------------------------------------ the exact bytes

    @Test
    void writesExactlyTheBytesOfTheFormat() throws IOException {
        String json = "{\"__metadata__\":{\"k\":\"v\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[8,16]}}";
        assertEquals(132, json.length());
        byte[] expected = concat(
                new byte[] {(byte) 0x88, 0, 0, 0, 0, 0, 0, 0}, // 136 = 132 bytes of JSON + 4 spaces of padding
                json.getBytes(StandardCharsets.US_ASCII),
                new byte[] {' ', ' ', ' ', ' '},
                new byte[] {0, 0, (byte) 0x80, 0x3f}, // 1.0f little-endian
                new byte[] {0, 0, 0, (byte) 0xc0}, // -2.0f
                new byte[] {7, 0, 0, 0, 0, 0, 0, 0}); // 7L

        Path file = dir.resolve("known.safetensors");
        Safetensors.writer()
                .putFloats("a", new int[] {2}, new float[] {1f, -2f})
                .putLongs("b", new int[0], new long[] {7})
                .metadata("k", "v")
                .write(file);
        assertArrayEquals(expected, Files.readAllBytes(file));

        Path handMade = dir.resolve("handmade.safetensors");
        Files.write(handMade, expected);
        Safetensors.Contents c = Safetensors.read(handMade);
        assertEquals(List.of("a", "b"), c.names());
        assertArrayEquals(new float[] {1f, -2f}, c.floats("a"));
        assertArrayEquals(new long[] {7}, c.longs("b"));
        assertEquals(Map.of("k", "v"), c.metadata());
    }

    @Test
    void readsAFileWrittenByThePythonReferenceScript() throws Exception {
        Path golden = resource("/golden/lstm_l1.safetensors");
        Safetensors.Contents c = Safetensors.read(golden);
        assertEquals("lstm", c.metadata().get("cell"));
        assertEquals(Safetensors.Dtype.F64, c.dtype("weight_ih_l0"));
        assertArrayEquals(new int[] {24, 4}, c.shape("weight_ih_l0"));
        assertArrayEquals(new int[] {1}, c.shape("loss"));
        assertEquals(-0.638498457738, c.doubles("loss")[0], 1e-12); // printed by make_golden.py
        // PyTorch default init times 2 lies in +-2/sqrt(6)
        for (double w : c.doubles("weight_hh_l0")) {
            assertTrue(Math.abs(w) <= 2 / Math.sqrt(6), "weight " + w);
        }

        Path tokens = resource("/golden/model_lstm_ce.safetensors");
        Safetensors.Contents m = Safetensors.read(tokens);
        for (int t : m.ints("tokens")) {
            assertTrue(t >= 0 && t < 7, "token " + t);
        }
    }

    @Test
    void rewritingAPythonFileReproducesItByteForByte() throws Exception {
        for (String name : List.of("/golden/rnn_tanh_l1.safetensors", "/golden/model_gru_ce.safetensors",
                "/reference/numpy_hello.safetensors")) {
            Path original = resource(name);
            Safetensors.Contents c = Safetensors.read(original);
            Safetensors.Writer w = Safetensors.writer();
            c.metadata().forEach(w::metadata);
            for (String t : c.names()) {
                switch (c.dtype(t)) {
                    case F32 -> w.putFloats(t, c.shape(t), c.floats(t));
                    case F64 -> w.putDoubles(t, c.shape(t), c.doubles(t));
                    case I32 -> w.putInts(t, c.shape(t), c.ints(t));
                    case I64 -> w.putLongs(t, c.shape(t), c.longs(t));
                    default -> fail("unexpected dtype");
                }
            }
            Path copy = dir.resolve("copy.safetensors");
            w.write(copy);
            assertArrayEquals(Files.readAllBytes(original), Files.readAllBytes(copy), name);
        }
    }

    // ------------------------------------------------------------------ malformed files

    @Test
    void rejectsAFileShorterThanTheLengthPrefix() throws IOException {
        Path file = write("short", new byte[] {1, 2, 3});
        assertFormatError(file, "3 bytes long", "8-byte header length", "truncated");
        assertFormatError(write("zero", new byte[0]), "0 bytes long", "truncated");
    }

    @Test
    void rejectsAHeaderLengthAboveTheLimitWithoutAllocatingIt() throws IOException {
        assertFormatError(write("huge", concat(le64(1L << 40), new byte[64])),
                "header length 1099511627776", "exceeds the limit of 100000000", "not a safetensors file");
        assertFormatError(write("unsigned", concat(le64(-1L), new byte[64])),
                "header length 18446744073709551615", "exceeds the limit");
    }

    @Test
    void rejectsAHeaderLengthBeyondTheEndOfTheFile() throws IOException {
        assertFormatError(write("beyond", concat(le64(5000), "{}".getBytes(StandardCharsets.US_ASCII))),
                "header length 5000", "exceeds the 2 bytes", "truncated file");
    }

    @Test
    void rejectsATruncatedFile() throws IOException {
        Path good = dir.resolve("good.safetensors");
        Safetensors.writer().putDoubles("w", new int[] {4, 4}, new double[16]).write(good);
        byte[] bytes = Files.readAllBytes(good);
        Path cut = write("cut", Arrays.copyOf(bytes, bytes.length - 5));
        assertFormatError(cut, "'w'", "ends at byte 128", "holds only 123 bytes", "truncated file");
        Path cutInHeader = write("cutheader", Arrays.copyOf(bytes, 20));
        assertFormatError(cutInHeader, "header length", "truncated file");
    }

    @Test
    void rejectsBadJsonAndBadEncoding() throws IOException {
        assertFormatError(file("{\"a\": {\"dtype\": \"F32\", ", new byte[0]), "not valid JSON", "corrupt");
        assertFormatError(file("{\"a\": {\"dtype\": F32}}", new byte[0]), "not valid JSON");
        assertFormatError(file("[1, 2, 3]", new byte[0]), "must start with '{'", "0x5b");
        assertFormatError(file("{} x", new byte[0]), "not valid JSON");
        assertFormatError(file("{}{}", new byte[0]), "content after its JSON object");
        byte[] badUtf8 = concat("{\"".getBytes(StandardCharsets.US_ASCII), new byte[] {(byte) 0xc3, 0x28},
                "\":1}".getBytes(StandardCharsets.US_ASCII));
        assertFormatError(write("utf8", concat(le64(badUtf8.length), badUtf8)), "not valid UTF-8");
        assertFormatError(file("{\"a\": [1, 2]}", new byte[0]), "'a'", "JSON object");
        assertFormatError(file("{\"__metadata__\": {\"k\": 1}}", new byte[0]), "metadata value", "'k'", "string");
        assertFormatError(file("{\"__metadata__\": {}, \"__metadata__\": {}}", new byte[0]), "__metadata__", "twice");
    }

    @Test
    void rejectsUnknownAndUnsupportedDtypesNamingThem() throws IOException {
        assertFormatError(file(tensor("w", "F33", "[1]", "[0, 4]"), new byte[4]),
                "'w'", "unknown dtype \"F33\"", "F32, F64, I32, I64");
        assertFormatError(file(tensor("w", "BF16", "[2]", "[0, 4]"), new byte[4]),
                "'w'", "BF16", "does not read", "F32, F64, I32, I64");
        assertFormatError(file("{\"w\": {\"dtype\": 32, \"shape\": [1], \"data_offsets\": [0, 4]}}", new byte[4]),
                "'w'", "dtype", "string");
    }

    @Test
    void rejectsShapesThatDisagreeWithTheOffsets() throws IOException {
        assertFormatError(file(tensor("w", "F32", "[2, 3]", "[0, 20]"), new byte[20]),
                "'w'", "[2, 3]", "24 bytes", "span 20 bytes", "disagree");
        assertFormatError(file(tensor("w", "F32", "[2, -3]", "[0, 24]"), new byte[24]),
                "'w'", "shape", "-3", "non-negative");
        assertFormatError(file(tensor("w", "F32", "[2, 1.5]", "[0, 12]"), new byte[12]), "'w'", "1.5", "non-negative");
        assertFormatError(file(tensor("w", "F32", "[4294967296]", "[0, 4]"), new byte[4]),
                "'w'", "dimension 0", "4294967296");
        assertFormatError(file(tensor("w", "F64", "[2147483647, 2147483647, 2147483647]", "[0, 8]"), new byte[8]),
                "'w'", "64-bit");
        assertFormatError(file(tensor("w", "F32", "[1]", "[4, 0]"), new byte[4]), "'w'", "end before they begin");
        assertFormatError(file(tensor("w", "F32", "[1]", "[0, 4, 8]"), new byte[4]), "'w'", "data_offsets", "2");
        assertFormatError(file(tensor("w", "F32", "[1]", "[99999999999999999999, 4]"), new byte[4]),
                "'w'", "non-negative 64-bit integer");
        assertFormatError(file("{\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}", new byte[4]),
                "'w'", "lacks \"shape\"");
    }

    @Test
    void aLyingHeaderClaimingAHugeTensorIsRejectedBeforeAllocation() throws IOException {
        // 10^9 doubles = 8 GB claimed by a 100-byte file: must fail fast, not allocate or read past the end
        assertFormatError(file(tensor("w", "F64", "[1000000000]", "[0, 8000000000]"), new byte[8]),
                "'w'", "ends at byte 8000000000", "holds only 8 bytes", "truncated file");
    }

    @Test
    void rejectsOverlappingOffsets() throws IOException {
        String json = "{" + body("a", "F32", "[2]", "[0, 8]") + "," + body("b", "F32", "[2]", "[4, 12]") + "}";
        assertFormatError(file(json, new byte[12]), "'b'", "overlaps", "'a'");
    }

    @Test
    void rejectsGapsAndUncoveredBytes() throws IOException {
        String gap = "{" + body("a", "F32", "[1]", "[0, 4]") + "," + body("b", "F32", "[1]", "[8, 12]") + "}";
        assertFormatError(file(gap, new byte[12]), "bytes [4, 8)", "belong to no tensor", "'b'");
        String trailing = "{" + body("a", "F32", "[1]", "[0, 4]") + "}";
        assertFormatError(file(trailing, new byte[12]), "cover 4 bytes", "holds 12 bytes");
        String late = "{" + body("a", "F32", "[1]", "[4, 8]") + "}";
        assertFormatError(file(late, new byte[8]), "bytes [0, 4)", "belong to no tensor");
    }

    @Test
    void rejectsOffsetsPastTheEnd() throws IOException {
        String json = "{" + body("a", "F32", "[1]", "[0, 4]") + "," + body("b", "F32", "[2]", "[4, 12]") + "}";
        assertFormatError(file(json, new byte[8]), "'b'", "ends at byte 12", "holds only 8 bytes", "truncated file");
    }

    @Test
    void rejectsDuplicateNames() throws IOException {
        String json = "{" + body("w", "F32", "[1]", "[0, 4]") + "," + body("w", "F32", "[1]", "[4, 8]") + "}";
        assertFormatError(file(json, new byte[8]), "duplicate tensor name 'w'");
        String meta = "{\"__metadata__\": {\"k\": \"a\", \"k\": \"b\"}}";
        assertFormatError(file(meta, new byte[0]), "duplicate metadata key 'k'");
    }

    @Test
    void ignoresUnknownFieldsAndAcceptsHeadersWrittenByOthers() throws IOException {
        // different key order, whitespace, an unknown field, empty tensor sharing an offset
        String json = "{ \"b\" : {\"data_offsets\":[4,4],\"shape\":[0],\"dtype\":\"I64\"},\n"
                + "\"a\": {\"shape\": [1], \"extra\": {\"x\": [1, {}]}, \"dtype\": \"F32\", \"data_offsets\": [0, 4]} }";
        Safetensors.Contents c = Safetensors.read(file(json, new byte[] {0, 0, (byte) 0x80, 0x3f}));
        assertEquals(List.of("b", "a"), c.names());
        assertArrayEquals(new float[] {1f}, c.floats("a"));
        assertEquals(0, c.longs("b").length);
    }

    @Test
    void aMissingFileIsAnIoErrorNamingIt() {
        NoSuchFileException e = assertThrows(NoSuchFileException.class,
                () -> Safetensors.read(dir.resolve("absent.safetensors")));
        assertTrue(e.getMessage().contains("absent.safetensors"));
    }

    // ------------------------------------------------------------------ writer validation

    @Test
    void writerRejectsBadTensors() {
        Safetensors.Writer w = Safetensors.writer().putFloats("w", new int[] {1}, new float[1]);
        assertContains(assertThrows(IllegalArgumentException.class,
                () -> w.putFloats("w", new int[] {1}, new float[1])), "'w'", "already added");
        assertContains(assertThrows(IllegalArgumentException.class,
                () -> w.putFloats("__metadata__", new int[] {1}, new float[1])), "reserved");
        assertContains(assertThrows(IllegalArgumentException.class,
                () -> w.putFloats("", new int[] {1}, new float[1])), "empty");
        assertContains(assertThrows(IllegalArgumentException.class,
                () -> w.putFloats("x", new int[] {2, 3}, new float[5])), "'x'", "5 values", "[2, 3] = 6");
        assertContains(assertThrows(IllegalArgumentException.class,
                () -> w.putDoubles("x", new int[] {-1}, new double[0])), "'x'", "negative");
        assertContains(assertThrows(IllegalArgumentException.class,
                () -> w.putFloats("x", new int[] {3}, new float[4], 2)), "'x'", "[2, 5)", "do not fit");
        assertContains(assertThrows(IllegalArgumentException.class,
                () -> w.putLongs("x", null, new long[0])), "'x'", "shape is null");
        assertContains(assertThrows(IllegalArgumentException.class,
                () -> w.putInts("x", new int[] {1}, null)), "'x'", "data is null");
        assertContains(assertThrows(IllegalArgumentException.class,
                () -> w.metadata("k", null)), "must not be null");
        assertEquals(List.of("w"), w.names());
    }

    @Test
    void writerCopiesTheDataWhenItIsAdded() throws IOException {
        float[] data = {1, 2};
        Safetensors.Writer w = Safetensors.writer().putFloats("w", new int[] {2}, data);
        data[0] = 99;
        Path file = dir.resolve("copy.safetensors");
        w.write(file);
        assertArrayEquals(new float[] {1, 2}, Safetensors.read(file).floats("w"));
    }

    // ------------------------------------------------------------------ atomic writes

    @Test
    void overwritingReplacesTheWholeFileAndLeavesNoTemporaryFiles() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Safetensors.writer().putDoubles("big", new int[] {1000}, new double[1000]).write(file);
        long before = Files.size(file);
        Safetensors.writer().putFloats("small", new int[] {1}, new float[] {3}).write(file);
        assertTrue(Files.size(file) < before);
        Safetensors.Contents c = Safetensors.read(file);
        assertEquals(List.of("small"), c.names());
        assertArrayEquals(new float[] {3}, c.floats("small"));
        assertEquals(List.of("model.safetensors"), listing(dir));
    }

    @Test
    void aFailureBeforeTheRenameLeavesTheOldFileIntactAndRemovesTheTemporaryFile() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Safetensors.writer().putFloats("old", new int[] {2}, new float[] {1, 2}).write(file);
        byte[] old = Files.readAllBytes(file);
        Safetensors.Writer w = Safetensors.writer().putFloats("new", new int[] {3}, new float[] {4, 5, 6});
        IOException e = assertThrows(IOException.class, () -> w.write(file, () -> {
            // the new bytes are complete and forced in the temporary file at this point
            List<String> names = listing(dir);
            assertEquals(2, names.size(), "target and one temporary file: " + names);
            throw new IOException("simulated crash before rename");
        }));
        assertEquals("simulated crash before rename", e.getMessage());
        assertArrayEquals(old, Files.readAllBytes(file));
        assertEquals(List.of("model.safetensors"), listing(dir));
    }

    @Test
    void aRealRenameFailureRemovesTheTemporaryFile() throws IOException {
        Path file = dir.resolve("model.safetensors");
        Safetensors.Writer w = Safetensors.writer().putFloats("w", new int[] {1}, new float[] {1});
        // another process puts a non-empty directory where the file should go: the OS refuses the rename
        assertThrows(IOException.class, () -> w.write(file, () -> {
            Files.createDirectory(file);
            Files.writeString(file.resolve("keep.txt"), "precious");
        }));
        assertEquals("precious", Files.readString(file.resolve("keep.txt")));
        assertEquals(List.of("model.safetensors"), listing(dir));
    }

    @Test
    void writingToADirectoryOrAMissingParentFailsCleanly() throws IOException {
        Safetensors.Writer w = Safetensors.writer().putFloats("w", new int[] {1}, new float[] {1});
        Path sub = Files.createDirectory(dir.resolve("sub"));
        assertContains(assertThrows(IOException.class, () -> w.write(sub)), "is a directory");
        assertThrows(NoSuchFileException.class, () -> w.write(dir.resolve("missing/model.safetensors")));
        assertEquals(List.of("sub"), listing(dir));
    }

    /**
     * A real crash: a child JVM rewrites the file over and over and is killed with SIGKILL, once
     * between the forced temporary file and the rename, and several times at random moments. The
     * target must always be a complete file of one generation.
     */
    @Test
    void aKilledWriterNeverLeavesAPartialFile() throws Exception {
        Path file = dir.resolve("checkpoint.safetensors");
        int values = 1 << 20; // 4 MB per generation
        // deterministic: killed while paused between the fsync of the temporary file and the rename
        runAndKill(file, values, "pause-before-rename", 0);
        Safetensors.Contents paused = Safetensors.read(file);
        assertCompleteGeneration(paused, values);
        assertEquals("1", paused.metadata().get("generation"), "generation 2 was never renamed into place");
        assertTrue(listing(dir).stream().anyMatch(n -> n.endsWith(".tmp")),
                "the kill left generation 2's temporary file behind: " + listing(dir));
        // random moments during the write loop
        for (int delay : new int[] {0, 3, 7, 15, 40}) {
            runAndKill(file, values, "loop", delay);
            assertCompleteGeneration(Safetensors.read(file), values);
        }
    }

    private static void assertCompleteGeneration(Safetensors.Contents c, int values) throws IOException {
        float generation = Float.parseFloat(c.metadata().get("generation"));
        float[] v = c.floats("values");
        assertEquals(values, v.length);
        for (float x : v) {
            if (x != generation) {
                fail("value " + x + " in a file of generation " + generation);
            }
        }
    }

    private static void runAndKill(Path file, int values, String mode, int delayMillis) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                CrashChild.class.getName(), file.toString(), Integer.toString(values), mode)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String wanted = mode.equals("loop") ? "wrote 2" : "paused";
            String line;
            do {
                line = out.readLine();
                assertNotNull(line, "the child writer ended before printing '" + wanted + "'");
            } while (!line.equals(wanted));
            Thread.sleep(delayMillis);
        } finally {
            child.destroyForcibly(); // SIGKILL on POSIX: no shutdown hooks, no finally blocks
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child did not die");
        }
    }

    /** The child process of {@link #aKilledWriterNeverLeavesAPartialFile}. */
    static final class CrashChild {
        public static void main(String[] args) throws Exception {
            Path file = Path.of(args[0]);
            int values = Integer.parseInt(args[1]);
            boolean pause = args[2].equals("pause-before-rename");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60); // never outlive a broken test
            for (int generation = 1; System.nanoTime() < deadline; generation++) {
                float[] data = new float[values];
                Arrays.fill(data, generation);
                Safetensors.Writer w = Safetensors.writer()
                        .putFloats("values", new int[] {values}, data)
                        .metadata("generation", Integer.toString(generation));
                if (pause && generation == 2) {
                    w.write(file, () -> {
                        System.out.println("paused");
                        System.out.flush();
                        try {
                            Thread.sleep(60_000);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                } else {
                    w.write(file);
                }
                System.out.println("wrote " + generation);
                System.out.flush();
            }
        }
    }

    // ------------------------------------------------------------------ checksums

    @Test
    void checksumsCatchEveryChangedByteOfDataAndMetadataAndNameTheTensor() throws IOException {
        Path good = dir.resolve("sums.safetensors");
        Safetensors.writer().checksums()
                .putFloats("a", new int[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6})
                .putLongs("b", new int[] {2}, new long[] {7, 8})
                .metadata("note", "kept")
                .write(good);
        Safetensors.Contents read = Safetensors.read(good);
        assertTrue(read.checksummed());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, read.floats("a"));
        assertEquals(Set.of("note", "unroll.sha256", "unroll.sha256.a", "unroll.sha256.b"), read.metadata().keySet());

        byte[] bytes = Files.readAllBytes(good);
        long dataStart = 8 + ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        for (int i = (int) dataStart; i < bytes.length; i++) {
            byte[] flipped = bytes.clone();
            flipped[i] ^= 1 << (i % 8);
            Path file = write("flip" + i, flipped);
            // a tensor's checksum is checked as the tensor is decoded: the changed one fails, the other decodes
            Safetensors.Contents c = Safetensors.read(file);
            if (i - dataStart < 24) {
                assertFormatError(file, () -> c.floats("a"), "tensor 'a'", "does not match its SHA-256", "changed");
                assertArrayEquals(new int[] {7, 8}, c.ints("b"));
            } else {
                // ints() of an I64: a changed high byte is a checksum error, not a value outside the int range
                assertFormatError(file, () -> c.ints("b"), "tensor 'b'", "does not match its SHA-256", "changed");
                assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, c.floats("a"));
            }
        }
        String header = new String(bytes, 8, (int) dataStart - 8, StandardCharsets.UTF_8);
        assertFormatError(file(header.replace("\"kept\"", "\"kepT\""), Arrays.copyOfRange(bytes, (int) dataStart, bytes.length)),
                "metadata does not match its SHA-256");
        assertFormatError(file(header.replace("\"unroll.sha256.b\"", "\"unroll.sha256.c\""),
                Arrays.copyOfRange(bytes, (int) dataStart, bytes.length)), "'unroll.sha256.c'", "does not have");
        assertFormatError(file(header.replace("\"unroll.sha256\"", "\"unroll.sha257\""),
                Arrays.copyOfRange(bytes, (int) dataStart, bytes.length)), "no checksum of its metadata");
    }

    @Test
    void aTensorIsVerifiedFromTheBytesItIsDecodedFrom() throws IOException {
        Path file = dir.resolve("changed-later.safetensors");
        Safetensors.writer().checksums().putFloats("a", new int[] {4}, new float[] {1, 2, 3, 4}).write(file);
        Safetensors.Contents read = Safetensors.read(file);
        // the data changes after the file was read, before the tensor is decoded from it
        long dataStart = 8 + ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, 9f), dataStart + 4);
        }
        assertFormatError(file, () -> read.floats("a"), "tensor 'a'", "does not match its SHA-256");
        assertFormatError(file, () -> read.doubles("a"), "tensor 'a'", "does not match its SHA-256");
    }

    @Test
    void filesWithoutChecksumsReadAsBeforeAndTheChecksumKeysAreReserved() throws IOException {
        Path plain = dir.resolve("plain.safetensors");
        Safetensors.writer().putFloats("a", new int[] {1}, new float[] {3}).write(plain);
        assertFalse(Safetensors.read(plain).checksummed());
        assertThrows(IllegalArgumentException.class, () -> Safetensors.writer().metadata("unroll.sha256.a", "00"));
        assertThrows(IllegalArgumentException.class, () -> Safetensors.writer().metadata("unroll.sha256", "00"));
    }

    @Test
    void aLargeHeaderCostsAFewTimesItsSizeInMemoryNotMore() throws IOException {
        char[] value = new char[20_000_000];
        Arrays.fill(value, 'x');
        Path file = dir.resolve("bigheader.safetensors");
        Safetensors.writer().metadata("blob", new String(value)).putFloats("a", new int[] {1}, new float[] {1}).write(file);
        long headerBytes = Files.size(file) - 8 - 4;
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        Safetensors.Contents read = Safetensors.read(file);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(value.length, read.metadata().get("blob").length());
        // the bound the reader checks the free heap against before it reads a header
        assertTrue(allocated <= Safetensors.HEADER_MEMORY_PER_BYTE * headerBytes, "reading a header of " + headerBytes + " bytes allocated " + allocated);
    }

    @Test
    void aFileThatShrinksAfterItWasReadIsAFormatErrorNotACrash() throws IOException {
        Path file = dir.resolve("shrinks.safetensors");
        Safetensors.writer().putFloats("a", new int[] {1 << 16}, new float[1 << 16]).write(file);
        Safetensors.Contents read = Safetensors.read(file);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(64);
        }
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> read.floats("a"));
        assertContains(e, "tensor 'a'", "became shorter");
    }

    // ------------------------------------------------------------------ helpers

    private static void assertFormatError(Path file, String... keywords) {
        assertFormatError(file, () -> Safetensors.read(file), keywords);
    }

    /** {@code action} on {@code file} fails with a format error naming the file and {@code keywords}. */
    private static void assertFormatError(Path file, Executable action, String... keywords) {
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, action);
        assertContains(e, keywords);
        assertTrue(e.getMessage().contains(file.getFileName().toString()), "message names the file: " + e.getMessage());
        assertEquals(file, e.file());
    }

    private static void assertContains(Throwable e, String... keywords) {
        for (String k : keywords) {
            assertTrue(e.getMessage().contains(k), "message lacks \"" + k + "\": " + e.getMessage());
        }
    }

    private static String body(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\": {\"dtype\": \"" + dtype + "\", \"shape\": " + shape + ", \"data_offsets\": " + offsets + "}";
    }

    private static String tensor(String name, String dtype, String shape, String offsets) {
        return "{" + body(name, dtype, shape, offsets) + "}";
    }

    private int counter;

    /** A file with the given JSON header (padded to 8 bytes) and data section. */
    private Path file(String json, byte[] data) throws IOException {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        int padded = (header.length + 7) / 8 * 8;
        byte[] h = Arrays.copyOf(header, padded);
        Arrays.fill(h, header.length, padded, (byte) ' ');
        return write("case" + counter++, concat(le64(padded), h, data));
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name + ".safetensors"), bytes);
    }

    private static byte[] le64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer out = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            out.put(p);
        }
        return out.array();
    }

    private static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int k = 0; k < v.length; k++) {
            out[k] = Float.floatToRawIntBits(v[k]);
        }
        return out;
    }

    private static long[] bits(double[] v) {
        long[] out = new long[v.length];
        for (int k = 0; k < v.length; k++) {
            out[k] = Double.doubleToRawLongBits(v[k]);
        }
        return out;
    }

    private static List<String> listing(Path directory) throws IOException {
        try (Stream<Path> s = Files.list(directory)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    static Path resource(String name) throws URISyntaxException {
        URL url = SafetensorsTest.class.getResource(name);
        assertNotNull(url, "missing test fixture " + name + " (core/src/test/resources" + name
                + "); regenerate it with the scripts in tools/reference/");
        return Path.of(url.toURI());
    }

    @Test
    void theBytesOfAWriterAreTheFileItWrites() throws Exception {
        float[] big = new float[40_000]; // more than one 64 KiB buffer of values
        for (int i = 0; i < big.length; i++) {
            big[i] = i * 0.5f;
        }
        Safetensors.Writer w = Safetensors.writer().putFloats("big", new int[] {200, 200}, big)
                .putLongs("ids", new int[] {3}, new long[] {1, -2, 3}).metadata("format", "pt");
        Path file = dir.resolve("bytes.safetensors");
        w.write(file);
        assertArrayEquals(Files.readAllBytes(file), w.toBytes());
    }
}
