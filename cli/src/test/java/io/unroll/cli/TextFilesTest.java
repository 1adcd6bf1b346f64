package io.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.unroll.data.CharVocabulary;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Decoding and checking the text files of the character-model commands. */
class TextFilesTest {
    private static final Path FILE = Path.of("t.txt");

    private static String decode(byte[] bytes) {
        return TextFiles.decode(bytes, FILE, "--text");
    }

    private static String error(byte[] bytes) {
        return assertThrows(IllegalArgumentException.class, () -> decode(bytes)).getMessage();
    }

    @Test
    void decodesUtf8AndDropsAByteOrderMark() {
        assertEquals("caf\u00e9 \uD83D\uDE00\n", decode("caf\u00e9 \uD83D\uDE00\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals("ab", decode(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 'a', 'b'}));
        assertTrue(error(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}).contains("is empty (only a byte order mark)"));
    }

    @Test
    void malformedUtf8IsNamedByByteOffsetAndLine() {
        assertEquals("--text t.txt is not UTF-8 text: invalid byte 0xFF at offset 5 (line 2, column 2); convert it to UTF-8 first,"
                + " e.g. iconv -f latin1 -t utf-8", error(new byte[] {'a', 'b', 'c', '\n', 'd', (byte) 0xFF, 'e'}));
        assertTrue(error(new byte[] {'c', 'a', 'f', (byte) 0xC3}).contains("invalid byte 0xC3 at offset 3 (line 1, column 4)"),
                "a sequence cut off at the end of the file");
        assertTrue(error(new byte[] {'x', (byte) 0xED, (byte) 0xA0, (byte) 0x80}).contains("at offset 1"), "an encoded surrogate");
        assertEquals("--text t.txt is a binary file (NUL byte at offset 1), expected UTF-8 text", error(new byte[] {'a', 0}));
        assertEquals("--text t.txt is empty, expected some text", error(new byte[0]));
        assertEquals("--text t.txt is UTF-16 text (byte order mark 0xFF 0xFE), expected UTF-8; convert it first,"
                + " e.g. iconv -f utf-16 -t utf-8", error("\uFEFFab".getBytes(StandardCharsets.UTF_16LE)));
        assertTrue(error("\uFEFFab".getBytes(StandardCharsets.UTF_16BE)).contains("UTF-16 text (byte order mark 0xFE 0xFF)"));
    }

    @Test
    void unknownCharactersAreNamedWithTheirFirstPlaceAndCounted() {
        CharVocabulary vocabulary = CharVocabulary.of("abc \n");
        TextFiles.requireKnown(vocabulary, "abc cab\n", "--text x");
        String message = assertThrows(IllegalArgumentException.class,
                () -> TextFiles.requireKnown(vocabulary, "ab\tc\nxyz\nzw\r\n", "--text x")).getMessage();
        assertEquals("--text x has 6 distinct characters (7 in all) that the model's vocabulary of 5 does not have: "
                + "'\\t' (U+0009) at line 1, column 3, 'x' (U+0078) at line 2, column 1, 'y' (U+0079) at line 2, column 2"
                + " and 3 more; the model was trained on another kind of text", message);
    }

    @Test
    void charactersAreQuotedReadably() {
        assertEquals("'\\n'", TextFiles.quote('\n'));
        assertEquals("'\\''", TextFiles.quote('\''));
        assertEquals("'\\u0007'", TextFiles.quote(7));
        assertEquals("'\uD83D\uDE00' (U+1F600)", TextFiles.describe(0x1F600));
        assertEquals("line 3, column 2", TextFiles.lineColumn("a\nb\n\uD83D\uDE00x", 6));
    }
}
