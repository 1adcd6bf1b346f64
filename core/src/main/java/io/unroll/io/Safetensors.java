package io.unroll.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.unroll.tensor.Memory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reader and writer of the safetensors format, the weight format of Hugging Face and of PyTorch
 * checkpoints, with tensor names kept exactly as written (PyTorch's {@code weight_ih_l0} stays
 * {@code weight_ih_l0}).
 *
 * <p>Layout (<a href="https://github.com/huggingface/safetensors">huggingface/safetensors</a>):
 * <pre>
 *   bytes [0, 8)        N, the header length, little-endian unsigned 64-bit
 *   bytes [8, 8 + N)    UTF-8 JSON: {"__metadata__": {"key": "value", ...},
 *                                    "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
 *                       padded with trailing spaces
 *   bytes [8 + N, end)  the data section: raw little-endian, row-major tensor data; offsets are
 *                       relative to its start, and the tensors cover it exactly, without gaps or overlaps
 * </pre>
 *
 * <p>Reading ({@link #read(Path)}) validates everything before it allocates anything sized by the
 * file: the header length against the file size, the 100 MB limit of the reference implementation
 * and the free heap, the JSON (jackson-core's streaming parser), the dtypes, that every shape's
 * byte size equals its offset span, and that the offsets tile the data section. A lying header
 * therefore ends in a {@link SafetensorsFormatException} naming the problem, never in an
 * {@link OutOfMemoryError} or a read past the end of the file. The data section stays in the file,
 * which is kept open, and a tensor is decoded only when asked for, by plain reads (no memory
 * mapping, so a file truncated by another program while in use is an error rather than a fault).
 * A file written with {@link Writer#checksums()} has its metadata checksum verified when it is
 * read, and a tensor's checksum as the tensor is decoded, from the same bytes in the same pass: a
 * changed byte is an error naming the tensor, and the data is read once, not once to verify and
 * again to decode. Supported dtypes: F32, F64, I32, I64; files holding
 * other dtypes are rejected with the dtype named.
 *
 * <p>Writing ({@link #writer()}) produces what the reference implementation produces for the same
 * tensors in the same order: compact JSON with {@code __metadata__} first, the header padded with
 * spaces so the data section starts at a multiple of 8 bytes, then the tensors' data back to back
 * in insertion order. The write is atomic: the bytes go to a temporary file in the target's
 * directory, are forced to the device, and the temporary file is renamed over the target, so a
 * crash at any moment leaves either the old file or the complete new one.
 *
 * <p>{@link Contents} is immutable and safe to share between threads; a {@link Writer} is not.
 * The file stays open until its {@code Contents} is garbage-collected; on Windows an open file
 * cannot be replaced meanwhile.
 */
public final class Safetensors {

    /** The largest header this reader accepts, as in the reference implementation (100 MB). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /** The largest number of dimensions a tensor may have (PyTorch's own limit is lower). */
    public static final int MAX_RANK = 64;

    /** Alignment of the data section's start, in bytes. */
    static final int ALIGNMENT = 8;

    /** Bytes read from the data section at a time while a tensor is decoded. */
    static final int DEFAULT_READ_BYTES = 1 << 20;

    /** Closes the channel of a {@link Contents} nobody can reach any more. */
    private static final Cleaner CLEANER = Cleaner.create();

    private static final String METADATA_KEY = "__metadata__";

    /**
     * The metadata key of a tensor's checksum, followed by the tensor's name: the SHA-256 of the
     * tensor's bytes in the data section, in lowercase hex. Written by {@link Writer#checksums()}.
     */
    public static final String TENSOR_SHA256_PREFIX = "unroll.sha256.";

    /**
     * The metadata key of the checksum of the other metadata entries: the SHA-256, in lowercase hex,
     * of every entry except the checksums, in ascending key order, each as the key's and then the
     * value's UTF-8 bytes, each preceded by its length as a big-endian 64-bit integer.
     */
    public static final String METADATA_SHA256 = "unroll.sha256";

    /**
     * Heap bytes that reading a header may cost per header byte: the bytes themselves, then the
     * parser's UTF-16 text buffer and the copies it makes of a long value on its way to a string
     * (measured: 5.0 for a header that is one 20 MB metadata value).
     */
    static final long HEADER_MEMORY_PER_BYTE = 6;

    /** Valid safetensors dtypes that this reader does not decode; named separately in errors. */
    private static final Set<String> OTHER_SAFETENSORS_DTYPES = Set.of(
            "BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "U32", "U64",
            "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64");

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength((int) MAX_HEADER_BYTES)
                    .maxNameLength((int) MAX_HEADER_BYTES)
                    .maxNestingDepth(32)
                    .build())
            .build();

    private static final HexFormat HEX = HexFormat.of();

    /** The end of every checksum error. */
    private static final String CHANGED = " was changed after it was written (a damaged disk or copy, or an edit);"
            + " restore it from a good copy";

    private Safetensors() {}

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this Java runtime", e);
        }
    }

    /** The checksum of {@link #METADATA_SHA256}: of every entry that is not a checksum, by ascending key. */
    private static String metadataSha256(Map<String, String> metadata) {
        MessageDigest digest = sha256();
        ByteBuffer length = ByteBuffer.allocate(8);
        for (Map.Entry<String, String> m : new TreeMap<>(metadata).entrySet()) {
            if (m.getKey().equals(METADATA_SHA256) || m.getKey().startsWith(TENSOR_SHA256_PREFIX)) {
                continue;
            }
            for (String part : new String[] {m.getKey(), m.getValue()}) {
                byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
                digest.update(length.clear().putLong(bytes.length).flip());
                digest.update(bytes);
            }
        }
        return HEX.formatHex(digest.digest());
    }

    /** The element types this implementation reads and writes. */
    public enum Dtype {
        /** IEEE 754 binary32. */
        F32(4),
        /** IEEE 754 binary64. */
        F64(8),
        /** Two's-complement 32-bit integer. */
        I32(4),
        /** Two's-complement 64-bit integer (PyTorch's token ids). */
        I64(8);

        private final int byteSize;

        Dtype(int byteSize) {
            this.byteSize = byteSize;
        }

        /** Bytes per element. */
        public int byteSize() {
            return byteSize;
        }
    }

    // ------------------------------------------------------------------------------------ reading

    /**
     * Opens and validates a safetensors file and maps its data section.
     *
     * @throws SafetensorsFormatException if the file is not a well-formed safetensors file or uses a
     *     dtype other than F32, F64, I32, I64
     * @throws IOException if the file cannot be read (missing, no permission, ...)
     */
    public static Contents read(Path file) throws IOException {
        return read(file, DEFAULT_READ_BYTES);
    }

    /** As {@link #read(Path)}, decoding tensors {@code readBytes} at a time (tests use small pieces). */
    static Contents read(Path file, int readBytes) throws IOException {
        Objects.requireNonNull(file, "file");
        if (readBytes < ALIGNMENT || readBytes % ALIGNMENT != 0) {
            throw new IllegalArgumentException("readBytes is " + readBytes + ", expected a positive multiple of " + ALIGNMENT);
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long fileSize = channel.size();
            if (fileSize < 8) {
                throw new SafetensorsFormatException(file, "the file is " + fileSize + " bytes long, expected at least"
                        + " the 8-byte header length that starts every safetensors file; truncated file or not a"
                        + " safetensors file");
            }
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(file, channel, prefix, 0, "the header length");
            long headerLength = prefix.getLong(0);
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw new SafetensorsFormatException(file, "header length " + Long.toUnsignedString(headerLength)
                        + " bytes exceeds the limit of " + MAX_HEADER_BYTES + " bytes (file size " + fileSize
                        + " bytes); corrupt file or not a safetensors file");
            }
            if (headerLength > fileSize - 8) {
                throw new SafetensorsFormatException(file, "header length " + headerLength + " bytes exceeds the "
                        + (fileSize - 8) + " bytes that follow the 8-byte length prefix (file size " + fileSize
                        + " bytes); truncated file or not a safetensors file");
            }
            if (headerLength < 2) {
                throw new SafetensorsFormatException(file, "header length is " + headerLength
                        + " bytes, too short for a JSON object (expected at least 2, \"{}\"); not a safetensors file");
            }
            Memory.require(file + ": reading a header of " + Memory.format(headerLength), HEADER_MEMORY_PER_BYTE * headerLength,
                    "the file is corrupt, or its metadata far larger than a checkpoint's");
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(file, channel, headerBytes, 8, "the header");
            if (headerBytes.get(0) != '{') {
                throw new SafetensorsFormatException(file, String.format(
                        "header must start with '{' (a JSON object) but starts with byte 0x%02x; not a safetensors file",
                        headerBytes.get(0) & 0xff));
            }
            Header header = parseHeader(file, headerBytes.flip());
            long dataStart = 8 + headerLength;
            checkLayout(file, header.entries, fileSize - dataStart, fileSize);
            Contents contents = new Contents(file, header.entries, header.metadata, channel, dataStart, readBytes);
            contents.verifyMetadataChecksums();
            return contents;
        } catch (IOException | RuntimeException | Error e) {
            channel.close();
            throw e;
        }
    }

    /** Fills {@code buffer} from {@code position}; {@code what} names the part read, for the error if the file ends. */
    private static void readFully(Path file, FileChannel channel, ByteBuffer buffer, long position, String what)
            throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, at);
            if (n < 0) {
                throw new SafetensorsFormatException(file, "the file ended at byte " + at + " while reading " + what
                        + ", expected " + buffer.remaining() + " more bytes; the file became shorter after it was opened"
                        + " (truncated by another program)");
            }
            at += n;
        }
    }

    /** One tensor as described by the header. */
    private static final class Entry {
        final String name;
        final Dtype dtype;
        final int[] shape;
        final long count;
        final long begin;
        final long end;

        Entry(String name, Dtype dtype, int[] shape, long count, long begin, long end) {
            this.name = name;
            this.dtype = dtype;
            this.shape = shape;
            this.count = count;
            this.begin = begin;
            this.end = end;
        }

        String describe() {
            return "'" + name + "' (" + dtype + " " + Arrays.toString(shape) + ", data_offsets [" + begin + ", " + end + "])";
        }
    }

    private static final class Header {
        final Map<String, Entry> entries = new LinkedHashMap<>();
        final Map<String, String> metadata = new LinkedHashMap<>();
    }

    private static Header parseHeader(Path file, ByteBuffer bytes) throws IOException {
        checkUtf8(file, bytes.duplicate());
        Header header = new Header();
        boolean sawMetadata = false;
        try (JsonParser p = JSON.createParser(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new SafetensorsFormatException(file, "header JSON must be an object; not a safetensors file");
            }
            JsonToken token;
            while ((token = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                if (name.equals(METADATA_KEY)) {
                    if (sawMetadata) {
                        throw new SafetensorsFormatException(file, "header has \"__metadata__\" twice, expected at most once");
                    }
                    sawMetadata = true;
                    parseMetadata(file, p, header.metadata);
                } else {
                    if (header.entries.containsKey(name)) {
                        throw new SafetensorsFormatException(file, "duplicate tensor name '" + name
                                + "' in the header; every name must be unique");
                    }
                    header.entries.put(name, parseEntry(file, p, name));
                }
            }
            if (token != JsonToken.END_OBJECT) {
                throw new SafetensorsFormatException(file, "header JSON is malformed: expected a tensor name or '}', found "
                        + token + "; corrupt header");
            }
            JsonToken trailing = p.nextToken();
            if (trailing != null) {
                throw new SafetensorsFormatException(file, "header has content after its JSON object (" + trailing
                        + "), expected only space padding; corrupt header");
            }
        } catch (JsonProcessingException e) {
            throw new SafetensorsFormatException(file, "header is not valid JSON: " + e.getOriginalMessage()
                    + " at " + location(e) + "; corrupt or truncated header, or not a safetensors file", e);
        }
        return header;
    }

    /**
     * Checks that the header is valid UTF-8 (the JSON parser alone lets some malformed sequences
     * through), decoding it in small pieces so that a large header is not copied again as text.
     */
    private static void checkUtf8(Path file, ByteBuffer bytes) throws SafetensorsFormatException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        CharBuffer piece = CharBuffer.allocate(8192);
        CoderResult result;
        do {
            piece.clear();
            result = decoder.decode(bytes, piece, true);
            if (result.isError()) {
                throw new SafetensorsFormatException(file, "header is not valid UTF-8 (" + result
                        + " at byte " + (8 + bytes.position()) + " of the file); corrupt file or not a safetensors file");
            }
        } while (result.isOverflow());
        do {
            piece.clear();
            result = decoder.flush(piece);
        } while (result.isOverflow());
    }

    private static String location(JsonProcessingException e) {
        return e.getLocation() == null ? "an unknown position"
                : "byte " + e.getLocation().getByteOffset() + " of the header";
    }

    private static void parseMetadata(Path file, JsonParser p, Map<String, String> metadata) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw new SafetensorsFormatException(file, "\"__metadata__\" must be a JSON object of strings, found "
                    + p.currentToken());
        }
        JsonToken token;
        while ((token = p.nextToken()) == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken value = p.nextToken();
            if (value != JsonToken.VALUE_STRING) {
                throw new SafetensorsFormatException(file, "metadata value of key '" + key
                        + "' must be a string, found " + value);
            }
            if (metadata.put(key, p.getText()) != null) {
                throw new SafetensorsFormatException(file, "duplicate metadata key '" + key + "'; every key must be unique");
            }
        }
        if (token != JsonToken.END_OBJECT) {
            throw new SafetensorsFormatException(file, "\"__metadata__\" is malformed near " + token);
        }
    }

    private static Entry parseEntry(Path file, JsonParser p, String name) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw new SafetensorsFormatException(file, "tensor '" + name + "' must be described by a JSON object"
                    + " {\"dtype\", \"shape\", \"data_offsets\"}, found " + p.currentToken());
        }
        String dtypeName = null;
        long[] shape = null;
        long[] offsets = null;
        JsonToken token;
        while ((token = p.nextToken()) == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "dtype":
                    if (dtypeName != null || value != JsonToken.VALUE_STRING) {
                        throw new SafetensorsFormatException(file, "tensor '" + name
                                + "': \"dtype\" must appear once, as a string such as \"F32\"");
                    }
                    dtypeName = p.getText();
                    break;
                case "shape":
                    if (shape != null) {
                        throw new SafetensorsFormatException(file, "tensor '" + name + "': \"shape\" appears twice");
                    }
                    shape = readNaturals(file, p, name, "shape", MAX_RANK);
                    break;
                case "data_offsets":
                    if (offsets != null) {
                        throw new SafetensorsFormatException(file, "tensor '" + name + "': \"data_offsets\" appears twice");
                    }
                    offsets = readNaturals(file, p, name, "data_offsets", 2);
                    if (offsets.length != 2) {
                        throw new SafetensorsFormatException(file, "tensor '" + name + "': \"data_offsets\" has "
                                + offsets.length + " entries, expected 2 ([begin, end])");
                    }
                    break;
                default:
                    p.skipChildren(); // unknown fields are ignored, as the reference implementation does
            }
        }
        if (token != JsonToken.END_OBJECT) {
            throw new SafetensorsFormatException(file, "tensor '" + name + "' is malformed near " + token);
        }
        if (dtypeName == null || shape == null || offsets == null) {
            throw new SafetensorsFormatException(file, "tensor '" + name + "' lacks "
                    + (dtypeName == null ? "\"dtype\"" : shape == null ? "\"shape\"" : "\"data_offsets\"")
                    + ", expected \"dtype\", \"shape\" and \"data_offsets\"");
        }
        Dtype dtype = dtype(file, name, dtypeName);
        int[] dims = new int[shape.length];
        long count = 1;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] > Integer.MAX_VALUE) {
                throw new SafetensorsFormatException(file, "tensor '" + name + "': dimension " + d + " is " + shape[d]
                        + ", expected at most " + Integer.MAX_VALUE + "; corrupt header");
            }
            dims[d] = (int) shape[d];
            try {
                count = Math.multiplyExact(count, shape[d]);
            } catch (ArithmeticException e) {
                throw new SafetensorsFormatException(file, "tensor '" + name + "': shape " + Arrays.toString(shape)
                        + " has more elements than a 64-bit count holds; corrupt header");
            }
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(count, dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new SafetensorsFormatException(file, "tensor '" + name + "': shape " + Arrays.toString(shape)
                    + " of " + dtype + " needs more bytes than a 64-bit size holds; corrupt header");
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (end < begin) {
            throw new SafetensorsFormatException(file, "tensor '" + name + "': data_offsets [" + begin + ", " + end
                    + "] end before they begin, expected begin <= end; corrupt header");
        }
        if (end - begin != bytes) {
            throw new SafetensorsFormatException(file, "tensor '" + name + "': dtype " + dtype + " and shape "
                    + Arrays.toString(shape) + " need " + count + " x " + dtype.byteSize() + " = " + bytes
                    + " bytes, but data_offsets [" + begin + ", " + end + "] span " + (end - begin)
                    + " bytes; the shape and offsets in the header disagree");
        }
        return new Entry(name, dtype, dims, count, begin, end);
    }

    /** A JSON array of non-negative integers that fit a long, at most {@code max} of them. */
    private static long[] readNaturals(Path file, JsonParser p, String name, String field, int max) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw new SafetensorsFormatException(file, "tensor '" + name + "': \"" + field
                    + "\" must be an array of non-negative integers, found " + p.currentToken());
        }
        long[] values = new long[Math.min(max, 8)];
        int n = 0;
        JsonToken token;
        while ((token = p.nextToken()) != JsonToken.END_ARRAY) {
            if (token != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                    || p.getLongValue() < 0) {
                throw new SafetensorsFormatException(file, "tensor '" + name + "': \"" + field + "\" entry "
                        + p.getText() + " is not a non-negative 64-bit integer; corrupt header");
            }
            if (n == max) {
                throw new SafetensorsFormatException(file, "tensor '" + name + "': \"" + field + "\" has more than "
                        + max + " entries; corrupt header");
            }
            if (n == values.length) {
                values = Arrays.copyOf(values, Math.min(max, 2 * n));
            }
            values[n++] = p.getLongValue();
        }
        return Arrays.copyOf(values, n);
    }

    private static Dtype dtype(Path file, String name, String text) throws SafetensorsFormatException {
        for (Dtype d : Dtype.values()) {
            if (d.name().equals(text)) {
                return d;
            }
        }
        if (OTHER_SAFETENSORS_DTYPES.contains(text)) {
            throw new SafetensorsFormatException(file, "tensor '" + name + "' has dtype " + text
                    + ", which Unroll does not read; supported dtypes are F32, F64, I32, I64 (convert the tensor,"
                    + " e.g. with tensor.float() in PyTorch, before saving)");
        }
        throw new SafetensorsFormatException(file, "tensor '" + name + "' has unknown dtype \"" + text
                + "\"; supported dtypes are F32, F64, I32, I64; corrupt header or not a safetensors file");
    }

    /** The offsets must lie in the data section and tile it: no gap, no overlap, nothing left over. */
    private static void checkLayout(Path file, Map<String, Entry> entries, long dataLength, long fileSize)
            throws SafetensorsFormatException {
        for (Entry e : entries.values()) {
            if (e.end > dataLength) {
                throw new SafetensorsFormatException(file, "tensor " + e.describe() + " ends at byte " + e.end
                        + " of the data section, but the data section holds only " + dataLength
                        + " bytes (file size " + fileSize + " bytes); truncated file");
            }
        }
        List<Entry> byOffset = new ArrayList<>(entries.values());
        byOffset.sort(Comparator.<Entry>comparingLong(e -> e.begin).thenComparingLong(e -> e.end));
        long covered = 0;
        Entry previous = null;
        for (Entry e : byOffset) {
            if (e.begin < covered) {
                throw new SafetensorsFormatException(file, "tensor " + e.describe() + " overlaps tensor "
                        + previous.describe() + "; expected every tensor to have its own bytes; corrupt header");
            }
            if (e.begin > covered) {
                throw new SafetensorsFormatException(file, "bytes [" + covered + ", " + e.begin
                        + ") of the data section belong to no tensor (gap before tensor " + e.describe()
                        + "); expected the tensors to cover the data section contiguously; corrupt header");
            }
            covered = e.end;
            previous = e;
        }
        if (covered != dataLength) {
            throw new SafetensorsFormatException(file, "the tensors cover " + covered + " bytes of the data section,"
                    + " but it holds " + dataLength + " bytes; expected no bytes after the last tensor; corrupt"
                    + " header or data appended to the file");
        }
    }

    /** A validated safetensors file: names, dtypes, shapes and metadata, with data decoded on request. */
    public static final class Contents {
        private final Path file;
        private final Map<String, Entry> entries;
        private final List<String> names;
        private final Map<String, String> metadata;
        private final FileChannel channel;
        private final long dataStart;
        private final int readBytes;

        private Contents(Path file, Map<String, Entry> entries, Map<String, String> metadata, FileChannel channel,
                long dataStart, int readBytes) {
            this.file = file;
            this.entries = entries;
            this.names = List.copyOf(entries.keySet());
            this.metadata = Collections.unmodifiableMap(metadata);
            this.channel = channel;
            this.dataStart = dataStart;
            this.readBytes = readBytes;
            CLEANER.register(this, () -> {
                try {
                    channel.close();
                } catch (IOException e) {
                    // nothing to do for a file only read from
                }
            });
        }

        /** The file that was read. */
        public Path file() {
            return file;
        }

        /** Tensor names in the order of the header. */
        public List<String> names() {
            return names;
        }

        /** Whether a tensor of this name exists. */
        public boolean has(String name) {
            return entries.containsKey(name);
        }

        /** The {@code __metadata__} entries in file order (empty if the file has none). */
        public Map<String, String> metadata() {
            return metadata;
        }

        /** The tensor's dtype. */
        public Dtype dtype(String name) {
            return entry(name).dtype;
        }

        /** The tensor's shape (a copy; {@code []} for a scalar). */
        public int[] shape(String name) {
            return entry(name).shape.clone();
        }

        /** The tensor's number of elements (1 for a scalar, 0 if a dimension is 0). */
        public long elementCount(String name) {
            return entry(name).count;
        }

        /**
         * Row-major values of an F32 tensor, or of an F64 tensor rounded to float.
         *
         * @throws SafetensorsFormatException if the tensor's bytes do not match its checksum
         *     ({@link #checksummed()}), the file became shorter after it was read (truncated by
         *     another program) or the bytes cannot be read
         */
        public float[] floats(String name) throws SafetensorsFormatException {
            Entry e = entry(name);
            if (e.dtype != Dtype.F32 && e.dtype != Dtype.F64) {
                throw wrongDtype(e, "floats", "F32 or F64");
            }
            float[] out = new float[arrayLength(e)];
            if (e.dtype == Dtype.F32) {
                scan(e, (b, first, n) -> b.asFloatBuffer().get(out, first, n));
            } else {
                scan(e, (b, first, n) -> {
                    for (int j = 0; j < n; j++) {
                        out[first + j] = (float) b.getDouble(8 * j);
                    }
                });
            }
            return out;
        }

        /**
         * Row-major values of an F64 tensor, or of an F32 tensor widened (exactly) to double.
         *
         * @throws SafetensorsFormatException if the tensor's bytes do not match its checksum
         *     ({@link #checksummed()}), the file became shorter after it was read (truncated by
         *     another program) or the bytes cannot be read
         */
        public double[] doubles(String name) throws SafetensorsFormatException {
            Entry e = entry(name);
            if (e.dtype != Dtype.F32 && e.dtype != Dtype.F64) {
                throw wrongDtype(e, "doubles", "F64 or F32");
            }
            double[] out = new double[arrayLength(e)];
            if (e.dtype == Dtype.F64) {
                scan(e, (b, first, n) -> b.asDoubleBuffer().get(out, first, n));
            } else {
                scan(e, (b, first, n) -> {
                    for (int j = 0; j < n; j++) {
                        out[first + j] = b.getFloat(4 * j);
                    }
                });
            }
            return out;
        }

        /**
         * Row-major values of an I64 tensor, or of an I32 tensor widened to long.
         *
         * @throws SafetensorsFormatException if the tensor's bytes do not match its checksum
         *     ({@link #checksummed()}), the file became shorter after it was read (truncated by
         *     another program) or the bytes cannot be read
         */
        public long[] longs(String name) throws SafetensorsFormatException {
            Entry e = entry(name);
            if (e.dtype != Dtype.I64 && e.dtype != Dtype.I32) {
                throw wrongDtype(e, "longs", "I64 or I32");
            }
            long[] out = new long[arrayLength(e)];
            if (e.dtype == Dtype.I64) {
                scan(e, (b, first, n) -> b.asLongBuffer().get(out, first, n));
            } else {
                scan(e, (b, first, n) -> {
                    for (int j = 0; j < n; j++) {
                        out[first + j] = b.getInt(4 * j);
                    }
                });
            }
            return out;
        }

        /**
         * Row-major values of an I32 tensor, or of an I64 tensor (token ids) whose values all fit an
         * int; a value outside the int range is an {@link IllegalArgumentException} naming it.
         *
         * @throws SafetensorsFormatException if the tensor's bytes do not match its checksum
         *     ({@link #checksummed()}), the file became shorter after it was read (truncated by
         *     another program) or the bytes cannot be read
         */
        public int[] ints(String name) throws SafetensorsFormatException {
            Entry e = entry(name);
            if (e.dtype != Dtype.I64 && e.dtype != Dtype.I32) {
                throw wrongDtype(e, "ints", "I32 or I64");
            }
            int[] out = new int[arrayLength(e)];
            if (e.dtype == Dtype.I32) {
                scan(e, (b, first, n) -> b.asIntBuffer().get(out, first, n));
                return out;
            }
            // the first value outside the int range as {index, value}, reported only once the scan has
            // verified the bytes: a changed byte is then a checksum error, not a value never written
            long[] outside = {-1, 0};
            scan(e, (b, first, n) -> {
                for (int j = 0; j < n; j++) {
                    long v = b.getLong(8 * j);
                    if (v != (int) v && outside[0] < 0) {
                        outside[0] = first + j;
                        outside[1] = v;
                    }
                    out[first + j] = (int) v;
                }
            });
            if (outside[0] >= 0) {
                throw new IllegalArgumentException("tensor '" + e.name + "' in " + file + " holds " + outside[1]
                        + " at index " + outside[0] + ", outside the int range; read it with longs()");
            }
            return out;
        }

        private Entry entry(String name) {
            Entry e = entries.get(name);
            if (e == null) {
                int shown = Math.min(names.size(), 50);
                String available = String.join(", ", names.subList(0, shown))
                        + (shown < names.size() ? ", ... (" + (names.size() - shown) + " more)" : "");
                throw new IllegalArgumentException("no tensor named '" + name + "' in " + file + "; available: ["
                        + available + "]");
            }
            return e;
        }

        private IllegalArgumentException wrongDtype(Entry e, String method, String accepted) {
            return new IllegalArgumentException("tensor '" + e.name + "' in " + file + " has dtype " + e.dtype + "; "
                    + method + "() reads " + accepted);
        }

        private int arrayLength(Entry e) {
            if (e.count > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("tensor '" + e.name + "' in " + file + " has " + e.count
                        + " elements, more than a Java array holds");
            }
            return (int) e.count;
        }

        /** Receives little-endian views of whole elements: {@code n} elements starting at element {@code first}. */
        private interface Segment {
            void accept(ByteBuffer littleEndian, int first, int n);
        }

        /**
         * Whether the file carries checksums ({@link Writer#checksums()}); if so, the metadata's
         * matched when the file was read, and each tensor's is checked whenever the tensor is decoded.
         */
        public boolean checksummed() {
            return metadata.containsKey(METADATA_SHA256);
        }

        /**
         * Checks the checksums of {@link Writer#checksums()} when the file has any: every tensor and
         * the metadata must have one, none may name a tensor the file lacks, and the metadata's must
         * match. The tensors' are checked against their bytes by {@link #scan}, as they are decoded.
         * A file without any (PyTorch writes none) passes unchecked.
         */
        private void verifyMetadataChecksums() throws SafetensorsFormatException {
            boolean any = false;
            for (String key : metadata.keySet()) {
                any |= key.equals(METADATA_SHA256) || key.startsWith(TENSOR_SHA256_PREFIX);
            }
            if (!any) {
                return;
            }
            String changed = "; the file" + CHANGED;
            String recorded = metadata.get(METADATA_SHA256);
            if (recorded == null) {
                throw new SafetensorsFormatException(file, "the file has tensor checksums (" + TENSOR_SHA256_PREFIX
                        + "*) but no checksum of its metadata (" + METADATA_SHA256 + ")" + changed);
            }
            if (!recorded.equals(metadataSha256(metadata))) {
                throw new SafetensorsFormatException(file, "the metadata does not match its SHA-256 (" + METADATA_SHA256
                        + ")" + changed);
            }
            for (String key : metadata.keySet()) {
                if (key.startsWith(TENSOR_SHA256_PREFIX) && !entries.containsKey(key.substring(TENSOR_SHA256_PREFIX.length()))) {
                    throw new SafetensorsFormatException(file, "metadata key '" + key + "' is the checksum of a tensor"
                            + " the file does not have" + changed);
                }
            }
            for (Entry e : entries.values()) {
                if (!metadata.containsKey(TENSOR_SHA256_PREFIX + e.name)) {
                    throw new SafetensorsFormatException(file, "tensor '" + e.name + "' has no checksum ("
                            + TENSOR_SHA256_PREFIX + e.name + ") although the file's other tensors do" + changed);
                }
            }
        }

        /**
         * Hands the tensor's bytes to {@code sink} in pieces of whole elements, read from the open
         * file (the one read, even if another file has been renamed over its path since). In a file
         * with checksums the same pieces go through SHA-256, and the tensor's checksum must match
         * before this returns, so a caller never keeps values decoded from changed bytes.
         */
        private void scan(Entry e, Segment sink) throws SafetensorsFormatException {
            String expected = metadata.get(TENSOR_SHA256_PREFIX + e.name); // null without checksums
            MessageDigest digest = expected == null ? null : sha256();
            int size = e.dtype.byteSize();
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(readBytes, Math.max(size, e.end - e.begin)));
            long pos = e.begin;
            int index = 0;
            try {
                while (pos < e.end) {
                    buffer.clear().limit((int) Math.min(buffer.capacity(), e.end - pos));
                    readFully(file, channel, buffer, dataStart + pos, "tensor '" + e.name + "'");
                    int n = buffer.limit() / size;
                    sink.accept(buffer.flip().slice().order(ByteOrder.LITTLE_ENDIAN), index, n);
                    pos += buffer.limit();
                    index += n;
                    if (digest != null) {
                        digest.update(buffer);
                    }
                }
            } catch (SafetensorsFormatException shorter) {
                throw shorter;
            } catch (IOException io) {
                throw new SafetensorsFormatException(file, "tensor '" + e.name + "' could not be read: " + io, io);
            }
            if (digest != null && !expected.equals(HEX.formatHex(digest.digest()))) {
                throw new SafetensorsFormatException(file, "tensor '" + e.name + "' does not match its SHA-256 ("
                        + TENSOR_SHA256_PREFIX + e.name + "): its data" + CHANGED);
            }
        }
    }

    // ------------------------------------------------------------------------------------ writing

    /** A new, empty writer. */
    public static Writer writer() {
        return new Writer();
    }

    /** Something to run between writing the temporary file and renaming it (a test hook). */
    @FunctionalInterface
    interface IoAction {
        void run() throws IOException;
    }

    /**
     * Collects tensors (copied when added) and metadata, then writes them atomically. Tensors are
     * written in insertion order.
     */
    public static final class Writer {
        private final Map<String, Pending> tensors = new LinkedHashMap<>();
        private final Map<String, String> metadata = new LinkedHashMap<>();
        private boolean checksums;

        private Writer() {}

        /**
         * Adds SHA-256 checksums of every tensor and of the metadata to the metadata
         * ({@link #TENSOR_SHA256_PREFIX}, {@link #METADATA_SHA256}); {@link #read} verifies the
         * metadata's and {@link Contents} a tensor's as it decodes the tensor, so a changed byte
         * anywhere that matters is an error naming what changed. Other readers,
         * PyTorch's among them, ignore metadata and read the file as before.
         */
        public Writer checksums() {
            checksums = true;
            return this;
        }

        /** Adds an F32 tensor; {@code data} must hold exactly the shape's number of values. */
        public Writer putFloats(String name, int[] shape, float[] data) {
            int n = check(name, shape, data == null ? -1 : data.length, 0, true);
            return add(name, Dtype.F32, shape, Arrays.copyOf(data, n), n);
        }

        /** Adds an F32 tensor made of {@code data[offset, offset + product(shape))}. */
        public Writer putFloats(String name, int[] shape, float[] data, int offset) {
            int n = check(name, shape, data == null ? -1 : data.length, offset, false);
            return add(name, Dtype.F32, shape, Arrays.copyOfRange(data, offset, offset + n), n);
        }

        /** Adds an F64 tensor; {@code data} must hold exactly the shape's number of values. */
        public Writer putDoubles(String name, int[] shape, double[] data) {
            int n = check(name, shape, data == null ? -1 : data.length, 0, true);
            return add(name, Dtype.F64, shape, Arrays.copyOf(data, n), n);
        }

        /** Adds an F64 tensor made of {@code data[offset, offset + product(shape))}. */
        public Writer putDoubles(String name, int[] shape, double[] data, int offset) {
            int n = check(name, shape, data == null ? -1 : data.length, offset, false);
            return add(name, Dtype.F64, shape, Arrays.copyOfRange(data, offset, offset + n), n);
        }

        /** Adds an I64 tensor; {@code data} must hold exactly the shape's number of values. */
        public Writer putLongs(String name, int[] shape, long[] data) {
            int n = check(name, shape, data == null ? -1 : data.length, 0, true);
            return add(name, Dtype.I64, shape, Arrays.copyOf(data, n), n);
        }

        /** Adds an I32 tensor; {@code data} must hold exactly the shape's number of values. */
        public Writer putInts(String name, int[] shape, int[] data) {
            int n = check(name, shape, data == null ? -1 : data.length, 0, true);
            return add(name, Dtype.I32, shape, Arrays.copyOf(data, n), n);
        }

        /** Sets a {@code __metadata__} entry (a later call with the same key replaces the value). */
        public Writer metadata(String key, String value) {
            if (key == null || value == null) {
                throw new IllegalArgumentException("metadata key and value must not be null, got " + key + " = " + value);
            }
            if (key.equals(METADATA_SHA256) || key.startsWith(TENSOR_SHA256_PREFIX)) {
                throw new IllegalArgumentException("metadata key '" + key + "' is reserved for the checksums that"
                        + " checksums() adds; name the entry otherwise");
            }
            metadata.put(key, value);
            return this;
        }

        /** Names of the tensors added so far, in insertion order. */
        public List<String> names() {
            return List.copyOf(tensors.keySet());
        }

        /**
         * Writes the file atomically: to a temporary file in the target's directory, forced to the
         * device, then renamed over {@code target}. On failure the temporary file is removed and an
         * existing {@code target} is untouched.
         */
        public void write(Path target) throws IOException {
            write(target, () -> { });
        }

        void write(Path target, IoAction beforeRename) throws IOException {
            Objects.requireNonNull(target, "target");
            Path absolute = target.toAbsolutePath();
            if (Files.isDirectory(absolute)) {
                throw new IOException(absolute + " is a directory, expected the path of a safetensors file");
            }
            Path directory = absolute.getParent();
            byte[] header = header();
            String stem = absolute.getFileName().toString();
            stem = stem.length() > 100 ? stem.substring(0, 100) : stem;
            Path temp;
            FileChannel channel;
            while (true) {
                temp = directory.resolve("." + stem + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
                try {
                    channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    break;
                } catch (FileAlreadyExistsException e) {
                    // another writer's temporary file; draw another name
                }
            }
            try {
                try (FileChannel out = channel) {
                    encode(header, full -> drain(out, full));
                    out.force(true);
                }
                beforeRename.run();
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException | RuntimeException | Error e) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            syncDirectory(directory);
        }

        /**
         * The bytes {@link #write} puts in the file, for a file sent rather than stored (a
         * download); at most 2 GiB, as a Java array holds.
         */
        public byte[] toBytes() {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            encode(header(), full -> bytes.write(full.array(), full.arrayOffset() + full.position(), full.remaining()));
            return bytes.toByteArray();
        }

        /** The file's bytes to {@code sink} in order: the header's length, the header, every tensor's values. */
        private <E extends Exception> void encode(byte[] header, ByteSink<E> sink) throws E {
            ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            buffer.putLong(header.length);
            sink.accept(buffer.flip());
            sink.accept(ByteBuffer.wrap(header));
            for (Pending p : tensors.values()) {
                p.encode(buffer, sink);
            }
        }

        /** The metadata as written: the entries set, then the checksums if asked for. */
        private Map<String, String> metadataWritten() {
            if (!checksums) {
                return metadata;
            }
            Map<String, String> all = new LinkedHashMap<>(metadata);
            all.keySet().removeIf(key -> key.equals(METADATA_SHA256) || key.startsWith(TENSOR_SHA256_PREFIX));
            all.put(METADATA_SHA256, metadataSha256(all));
            ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            MessageDigest digest = sha256();
            for (Map.Entry<String, Pending> t : tensors.entrySet()) {
                t.getValue().encode(buffer, digest::update);
                all.put(TENSOR_SHA256_PREFIX + t.getKey(), HEX.formatHex(digest.digest()));
            }
            return all;
        }

        /** The padded JSON header exactly as {@link #write} writes it. */
        byte[] header() {
            Map<String, String> written = metadataWritten();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (JsonGenerator g = JSON.createGenerator(bytes)) {
                g.writeStartObject();
                if (!written.isEmpty()) {
                    g.writeFieldName(METADATA_KEY);
                    g.writeStartObject();
                    for (Map.Entry<String, String> m : written.entrySet()) {
                        g.writeStringField(m.getKey(), m.getValue());
                    }
                    g.writeEndObject();
                }
                long offset = 0;
                for (Map.Entry<String, Pending> t : tensors.entrySet()) {
                    Pending p = t.getValue();
                    g.writeFieldName(t.getKey());
                    g.writeStartObject();
                    g.writeStringField("dtype", p.dtype.name());
                    g.writeFieldName("shape");
                    g.writeStartArray();
                    for (int d : p.shape) {
                        g.writeNumber(d);
                    }
                    g.writeEndArray();
                    g.writeFieldName("data_offsets");
                    g.writeStartArray();
                    g.writeNumber(offset);
                    offset += p.bytes();
                    g.writeNumber(offset);
                    g.writeEndArray();
                    g.writeEndObject();
                }
                g.writeEndObject();
            } catch (IOException e) {
                throw new UncheckedIOException("writing JSON to memory failed", e);
            }
            int padding = (ALIGNMENT - bytes.size() % ALIGNMENT) % ALIGNMENT;
            if (bytes.size() + padding > MAX_HEADER_BYTES) {
                throw new IllegalArgumentException("the header would be " + (bytes.size() + padding) + " bytes, more than"
                        + " the " + MAX_HEADER_BYTES + " bytes safetensors readers accept (this one and PyTorch's); the"
                        + " likely cause is very large metadata values");
            }
            for (int i = 0; i < padding; i++) {
                bytes.write(' ');
            }
            return bytes.toByteArray();
        }

        private Writer add(String name, Dtype dtype, int[] shape, Object data, int count) {
            tensors.put(name, new Pending(dtype, shape.clone(), data, count));
            return this;
        }

        /** Validates a put and returns the number of values the shape holds. */
        private int check(String name, int[] shape, int length, int offset, boolean exact) {
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("tensor name is " + (name == null ? "null" : "empty")
                        + ", expected a non-empty name such as 'weight_ih_l0'");
            }
            if (name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException("'__metadata__' is reserved by the format and cannot name a tensor");
            }
            if (tensors.containsKey(name)) {
                throw new IllegalArgumentException("tensor '" + name + "' was already added; names must be unique");
            }
            if (shape == null) {
                throw new IllegalArgumentException("tensor '" + name + "': shape is null, expected e.g. new int[] {2, 3}"
                        + " (new int[0] for a scalar)");
            }
            if (shape.length > MAX_RANK) {
                throw new IllegalArgumentException("tensor '" + name + "': shape has " + shape.length
                        + " dimensions, expected at most " + MAX_RANK);
            }
            if (length < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': data is null");
            }
            long count = 1;
            for (int d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape)
                            + " has a negative dimension");
                }
                count *= d;
                if (count > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape)
                            + " holds more values than a Java array");
                }
            }
            if (exact && length != count) {
                throw new IllegalArgumentException("tensor '" + name + "': data has " + length + " values, expected "
                        + Arrays.toString(shape) + " = " + count);
            }
            if (offset < 0 || offset > length - count) {
                throw new IllegalArgumentException("tensor '" + name + "': values [" + offset + ", " + (offset + count)
                        + ") for shape " + Arrays.toString(shape) + " do not fit an array of " + length);
            }
            return (int) count;
        }
    }

    /** A tensor waiting to be written: its dtype, shape and a private copy of its values. */
    private static final class Pending {
        final Dtype dtype;
        final int[] shape;
        final Object data; // float[], double[], long[] or int[] per dtype
        final int count;

        Pending(Dtype dtype, int[] shape, Object data, int count) {
            this.dtype = dtype;
            this.shape = shape;
            this.data = data;
            this.count = count;
        }

        long bytes() {
            return (long) count * dtype.byteSize();
        }

        /** Hands the values, little-endian, to {@code sink} in pieces of at most {@code buffer}'s capacity. */
        <E extends Exception> void encode(ByteBuffer buffer, ByteSink<E> sink) throws E {
            int size = dtype.byteSize();
            int done = 0;
            while (done < count) {
                buffer.clear();
                int n = Math.min(buffer.capacity() / size, count - done);
                ByteBuffer view = buffer.slice().order(ByteOrder.LITTLE_ENDIAN);
                switch (dtype) {
                    case F32 -> view.asFloatBuffer().put((float[]) data, done, n);
                    case F64 -> view.asDoubleBuffer().put((double[]) data, done, n);
                    case I32 -> view.asIntBuffer().put((int[]) data, done, n);
                    case I64 -> view.asLongBuffer().put((long[]) data, done, n);
                    default -> throw new AssertionError(dtype);
                }
                sink.accept(buffer.limit(n * size));
                done += n;
            }
        }
    }

    /** Receives a buffer of encoded bytes between its position and limit. */
    @FunctionalInterface
    private interface ByteSink<E extends Exception> {
        void accept(ByteBuffer bytes) throws E;
    }

    private static void drain(FileChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            out.write(buffer);
        }
    }

    /**
     * Makes the rename itself durable by forcing the directory (POSIX). Best effort: some platforms
     * (Windows) cannot open a directory as a channel, and the file's own bytes are already forced.
     */
    private static void syncDirectory(Path directory) {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // not supported here; the data itself was forced before the rename
        }
    }
}
