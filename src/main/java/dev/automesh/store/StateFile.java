package dev.automesh.store;

import dev.automesh.wire.DecodeException;
import dev.automesh.wire.TimedEndpoint;
import java.util.List;
import java.util.Map;

/** The persist_file format: bincode of HashMap<String, Vec<(SocketAddr, u64)>>. Owner: wire. */
public final class StateFile {
    private StateFile() {}

    public static byte[] encode(Map<String, List<TimedEndpoint>> table) {
        throw new UnsupportedOperationException("not implemented yet");
    }

    public static Map<String, List<TimedEndpoint>> decode(byte[] bytes) throws DecodeException {
        throw new UnsupportedOperationException("not implemented yet");
    }
}
