package dev.automesh.daemon;

import static dev.automesh.testsupport.TestValues.ep;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.automesh.mesh.Action.Notice;
import dev.automesh.mesh.MeshStatus.Source;
import dev.automesh.mesh.MeshStatus.SourceKind;
import dev.automesh.mesh.MeshStatus.State;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The log lines docs/status.md shows and the end-to-end tests grep for. */
class NoticeLinesTest {
    static final String K = "XWRrcnmAh46VnKOqsbi/xs3U2+Lp8Pf+BQwTGiEoLzY=";

    static Notice.Connected connected(State to, String endpoint, Source source, OptionalLong announced, OptionalLong tried) {
        return new Notice.Connected("b", K, Optional.of(State.PROBING), to, Optional.of(ep(endpoint)), Optional.of(source),
                announced, tried);
    }

    @Test
    void connectedSaysHowWhereFromWhereAndHowSoon() {
        assertEquals("b connected directly at 198.51.100.30:5000, learned from pub 1.4 s after it was announced",
                NoticeLines.line(connected(State.CONNECTED, "198.51.100.30:5000", new Source(SourceKind.GOSSIP, "pub"),
                        OptionalLong.of(1400), OptionalLong.empty())));
        assertEquals("b connected on the LAN at 192.168.1.11:51820, from its LAN broadcast, 0.9 s after we tried it",
                NoticeLines.line(connected(State.LAN, "192.168.1.11:51820", new Source(SourceKind.LAN, "192.168.1.11"),
                        OptionalLong.empty(), OptionalLong.of(930))));
        assertEquals("b connected directly at 203.0.113.1:51820, from the config",
                NoticeLines.line(connected(State.CONNECTED, "203.0.113.1:51820", new Source(SourceKind.CONFIG, ""),
                        OptionalLong.empty(), OptionalLong.empty())));
        assertEquals("b connected directly at [fd00:0:0:0:0:0:0:1]:51820, where WireGuard saw it",
                NoticeLines.line(connected(State.CONNECTED, "[fd00::1]:51820", new Source(SourceKind.WIREGUARD, ""),
                        OptionalLong.empty(), OptionalLong.empty())));
        assertEquals("b connected directly at ?", NoticeLines.line(new Notice.Connected("b", K, Optional.empty(),
                State.CONNECTED, Optional.empty(), Optional.empty(), OptionalLong.empty(), OptionalLong.empty())));
    }

    @Test
    void lostSaysWhyAndHowManyCandidates() {
        assertEquals("b went silent: nothing received for 44 s; probing 2 candidate endpoints", NoticeLines.line(
                new Notice.Lost("b", K, State.CONNECTED, State.PROBING, new Notice.Lost.Silent(44), 2)));
        assertEquals("b disconnected: last handshake 180 s ago; probing 1 candidate endpoints", NoticeLines.line(
                new Notice.Lost("b", K, State.CONNECTED, State.PROBING, new Notice.Lost.Expired(180), 1)));
        assertEquals("b disconnected: WireGuard has no session with it (interface recreated?); probing 1 candidate endpoints",
                NoticeLines.line(new Notice.Lost("b", K, State.LAN, State.PROBING, new Notice.Lost.NoSession(), 1)));
        assertEquals("b went silent: data sent, nothing came back, and nothing answered our Ping in 2 s (nothing received for 4 s);"
                + " probing 3 candidate endpoints", NoticeLines.line(new Notice.Lost("b", K, State.CONNECTED, State.PROBING,
                new Notice.Lost.Unanswered(dev.automesh.mesh.Doubt.DATA_UNANSWERED, 4, 2), 3)));
    }

    @Test
    void noCandidatesAndLanMove() {
        assertEquals("b has no endpoint to try: none in the config, none gossiped or broadcast yet",
                NoticeLines.line(new Notice.NoCandidates("b", K, Optional.empty())));
        assertEquals("b moved to its LAN endpoint 192.168.1.20:51999",
                NoticeLines.line(new Notice.MovedToLan("b", K, ep("198.51.100.20:3333"), ep("192.168.1.20:51999"))));
    }

    @Test
    void relayedDirectAgainAndRelayLost() {
        assertEquals("b relayed via pub: no direct handshake in 8 s (2 candidate endpoints tried)",
                NoticeLines.line(new Notice.Relayed("b", K, "pub", 8, 2, java.util.OptionalLong.empty())));
        assertEquals("b relayed via pub: no direct handshake in 9 s", NoticeLines.line(new Notice.Relayed("b", K, "pub", 9, 0, java.util.OptionalLong.empty())));
        assertEquals("b relayed via pub: no direct handshake in 4 s (1 candidate endpoints tried; b tried us for 3.4 s)",
                NoticeLines.line(new Notice.Relayed("b", K, "pub", 4, 1, java.util.OptionalLong.of(3_420))));
        assertEquals("b direct again at 198.51.100.12:51820, no longer relayed via pub",
                NoticeLines.line(new Notice.DirectAgain("b", K, ep("198.51.100.12:51820"), "pub")));
        assertEquals("b lost its relay pub (nothing came back through it); asking pub2 to relay", NoticeLines.line(
                new Notice.RelayLost("b", K, "pub", Notice.LostWhy.STALLED, Optional.of("pub2"))));
        assertEquals("b lost its relay pub (our tunnel to it is down); no relay available, probing directly", NoticeLines.line(
                new Notice.RelayLost("b", K, "pub", Notice.LostWhy.RELAY_UNREACHABLE, Optional.empty())));
        assertEquals("pub refused to relay b; asking pub2 to relay", NoticeLines.line(
                new Notice.RelayDeclined("b", K, "pub", true, Optional.of("pub2"))));
        assertEquals("pub did not answer the request to relay b; no relay available, probing directly", NoticeLines.line(
                new Notice.RelayDeclined("b", K, "pub", false, Optional.empty())));
    }
}
