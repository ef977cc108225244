package dev.automesh.config;

import dev.automesh.config.ConfigException.Reason;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlPosition;
import org.tomlj.TomlTable;

/**
 * Parses a config one section at a time ({@link TomlBounds#sections}): tomlj keeps a token per
 * character until a parse ends, so parsing 1000 [[peers]] at once needs ~30 MB where one peer needs
 * nothing. Each section is parsed alone, its positions shifted to the whole file, and merged into one
 * document by tomlj's own rules for headers (a table defined twice, [peers] after [[peers]], a
 * header through a value, a key set twice...), with tomlj's messages and positions.
 */
final class TomlSections {
    private static final Pattern POSITION = Pattern.compile("(at |\\()line (\\d+), column (\\d+)");

    private final String text;
    private final String name;
    private final MergedTable root = new MergedTable(TomlPosition.positionAt(1, 1));
    /** Keys, array elements and tables kept so far: what stays in memory once all sections are parsed. */
    private int values;
    private int[] lineStarts;

    private TomlSections(String text, String name) {
        this.text = text;
        this.name = name;
    }

    /** @throws ConfigException SYNTAX at the first error of the first section that has one */
    static TomlTable parse(String text, String name, List<TomlBounds.Section> sections) throws ConfigException {
        TomlSections doc = new TomlSections(text, name);
        for (int i = 0; i < sections.size(); i++) doc.add(sections.get(i), i == 0);
        return doc.root;
    }

    /** A header that breaks tomlj's rules, with tomlj's words. */
    private static final class Clash extends Exception {
        final TomlPosition at;

        Clash(String message, TomlPosition at) {
            super(message, null, false, false);
            this.at = at;
        }
    }

    private void add(TomlBounds.Section s, boolean top) throws ConfigException {
        int shift = s.line() - 1;
        TomlParseResult r;
        try {
            r = Toml.parse(text.substring(s.start(), s.end()));
        } catch (StackOverflowError e) {
            // TomlBounds caps nesting; this is the last line of defence for a smaller stack than measured.
            throw new ConfigException(Reason.TOO_LARGE, name, 0, 0, "", "nests arrays or tables too deeply to parse");
        }
        Clash clash = null;
        try {
            if (top) adopt(root, r, shift);
            else header(r, shift);
        } catch (Clash c) {
            clash = c;
        } catch (RuntimeException e) {
            if (!r.hasErrors()) throw e; // a partial parse may lack what a header needs; its syntax error is the news
        }
        if (r.hasErrors()) {
            TomlParseError first = r.errors().stream()
                    .min(Comparator.comparingInt((TomlParseError e) -> e.position().line())
                            .thenComparingInt(e -> e.position().column()))
                    .orElseThrow();
            int line = first.position().line() + shift;
            int column = first.position().column();
            // One parse of the whole file reports whichever comes first: the header's clash or the syntax error.
            if (clash == null || line < clash.at.line() || (line == clash.at.line() && column < clash.at.column())) {
                throw syntax(line, column, shiftMessage(first.getMessage(), shift));
            }
        }
        if (clash != null) throw syntax(clash.at.line(), clash.at.column(), clash.getMessage());
        if (values > TomlBounds.MAX_VALUES) {
            throw new ConfigException(Reason.TOO_LARGE, name, s.line(), 1, "", "has more than " + TomlBounds.MAX_VALUES
                    + " keys, values and tables in all, more than automesh keeps in memory (is this the right file?)");
        }
    }

    private ConfigException syntax(int line, int column, String message) {
        return new ConfigException(Reason.SYNTAX, name, line, column, "", "invalid TOML: " + stripPosition(message));
    }

