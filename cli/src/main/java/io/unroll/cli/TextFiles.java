package io.unroll.cli;

import io.unroll.data.CharVocabulary;
import io.unroll.tensor.Memory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reading the text files of the character-model commands, with one-line errors for everything a
 * user can get wrong: a missing or empty file, a directory, a binary file (one with a NUL byte), a
 * file that is not UTF-8 (decoded with a {@link CharsetDecoder} that reports malformed input
 * instead of replacing it; UTF-16 is recognised by its byte order mark), and characters a model's
 * vocabulary does not have.
 *
 * <p>A leading UTF-8 byte order mark is dropped: it marks the encoding, it is not text. A file too
 * large to read into this JVM's heap is refused before it is read.
 */
final class TextFiles {
    private static final int SHOWN_UNKNOWN = 3;

    private TextFiles() {
    }

    /**
     * The text of {@code file}, validated as non-empty UTF-8 text.
     *
     * @param option the option that named the file, for the messages (e.g. {@code --text})
     * @throws IllegalArgumentException with a one-line message when the file cannot be used
     */
    static String read(Path file, String option) {
        byte[] bytes;
        try {
            if (Files.isDirectory(file)) {
                throw new IllegalArgumentException(option + " " + file + " is a directory, expected a text file");
            }
            long size = Files.size(file);
            // the bytes, the decoded characters (2 bytes each) and the string made of them (up to 2 each)
            Memory.require("reading " + option + " " + file + " (" + Memory.format(size) + ")", 5 * size,
                    "use a shorter text, or a larger heap");
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(option + " " + file + " does not exist");
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException(option + " " + file + " cannot be read: permission denied");
        } catch (IOException e) {
            throw new IllegalArgumentException(option + " " + file + " cannot be read: " + Main.describe(e));
        } catch (OutOfMemoryError e) {
            throw new IllegalArgumentException(option + " " + file + " is too large to read into memory;"
                    + " give the JVM more with UNROLL_JAVA_OPTS=-Xmx...");
        }
        return decode(bytes, file, option);
    }

    /** {@code bytes} as UTF-8 text; the checks and messages of {@link #read}. */
    static String decode(byte[] bytes, Path file, String option) {
        if (bytes.length == 0) {
            throw new IllegalArgumentException(option + " " + file + " is empty, expected some text");
        }
        if (bytes.length >= 2 && ((bytes[0] & 0xff) == 0xff && (bytes[1] & 0xff) == 0xfe
                || (bytes[0] & 0xff) == 0xfe && (bytes[1] & 0xff) == 0xff)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "%s %s is UTF-16 text (byte order mark 0x%02X 0x%02X),"
                    + " expected UTF-8; convert it first, e.g. iconv -f utf-16 -t utf-8", option, file, bytes[0] & 0xff, bytes[1] & 0xff));
        }
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                throw new IllegalArgumentException(option + " " + file + " is a binary file (NUL byte at offset " + i
                        + "), expected UTF-8 text");
            }
        }
        int start = bytes.length >= 3 && (bytes[0] & 0xff) == 0xef && (bytes[1] & 0xff) == 0xbb && (bytes[2] & 0xff) == 0xbf ? 3 : 0;
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, start, bytes.length - start);
        CharBuffer out = CharBuffer.allocate(bytes.length - start);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int at = in.position();
            StringBuilder shown = new StringBuilder();
            for (int i = at; i < Math.min(bytes.length, at + Math.max(1, result.length())); i++) {
                shown.append(String.format(Locale.ROOT, "%s0x%02X", shown.length() == 0 ? "" : " ", bytes[i] & 0xff));
            }
            throw new IllegalArgumentException(option + " " + file + " is not UTF-8 text: invalid byte" + (result.length() > 1 ? "s " : " ")
                    + shown + " at offset " + at + " (" + lineColumn(out.flip(), out.limit()) + "); convert it to UTF-8 first,"
                    + " e.g. iconv -f latin1 -t utf-8");
        }
        if (out.position() == 0) {
            throw new IllegalArgumentException(option + " " + file + " is empty (only a byte order mark), expected some text");
        }
        return out.flip().toString();
    }

    /**
     * Checks that every character of {@code text} is in {@code vocabulary}; otherwise a one-line
     * error naming the first few unknown characters and where each first occurs.
     *
     * @param what how to name the text in the message, e.g. {@code --text corpus.txt}
     */
    static void requireKnown(CharVocabulary vocabulary, String text, String what) {
        Map<Integer, Integer> unknown = new LinkedHashMap<>(); // code point -> first char index
        int count = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            if (!vocabulary.contains(cp)) {
                count++;
                unknown.putIfAbsent(cp, i);
            }
            i += Character.charCount(cp);
        }
        if (unknown.isEmpty()) {
            return;
        }
        List<String> shown = new ArrayList<>();
        for (Map.Entry<Integer, Integer> e : unknown.entrySet()) {
            if (shown.size() == SHOWN_UNKNOWN) {
                break;
            }
            shown.add(describe(e.getKey()) + " at " + lineColumn(text, e.getValue()));
        }
        int more = unknown.size() - shown.size();
        throw new IllegalArgumentException(what + " has " + unknown.size() + " distinct character" + (unknown.size() == 1 ? "" : "s")
                + " (" + count + " in all) that the model's vocabulary of " + vocabulary.size() + " does not have: "
                + String.join(", ", shown) + (more > 0 ? " and " + more + " more" : "")
                + "; the model was trained on another kind of text");
    }

    /** A character for messages and listings: {@code 'é' (U+00E9)}, control characters escaped. */
    static String describe(int codePoint) {
        return quote(codePoint) + String.format(Locale.ROOT, " (U+%04X)", codePoint);
    }

    /** A character in single quotes with {@code \n}, {@code \t}, {@code \r} and other controls escaped. */
    static String quote(int codePoint) {
        return "'" + escape(codePoint) + "'";
    }

    /** A character as printable text: {@code \n}, {@code \t}, {@code \r}, {@code \\u0007} for other controls. */
    static String escape(int codePoint) {
        switch (codePoint) {
            case '\n': return "\\n";
            case '\t': return "\\t";
            case '\r': return "\\r";
            case '\\': return "\\\\";
            case '\'': return "\\'";
            default:
                if (Character.isISOControl(codePoint) || !Character.isDefined(codePoint)
                        || Character.getType(codePoint) == Character.FORMAT) {
                    return String.format(Locale.ROOT, "\\u%04X", codePoint);
                }
                return new String(Character.toChars(codePoint));
        }
    }

    /** {@code line L, column C} (both from 1, columns in characters) of char index {@code index}. */
    static String lineColumn(CharSequence text, int index) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < index && i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        int column = 1 + Character.codePointCount(text, lineStart, Math.min(index, text.length()));
        return "line " + line + ", column " + column;
    }
}
