package dev.automesh.store;

import dev.automesh.wire.BincodeReader;
import dev.automesh.wire.BincodeWriter;
import dev.automesh.wire.DecodeException;
import dev.automesh.wire.TimedEndpoint;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The persist_file format: bincode of HashMap<String, Vec<(SocketAddr, u64)>> — u64 entry count, then
 * per entry the pubkey String and its endpoint Vec. Same layout as wgautomesh, so either program reads
 * the other's file.
 */
public final class StateFile {
    /** Smallest entry: empty String (u64 length) + empty Vec (u64 count). */
    private static final int MIN_ENTRY_SIZE = 8 + 8;

    private StateFile() {}

    public static byte[] encode(Map<String, List<TimedEndpoint>> table) {
        BincodeWriter w = new BincodeWriter(64 + table.size() * 96);
        w.count(table.size());
        for (Map.Entry<String, List<TimedEndpoint>> e : table.entrySet()) {
            w.string(e.getKey());
            w.count(e.getValue().size());
            for (TimedEndpoint te : e.getValue()) w.timedEndpoint(te);
        }
        return w.toBytes();
    }

    /**
     * Decodes a state file: an unmodifiable map in file order with unmodifiable lists. As in serde's
     * HashMap, a repeated key keeps its last value; as in bincode::deserialize, trailing bytes are
     * ignored. Pubkeys are returned as stored (validating them is the mesh's job).
     */
    public static Map<String, List<TimedEndpoint>> decode(byte[] bytes) throws DecodeException {
        BincodeReader r = new BincodeReader(bytes, 0, bytes.length);
        int entries = r.count("state file", MIN_ENTRY_SIZE);
        Map<String, List<TimedEndpoint>> table = new LinkedHashMap<>();
        for (int i = 0; i < entries; i++) {
            String field = "state file entry " + i;
            String pubkey = r.string(field + " pubkey");
            int n = r.count(field + " endpoints", BincodeReader.MIN_TIMED_ENDPOINT_SIZE);
            List<TimedEndpoint> endpoints = new ArrayList<>(n);
            for (int j = 0; j < n; j++) endpoints.add(r.timedEndpoint(field + " endpoints[" + j + "]"));
            table.put(pubkey, List.copyOf(endpoints));
        }
        return Collections.unmodifiableMap(table);
    }
}
