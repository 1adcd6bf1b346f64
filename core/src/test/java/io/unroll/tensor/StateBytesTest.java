package io.unroll.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@link State#toBytes()} and {@link State#fromBytes(byte[])}: the layout, the round trip, and every way bytes can be wrong. */
class StateBytesTest {

    private static State state(boolean withCell) {
        State s = State.zeros(2, 3, 4, withCell);
        for (int i = 0; i < s.h().length; i++) {
            s.h()[i] = i * 0.25f - 1.5f;
            if (withCell) {
                s.c()[i] = -i * 1e-3f;
            }
        }
        s.h()[7] = -0.0f;
        s.h()[8] = Float.MIN_VALUE;
        return s;
    }

    @Test
    void theLayoutIsAHeaderOfFourIntsThenHThenCLittleEndian() {
        State s = state(true);
        byte[] bytes = s.toBytes();
        assertEquals(16 + 4 * 24 * 2, bytes.length);
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(2, in.getInt());
        assertEquals(3, in.getInt());
        assertEquals(4, in.getInt());
        assertEquals(1, in.getInt());
        for (int i = 0; i < 24; i++) {
            assertEquals(Float.floatToRawIntBits(s.h()[i]), in.getInt(), "h " + i);
        }
        for (int i = 0; i < 24; i++) {
            assertEquals(Float.floatToRawIntBits(s.c()[i]), in.getInt(), "c " + i);
        }
        assertEquals(0, ByteBuffer.wrap(state(false).toBytes()).order(ByteOrder.LITTLE_ENDIAN).getInt(12), "no cell state: flag 0");
        assertEquals(16 + 4 * 24, state(false).toBytes().length);
    }

    @Test
    void aStateRoundTripsBitForBit() {
        for (boolean withCell : new boolean[] {false, true}) {
            State s = state(withCell);
            State back = State.fromBytes(s.toBytes());
            assertEquals(s.layers(), back.layers());
            assertEquals(s.batch(), back.batch());
            assertEquals(s.hidden(), back.hidden());
            assertArrayEquals(bits(s.h()), bits(back.h()));
            if (withCell) {
                assertArrayEquals(bits(s.c()), bits(back.c()));
            } else {
                assertNull(back.c());
            }
        }
    }

    @Test
    void badBytesAreErrorsThatSayWhatIsWrong() {
        byte[] good = state(true).toBytes();
        assertBad(null, "missing (null)");
        assertBad(new byte[7], "hold 7 bytes, fewer than the 16-byte header");
        assertBad(Arrays.copyOf(good, good.length - 1), "hold " + (good.length - 1) + " bytes, expected " + good.length,
                "[2, 3, 4] with a cell state");
        assertBad(Arrays.copyOf(good, good.length + 4), "expected " + good.length);
        assertBad(withInt(good, 0, 0), "layers 0", "positive sizes");
        assertBad(withInt(good, 4, -3), "batch -3");
        assertBad(withInt(good, 12, 2), "cell flag 2", "a flag of 0 or 1");
        // sizes whose product overflows an int (and a long, times 8) are a length mismatch, not an allocation
        byte[] huge = withInt(withInt(withInt(good, 0, Integer.MAX_VALUE), 4, Integer.MAX_VALUE), 8, Integer.MAX_VALUE);
        assertBad(huge, "expected " + java.math.BigInteger.valueOf(Integer.MAX_VALUE).pow(3).multiply(java.math.BigInteger.valueOf(8))
                .add(java.math.BigInteger.valueOf(16)) + " for [2147483647, 2147483647, 2147483647] with a cell state");
        // the flag says no cell: the bytes are too many
        assertBad(withInt(good, 12, 0), "expected " + (16 + 4 * 24) + " for [2, 3, 4] without a cell state");

        State nan = state(true);
        nan.h()[5] = Float.NaN;
        assertBad(nan.toBytes(), "state h holds NaN at flat index 5", "finite");
        State inf = state(true);
        inf.c()[23] = Float.NEGATIVE_INFINITY;
        assertBad(inf.toBytes(), "state c holds -Infinity at flat index 23");
    }

    private static void assertBad(byte[] bytes, String... keywords) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> State.fromBytes(bytes));
        for (String k : keywords) {
            assertTrue(e.getMessage().contains(k), "message lacks \"" + k + "\": " + e.getMessage());
        }
    }

    private static byte[] withInt(byte[] bytes, int offset, int value) {
        byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putInt(offset, value);
        return copy;
    }

    private static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }
}
