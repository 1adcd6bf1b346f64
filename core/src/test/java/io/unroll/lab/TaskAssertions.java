package io.unroll.lab;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Assertions the task tests share. */
final class TaskAssertions {
    private TaskAssertions() {}

    /** The message is one line and holds every keyword. */
    static void assertMessage(Throwable e, String... keywords) {
        String message = e.getMessage();
        assertFalse(message.contains("\n"), "message has more than one line: " + message);
        for (String k : keywords) {
            assertTrue(message.contains(k), "message lacks \"" + k + "\": " + message);
        }
    }
}
