package io.unroll.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * Writes the {@code --json} output of a command: any object, {@code Map}, list, array or record
 * as one pretty-printed JSON document (two-space indent, {@code "key": value}, newline at the
 * end), through Jackson.
 *
 * <p>Non-finite numbers are data here (a diverged run reports {@code "loss": "NaN"}), so they are
 * written as the JSON <em>strings</em> {@code "NaN"}, {@code "Infinity"} and {@code "-Infinity"}:
 * the output stays valid JSON (bare {@code NaN} is not), and, unlike {@code null}, says which
 * non-finite value it was. Python reads them back with {@code float(x)}. Map entries keep their
 * insertion order and record components their declaration order.
 */
public final class Json {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();

    private static final ObjectWriter WRITER = MAPPER.writer(new DefaultPrettyPrinter()
            .withSeparators(Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n")));

    private Json() {
    }

    /** Writes {@code value} as pretty JSON followed by a newline and flushes; never closes {@code out}. */
    public static void write(PrintWriter out, Object value) {
        out.print(toString(value));
        out.println();
        out.flush();
    }

    /** {@code value} as pretty JSON, without a trailing newline. */
    public static String toString(Object value) {
        try {
            return WRITER.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }
}
