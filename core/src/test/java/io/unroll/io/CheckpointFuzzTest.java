package io.unroll.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.unroll.tensor.Param;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feeds mutated copies of a real checkpoint (a two-layer LSTM with vocabulary, training state and
 * checksums) to {@link Safetensors#read} and {@link Checkpoint#load}, and holds every outcome to
 * the loader's contract: a {@link SafetensorsFormatException} or an {@link IllegalArgumentException}
 * with a message, or a load identical to the original's (same tensors, vocabulary, metadata and
 * training state). Anything else (another exception, an {@link OutOfMemoryError}, a load that
 * differs, a case still running after {@value #CASE_SECONDS} s) fails the test.
 *
 * <p>{@code -Dunroll.fuzz.cases=N} sets the number of cases (default {@value #DEFAULT_CASES});
 * the counts by mutation and outcome are written to {@code target/checkpoint-fuzz.txt}. Cases are
 * numbered and seeded by their number, so a failure names the case that reproduces it.
 */
class CheckpointFuzzTest {
    private static final int DEFAULT_CASES = 3000;
    private static final int CASE_SECONDS = 30;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** What a case does to the file. */
    enum Mutation {
        FLIP_LENGTH_BIT, FLIP_HEADER_BIT, FLIP_DATA_BIT, SPLICE_HEADER_BYTES, TRUNCATE, LENGTH_FIELD, DTYPE,
        SHAPE, OFFSETS, DUPLICATE_NAME, NON_UTF8, DEEP_NESTING, AMPLIFIED_SHAPE, METADATA_VALUE, DROP_ENTRY
    }

    /** How a case ended; a changed load is within the contract only for a file without checksums. */
    enum Outcome { FORMAT_ERROR, REFUSED, IDENTICAL_LOAD, CHANGED_LOAD }

    /** The checkpoint every case starts from. */
    private record Original(byte[] bytes, int dataStart, Checkpoint.Loaded loaded, boolean checksummed) {
        /** A fresh tree of the JSON header, for a case to edit. */
        ObjectNode header() {
            try {
                return (ObjectNode) JSON.readTree(new String(bytes, 8, dataStart - 8, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void everyMutationIsACleanErrorOrAnIdenticalLoad() throws Exception {
        int cases = Integer.getInteger("unroll.fuzz.cases", DEFAULT_CASES);
        Original[] originals = {original(), withoutChecksums(original())};
        Map<Mutation, Map<Outcome, Integer>> counts = new EnumMap<>(Mutation.class);
        Map<Mutation, Map<Outcome, Integer>> plainCounts = new EnumMap<>(Mutation.class);
        List<String> failures = new ArrayList<>();
        Path file = dir.resolve("case.safetensors");
        ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fuzz-case");
            t.setDaemon(true); // a hung case must not keep the test JVM alive
            return t;
        });
        try {
            for (int n = 0; n < cases && failures.size() < 10; n++) {
                SplittableRandom random = new SplittableRandom(n);
                Mutation mutation = Mutation.values()[n % Mutation.values().length];
                Original original = originals[n / Mutation.values().length % 2];
                byte[] mutated = mutate(mutation, original, random);
                Files.write(file, mutated);
                Future<Outcome> outcome = worker.submit(() -> load(file, original));
                try {
                    Outcome o = outcome.get(CASE_SECONDS, TimeUnit.SECONDS);
                    (original.checksummed() ? counts : plainCounts)
                            .computeIfAbsent(mutation, m -> new EnumMap<>(Outcome.class)).merge(o, 1, Integer::sum);
                } catch (TimeoutException e) {
                    failures.add("case " + n + " (" + mutation + "): still running after " + CASE_SECONDS + " s");
                    break;
                } catch (ExecutionException e) {
                    failures.add("case " + n + " (" + mutation + "): " + e.getCause());
                }
            }
        } finally {
            worker.shutdownNow();
        }
        String report = report("with checksums", counts) + report("without checksums (the earlier format)", plainCounts);
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "checkpoint-fuzz.txt"), report + String.join("\n", failures) + "\n");
        System.out.print(report);
        if (!failures.isEmpty()) {
            fail(failures.size() + " outcomes outside the contract:\n" + String.join("\n", failures));
        }
        for (Mutation m : Mutation.values()) {
            assertTrue(counts.containsKey(m) && plainCounts.containsKey(m) || cases < 2 * Mutation.values().length,
                    m + " never ran on both files");
        }
        // flipped data must always be caught by the checksums
        assertEquals(null, counts.get(Mutation.FLIP_DATA_BIT).get(Outcome.IDENTICAL_LOAD), "a data bit flip loaded");
    }

    /** Loads a case both ways; throws (an {@link AssertionError} or anything unexpected) when the contract is broken. */
    private static Outcome load(Path file, Original original) throws Exception {
        try {
            Safetensors.Contents contents = Safetensors.read(file);
            for (String name : contents.names()) {
                switch (contents.dtype(name)) {
                    case F32, F64 -> contents.doubles(name);
                    case I32, I64 -> contents.longs(name);
                    default -> throw new AssertionError(contents.dtype(name));
                }
            }
            Checkpoint.Loaded loaded = Checkpoint.load(file);
            String difference = difference(original.loaded(), loaded);
            if (difference == null) {
                return Outcome.IDENTICAL_LOAD;
            }
            if (original.checksummed()) {
                throw new AssertionError("loaded without an error but differs from the original: " + difference);
            }
            return Outcome.CHANGED_LOAD;
        } catch (SafetensorsFormatException e) {
            requireMessage(e);
            return Outcome.FORMAT_ERROR;
        } catch (IllegalArgumentException e) {
            requireMessage(e);
            return Outcome.REFUSED;
        }
    }

    private static void requireMessage(Exception e) {
        if (e.getMessage() == null || e.getMessage().isBlank() || e.getMessage().length() > 4000) {
            throw new AssertionError("an error without a readable message: " + e, e);
        }
    }

    /** Null if both loads hold the same model, vocabulary, metadata and training state, else what differs. */
    private static String difference(Checkpoint.Loaded a, Checkpoint.Loaded b) {
        if (!a.model().rnn().config().equals(b.model().rnn().config())) {
            return "configuration " + b.model().rnn().config();
        }
        List<Param> pa = a.params().params();
        List<Param> pb = b.params().params();
        if (pa.size() != pb.size()) {
            return pb.size() + " parameters";
        }
        for (int i = 0; i < pa.size(); i++) {
            Param x = pa.get(i);
            Param y = pb.get(i);
            if (!x.name().equals(y.name()) || !Arrays.equals(x.shape(), y.shape())
                    || !Arrays.equals(Arrays.copyOfRange(x.data(), x.offset(), x.offset() + x.size()),
                            Arrays.copyOfRange(y.data(), y.offset(), y.offset() + y.size()))) {
                return "parameter " + y.name();
            }
        }
        if (!Objects.equals(a.vocabulary(), b.vocabulary())) {
            return "vocabulary";
        }
        if (!a.metadata().equals(b.metadata())) {
            return "metadata " + b.metadata();
        }
        Checkpoint.TrainingState ta = a.training();
        Checkpoint.TrainingState tb = b.training();
        if (tb == null) {
            return "no training state";
        }
        if (ta.step() != tb.step() || !Arrays.equals(ta.optimizer(), tb.optimizer()) || !Arrays.equals(ta.rng(), tb.rng())
                || (tb.carried() == null || !Arrays.equals(ta.carried().toBytes(), tb.carried().toBytes()))) {
            return "training state";
        }
        return null;
    }

    // ------------------------------------------------------------------ mutations

    private static byte[] mutate(Mutation mutation, Original o, SplittableRandom random) throws IOException {
        byte[] bytes = o.bytes().clone();
        int dataStart = o.dataStart();
        ObjectNode header = o.header();
        switch (mutation) {
            case FLIP_LENGTH_BIT -> flip(bytes, random.nextInt(8), random);
            case FLIP_HEADER_BIT -> flip(bytes, 8 + random.nextInt(dataStart - 8), random);
            case FLIP_DATA_BIT -> flip(bytes, dataStart + random.nextInt(bytes.length - dataStart), random);
            case SPLICE_HEADER_BYTES -> {
                int at = 8 + random.nextInt(dataStart - 8);
                int length = 1 + random.nextInt(Math.min(16, dataStart - at));
                for (int i = 0; i < length; i++) {
                    bytes[at + i] = (byte) random.nextInt(256);
                }
            }
            case TRUNCATE -> {
                int[] regionEnds = {8, dataStart, bytes.length};
                int region = random.nextInt(3);
                int from = region == 0 ? 0 : regionEnds[region - 1];
                return Arrays.copyOf(bytes, from + random.nextInt(regionEnds[region] - from));
            }
            case LENGTH_FIELD -> {
                long[] lengths = {0, 1, 2, -1, -8, Long.MIN_VALUE, Long.MAX_VALUE, 1L << 40, 100_000_001,
                        bytes.length, bytes.length - 8, dataStart - 8 + 8L * (random.nextInt(9) - 4), random.nextLong()};
                ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, lengths[random.nextInt(lengths.length)]);
            }
            case DTYPE -> {
                String[] dtypes = {"F64", "I32", "I64", "F16", "BF16", "BOOL", "U8", "F8_E4M3", "f32", "", "F32 ", "C64"};
                entry(header, random).put("dtype", dtypes[random.nextInt(dtypes.length)]);
                return withHeader(o, header);
            }
            case SHAPE -> {
                long[][] shapes = {{2147483647L, 2147483647L, 3}, {4294967296L}, {-1}, {0}, {Long.MAX_VALUE},
                        {1 << 30, 1 << 30}, {3, 0, 5}, {}, {1, 1, 1, 1, 1, 1, 1, 1}, {65536, 65536, 65536}};
                ArrayNode shape = entry(header, random).putArray("shape");
                Arrays.stream(shapes[random.nextInt(shapes.length)]).forEach(shape::add);
                return withHeader(o, header);
            }
            case OFFSETS -> {
                ArrayNode offsets = (ArrayNode) entry(header, random).get("data_offsets");
                long begin = offsets.get(0).asLong();
                long end = offsets.get(1).asLong();
                long[][] choices = {{end, begin}, {begin, Long.MAX_VALUE}, {Long.MAX_VALUE - 4, Long.MAX_VALUE},
                        {0, end - begin}, {begin + 4, end + 4}, {begin - 4, end - 4}, {begin, begin}, {-1, end}};
                long[] chosen = choices[random.nextInt(choices.length)];
                offsets.removeAll().add(chosen[0]).add(chosen[1]);
                return withHeader(o, header);
            }
            case DUPLICATE_NAME -> {
                // the JSON text gets a second entry of the same name (a tree cannot hold one)
                String name = names(header).get(random.nextInt(names(header).size()));
                String json = header.toString();
                String entry = "\"" + name + "\":" + header.get(name);
                return withHeader(o, json.substring(0, json.length() - 1) + "," + entry + "}");
            }
            case NON_UTF8 -> {
                byte[][] invalid = {{(byte) 0xff}, {(byte) 0xc3, 0x28}, {(byte) 0xe2, (byte) 0x82}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
                        {(byte) 0xc0, (byte) 0xaf}, {(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}};
                byte[] bad = invalid[random.nextInt(invalid.length)];
                // inside a string: just after an opening quote
                List<Integer> quotes = new ArrayList<>();
                for (int i = 8; i < dataStart; i++) {
                    if (bytes[i] == '"') {
                        quotes.add(i);
                    }
                }
                int at = quotes.get(random.nextInt(quotes.size())) + 1;
                System.arraycopy(bad, 0, bytes, at, Math.min(bad.length, dataStart - at));
            }
            case DEEP_NESTING -> {
                int depth = 10 + random.nextInt(20_000);
                String nest = "[".repeat(depth) + "]".repeat(depth);
                String json = header.toString();
                String name = names(header).get(random.nextInt(names(header).size()));
                return withHeader(o, json.replace("\"" + name + "\":{", "\"" + name + "\":{\"extra\":" + nest + ","));
            }
            case AMPLIFIED_SHAPE -> {
                // one tensor's first dimension times k, offsets shifted to match and zeros appended: a consistent file
                String name = names(header).get(random.nextInt(names(header).size()));
                ObjectNode e = (ObjectNode) header.get(name);
                ArrayNode shape = (ArrayNode) e.get("shape");
                if (shape.isEmpty()) {
                    shape.add(1);
                }
                long bytesBefore = e.get("data_offsets").get(1).asLong() - e.get("data_offsets").get(0).asLong();
                int k = 2 + random.nextInt(random.nextBoolean() ? 3 : 2000);
                shape.set(0, shape.get(0).asLong() * k);
                long grow = bytesBefore * (k - 1);
                long at = e.get("data_offsets").get(1).asLong();
                for (String other : names(header)) {
                    ArrayNode off = (ArrayNode) header.get(other).get("data_offsets");
                    long b0 = off.get(0).asLong();
                    long b1 = off.get(1).asLong();
                    if (other.equals(name)) {
                        off.removeAll().add(b0).add(b1 + grow);
                    } else if (b0 >= at) {
                        off.removeAll().add(b0 + grow).add(b1 + grow);
                    }
                }
                byte[] data = Arrays.copyOfRange(o.bytes(), dataStart, o.bytes().length);
                int cut = (int) at;
                byte[] grown = new byte[(int) (data.length + grow)];
                System.arraycopy(data, 0, grown, 0, cut);
                System.arraycopy(data, cut, grown, (int) (cut + grow), data.length - cut);
                return withHeader(header.toString(), grown);
            }
            case METADATA_VALUE -> {
                ObjectNode meta = (ObjectNode) header.get("__metadata__");
                List<String> keys = new ArrayList<>();
                meta.fieldNames().forEachRemaining(keys::add);
                String key = keys.get(random.nextInt(keys.size()));
                String[] values = {"-1", "0", "abc", "", "9999999999999999999", "rnn_relu", "unroll-checkpoint/1",
                        new StringBuilder(meta.get(key).asText()).reverse().toString(), meta.get(key).asText() + "x"};
                meta.put(key, values[random.nextInt(values.length)]);
                return withHeader(o, header);
            }
            case DROP_ENTRY -> {
                if (random.nextBoolean()) {
                    ObjectNode meta = (ObjectNode) header.get("__metadata__");
                    List<String> keys = new ArrayList<>();
                    meta.fieldNames().forEachRemaining(keys::add);
                    meta.remove(keys.get(random.nextInt(keys.size())));
                } else {
                    header.remove(names(header).get(random.nextInt(names(header).size())));
                }
                return withHeader(o, header);
            }
            default -> throw new AssertionError(mutation);
        }
        return bytes;
    }

    private static void flip(byte[] bytes, int at, SplittableRandom random) {
        bytes[at] ^= (byte) (1 << random.nextInt(8));
    }

    /** A random tensor entry of a copy of the header (callers edit the copy and write it with {@link #withHeader}). */
    private static ObjectNode entry(ObjectNode header, SplittableRandom random) {
        List<String> names = names(header);
        return (ObjectNode) header.get(names.get(random.nextInt(names.size())));
    }

    private static List<String> names(ObjectNode header) {
        List<String> names = new ArrayList<>();
        header.fieldNames().forEachRemaining(n -> {
            if (!n.equals("__metadata__")) {
                names.add(n);
            }
        });
        return names;
    }

    /** The original's data section under another header. */
    private static byte[] withHeader(Original o, Object header) {
        return withHeader(header.toString(), Arrays.copyOfRange(o.bytes(), o.dataStart(), o.bytes().length));
    }

    /** A file of this JSON header, padded with spaces to 8 bytes, and this data section. */
    private static byte[] withHeader(String json, byte[] data) {
        byte[] text = json.getBytes(StandardCharsets.UTF_8);
        int padded = (text.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(8 + padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(text);
        for (int i = text.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        return out.put(data).array();
    }

    // ------------------------------------------------------------------ the original and the report

    private Original original() throws IOException, URISyntaxException {
        Path fixture = Path.of(CheckpointFuzzTest.class.getResource("/interchange/unroll_lstm.safetensors").toURI());
        byte[] bytes = Files.readAllBytes(fixture);
        int dataStart = 8 + (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        Checkpoint.Loaded loaded = Checkpoint.load(fixture);
        assertTrue(Safetensors.read(fixture).checksummed(), "the fixture carries checksums");
        return new Original(bytes, dataStart, loaded, true);
    }

    /** The same checkpoint in the earlier format, without checksums: what the loader's own checks face alone. */
    private Original withoutChecksums(Original o) throws IOException {
        ObjectNode header = o.header();
        ObjectNode meta = (ObjectNode) header.get("__metadata__");
        List<String> sums = new ArrayList<>();
        meta.fieldNames().forEachRemaining(k -> {
            if (k.startsWith(Safetensors.METADATA_SHA256)) {
                sums.add(k);
            }
        });
        meta.remove(sums);
        meta.put("unroll.format", Checkpoint.FORMAT_WITHOUT_CHECKSUMS);
        byte[] bytes = withHeader(o, header);
        Path file = dir.resolve("plain.safetensors");
        Files.write(file, bytes);
        return new Original(bytes, 8 + (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0),
                Checkpoint.load(file), false);
    }

    private static String report(String title, Map<Mutation, Map<Outcome, Integer>> counts) {
        StringBuilder sb = new StringBuilder("checkpoint fuzz, " + title + "\n");
        sb.append(String.format("%-20s %13s %9s %15s %13s%n", "mutation", "format error", "refused", "identical load",
                "changed load"));
        Map<Outcome, Integer> totals = new TreeMap<>();
        for (Map.Entry<Mutation, Map<Outcome, Integer>> m : counts.entrySet()) {
            Map<Outcome, Integer> c = m.getValue();
            sb.append(String.format("%-20s %13d %9d %15d %13d%n", m.getKey(), c.getOrDefault(Outcome.FORMAT_ERROR, 0),
                    c.getOrDefault(Outcome.REFUSED, 0), c.getOrDefault(Outcome.IDENTICAL_LOAD, 0),
                    c.getOrDefault(Outcome.CHANGED_LOAD, 0)));
            c.forEach((o, n) -> totals.merge(o, n, Integer::sum));
        }
        sb.append(String.format("%-20s %13d %9d %15d %13d%n", "all", totals.getOrDefault(Outcome.FORMAT_ERROR, 0),
                totals.getOrDefault(Outcome.REFUSED, 0), totals.getOrDefault(Outcome.IDENTICAL_LOAD, 0),
                totals.getOrDefault(Outcome.CHANGED_LOAD, 0)));
        return sb.toString();
    }
}
