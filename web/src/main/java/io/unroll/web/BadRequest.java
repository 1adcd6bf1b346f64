package io.unroll.web;

/**
 * A request the playground cannot serve as sent: answered with HTTP 400 and a JSON body naming the
 * field that was wrong and what was expected, {@code {"error": "...", "field": "hidden"}}.
 */
final class BadRequest extends RuntimeException {
    private final String field;

    /**
     * @param field   the query parameter or body field at fault (null when it is the request as a whole)
     * @param message what was wrong and what was expected, starting with the field's name
     */
    BadRequest(String field, String message) {
        super(message);
        this.field = field;
    }

    /** The field at fault, or null. */
    String field() {
        return field;
    }
}
