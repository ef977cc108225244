package dev.automesh.net;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RelayBucketTest {
    @Test
    void startsFullRefillsWithTimeAndNeverAboveCapacity() {
        RelayBucket b = new RelayBucket(1000, 3000, 0);
        assertTrue(b.take(3000, 0));
        assertFalse(b.take(1, 0));
        assertFalse(b.take(1001, 1_000_000_000L)); // one second: 1000 bytes
        assertTrue(b.take(1000, 1_000_000_000L));
        assertTrue(b.take(3000, 1_000_000_000_000L)); // a long pause fills it only to capacity
        assertFalse(b.take(1, 1_000_000_000_000L));
    }

    @Test
    void aClockGoingBackwardsAddsNothing() {
        RelayBucket b = new RelayBucket(1000, 1000, 5_000_000_000L);
        assertTrue(b.take(1000, 5_000_000_000L));
        assertFalse(b.take(1, 1_000_000_000L));
        assertTrue(b.take(1000, 6_000_000_000L));
    }
}
