package dev.automesh.config;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/** Parsing section by section gives what tomlj gives for the whole file: values, positions, errors. */
class TomlSectionsTest {
    private static TomlTable sectioned(String doc) throws ConfigException {
        return TomlSections.parse(doc, "f", TomlBounds.sections(doc, "f"));
    }

    /** Same values, same positions, or the same first error (line, column, message) as one tomlj parse. */
    private static void assertSameAsTomlj(String doc) {
        TomlParseResult whole = Toml.parse(doc);
        String shown = doc.replace("\n", " | ");
        if (whole.hasErrors()) {
            TomlParseError first = whole.errors().stream()
                    .min(Comparator.comparingInt((TomlParseError e) -> e.position().line())
                            .thenComparingInt(e -> e.position().column()))
                    .orElseThrow();
            ConfigException e = assertThrows(ConfigException.class, () -> sectioned(doc), shown);
            assertEquals(ConfigException.Reason.SYNTAX, e.reason(), shown);
            assertEquals("f:" + first.position().line() + ":" + first.position().column() + ": invalid TOML: "
                    + TomlSections.stripPosition(first.getMessage()), e.getMessage(), shown);
            return;
        }
        TomlTable mine;
        try {
            mine = sectioned(doc);
        } catch (ConfigException e) {
            fail(shown + ": tomlj accepts it, sections refuse it: " + e.getMessage());
            return;
        }
        assertEquals(whole.toJson(), mine.toJson(), shown);
        assertSamePositions(whole, mine, shown);
    }

    private static void assertSamePositions(TomlTable want, TomlTable got, String shown) {
        assertEquals(List.copyOf(want.keySet()), List.copyOf(got.keySet()), shown);
        for (String k : want.keySet()) {
            assertEquals(want.inputPositionOf(List.of(k)), got.inputPositionOf(List.of(k)), shown + " at " + k);
            Object w = want.get(List.of(k));
            Object g = got.get(List.of(k));
            if (w instanceof TomlTable wt) assertSamePositions(wt, (TomlTable) g, shown);
            if (w instanceof TomlArray wa) {
                TomlArray ga = (TomlArray) g;
                for (int i = 0; i < wa.size(); i++) {
                    assertEquals(wa.inputPositionOf(i), ga.inputPositionOf(i), shown + " at " + k + "[" + i + "]");
                    if (wa.get(i) instanceof TomlTable wt) assertSamePositions(wt, (TomlTable) ga.get(i), shown);
                }
            }
        }
    }

    @Test
    void headersAcrossSectionsFollowTomljsRules() {
        for (String doc : List.of(
                "[a]\n[a]", "[[a]]\n[a]", "[a]\n[[a]]", "a = 1\n[a]", "a = 1\n[[a]]", "[a.b]\n[a]", "[a.b]\n[a]\nb=1",
                "[a]\nb.c=1\n[a.b]", "[a]\nb.c=1\n[a.b.d]", "[[a]]\n[a.b]\n[[a]]\n[a.b]", "a = {b=1}\n[a.c]", "a = [1]\n[[a]]",
                "[a]\nx=1\n[a.x]", "[[peers]]\nname=\"x\"\n[peers]", "peers = []\n[[peers]]", "[a.b]\n[[a]]", "[[a.b]]\n[a]",
                "x.y=1\n[x]", "x.y=1\n[x.z]", "[ a . \"b\" ]\nc=1", "[a.b]\nc=1\n[a]\nb.d=1", "[[a]]\n[a.b]\n[a.b]",
                "[[a]]\nb=1\n[a.b]", "[a]\n[a.b]\n[a]", "a.b=1\n[[a]]", "[[a]]\n[[a.b]]\n[a]", "[a.b.c]\n[a.b]\n[a]\n[a.b]",
                "[[a]]\n[[a]]\nx=1\n[[a]]", "[x]\n[[x.y]]\n[x.y.z]\n[[x.y]]\n[x.y.z]", "a=1\nb=2\n[t]\na=1\n[u]\n[t]",
                "[\"a\"]\n[a]", "[a]\n[ a ]", "['a.b']\n[a]\nb=1", "[a]\nb = {}\n[a.b]", "[a]\nb = {}\n[a.b.c]",
                "[[a]]\nb = {}\n[a.b.c]", "[[a]]\nb = [{}]\n[[a.b]]", "x=1\n[a]\n[[b]]\n[c]\n[a]", "a = {b=1}\n[a]",
                "[t]\na = {b=1}\n[t.a]", "a = {}\n[a]", "a = {}\n[a.b]", "a = {b={c=1}}\n[a.b.d]", "a = {b={c=1}}\n[a.b]",
                "x.y=1\n[x.z]\n[x]", "x.y.z=1\n[x.y]", "x.y.z=1\n[x.w]", "[a]\nb.c=1\n[a.b.d]\n[a.b]", "a=[{b=1}]\n[a.c]",
                "a=[{b=1}]\n[[a]]", "[a]\n[a.b]\nc=1\n[a]\nb.d=1", "[a.b]\n[a]\nb.c=1", "[a]\nb={c=1}\n[a.b.d]", "x={}\n[[x]]",
                "[[a]]\nb.c=1\n[a.b.d]", "[a.b]\n[a]\nb={c=1}", "[a.b]\nx=1\n[a]\nb=2", "[[a]]\n[a]\nx=1",
                "[a.b.c]\n[a]\nb.d = 1", "[a.b.c]\n[a]\nb.d = 1\n[a.b]", "[a.b.c]\n[a]\nb.c.x = 1", "[a.b.c]\n[a]\nx = 1\nb.\"q.r\".s = 1\nb.c = 2",
                "[a.b.c]\n[a]\nb.d.e = 1\n[a.b.d.f]", "[[a.b]]\n[a]\nb.c = 1")) {
            assertSameAsTomlj(doc);
        }
    }