    /**
     * Merges one [header] or [[header]] section. Its parse holds the header's path on line 1 (tomlj
     * places the implied tables at the header too) and the keys below it on later lines.
     */
    private void header(TomlTable r, int shift) throws Clash {
        Header h = Header.of(r);
        List<String> path = h.path();
        TomlTable content = h.content();
        if (path.isEmpty()) { // not a header after all: tomlj would have said so; merge as top-level keys
            mergeInto(root, content, shift);
            return;
        }
        boolean array = h.array();
        TomlPosition at = h.at();
        TomlPosition pos = shifted(at, shift);
        MergedTable parent = ensureTable(path.subList(0, path.size() - 1), pos);
        String key = path.get(path.size() - 1);
        MergedTable.Element e = parent.element(key);
        if (array) {
            if (e == null) {
                parent.put(key, new MergedArray(true), pos);
                e = parent.element(key);
            }
            if (!(e.value() instanceof TomlArray)) {
                throw new Clash(Toml.joinKeyPath(path) + " is not an array (previously defined at " + e.position() + ")", pos);
            }
            if (!(e.value() instanceof MergedArray a) || !a.isTableArray()) {
                throw new Clash(Toml.joinKeyPath(path) + " previously defined as a literal array at " + e.position(), pos);
            }
            MergedTable element = new MergedTable(null);
            a.append(element, pos);
            values++;
            adopt(element, content, shift);
        } else if (e == null) {
            MergedTable table = new MergedTable(pos);
            parent.put(key, table, pos);
            values++;
            adopt(table, content, shift);
        } else if (e.value() instanceof MergedTable implied && implied.definedAt() == null) {
            implied.define(pos);
            parent.put(key, implied, pos);
            mergeInto(implied, content, shift);
        } else {
            throw new Clash(Toml.joinKeyPath(path) + " previously defined at " + e.position(), pos);
        }
    }

    /** A section's header as its parse shows it: the path, where it is, and the table its keys went into. */
    private record Header(List<String> path, TomlPosition at, TomlTable content, boolean array) {
        static Header of(TomlTable r) {
            List<String> path = new ArrayList<>();
            TomlTable t = r;
            TomlPosition at = null;
            while (true) {
                String next = null;
                for (String k : t.keySet()) {
                    TomlPosition p = t.inputPositionOf(List.of(k));
                    if (p != null && p.line() == 1) next = k;
                }
                if (next == null) return new Header(path, at, t, false);
                path.add(next);
                at = t.inputPositionOf(List.of(next));
                Object v = t.get(List.of(next));
                if (v instanceof TomlArray a) return new Header(path, at, (TomlTable) a.get(a.size() - 1), true);
                t = (TomlTable) v;
            }
        }
    }

    /** The table a header's path leads to, through the last element of arrays of tables; implied tables made on the way. */
    private MergedTable ensureTable(List<String> path, TomlPosition pos) throws Clash {
        MergedTable t = root;
        for (int i = 0; i < path.size(); i++) {
            MergedTable.Element e = t.element(path.get(i));
            if (e == null) {
                MergedTable implied = new MergedTable(null);
                t.put(path.get(i), implied, pos);
                t = implied;
            } else if (e.value() instanceof MergedTable m) {
                t = m;
            } else if (e.value() instanceof MergedArray a && a.isTableArray()) {
                t = (MergedTable) a.get(a.size() - 1);
            } else {
                throw new Clash(Toml.joinKeyPath(path.subList(0, i + 1)) + " is not a table (previously defined at "
                        + e.position() + ")", pos);
            }
        }
        return t;
    }

    /** One key = value of a section, rebuilt from its parse: the key's path below the section's table. */
    private record KeyValue(List<String> path, Object value, TomlPosition at) {}

    /**
     * A section's keys into a table that already holds tables of earlier headers, replayed in file
     * order as tomlj sets them: a dotted key may walk through a table only implied so far, not
     * through one defined, and no key may be set twice. The earliest clash is the one reported.
     */
    private void mergeInto(MergedTable into, TomlTable from, int shift) throws Clash {
        List<KeyValue> kvs = new ArrayList<>();
        keyValues(from, new ArrayList<>(), shift, kvs);
        kvs.sort(Comparator.comparingInt((KeyValue kv) -> kv.at().line()).thenComparingInt(kv -> kv.at().column()));
        List<MergedTable> walked = new ArrayList<>();
        List<TomlPosition> walkedAt = new ArrayList<>();
        for (KeyValue kv : kvs) {
            MergedTable t = into;
            List<String> path = kv.path();
            for (int i = 0; i < path.size() - 1; i++) {
                MergedTable.Element e = t.element(path.get(i));
                String shown = Toml.joinKeyPath(path.subList(0, i + 1));
                if (e == null) {
                    MergedTable made = new MergedTable(null);
                    t.put(path.get(i), made, kv.at());
                    e = t.element(path.get(i));
                }
                if (!(e.value() instanceof MergedTable m)) {
                    throw new Clash(shown + " is not a table (previously defined at " + e.position() + ")", kv.at());
                }
                if (m.definedAt() != null) throw new Clash(shown + " already defined at " + m.definedAt(), kv.at());
                walked.add(m);
                walkedAt.add(e.position());
                t = m;
            }
            String last = path.get(path.size() - 1);
            MergedTable.Element prev = t.element(last);
            if (prev != null) throw new Clash(Toml.joinKeyPath(path) + " previously defined at " + prev.position(), kv.at());
            t.put(last, copy(kv.value(), kv.at(), shift), kv.at());
            values++;
        }
        // tomlj defines the tables a dotted key went through when the next header comes.
        for (int i = 0; i < walked.size(); i++) if (walked.get(i).definedAt() == null) walked.get(i).define(walkedAt.get(i));
    }

