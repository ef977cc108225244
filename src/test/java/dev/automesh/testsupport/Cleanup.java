package dev.automesh.testsupport;

import java.util.List;

/** Test-bed teardown: what a test created, closed last first; one failure does not keep the rest open. */
public final class Cleanup {
    private Cleanup() {}

    public static void closeAll(List<AutoCloseable> created) {
        for (int i = created.size() - 1; i >= 0; i--) {
            try {
                created.get(i).close();
            } catch (Exception e) {
                System.err.println("cleanup: " + e);
            }
        }
        created.clear();
    }
}