    @Test
    void headersAreFoundOnlyOutsideStringsArraysAndComments() throws Exception {
        String doc = "interface = \"wg0\"\nnote = \"\"\"\n[[peers]]\n  [x]\n\"\"\"\nlit = '''\n[[peers]]'''\n"
                + "arr = [\n  [1, 2],\n[3],\n]\nt = { a = [\n[4]] }\n# [[peers]]\n  # [x]\nesc = \"\\\"[y]\"\n"
                + "\n  [[peers]]  # indented, with a comment\nname = \"a\"\n[[ peers ]]\nname = \"b\"\n"
                + "[\"q]#\".r]\ns = 1\n";
        List<TomlBounds.Section> sections = TomlBounds.sections(doc, "f");
        List<Integer> lines = sections.stream().map(TomlBounds.Section::line).toList();
        assertEquals(List.of(1, 18, 20, 22), lines);
        assertSameAsTomlj(doc);
        TomlTable t = sectioned(doc);
        assertEquals("[[peers]]\n  [x]\n", t.getString("note"));
        assertEquals(2, t.getArray("peers").size());
    }

    @Test
    void crlfAndDenseSectionsKeepTheirPositions() {
        assertSameAsTomlj("a = 1\r\n[[peers]]\r\nname = \"a\"\r\n[[peers]]\r\nname = \"b\"\r\n\r\n[t]\r\nx = [1,\r\n 2]\r\n");
        assertSameAsTomlj("a = 1\r\n[t]\r\nx = 1\r\nx = 2\r\n");
    }