    /** The key = value lines under a table of one section's parse: a table is a value unless its key is dotted on. */
    private void keyValues(TomlTable t, List<String> prefix, int shift, List<KeyValue> out) {
        for (String k : t.keySet()) {
            TomlPosition at = shifted(t.inputPositionOf(List.of(k)), shift);
            Object v = t.get(List.of(k));
            List<String> path = new ArrayList<>(prefix);
            path.add(k);
            if (v instanceof TomlTable sub && !sub.isEmpty() && keySegmentsAt(at) > path.size()) {
                keyValues(sub, path, shift, out);
            } else {
                out.add(new KeyValue(List.copyOf(path), v, at));
            }
        }
    }

    /** How many parts the key of the key = value at p has: 2 for {@code b.c = 1}, 1 for {@code b = {c = 1}}. */
    private int keySegmentsAt(TomlPosition p) {
        if (lineStarts == null) lineStarts = lineStarts(text);
        if (p.line() < 1 || p.line() > lineStarts.length) return 1;
        int i;
        try {
            i = text.offsetByCodePoints(lineStarts[p.line() - 1], p.column() - 1);
        } catch (IndexOutOfBoundsException e) {
            return 1;
        }
        int segments = 1;
        char quote = 0;
        for (; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                if (c == '\\' && quote == '"') i++;
                else if (c == quote) quote = 0;
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '.') {
                segments++;
            } else if (c == '=' || c == '\n') {
                break;
            }
        }
        return segments;
    }

    /** Offsets where each line starts; built once, and only for a file whose dotted keys need it. */
    private static int[] lineStarts(String text) {
        int n = 1;
        for (int i = 0; i < text.length(); i++) if (text.charAt(i) == '\n') n++;
        int[] starts = new int[n];
        for (int i = 0, l = 1; i < text.length(); i++) if (text.charAt(i) == '\n') starts[l++] = i + 1;
        return starts;
    }

    /** A section's keys into a table of their own. */
    private void adopt(MergedTable into, TomlTable from, int shift) {
        for (String k : from.keySet()) {
            TomlPosition pos = shifted(from.inputPositionOf(List.of(k)), shift);
            into.put(k, copy(from.get(List.of(k)), pos, shift), pos);
            values++;
        }
    }

    /**
     * A value with its positions shifted. Tables written inline or by dotted keys count as defined
     * (tomlj defines them at the next header); empty ones stay tomlj's, which nothing can extend.
     */
    private Object copy(Object v, TomlPosition pos, int shift) {
        if (v instanceof TomlTable t && !t.isEmpty()) {
            MergedTable m = new MergedTable(pos);
            adopt(m, t, shift);
            return m;
        }
        if (v instanceof TomlArray a && !a.isEmpty()) {
            MergedArray m = new MergedArray(false);
            for (int i = 0; i < a.size(); i++) {
                TomlPosition p = shifted(a.inputPositionOf(i), shift);
                m.append(copy(a.get(i), p, shift), p);
                values++;
            }
            return m;
        }
        return v;
    }

    private static TomlPosition shifted(TomlPosition p, int shift) {
        return p == null || shift == 0 ? p : TomlPosition.positionAt(p.line() + shift, p.column());
    }

    /** Positions tomlj writes into a section's messages, made positions in the whole file. */
    static String shiftMessage(String msg, int shift) {
        if (msg == null || shift == 0) return msg;
        Matcher m = POSITION.matcher(msg);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(m.group(1) + "line " + (Long.parseLong(m.group(2)) + shift)
                    + ", column " + m.group(3)));
        }
        return m.appendTail(sb).toString();
    }

    /** tomlj appends " (line L, column C)" to some messages; the prefix of our line already says it. */
    static String stripPosition(String msg) {
        return msg == null ? "" : msg.replaceFirst("\\s*\\(line \\d+, column \\d+\\)$", "");
    }
}
