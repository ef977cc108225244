package dev.automesh.mesh;

import dev.automesh.wire.Message;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * How we answer whoever asks (a Ping with a Pong, a Request with our table), within each asker's
 * budget ({@link Askers}): an answer is bigger than its question, so it must never make us an
 * amplifier for a forged source.
 */
final class Answers {
    /** A Request is answered with every configured key, but with only this many unconfigured ones. */
    static final int ANSWER_MAX_UNKNOWN = 16;

    private final Askers askers;
    private final String ownB64;

    Answers(Askers askers, String ownB64) {
        this.askers = askers;
        this.ownB64 = ownB64;
    }

    void ping(InetSocketAddress from, long nowMillis, Out out) {
        if (askers.mayAsk(from)) answer(from, new Message.Pong(), nowMillis, out);
    }

    /**
     * Our key and the configured ones first, a few unconfigured ones, as long as the asker's budget
     * lasts: each goes to {@code queue} (destination, pubkey), the Outbox, which paces them like every
     * other Announce. Sent at once, a large table would be hundreds of datagrams from one call.
     */
    void request(InetSocketAddress from, GossipTable table, Predicate<String> configured, long nowMillis,
            BiConsumer<InetSocketAddress, String> queue) {
        if (!askers.mayAsk(from)) return;
        List<Message.Announce> known = new ArrayList<>();
        List<Message.Announce> unknown = new ArrayList<>();
        table.forEach((pk, eps) -> {
            if (pk.equals(ownB64) || configured.test(pk)) known.add(new Message.Announce(pk, eps));
            else if (unknown.size() < ANSWER_MAX_UNKNOWN) unknown.add(new Message.Announce(pk, eps));
        });
        known.addAll(unknown);
        for (Message.Announce a : known) {
            if (!askers.mayAnswer(from, a, nowMillis)) break;
            queue.accept(from, a.pubkey());
        }
    }

    private boolean answer(InetSocketAddress to, Message m, long nowMillis, Out out) {
        if (!askers.mayAnswer(to, m, nowMillis)) return false;
        out.send(to, m);
        return true;
    }

    Askers askers() {
        return askers;
    }
}
