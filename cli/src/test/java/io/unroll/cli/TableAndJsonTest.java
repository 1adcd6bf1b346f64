package io.unroll.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.unroll.bench.Table;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Alignment of {@link Table} and the JSON shape written by {@link Json}. */
class TableAndJsonTest {

    @Test
    void numbersAlignRightTextAlignsLeft() {
        String table = new Table("epoch", "loss", "cell", "clipped")
                .addRow(0, 2.1972, "lstm", "no")
                .addRow(50, 0.81266, "rnn", "yes")
                .addRow(300, 1.5e-5, "gru", null)
                .render();
        assertEquals(String.join("\n",
                "epoch       loss  cell  clipped",
                "-----  ---------  ----  -------",
                "    0      2.197  lstm  no",
                "   50     0.8127  rnn   yes",
                "  300  1.500e-05  gru",
                ""), table);
    }

    @Test
    void numericStringsCountAsNumbers() {
        String table = new Table("name", "ratio").addRow("a", "3.2e-3").addRow("bb", "NaN").addRow("c", "12%").render();
        assertEquals(String.join("\n",
                "name   ratio",
                "----  ------",
                "a     3.2e-3",
                "bb       NaN",
                "c        12%",
                ""), table);
    }

    @Test
    void unicodeCellsAreMeasuredInCharacters() {
        String table = new Table("bar", "n").addRow("█▌", 1).addRow("▏", 22).render();
        List<String> lines = table.lines().toList();
        assertEquals("█▌    1", lines.get(2));
        assertEquals("▏    22", lines.get(3));
    }

    @Test
    void rowsMustMatchTheHeader() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Table("a", "b").addRow(1));
        assertTrue(e.getMessage().contains("1 cells, expected 2"), e.getMessage());
    }

    record Curve(String cell, int steps, double[] norms, double ratio) {
    }

    @Test
    void recordsAndMapsBecomeJsonWithNonFiniteAsStrings() throws Exception {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("curve", new Curve("rnn", 3, new double[] {1.0, Double.NaN, 0.25}, Double.POSITIVE_INFINITY));
        report.put("loss", Double.NEGATIVE_INFINITY);
        report.put("floats", new float[] {Float.NaN, 0.5f});
        StringWriter text = new StringWriter();
        Json.write(new PrintWriter(text), report);

        String json = text.toString();
        assertTrue(json.endsWith("}\n"), json);
        assertTrue(json.startsWith("{\n  \"curve\": {\n    \"cell\": \"rnn\","), json);
        JsonNode parsed = new ObjectMapper().readTree(json); // standard JSON: bare NaN would fail here
        assertEquals("rnn", parsed.get("curve").get("cell").asText());
        assertEquals(3, parsed.get("curve").get("steps").asInt());
        assertEquals(0.25, parsed.get("curve").get("norms").get(2).asDouble());
        assertEquals("NaN", parsed.get("curve").get("norms").get(1).textValue());
        assertEquals("Infinity", parsed.get("curve").get("ratio").textValue());
        assertEquals("-Infinity", parsed.get("loss").textValue());
        assertEquals("NaN", parsed.get("floats").get(0).textValue());
    }

    @Test
    void writeLeavesTheWriterOpen() {
        StringWriter text = new StringWriter();
        PrintWriter out = new PrintWriter(text);
        Json.write(out, List.of(1, 2));
        out.print("after");
        out.flush();
        assertTrue(text.toString().endsWith("]\nafter"), text.toString());
        assertTrue(!out.checkError());
    }
}