    @Test
    void aByteOrderMarkAndCrlfKeepLaterErrorsInPlace(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path f = dir.resolve("bom.toml");
        java.nio.file.Files.writeString(f, "\ufeffinterface = \"wg0\"\r\ngossip_port = 1666\r\n"
                + ("[[peers]]\r\npubkey = \"" + ConfigScale.pubkey(1) + "\"\r\naddress = \"10.0.0.1\"\r\n")
                + "\r\n[[peers]]\r\npubkey = \"" + ConfigScale.pubkey(2) + "\"\r\naddress = \"10.0.0.1\"\r\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f));
        assertEquals(f + ":9:11: peers[1].address: \"10.0.0.1\" is the same address as peers[0].address \"10.0.0.1\""
                + " (line 3); every peer needs its own mesh address", e.getMessage());
    }

    @Test
    void errorsInLaterSectionsPointIntoTheWholeFile() {
        String head = "interface = \"wg0\"\n" + "[[peers]]\nname = \"p\"\n".repeat(20);
        for (String tail : List.of("[t]\nx=1\nx=2\n", "[t]\nx = \n", "[[peers]]\nname = \"unterminated\n", "[t]\nx = 1 2\n",
                "[t]\ny = [1,\n[2]\n", "[t]\nx = \"\"\"\nnever closed\n[[peers]]\n", "[peers]\n", "[t]\nx.y = 1\nx.y.z = 2\n",
                "[[peers]]\nname = {a = 1, a = 2}\n", "[t\nx = 1\n", "[t]]\n", "[[t]\n", "[]\n")) {
            assertSameAsTomlj(head + tail);
        }
    }

    /**
     * The one difference known: a section that breaks a rule by itself is reported by its own parse,
     * which names the line in that section where tomlj would name an earlier header. Same place, same
     * rule; the line in the message differs.
     */
    @Test
    void aSectionsOwnErrorNamesItsOwnEarlierLine() {
        String doc = "[a.b.c]\n[a]\nb.d = 1\ny = 2\nb = 4\n";
        assertEquals("b previously defined at line 1, column 1", Toml.parse(doc).errors().get(0).getMessage());
        ConfigException e = assertThrows(ConfigException.class, () -> sectioned(doc));
        assertEquals("f:5:1: invalid TOML: b previously defined at line 3, column 1", e.getMessage());
    }

    /** Random documents of headers and keys that clash in every way the fragments allow. */
    @Test
    void randomDocumentsAgreeWithTomlj() {
        String[] headers = {"[a]", "[[a]]", "[a.b]", "[[a.b]]", "[b]", "[a.b.c]", "[[a.c]]", "[c.a]"};
        String[] bodies = {"", "x = 1", "b = 1", "b.c = 1", "c = {d = 1}", "c = [1]", "x = 2", "c = []", "b = {}"};
        Random r = new Random(16);
        for (int n = 0; n < 2000; n++) {
            StringBuilder sb = new StringBuilder(r.nextBoolean() ? "" : bodies[r.nextInt(bodies.length)] + "\n");
            int sections = 1 + r.nextInt(4);
            for (int s = 0; s < sections; s++) {
                sb.append(headers[r.nextInt(headers.length)]).append('\n');
                int keys = r.nextInt(3);
                for (int k = 0; k < keys; k++) sb.append(bodies[r.nextInt(bodies.length)]).append('\n');
            }
            assertSameAsTomlj(sb.toString());
        }
    }

    @Test
    void aThousandPeersParseAsOneDocument() throws Exception {
        for (int peers : List.of(1000)) {
            String doc = ConfigScale.realistic(peers);
            TomlTable t = sectioned(doc);
            assertEquals(peers, t.getArray("peers").size());
            TomlTable last = t.getArray("peers").getTable(peers - 1);
            assertEquals(ConfigScale.name(peers - 1), last.getString("name"));
            long line = doc.lines().takeWhile(l -> !l.contains("\"" + ConfigScale.name(peers - 1) + "\"")).count() + 1;
            assertEquals(TomlPosition.positionAt((int) line, 1), last.inputPositionOf(List.of("name")));
        }
        assertSameAsTomlj(ConfigScale.realistic(300));
    }

    @Test
    void positionsMessagesShiftOnlyPositions() {
        assertEquals("x previously defined at line 12, column 1 (line 13, column 1)",
                TomlSections.shiftMessage("x previously defined at line 2, column 1 (line 3, column 1)", 10));
        assertEquals("unexpected 'line 2, column 1'", TomlSections.shiftMessage("unexpected 'line 2, column 1'", 10));
    }

    @Test
    void tooManyHeadersIsRefusedAtTheFirstOneTooMany() {
        String doc = "interface = \"wg0\"\n" + "[[x]]\n".repeat(TomlBounds.MAX_HEADERS + 1);
        ConfigException e = assertThrows(ConfigException.class, () -> TomlBounds.sections(doc, "f"));
        assertEquals(ConfigException.Reason.TOO_LARGE, e.reason());
        assertEquals("f:" + (TomlBounds.MAX_HEADERS + 2) + ":1: has more than " + TomlBounds.MAX_HEADERS
                + " [table] headers, more than automesh reads (is this the right file?)", e.getMessage());
        String most = "[[x]]\n".repeat(TomlBounds.MAX_HEADERS);
        assertEquals(TomlBounds.MAX_HEADERS + 1, assertDoesNotThrow(() -> TomlBounds.sections(most, "f")).size());
    }
}
