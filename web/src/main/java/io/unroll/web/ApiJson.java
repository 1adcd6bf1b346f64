package io.unroll.web;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The API's JSON, written as {@code unroll --json} writes it: non-finite numbers as the strings
 * {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"}, so every answer stays valid JSON and says
 * which non-finite value it was. Also reads the request bodies.
 */
final class ApiJson {
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();

    private ApiJson() {}
}
