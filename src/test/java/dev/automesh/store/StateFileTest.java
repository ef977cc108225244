package dev.automesh.store;

import static dev.automesh.wire.Vectors.HEX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.automesh.wire.DecodeException;
import dev.automesh.wire.DecodeException.Kind;
import dev.automesh.wire.TimedEndpoint;
import dev.automesh.wire.Vectors;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StateFileTest {
    @Test
    void decodesEveryStateFileVectorIncludingTheOneWgautomeshWrote() throws DecodeException {
        for (Vectors.StateVector s : Vectors.STATE_FILES) {
            assertEquals(s.table(), StateFile.decode(s.raw()), s.name());
        }
    }

    @Test
    void encodesEveryStateFileVectorByteExact() {
        // One entry at most, so HashMap order cannot matter.
        for (Vectors.StateVector s : Vectors.STATE_FILES) {
            assertEquals(s.bytes(), HEX.formatHex(StateFile.encode(s.table())), s.name());
        }
    }

    @Test
    void keepsTheDaemonsFileExactlyAsWritten() throws DecodeException {
        Vectors.StateVector real = Vectors.STATE_FILES.get(2);
        Map<String, List<TimedEndpoint>> t = StateFile.decode(real.raw());
        assertEquals(List.of(new TimedEndpoint(new InetSocketAddress("127.0.0.5", 51820), 1795318455L)),
                t.get(Vectors.PUBKEY));
        assertEquals(real.bytes(), HEX.formatHex(StateFile.encode(t)));
    }

    @Test
    void manyEntriesRoundTripInOrder() throws Exception {
        Map<String, List<TimedEndpoint>> t = new LinkedHashMap<>();
        java.util.Random rnd = new java.util.Random(3);
        for (int i = 0; i < 50; i++) {
            List<TimedEndpoint> eps = new java.util.ArrayList<>();
            for (int j = 0; j < i % 6; j++) {
                eps.add(new TimedEndpoint(
                        new InetSocketAddress(j % 2 == 0 ? "10.0." + i + "." + j : "fd00::" + i + ":" + j, 1000 + j),
                        rnd.nextLong()));
            }
            t.put("peer-" + i + "-ü", eps);
        }
        Map<String, List<TimedEndpoint>> back = StateFile.decode(StateFile.encode(t));
        assertEquals(t, back);
        assertEquals(List.copyOf(t.keySet()), List.copyOf(back.keySet()), "file order is kept");
    }

    @Test
    void repeatedKeyKeepsTheLastValueLikeSerde() throws DecodeException {
        // 2 entries "a": [] then "a": [127.0.0.1:1 @ 2]
        byte[] b = HEX.parseHex("0200000000000000" + "010000000000000061" + "0000000000000000"
                + "010000000000000061" + "0100000000000000" + "000000007f00000101000200000000000000");
        assertEquals(Map.of("a", List.of(new TimedEndpoint(new InetSocketAddress("127.0.0.1", 1), 2))), StateFile.decode(b));
    }

    @Test
    void hostileCountsAreBadLength() {
        for (String h : new String[] {"0000000000000080", "ffffffffffffffff", "0200000000000000" + "00".repeat(31)}) {
            DecodeException e = assertThrows(DecodeException.class, () -> StateFile.decode(HEX.parseHex(h)));
            assertEquals(Kind.BAD_LENGTH, e.kind(), h);
        }
    }

    @Test
    void toleratesTrailingBytesLikeBincodeDeserialize() throws DecodeException {
        assertEquals(Map.of(), StateFile.decode(HEX.parseHex("0000000000000000ffff")));
    }
}
